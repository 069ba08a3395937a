//! The start page and the frame around signed-in pages: the header's links with the current one marked,
//! today's appointments with who is waiting, "Patient jetzt einladen", the contacts added last, and the page
//! asked for before signing in.
use crate::appointments::{DATE, TIME, add_participant, create_appointment, guest_by_link, host};
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, TestApp};

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = app.get(browser, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn the_start_page_leads_to_every_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (browser, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let start = page(&app, &browser, "/").await;
    for expected in [
        "id=\"nav-termine\"",
        "id=\"nav-kontakte\"",
        "id=\"nav-profil\"",
        "id=\"nav-logout\"",
        "href=\"/termine/jetzt\"",
        "href=\"/termine/neu\"",
        "Heute haben Sie keine Termine.",
        "Sie haben noch keine Kontakte.",
    ] {
        assert!(start.contains(expected), "{expected}");
    }
    assert!(!start.contains("id=\"nav-support\"") && !start.contains("console-link"), "no console for users");

    // Today's appointment, with a guest in the waiting room.
    let id = create_appointment(&app, &browser, DATE, TIME).await;
    let invitation = add_participant(&app, &browser, &id, &[("name", "Anna Beispiel")]).await;
    let start = page(&app, &browser, "/").await;
    assert!(start.contains(&format!("href=\"/termine/{id}\"")) && start.contains("<strong>10:20</strong> · Befund"));
    assert!(!start.contains("im Wartezimmer"));
    assert!(start.contains("– Anna Beispiel"), "who the appointment is with");
    guest_by_link(&app, &invitation.link).await;
    assert!(page(&app, &browser, "/").await.contains("1 im Wartezimmer"));

    // The colleague added last.
    app.member("kai@praxis-beispiel.de", "Kai Kollege", "kkollege", true).await;
    let kai: String = sqlx::query_scalar("SELECT id FROM accounts WHERE username_normalized = 'kkollege'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    app.post(&browser, "/kontakte", &[("contact", &kai)]).await;
    assert!(page(&app, &browser, "/").await.contains("<strong>Kai Kollege</strong> (kkollege)"));

    // Every signed-in page marks where the person is.
    for (path, nav) in [("/termine", "nav-termine"), ("/kontakte", "nav-kontakte"), ("/profil", "nav-profil")] {
        let html = page(&app, &browser, path).await;
        assert!(html.contains(&format!("id=\"{nav}\" aria-current=\"page\"")), "{path}");
        assert_eq!(html.matches("aria-current=\"page\"").count(), 1, "{path}");
    }
    // Pages for signed-out visitors have no such header.
    assert!(!page(&app, &app.browser(), "/anmelden").await.contains("nav-termine"));
}

async fn staff_find_the_console_from_the_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, _) = crate::support::agent(&app).await;
    let start = page(&app, &console, "/").await;
    assert!(start.contains("id=\"nav-support\"") && start.contains("id=\"console-link\""));
    let html = page(&app, &console, "/support").await;
    assert!(html.contains("id=\"nav-support\" aria-current=\"page\""));
}

async fn a_patient_is_invited_now(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (browser, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    assert!(page(&app, &browser, "/termine/jetzt").await.contains("Legt einen Termin ab jetzt"));
    // A mistake keeps what was typed.
    let refused = app.post(&browser, "/termine/jetzt", &[("name", " "), ("email", "anna@beispiel.de")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("value=\"anna@beispiel.de\""));
    app.clock.advance(7 * 60 + 13);
    let invited = app
        .post(
            &browser,
            "/termine/jetzt",
            &[("name", "Anna Beispiel"), ("email", "anna@beispiel.de"), ("send_email", "ja")],
        )
        .await;
    let (invitation, location) = crate::appointments::fresh_after(&app, &browser, invited).await;
    assert!(invitation.link.contains("/t/") && !invitation.code.is_empty(), "link and code at once");
    // A reload of that page repeats nothing: no second appointment, no second e-mail, and link and code
    // are not shown again (they were never stored in clear).
    let again = app.get(&browser, &location).await.text().await.unwrap();
    assert!(!again.contains(&invitation.code) && again.contains("schon einmal angezeigt"), "{again}");
    let pool = &app.state().db.pool;
    let count = |sql| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() };
    assert_eq!(count("SELECT COUNT(*) FROM appointments").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM outbox WHERE participant_id IS NOT NULL").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM fresh_views").await, 0, "the view is gone once shown");
    // Only the session that made it sees it: the same address in the host's second browser shows nothing,
    // and leaves it for the first.
    let other = app.post(&browser, "/termine/jetzt", &[("name", "Bernd Beispiel")]).await;
    let elsewhere = other.headers()["location"].to_str().unwrap().to_owned();
    let (second, _) = crate::appointments::jar_browser();
    let signed_in = app.post(&second, "/anmelden", &[("username", "hwolf"), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status(), 303);
    let foreign = app.get(&second, &elsewhere).await.text().await.unwrap();
    assert!(!foreign.contains("fresh-code-shown") && foreign.contains("schon einmal angezeigt"), "{foreign}");
    let own = app.get(&browser, &elsewhere).await.text().await.unwrap();
    assert!(own.contains("fresh-code-shown"), "still there for the session that made it");
    let starts_at: i64 =
        sqlx::query_scalar("SELECT starts_at FROM appointments").fetch_one(&app.state().db.pool).await.unwrap();
    assert_eq!(starts_at, crate::harness::START + 7 * 60, "starts now (to the minute)");
    // The patient can come in right away.
    guest_by_link(&app, &invitation.link).await;
}

async fn the_page_asked_for_survives_the_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let browser = app.browser();
    let asked = app.get(&browser, "/kontakte/suche?q=kai").await;
    assert_eq!(asked.headers()["location"], "/anmelden?weiter=kontakte%2Fsuche%3Fq%3Dkai");
    let login = page(&app, &browser, "/anmelden?weiter=kontakte%2Fsuche%3Fq%3Dkai").await;
    assert!(login.contains("name=\"weiter\" value=\"kontakte/suche?q=kai\""), "{login}");
    let signed_in = app
        .post(
            &browser,
            "/anmelden",
            &[("username", "emuster"), ("password", PASSWORD), ("weiter", "kontakte/suche?q=kai")],
        )
        .await;
    assert_eq!(signed_in.headers()["location"], "/kontakte/suche?q=kai");
    // Only local paths: anything else leads to the start page.
    for foreign in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let other = app.browser();
        let response = app
            .post(&other, "/anmelden", &[("username", "emuster"), ("password", PASSWORD), ("weiter", foreign)])
            .await;
        assert_eq!(response.headers()["location"], "/", "{foreign}");
    }
}

async fn the_page_asked_for_survives_the_sms_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    crate::two_factor::with_two_factor(&app).await;
    let browser = app.browser();
    let password =
        app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", PASSWORD), ("weiter", "profil")]).await;
    assert_eq!(password.headers()["location"], "/anmelden/code?weiter=profil");
    let form = page(&app, &browser, "/anmelden/code?weiter=profil").await;
    assert!(form.contains("action=\"/anmelden/code?weiter=profil\""));
    let code = app.last_code_to(MOBILE).await;
    let done = app.post(&browser, "/anmelden/code?weiter=profil", &[("code", &code)]).await;
    assert_eq!(done.headers()["location"], "/profil");
}

both_databases!(
    the_start_page_leads_to_every_task,
    staff_find_the_console_from_the_start,
    a_patient_is_invited_now,
    the_page_asked_for_survives_the_login,
    the_page_asked_for_survives_the_sms_code,
);
