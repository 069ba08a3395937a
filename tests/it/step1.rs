//! Step 1, "Benutzername und Passwort festlegen": success, every rejection, atomicity, form conventions.
use crate::both_databases;
use crate::harness::{Backend, PASSWORD, TestApp};

async fn open_wizard(app: &TestApp) -> reqwest::Client {
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    assert_eq!(app.get(&browser, &link).await.status(), 303);
    browser
}

async fn submit(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
    repeat: &str,
) -> reqwest::Response {
    app.post(browser, "/registrierung", &[("username", username), ("password", password), ("password_repeat", repeat)])
        .await
}

async fn the_form_shows_rules_labels_and_autocomplete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    let html = app.get(&browser, "/registrierung").await.text().await.unwrap();
    let script = format!("<script src=\"{}\" defer></script>", sprechstunde::web::assets::url("step1.js"));
    for expected in [
        "<label for=\"username\">Benutzername</label>",
        "<label for=\"password\">Passwort</label>",
        "<label for=\"password_repeat\">Passwort wiederholen</label>",
        "autocomplete=\"username\"",
        "autocomplete=\"new-password\"",
        "type=\"password\"",
        "data-rule=\"min_length\" data-value=\"12\">Mindestens 12 Zeichen",
        "data-rule=\"max_length\" data-value=\"128\">Höchstens 128 Zeichen",
        "data-rule=\"not_common\"",
        "data-rule=\"not_context\"",
        "data-rule=\"matches\"",
        "data-rule=\"available\"",
        script.as_str(),
        ">Bestätigen &#38; Fortfahren</button>",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(!html.contains("data-rule=\"digit\""), "no composition rules by default");
    assert!(!html.contains("<script>"), "no inline scripts (CSP)");
}

async fn composition_rules_appear_and_apply_when_switched_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.password_policy.require_digit = true;
        c.password_policy.require_uppercase = true;
    })
    .await;
    let browser = open_wizard(&app).await;
    let html = app.get(&browser, "/registrierung").await.text().await.unwrap();
    assert!(html.contains("data-rule=\"digit\" data-value=\"\">Mindestens eine Ziffer"));
    assert!(html.contains("data-rule=\"uppercase\""));
    assert!(!html.contains("data-rule=\"symbol\""));
    let refused = submit(&app, &browser, "emuster", "leuchtturm am deich", "leuchtturm am deich").await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Im Passwort fehlt eine Ziffer."));
    assert!(html.contains("Im Passwort fehlt ein Großbuchstabe."));
    // The summary takes the focus, and the fields point to it.
    assert!(html.contains("id=\"form-errors\" tabindex=\"-1\" autofocus"));
    assert!(html.contains("aria-describedby=\"form-errors password-rules\" aria-invalid=\"true\""));
    assert_eq!(submit(&app, &browser, "emuster", PASSWORD, PASSWORD).await.status(), 303);
}

async fn success_creates_the_account_and_signs_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    let html = app.get(&browser, "/registrierung").await.text().await.unwrap();
    assert!(html.contains("Schritt 1 von 5"), "the default edition has five steps");
    let done = submit(&app, &browser, "EMuster", PASSWORD, PASSWORD).await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/registrierung/service-pin", "signed in, on to step 2");
    let overview = sprechstunde::accounts::store::list(&app.state().db, app.clock.now()).await.unwrap();
    assert_eq!(overview[0].status, "registering", "not unlocked before every step is done");
    for elsewhere in ["/", "/registrierung/abgeschlossen", "/registrierung/sichtbarkeit", "/registrierung/zwei-faktor"]
    {
        let response = app.get(&browser, elsewhere).await;
        assert_eq!(response.status(), 303, "{elsewhere}");
        assert_eq!(response.headers()["location"], "/registrierung/service-pin", "{elsewhere}");
    }
    app.finish_wizard(&browser).await;
    let page = app.get(&browser, "/registrierung/abgeschlossen").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Registrierung abgeschlossen") && page.contains("Schritt 5 von 5"));
    let start = app.get(&browser, "/").await.text().await.unwrap();
    assert!(start.contains("Willkommen, Dr. Erika Muster!"));
    assert!(start.contains("Sie sind angemeldet als EMuster."));
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE username_normalized = $1")
        .bind("emuster")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    let overview = sprechstunde::accounts::store::list(&app.state().db, app.clock.now()).await.unwrap();
    assert_eq!(overview[0].status, "active");
    assert_eq!(overview[0].username.as_deref(), Some("EMuster"));
}

async fn every_rejection_names_the_rule_and_keeps_the_username(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    let eleven = "Kaffeetasse";
    let cases: &[(&str, &str, &str, &str)] = &[
        ("emuster", eleven, eleven, "Das Passwort ist zu kurz: Es braucht mindestens 12 Zeichen."),
        (
            "emuster",
            &"x7Gq".repeat(33),
            &"x7Gq".repeat(33),
            "Das Passwort ist zu lang: Es darf höchstens 128 Zeichen haben.",
        ),
        ("emuster", "qwerty123456", "qwerty123456", "Dieses Passwort wird sehr häufig verwendet"),
        ("emuster", "passwort1234", "passwort1234", "Dieses Passwort wird sehr häufig verwendet"),
        ("emuster", "emuster-am-deich", "emuster-am-deich", "Das Passwort enthält Ihren Benutzernamen"),
        ("dr.ok", "Muster und Meer 99", "Muster und Meer 99", "Das Passwort enthält Ihren Benutzernamen"),
        ("dr.ok", "erika.muster@praxis-beispiel.de", "erika.muster@praxis-beispiel.de", "Enthält weder Benutzernamen"),
        ("emuster", PASSWORD, "Leuchtturm am Teich 7", "Die beiden Passworteingaben sind verschieden."),
        ("em", PASSWORD, PASSWORD, "Der Benutzername muss 3 bis 32 Zeichen lang sein."),
        (
            "erika muster",
            PASSWORD,
            PASSWORD,
            "Der Benutzername darf nur Buchstaben (a–z), Ziffern sowie . _ - enthalten.",
        ),
        ("1erika", PASSWORD, PASSWORD, "Der Benutzername muss mit einem Buchstaben beginnen."),
    ];
    for (username, password, repeat, message) in cases {
        let response = submit(&app, &browser, username, password, repeat).await;
        assert_eq!(response.status(), 422, "{username} / {password}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{username} / {password}: expected „{message}“");
        assert!(html.contains(&format!("value=\"{username}\"")), "username kept");
        assert!(!html.contains(&format!("value=\"{password}\"")), "password never sent back");
        assert!(html.contains("role=\"alert\""));
    }
    // 12 characters are enough, and the link was not used up by the rejections.
    assert_eq!(submit(&app, &browser, "emuster", "Kaffeetasse7", "Kaffeetasse7").await.status(), 303);
}

async fn a_taken_username_is_refused_case_insensitively(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("kollege@praxis-beispiel.de", "EMuster").await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.get(&browser, &link).await;
    let check = app.get(&browser, "/registrierung/benutzername?name=emuster").await;
    let answer = check.json::<serde_json::Value>().await.unwrap();
    assert_eq!(answer["available"], false);
    assert_eq!(answer["suggestion"], "emuster2", "a free name is proposed");
    let check = app.get(&browser, "/registrierung/benutzername?name=erika2").await;
    assert_eq!(check.json::<serde_json::Value>().await.unwrap()["available"], true);
    let refused = submit(&app, &browser, "emuster", PASSWORD, PASSWORD).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("„emuster“ ist schon vergeben. Frei wäre zum Beispiel „emuster2“."), "{html}");
    assert!(html.contains("value=\"emuster\""));
    assert_eq!(submit(&app, &browser, "erika2", PASSWORD, PASSWORD).await.status(), 303);
}

async fn the_availability_check_needs_an_open_registration_and_is_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.get(&app.browser(), "/registrierung/benutzername?name=emuster").await;
    assert_eq!(anonymous.status(), 401);
    let browser = open_wizard(&app).await;
    for _ in 0..60 {
        assert_eq!(app.get(&browser, "/registrierung/benutzername?name=abc").await.status(), 200);
    }
    let limited = app.get(&browser, "/registrierung/benutzername?name=abc").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

async fn fifty_simultaneous_submissions_create_exactly_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    let posts = (0..50)
        .map(|i| {
            let form = [
                ("username", format!("emuster{i}")),
                ("password", PASSWORD.into()),
                ("password_repeat", PASSWORD.into()),
            ];
            (browser.clone(), "/registrierung", form.map(|(k, v)| (k.to_owned(), v)).to_vec())
        })
        .collect();
    let mut created = 0;
    let mut already = 0;
    for response in app.post_all_at_once(posts).await {
        match response.status().as_u16() {
            303 => created += 1,
            409 => {
                assert!(response.text().await.unwrap().contains("Ihr Account besteht bereits"));
                already += 1;
            }
            other => panic!("unexpected status {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!((created, already), (1, 49));
    let accounts = app.scalar_i64("SELECT COUNT(*) FROM accounts WHERE username IS NOT NULL AND id <> $1", "").await;
    assert_eq!(accounts, 1);
}

async fn repeated_and_array_fields_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    for body in [
        "username=a&username=b&password=x&password_repeat=x",
        "username%5B%5D=emuster&password=x&password_repeat=x",
        "username=emuster&password=x&password_repeat=x&email=evil%40example.org",
    ] {
        let response = browser
            .post(app.url("/registrierung"))
            .header("origin", &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert!(response.text().await.unwrap().contains("Ungültige Anfrage"));
    }
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = open_wizard(&app).await;
    let response = browser
        .post(app.url("/registrierung"))
        .header("origin", "https://evil.example")
        .form(&[("username", "emuster"), ("password", PASSWORD), ("password_repeat", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("Anfrage abgelehnt"));
    let response = browser
        .post(app.url("/registrierung"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "emuster"), ("password", PASSWORD), ("password_repeat", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(submit(&app, &browser, "emuster", PASSWORD, PASSWORD).await.status(), 303, "the link still works");
}

both_databases!(
    the_form_shows_rules_labels_and_autocomplete,
    composition_rules_appear_and_apply_when_switched_on,
    success_creates_the_account_and_signs_in,
    every_rejection_names_the_rule_and_keeps_the_username,
    a_taken_username_is_refused_case_insensitively,
    the_availability_check_needs_an_open_registration_and_is_limited,
    fifty_simultaneous_submissions_create_exactly_one_account,
    repeated_and_array_fields_are_refused,
    cross_site_posts_are_refused,
);
