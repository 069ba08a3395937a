//! Login and logout (issue 2, point 6).
use crate::both_databases;
use crate::harness::{Backend, PASSWORD, TestApp};

fn session_cookie(response: &reqwest::Response) -> String {
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn login(app: &TestApp, browser: &reqwest::Client, username: &str, password: &str) -> reqwest::Response {
    app.post(browser, "/anmelden", &[("username", username), ("password", password)]).await
}

async fn login_logout_and_a_fresh_session_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let page = app.get(&app.browser(), "/anmelden").await.text().await.unwrap();
    assert!(page.contains("autocomplete=\"current-password\""));
    assert!(page.contains("<label for=\"username\">Benutzername</label>"));
    // A browser that already has a session (from registration) gets a new id at login.
    let old = app.get(&registered, "/").await;
    assert_eq!(old.status(), 200);
    let browser = app.browser();
    let first = login(&app, &browser, "EMUSTER", PASSWORD).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/");
    let first_cookie = session_cookie(&first);
    assert!(first.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
    let second = login(&app, &browser, "emuster", PASSWORD).await;
    let second_cookie = session_cookie(&second);
    assert_ne!(first_cookie, second_cookie, "new session id at every login");
    // The replaced session is gone on the server.
    let stale = app.browser().get(app.url("/")).header("cookie", &first_cookie).send().await.unwrap();
    assert_eq!(stale.status(), 303);
    let start = app.get(&browser, "/").await.text().await.unwrap();
    assert!(start.contains("Sie sind angemeldet als emuster."));
    let out = app.post(&browser, "/abmelden", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/anmelden?abgemeldet");
    assert_eq!(out.headers()["clear-site-data"], "\"cookies\"");
    let replay = app.browser().get(app.url("/")).header("cookie", &second_cookie).send().await.unwrap();
    assert_eq!(replay.status(), 303, "the old cookie is refused after logout");
    assert_eq!(replay.headers()["location"], "/anmelden");
    let notice = app.get(&app.browser(), "/anmelden?abgemeldet").await.text().await.unwrap();
    assert!(notice.contains("Sie wurden abgemeldet."));
}

async fn wrong_password_and_unknown_user_look_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let wrong = login(&app, &app.browser(), "emuster", "Leuchtturm am Deich 8").await;
    let unknown = login(&app, &app.browser(), "niemand", "Leuchtturm am Deich 8").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(wrong.contains("Benutzername oder Passwort ist falsch."));
    assert_eq!(wrong.replace("emuster", "X"), unknown.replace("niemand", "X"));
    assert!(wrong.contains("value=\"emuster\""), "username kept");
}

async fn long_passwords_are_never_truncated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.get(&browser, &link).await;
    let long: String = "Leuchtturm am Deich ".repeat(5);
    assert_eq!(long.chars().count(), 100);
    let done = app
        .post(&browser, "/registrierung", &[("username", "emuster"), ("password", &long), ("password_repeat", &long)])
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(login(&app, &app.browser(), "emuster", &long[..99]).await.status(), 401);
    assert_eq!(login(&app, &app.browser(), "emuster", &long).await.status(), 303);
}

async fn repeated_failures_are_throttled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    for _ in 0..5 {
        assert_eq!(login(&app, &app.browser(), "emuster", "falsch falsch falsch").await.status(), 401);
    }
    let throttled = login(&app, &app.browser(), "emuster", PASSWORD).await;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    assert_eq!(throttled.headers()["retry-after"], "1");
    assert!(throttled.text().await.unwrap().contains("Bitte warten Sie 1 Sekunden"));
    // Unknown usernames are throttled the same way: no way to tell them apart.
    for _ in 0..5 {
        login(&app, &app.browser(), "niemand", "falsch falsch falsch").await;
    }
    assert_eq!(login(&app, &app.browser(), "niemand", "x").await.status(), 429);
    app.clock.advance(1);
    assert_eq!(login(&app, &app.browser(), "emuster", PASSWORD).await.status(), 303);
    assert_eq!(
        login(&app, &app.browser(), "emuster", "falsch").await.status(),
        401,
        "a successful login starts the count again"
    );
}

async fn parallel_guesses_cannot_slip_through(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let client = app.browser();
        let url = app.url("/anmelden");
        let origin = app.base.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("origin", origin)
                .form(&[("username", "emuster"), ("password", "falsch falsch falsch")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut checked = 0;
    for task in tasks {
        if task.await.unwrap() == 401 {
            checked += 1;
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked, at most 5 may be");
}

async fn the_per_address_limit_stops_spraying_across_usernames(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..20 {
        assert_eq!(login(&app, &app.browser(), &format!("user{i}"), "falsch").await.status(), 401);
    }
    assert_eq!(login(&app, &app.browser(), "user99", "falsch").await.status(), 429);
}

async fn sessions_end_after_idle_and_absolute_timeouts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let browser = app.browser();
    login(&app, &browser, "emuster", PASSWORD).await;
    app.clock.advance(29 * 60);
    assert_eq!(app.get(&browser, "/").await.status(), 200, "29 minutes idle: still signed in");
    app.clock.advance(30 * 60);
    assert_eq!(app.get(&browser, "/").await.status(), 303, "30 minutes idle: signed out");
    login(&app, &browser, "emuster", PASSWORD).await;
    for _ in 0..24 {
        app.clock.advance(29 * 60);
        assert_eq!(app.get(&browser, "/").await.status(), 200);
    }
    app.clock.advance(29 * 60);
    assert_eq!(app.get(&browser, "/").await.status(), 303, "12 hours at most, however active");
}

both_databases!(
    login_logout_and_a_fresh_session_id,
    wrong_password_and_unknown_user_look_the_same,
    long_passwords_are_never_truncated,
    repeated_failures_are_throttled,
    parallel_guesses_cannot_slip_through,
    the_per_address_limit_stops_spraying_across_usernames,
    sessions_end_after_idle_and_absolute_timeouts,
);
