//! Every outcome of opening a registration link (issue 2, point 4), with the injected clock.
use crate::both_databases;
use crate::harness::{Backend, TestApp};
use sprechstunde::accounts::{self, AccountError};

const DAY: i64 = 86_400;

async fn valid_link_opens_the_wizard_on_a_token_free_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    assert!(link.starts_with(&format!("{}/registrierung/", app.base)), "{link}");
    let browser = app.browser();
    let opened = app.get(&browser, &link).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/registrierung");
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    assert_eq!(opened.headers()["cache-control"], "no-store");
    let cookie = opened.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let wizard = app.get(&browser, "/registrierung").await;
    assert_eq!(wizard.status(), 200);
    assert_eq!(wizard.headers()["referrer-policy"], "no-referrer");
    assert_eq!(wizard.headers()["cache-control"], "no-store");
    let html = wizard.text().await.unwrap();
    assert!(html.contains("Benutzername und Passwort festlegen"));
    assert!(html.contains("Bestätigen &#38; Fortfahren"), "{html}");
    // A different browser without the cookie cannot continue the wizard.
    let other = app.get(&app.browser(), "/registrierung").await;
    assert_eq!(other.status(), 401);
    assert!(other.text().await.unwrap().contains("Registrierungslink aus Ihrer E-Mail erneut"));
}

async fn link_is_valid_until_the_configured_time_after_sending(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    // The mail goes out one day after the account was created: the 14 days count from then.
    app.clock.advance(DAY);
    app.deliver().await;
    let link = app.last_link_to("erika.muster@praxis-beispiel.de");
    app.clock.advance(14 * DAY - 1);
    assert_eq!(app.get(&app.browser(), &link).await.status(), 303, "14 days minus 1 s: valid");
    app.clock.advance(2);
    let expired = app.get(&app.browser(), &link).await;
    assert_eq!(expired.status(), 410, "14 days plus 1 s: expired");
    let html = expired.text().await.unwrap();
    assert!(html.contains("Registrierungslink abgelaufen"), "{html}");
    assert!(html.contains("14 Tage"));
    assert!(html.contains("support@praxis-service.example"), "support contact on the page");
    // A prefilled mail to support, naming the address the new link should go to.
    assert!(
        html.contains("href=\"mailto:support@praxis-service.example?subject=Neuer%20Registrierungslink&#38;body="),
        "{html}"
    );
    assert!(html.contains("erika.muster%40praxis-beispiel.de"));
    let overview = accounts::store::list(&app.state().db, app.clock.now()).await.unwrap();
    assert_eq!(overview[0].status, "link_expired");
}

async fn a_wizard_opened_in_time_refuses_after_expiry(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.registration_link_ttl = 90).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    assert_eq!(app.get(&browser, &link).await.status(), 303);
    app.clock.advance(91);
    let response = app
        .post(
            &browser,
            "/registrierung",
            &[
                ("username", "emuster"),
                ("password", crate::harness::PASSWORD),
                ("password_repeat", crate::harness::PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("abgelaufen"));
}

async fn resend_replaces_every_older_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.invite("erika.muster@praxis-beispiel.de").await;
    app.clock.advance(60);
    accounts::resend(app.state(), "erika.muster@praxis-beispiel.de", sprechstunde::security::audit::Actor::Operator)
        .await
        .unwrap();
    app.deliver().await;
    let second = app.last_link_to("erika.muster@praxis-beispiel.de");
    assert_ne!(first, second);
    let old = app.get(&app.browser(), &first).await;
    assert_eq!(old.status(), 410);
    let html = old.text().await.unwrap();
    assert!(html.contains("Dieser Link wurde ersetzt"), "{html}");
    assert_eq!(app.get(&app.browser(), &second).await.status(), 303);
}

async fn resend_before_delivery_sends_only_the_new_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    accounts::resend(app.state(), &account.id, sprechstunde::security::audit::Actor::Operator).await.unwrap();
    assert_eq!(app.deliver().await, 1, "the first, replaced message is cancelled, not sent");
    assert_eq!(app.mails().len(), 1);
    let link = app.last_link_to("erika.muster@praxis-beispiel.de");
    assert_eq!(app.get(&app.browser(), &link).await.status(), 303);
}

async fn unknown_and_malformed_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.invite("erika.muster@praxis-beispiel.de").await;
    let well_formed = sprechstunde::security::token::generate();
    for path in [format!("/registrierung/{well_formed}"), "/registrierung/abc".into(), "/registrierung/%27".into()] {
        let response = app.get(&app.browser(), &path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.text().await.unwrap().contains("Link ungültig"));
    }
    // A control character never reaches the link lookup: the edge refuses it (issue 8).
    let response = app.get(&app.browser(), "/registrierung/%00%27").await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("Steuerzeichen"));
}

async fn a_session_id_is_not_a_registration_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let opened = app.get(&app.browser(), &link).await;
    let cookie = opened.headers()["set-cookie"].to_str().unwrap();
    let session_id = cookie.trim_start_matches("sid=").split(';').next().unwrap();
    let response = app.get(&app.browser(), &format!("/registrierung/{session_id}")).await;
    assert_eq!(response.status(), 404, "tokens are typed per purpose");
}

async fn opening_never_consumes_the_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    for _ in 0..3 {
        // As a mail scanner would: no cookies kept.
        assert_eq!(app.get(&app.browser(), &link).await.status(), 303);
    }
    let done = app.register(&app.browser(), &link, "emuster").await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/registrierung/service-pin");
}

async fn a_used_link_says_already_registered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    assert_eq!(app.register(&app.browser(), &link, "emuster").await.status(), 303);
    let again = app.get(&app.browser(), &link).await;
    assert_eq!(again.status(), 409);
    let html = again.text().await.unwrap();
    // Steps are still open: not "completed", but "the account exists, sign in to go on".
    assert!(html.contains("Ihr Account besteht bereits") && html.contains("restlichen Schritten"), "{html}");
    assert!(!html.contains("bereits abgeschlossen"));
    assert!(html.contains("href=\"/anmelden\""));
    let refused = accounts::resend(
        app.state(),
        "erika.muster@praxis-beispiel.de",
        sprechstunde::security::audit::Actor::Operator,
    )
    .await;
    assert!(matches!(refused, Err(AccountError::AlreadyRegistered(_))), "{refused:?}");
}

async fn english_accounts_get_english_mail_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account_in("jane.doe@clinic.example", "Dr. Jane Doe", sprechstunde::web::i18n::Lang::En).await;
    app.deliver().await;
    let mail = app.mails().pop().unwrap();
    assert_eq!(mail.subject(), "Your registration for the video consultation service");
    let text = mail.text();
    assert!(text.contains("Hello Dr. Jane Doe"), "{text}");
    assert!(text.contains("valid for 14 days"));
    assert!(mail.part("text/html").contains("Start registration"));
    let browser = app.browser();
    app.get(&browser, &mail.link().unwrap()).await;
    let html = app.get(&browser, "/registrierung").await.text().await.unwrap();
    assert!(html.contains("Choose your username and password"));
    assert!(html.contains("<html lang=\"en\">"));
}

async fn german_mail_explains_validity_and_what_to_do(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.invite("erika.muster@praxis-beispiel.de").await;
    let mail = app.mails().pop().unwrap();
    assert_eq!(mail.subject(), "Ihre Registrierung für die Videosprechstunde");
    let text = mail.text();
    assert!(text.contains("Guten Tag Dr. Erika Muster"), "{text}");
    assert!(
        text.contains("ab Erhalt dieser E-Mail 14 Tage gültig, also mindestens bis 16.11.2026, 10:00 Uhr"),
        "{text}"
    );
    assert!(text.contains("Halten Sie Ihr Mobiltelefon bereit"));
    assert!(mail.raw.contains("Message-ID: <"), "every mail has a Message-ID: {}", mail.raw);
    assert!(text.contains("wenden Sie sich bitte an unseren Support"));
    assert!(text.contains("support@praxis-service.example"));
    let html = mail.part("text/html");
    assert!(html.contains("Registrierung starten"));
    assert!(html.contains("<title>Ihre Registrierung für die Videosprechstunde</title>"));
    assert!(html.contains(&mail.link().unwrap()));
}

async fn host_header_never_changes_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    let opened = browser
        .get(&link)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    assert!(!opened.headers()["location"].to_str().unwrap().contains("evil"));
    accounts::resend(app.state(), "erika.muster@praxis-beispiel.de", sprechstunde::security::audit::Actor::Operator)
        .await
        .unwrap();
    app.deliver().await;
    for mail in app.mails() {
        let link = mail.link().unwrap();
        assert!(link.starts_with(&format!("{}/registrierung/", app.base)), "{link}");
        assert!(!mail.raw.contains("evil.example"));
    }
    // A mail asked for over HTTP with a forged host: "Passwort vergessen?".
    let fresh = app.last_link_to("erika.muster@praxis-beispiel.de");
    app.register(&app.browser(), &fresh, "emuster").await;
    let asked = app
        .browser()
        .post(app.url("/passwort-vergessen"))
        .header("origin", &app.base)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[("identifier", "emuster")])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    app.deliver().await;
    let reset = app.mails().into_iter().rfind(|m| m.subject().starts_with("Neues Passwort")).expect("the reset mail");
    assert!(reset.link().unwrap().starts_with(&format!("{}/passwort-vergessen/", app.base)), "{:?}", reset.link());
    assert!(!reset.raw.contains("evil.example"));
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let browser = app.browser();
    let opened = app.get(&browser, &link).await;
    let session_id = opened.headers()["set-cookie"].to_str().unwrap()[4..47].to_owned();
    for (sql, what) in [
        ("SELECT COUNT(*) FROM registration_links WHERE token_hash LIKE '%' || $1 || '%'", "link token"),
        (
            "SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%' || $1 || '%' OR body_html LIKE '%' || $1 || '%'",
            "mail body after sending",
        ),
        ("SELECT COUNT(*) FROM sessions WHERE id_hash LIKE '%' || $1 || '%'", "session id"),
    ] {
        assert_eq!(app.scalar_i64(sql, &token).await + app.scalar_i64(sql, &session_id).await, 0, "{what}");
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM registration_links WHERE account_id <> $1", "").await, 1);
}

both_databases!(
    valid_link_opens_the_wizard_on_a_token_free_address,
    link_is_valid_until_the_configured_time_after_sending,
    a_wizard_opened_in_time_refuses_after_expiry,
    resend_replaces_every_older_link,
    resend_before_delivery_sends_only_the_new_link,
    unknown_and_malformed_links,
    a_session_id_is_not_a_registration_token,
    opening_never_consumes_the_link,
    a_used_link_says_already_registered,
    english_accounts_get_english_mail_and_pages,
    german_mail_explains_validity_and_what_to_do,
    host_header_never_changes_links,
    tokens_are_stored_only_as_hashes,
);
