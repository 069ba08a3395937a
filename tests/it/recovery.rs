//! "Passwort vergessen?" and "Benutzername vergessen?": the neutral answers, the one-hour single-use link,
//! the SMS code first when two-factor authentication is on, every session ending, the caps, and the audit.
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, TestApp};

const NEW_PASSWORD: &str = "Nordseewellen im Herbst 9";
const NEUTRAL: &str = "Wenn zu Ihrer Angabe ein Account gehört";

async fn ask_for_reset(app: &TestApp, identifier: &str) -> (u16, String) {
    let response = app.post(&app.browser(), "/passwort-vergessen", &[("identifier", identifier)]).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The newest reset mail to `email`: its link.
async fn reset_link(app: &TestApp, email: &str) -> String {
    app.deliver().await;
    let mail = app
        .mails()
        .into_iter()
        .rfind(|m| m.raw.contains(&format!("To: {email}")) && m.subject().starts_with("Neues Passwort"))
        .expect("reset mail");
    mail.link().expect("link in the reset mail")
}

async fn login(app: &TestApp, password: &str) -> u16 {
    let response = app.post(&app.browser(), "/anmelden", &[("username", "emuster"), ("password", password)]).await;
    response.status().as_u16()
}

async fn a_forgotten_password_is_set_anew_through_the_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let signed_in = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let login_page = app.get(&app.browser(), "/anmelden").await.text().await.unwrap();
    assert!(login_page.contains("href=\"/passwort-vergessen\"") && login_page.contains("Benutzername vergessen?"));

    // Known name, known address in other letters, unknown name: the same answer.
    let known = ask_for_reset(&app, "EMuster").await;
    let unknown = ask_for_reset(&app, "niemand").await;
    assert_eq!(known.0, 200);
    assert!(known.1.contains(NEUTRAL) && known.1.contains("1 Stunde gültig"));
    assert_eq!(known, unknown, "the answer does not tell whether the account exists");

    let link = reset_link(&app, "erika.muster@praxis-beispiel.de").await;
    assert!(link.contains("/passwort-vergessen/"));
    let mail = app.mails().into_iter().rfind(|m| m.subject().starts_with("Neues Passwort")).unwrap();
    assert!(mail.text().contains("gültig (bis 02.11.2026, 11:00 Uhr)"), "{}", mail.text());
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM password_resets WHERE token_hash = $1", &token).await, 0);

    let browser = app.browser();
    let opened = app.get(&browser, &link).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/passwort-neu", "the token leaves the address bar");
    let form = app.get(&browser, "/passwort-neu").await.text().await.unwrap();
    assert!(form.contains("Ihr Benutzername bleibt „emuster“") && form.contains("id=\"password-rules\""));

    let weak = app.post(&browser, "/passwort-neu", &[("password", "kurz"), ("password_repeat", "kurz")]).await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("Das Passwort ist zu kurz"));
    let other = app
        .post(
            &browser,
            "/passwort-neu",
            &[("password", NEW_PASSWORD), ("password_repeat", "Nordseewellen im Herbst 8")],
        )
        .await;
    assert_eq!(other.status(), 422, "the repetition must match");

    let done =
        app.post(&browser, "/passwort-neu", &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)]).await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Ihr neues Passwort gilt"));

    // Every earlier session ended; the old password is gone, the new one works.
    assert_eq!(app.get(&signed_in, "/").await.headers()["location"], "/anmelden");
    assert_eq!(login(&app, PASSWORD).await, 401);
    assert_eq!(login(&app, NEW_PASSWORD).await, 303);
    // Used once: the link (and the reset page) no longer work.
    let again = app.get(&app.browser(), &link).await;
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("Neuen Link anfordern"));
    assert_eq!(app.get(&browser, "/passwort-neu").await.status(), 410);

    app.deliver().await;
    let notice = app.mails().into_iter().rfind(|m| m.subject().starts_with("Änderung")).expect("notice");
    assert!(notice.text().contains("über „Passwort vergessen?“ neu festgelegt"));
    let audited = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE event IN ('password.reset', 'password.reset_requested') AND outcome <> $1", "unknown")
        .await;
    assert_eq!(audited, 2, "the request and the reset are in the audit log");
}

async fn a_link_lasts_one_hour_and_a_newer_one_replaces_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    ask_for_reset(&app, "Erika.Muster@Praxis-Beispiel.de").await;
    let first = reset_link(&app, "erika.muster@praxis-beispiel.de").await;
    app.clock.advance(10);
    ask_for_reset(&app, "emuster").await;
    let second = reset_link(&app, "erika.muster@praxis-beispiel.de").await;
    assert_ne!(first, second);
    // Opened in a browser that was signed in: that session ends, none stays behind the new cookie.
    let signed_in = app.browser();
    app.post(&signed_in, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(app.get(&signed_in, &second).await.headers()["location"], "/passwort-neu");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions WHERE kind = 'login' AND account_id <> $1", "").await, 1);
    assert_eq!(app.get(&app.browser(), &first).await.status(), 410, "the newer link replaces the older");
    app.clock.advance(3600);
    let expired = app.get(&app.browser(), &second).await;
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("gilt 1 Stunde"));
}

async fn with_two_factor_the_sms_code_comes_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    crate::two_factor::with_two_factor(&app).await;
    ask_for_reset(&app, "emuster").await;
    let link = reset_link(&app, "erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    let opened = app.get(&browser, &link).await;
    assert_eq!(opened.headers()["location"], "/passwort-neu/code");
    let page = app.get(&browser, "/passwort-neu/code").await.text().await.unwrap();
    assert!(page.contains("+49171••••567"), "the code went to the number on file");
    // No new password before the code.
    let early =
        app.post(&browser, "/passwort-neu", &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)]).await;
    assert_eq!(early.status(), 410);
    let code = app.last_code_to(MOBILE).await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let refused = app.post(&browser, "/passwort-neu/code", &[("code", wrong)]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("noch 4 Versuche"));
    let accepted = app.post(&browser, "/passwort-neu/code", &[("code", &code)]).await;
    assert_eq!(accepted.headers()["location"], "/passwort-neu");
    let done =
        app.post(&browser, "/passwort-neu", &[("password", NEW_PASSWORD), ("password_repeat", NEW_PASSWORD)]).await;
    assert_eq!(done.status(), 200);
    assert_eq!(login(&app, NEW_PASSWORD).await, 303);
}

async fn reset_mails_and_requests_are_capped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    for _ in 0..4 {
        assert_eq!(ask_for_reset(&app, "emuster").await.0, 200);
    }
    app.deliver().await;
    let resets = app.mails().into_iter().filter(|m| m.subject().starts_with("Neues Passwort")).count();
    assert_eq!(resets, 3, "three reset mails per account and hour");
    let capped = app
        .scalar_i64(
            "SELECT COUNT(*) FROM audit_log WHERE event = 'password.reset_requested' AND outcome = $1",
            "capped",
        )
        .await;
    assert_eq!(capped, 1);
    // Ten requests per address and hour, whatever they name; the eleventh keeps what was typed.
    for n in 0..6 {
        ask_for_reset(&app, &format!("jemand{n}")).await;
    }
    let response = app.post(&app.browser(), "/passwort-vergessen", &[("identifier", "emuster")]).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Bitte versuchen Sie es in 60 Minuten erneut") && html.contains("value=\"emuster\""));
    let empty = app.post(&app.browser(), "/benutzername-vergessen", &[("identifier", " ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Bitte geben Sie Ihre E-Mail-Adresse ein."));
}

async fn a_forgotten_username_is_sent_to_the_address_on_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let form = app.get(&app.browser(), "/benutzername-vergessen").await.text().await.unwrap();
    assert!(form.contains("type=\"email\""));
    let known =
        app.post(&app.browser(), "/benutzername-vergessen", &[("identifier", "erika.muster@praxis-beispiel.de")]).await;
    let unknown =
        app.post(&app.browser(), "/benutzername-vergessen", &[("identifier", "wer@praxis-beispiel.de")]).await;
    assert_eq!((known.status(), unknown.status()), (reqwest::StatusCode::OK, reqwest::StatusCode::OK));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap(), "the same answer either way");
    app.deliver().await;
    let reminders: Vec<_> = app.mails().into_iter().filter(|m| m.subject().contains("Benutzername")).collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].text().contains("Ihr Benutzername lautet: emuster"));
    assert!(reminders[0].raw.contains("To: erika.muster@praxis-beispiel.de"));
}

async fn support_sends_the_reset_mail_after_a_pin_check(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, _) = crate::support::agent(&app).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let id = crate::support::id_of(&app, "erika.muster@praxis-beispiel.de").await;
    let send = format!("/support/konten/{id}/passwort-link");
    assert_eq!(app.post(&console, &send, &[]).await.status(), 403, "only after a correct PIN check");
    app.post(&console, &format!("/support/konten/{id}/pin-pruefen"), &[("pin", crate::harness::SERVICE_PIN)]).await;
    let page = app.get(&console, &format!("/support/konten/{id}")).await.text().await.unwrap();
    assert!(page.contains("id=\"send-reset\""));
    let sent = app.post(&console, &send, &[]).await;
    assert_eq!(sent.headers()["location"], format!("/support/konten/{id}?passwort-link"));
    let link = reset_link(&app, "erika.muster@praxis-beispiel.de").await;
    assert_eq!(app.get(&app.browser(), &link).await.headers()["location"], "/passwort-neu");
    let by_support = app
        .scalar_i64("SELECT COUNT(*) FROM password_resets WHERE requested_by LIKE 'support:%' AND account_id = $1", &id)
        .await;
    assert_eq!(by_support, 1);
    // After support changed the number, a link sent before stops working, and support sends none for a week:
    // the PIN alone must not lead to a new address and a new password.
    let fresh = {
        app.post(&console, &send, &[]).await;
        reset_link(&app, "erika.muster@praxis-beispiel.de").await
    };
    let changed = app.post(&console, &format!("/support/konten/{id}/mobilnummer"), &[("value", "0160 98765432")]).await;
    assert_eq!(changed.status(), 303);
    assert_eq!(app.get(&app.browser(), &fresh).await.status(), 410, "revoked by the change");
    let refused = app.post(&console, &send, &[]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("in den letzten 7 Tagen"));
    app.clock.advance(7 * 86_400 + 1);
    let console = crate::support::agent_signed_in_again(&app).await;
    app.post(&console, &format!("/support/konten/{id}/pin-pruefen"), &[("pin", crate::harness::SERVICE_PIN)]).await;
    assert_eq!(app.post(&console, &send, &[]).await.status(), 303, "a week later it works again");
}

both_databases!(
    support_sends_the_reset_mail_after_a_pin_check,
    a_forgotten_password_is_set_anew_through_the_link,
    a_link_lasts_one_hour_and_a_newer_one_replaces_it,
    with_two_factor_the_sms_code_comes_first,
    reset_mails_and_requests_are_capped,
    a_forgotten_username_is_sent_to_the_address_on_file,
);

/// Two instances on one PostgreSQL database share the limits (issue 18): five requests to each, and the
/// eleventh from this address is refused by either. (In memory, each instance allowed ten.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_limit() {
    let first = TestApp::spawn(Backend::Postgres).await;
    let url = first.state().config.database_url.clone();
    let second = TestApp::spawn_with(Backend::Sqlite, |config| config.database_url = url).await;
    second.clock.advance(first.clock.now() - second.clock.now());
    for n in 0..10 {
        let app = if n % 2 == 0 { &first } else { &second };
        let asked = app.post(&app.browser(), "/passwort-vergessen", &[("identifier", "niemand")]).await;
        assert_eq!(asked.status(), 200, "request {n}");
    }
    for app in [&first, &second] {
        let refused = app.post(&app.browser(), "/passwort-vergessen", &[("identifier", "niemand")]).await;
        assert_eq!(refused.status(), 429, "the eleventh, on either instance");
    }
    // Links opened by token, counted the same way: 60 a minute from one network, across both.
    for n in 0..60 {
        let app = if n % 2 == 0 { &first } else { &second };
        assert_eq!(app.get(&app.browser(), "/t/unbekannt").await.status(), 404, "opening {n}");
    }
    assert_eq!(second.get(&second.browser(), "/t/unbekannt").await.status(), 429);
    drop(second);
}
