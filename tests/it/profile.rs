//! Profile settings (issue 4, point 1): every change, its re-authentication and its e-mail confirmation.
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts;

const NEW_PASSWORD: &str = "Sandburg und Möwen 42";

async fn account(app: &TestApp) -> accounts::Account {
    accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap()
}

fn notices(app: &TestApp) -> Vec<String> {
    app.mails().iter().filter(|m| m.subject() == "Änderung an Ihrem Sprechstunde-Account").map(|m| m.text()).collect()
}

async fn login(app: &TestApp, browser: &reqwest::Client, password: &str) -> reqwest::Response {
    app.post(browser, "/anmelden", &[("username", "emuster"), ("password", password)]).await
}

async fn the_profile_is_for_unlocked_accounts_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get(&app.browser(), "/profil").await.headers()["location"], "/anmelden?weiter=profil");
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.register(&browser, &link, "emuster").await;
    assert_eq!(app.get(&browser, "/profil").await.headers()["location"], "/registrierung/service-pin");
    app.finish_wizard(&browser).await;
    let html = app.get(&browser, "/profil").await.text().await.unwrap();
    for expected in [
        "Passwort ändern",
        "autocomplete=\"current-password\"",
        "autocomplete=\"new-password\"",
        "data-rule=\"min_length\"",
        "2-Faktor-Authentifizierung per SMS",
        "Nicht aktiv.",
        "Keine Mobilfunknummer hinterlegt.",
        "Service-PIN erneuern",
        "Andere Sitzungen abmelden",
        "(Diese Sitzung)",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(app.get(&browser, "/").await.text().await.unwrap().contains("href=\"/profil\""));
}

async fn changing_the_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let other_device = app.browser();
    assert_eq!(login(&app, &other_device, PASSWORD).await.status(), 303);
    let form = |current: &'static str, new: &'static str, repeat: &'static str| {
        vec![("current_password", current), ("password", new), ("password_repeat", repeat)]
    };
    let wrong = app.post(&browser, "/profil/passwort", &form("falsch falsch falsch", NEW_PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("Das Passwort ist nicht richtig."));
    let weak = app.post(&browser, "/profil/passwort", &form(PASSWORD, "emuster12345", "emuster12345")).await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("Das Passwort enthält Ihren Benutzernamen"));
    let done = app.post(&browser, "/profil/passwort", &form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(done.headers()["location"], "/profil?geaendert=passwort");
    assert_eq!(login(&app, &app.browser(), PASSWORD).await.status(), 401);
    assert_eq!(login(&app, &app.browser(), NEW_PASSWORD).await.status(), 303);
    app.deliver().await;
    assert!(notices(&app).iter().any(|n| n.contains("Ihr Passwort wurde geändert.")));
    // The other device is still signed in until the person signs it out.
    assert_eq!(app.get(&other_device, "/").await.status(), 200);
    let html = app.get(&browser, "/profil?geaendert=passwort").await.text().await.unwrap();
    assert!(html.contains("andere Sitzungen") || html.contains("diese Sitzungen unten abmelden"));
    app.post(&browser, "/profil/sitzungen/abmelden", &[]).await;
    assert_eq!(app.get(&other_device, "/").await.status(), 303, "signed out");
    assert_eq!(app.get(&browser, "/").await.status(), 200, "this session stays");
}

async fn credential_changes_need_a_recent_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.clock.advance(9 * 60);
    assert_eq!(app.get(&browser, "/profil/mobilnummer").await.status(), 200, "9 minutes after login: recent");
    app.clock.advance(2 * 60);
    app.get(&browser, "/profil").await; // keeps the session alive
    for path in ["/profil/mobilnummer", "/profil/zwei-faktor/aktivieren", "/profil/service-pin"] {
        let response = app.get(&browser, path).await;
        assert_eq!(response.status(), 303, "{path}");
        let target = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(target, format!("/profil/bestaetigen?weiter={}", &path[1..]));
    }
    let refused = app.post(&browser, "/profil/mobilnummer", &[("phone", "0171 1234567")]).await;
    assert_eq!(refused.status(), 303, "not without re-authentication, even by POST");
    assert_eq!(app.deliver().await, 0, "no SMS was sent");
    let form = app.get(&browser, "/profil/bestaetigen?weiter=profil/mobilnummer").await.text().await.unwrap();
    assert!(form.contains("Passwort bestätigen") && form.contains("value=\"profil/mobilnummer\""));
    let wrong =
        app.post(&browser, "/profil/bestaetigen", &[("password", "falsch"), ("weiter", "profil/mobilnummer")]).await;
    assert_eq!(wrong.status(), 401);
    let ok =
        app.post(&browser, "/profil/bestaetigen", &[("password", PASSWORD), ("weiter", "profil/mobilnummer")]).await;
    assert_eq!(ok.headers()["location"], "/profil/mobilnummer");
    let evil = app.post(&browser, "/profil/bestaetigen", &[("password", PASSWORD), ("weiter", "//evil.example")]).await;
    assert_eq!(evil.headers()["location"], "/profil", "no open redirect");
    assert_eq!(app.get(&browser, "/profil/mobilnummer").await.status(), 200);
}

async fn two_factor_on_and_off_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    // On: the same number + code flow as in the wizard.
    let page = app.get(&browser, "/profil/zwei-faktor/aktivieren").await.text().await.unwrap();
    assert!(page.contains("type=\"tel\" autocomplete=\"tel\"") && !page.contains("Später aktivieren"));
    app.post(&browser, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    let on = app.post(&browser, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    assert_eq!(on.headers()["location"], "/profil?geaendert=2fa-an");
    assert!(account(&app).await.two_factor_enabled);
    let html = app.get(&browser, "/profil?geaendert=2fa-an").await.text().await.unwrap();
    assert!(html.contains("Aktiv. Codes gehen an +49171••••567."));
    // Checklist row 32: after a 2FA change, as after a password change, ending other sessions is offered.
    assert!(html.contains("diese Sitzungen unten abmelden") && html.contains("Andere Sitzungen abmelden"));
    // Off: password and a current code.
    app.clock.advance(60);
    let off_page = app.get(&browser, "/profil/zwei-faktor/deaktivieren").await.text().await.unwrap();
    assert!(off_page.contains("+49171••••567") && !off_page.contains("id=\"code\""));
    app.post(&browser, "/profil/zwei-faktor/deaktivieren/code", &[]).await;
    let code = app.last_code_to(MOBILE).await;
    let no_password =
        app.post(&browser, "/profil/zwei-faktor/deaktivieren", &[("password", "falsch"), ("code", &code)]).await;
    assert_eq!(no_password.status(), 422);
    assert!(account(&app).await.two_factor_enabled, "still on without the password");
    let wrong_code = if code == "00000000" { "11111111" } else { "00000000" };
    let no_code =
        app.post(&browser, "/profil/zwei-faktor/deaktivieren", &[("password", PASSWORD), ("code", wrong_code)]).await;
    assert_eq!(no_code.status(), 422);
    assert!(account(&app).await.two_factor_enabled, "still on without the code");
    let off = app.post(&browser, "/profil/zwei-faktor/deaktivieren", &[("password", PASSWORD), ("code", &code)]).await;
    assert_eq!(off.headers()["location"], "/profil?geaendert=2fa-aus");
    let account = account(&app).await;
    assert!(!account.two_factor_enabled);
    assert_eq!(account.phone.as_deref(), Some(MOBILE), "the verified number stays on file");
    assert_eq!(login(&app, &app.browser(), PASSWORD).await.headers()["location"], "/", "no SMS code at login");
    app.deliver().await;
    let notices = notices(&app);
    assert!(notices.iter().any(|n| n.contains("aktiviert")) && notices.iter().any(|n| n.contains("deaktiviert")));
}

async fn changing_the_mobile_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.post(&browser, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&browser, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    app.clock.advance(60);
    let page = app.get(&browser, "/profil/mobilnummer").await.text().await.unwrap();
    assert!(page.contains("erst, wenn Sie den Code bestätigt haben"));
    app.post(&browser, "/profil/mobilnummer", &[("phone", "0160 98765432")]).await;
    assert_eq!(account(&app).await.phone.as_deref(), Some(MOBILE), "not replaced before the code");
    let code = app.last_code_to("+4916098765432").await;
    let done = app.post(&browser, "/profil/mobilnummer/code", &[("code", &code)]).await;
    assert_eq!(done.headers()["location"], "/profil?geaendert=nummer");
    assert_eq!(account(&app).await.phone.as_deref(), Some("+4916098765432"));
    let html = app.get(&browser, "/profil?geaendert=nummer").await.text().await.unwrap();
    assert!(html.contains("diese Sitzungen unten abmelden"), "ending other sessions offered");
    app.deliver().await;
    let old_number_told = app.sms().iter().any(|(to, text)| to == MOBILE && text.contains("ersetzt"));
    assert!(old_number_told, "the old number gets an SMS that it was replaced");
    assert!(notices(&app).iter().any(|n| n.contains("Ihre Mobilfunknummer wurde geändert.")));
}

async fn visibility_language_and_a_new_pin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    assert!(!account(&app).await.visible);
    app.post(&browser, "/profil/sichtbarkeit", &[("visible", "ja")]).await;
    assert!(account(&app).await.visible, "effective at once");
    app.post(&browser, "/profil/sichtbarkeit", &[]).await;
    assert!(!account(&app).await.visible);

    app.post(&browser, "/profil/sprache", &[("language", "en")]).await;
    let english = app.get(&browser, "/profil?geaendert=sprache").await.text().await.unwrap();
    assert!(english.contains("Profile settings") && english.contains("The language has been saved."));
    let bad = app.post(&browser, "/profil/sprache", &[("language", "fr")]).await;
    assert_eq!(bad.status(), 400);

    let old_hash = sprechstunde::accounts::store::pin_hash(&app.state().db, &account(&app).await.id).await.unwrap();
    let page = app.get(&browser, "/profil/service-pin").await.text().await.unwrap();
    assert!(page.contains("action=\"/profil/service-pin\"") && !page.contains("Schritt"));
    let shown = app.post(&browser, "/profil/service-pin", &[("pin", "904182")]).await.text().await.unwrap();
    assert!(shown.contains("904182") && shown.contains("action=\"/profil/service-pin/pdf\""));
    let pdf = app.post(&browser, "/profil/service-pin/pdf", &[("pin", "904182")]).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let done = app.post(&browser, "/profil/service-pin/bestaetigen", &[("pin", "904182"), ("confirmed", "ja")]).await;
    assert_eq!(done.headers()["location"], "/profil?geaendert=pin");
    let new_hash = sprechstunde::accounts::store::pin_hash(&app.state().db, &account(&app).await.id).await.unwrap();
    assert_ne!(old_hash, new_hash);
    assert!(!new_hash.unwrap().contains("904182"));
    let stale = app.post(&browser, "/profil/service-pin/pdf", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(stale.status(), 400, "the old PIN is no longer valid");

    app.deliver().await;
    let mail = app.mails().pop().unwrap();
    assert_eq!(mail.subject(), "A change to your Sprechstunde account", "mails follow the new language");
    assert!(mail.text().contains("Your service PIN was renewed."));
}

both_databases!(
    the_profile_is_for_unlocked_accounts_only,
    changing_the_password,
    credential_changes_need_a_recent_password,
    two_factor_on_and_off_again,
    changing_the_mobile_number,
    visibility_language_and_a_new_pin,
);
