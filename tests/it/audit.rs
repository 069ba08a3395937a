//! The security audit log (issue 4, point 3): what is recorded, and that no secret ever is.
use std::process::Command;

use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts;
use sprechstunde::security::audit;

async fn onboarding_and_login_leave_a_trail_without_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let browser = app.browser();
    app.register(&browser, &link, "emuster").await;
    app.post(&browser, "/registrierung/service-pin", &[("pin", SERVICE_PIN)]).await;
    app.post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN), ("confirmed", "ja")]).await;
    app.post(&browser, "/registrierung/zwei-faktor", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&browser, "/registrierung/zwei-faktor/code", &[("code", &code)]).await;
    app.post(&browser, "/registrierung/sichtbarkeit", &[]).await;
    app.post(&browser, "/abmelden", &[]).await;
    app.post(&app.browser(), "/anmelden", &[("username", "emuster"), ("password", "falsch falsch falsch")]).await;
    app.get(&app.browser(), &link).await;

    let account = accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap();
    let history = audit::for_account(&app.state().db, &account.id, 100).await.unwrap();
    let events: Vec<String> = history
        .iter()
        .rev()
        .map(|r| format!("{} {} {}", r.event, r.outcome, r.detail.as_deref().unwrap_or("")))
        .collect();
    for expected in [
        "account.created success edition standard",
        "link.sent success",
        "link.opened valid",
        "registration.step success credentials",
        "pin.set success",
        "registration.step success service_pin",
        "sms.code_sent success setup +49171••••567",
        "two_factor.enabled success +49171••••567",
        "registration.step success two_factor",
        "registration.step success contact_visibility",
        "registration.completed success",
        "logout success",
        "login.password failure",
        "link.opened already_registered",
    ] {
        assert!(events.iter().any(|e| e.trim_end() == expected), "missing „{expected}“ in {events:#?}");
    }
    let failure = history.iter().find(|r| r.event == "login.password").unwrap();
    assert_eq!(failure.client_addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(failure.actor, "anonymous");
    assert!(history.iter().any(|r| r.actor == "operator"), "the CLI-like creator is named");

    let everything = serde_json::to_string(&audit::since(&app.state().db, 0).await.unwrap()).unwrap();
    for secret in
        [PASSWORD, "falsch falsch falsch", SERVICE_PIN, &code, &token, "erika.muster@praxis-beispiel.de", MOBILE]
    {
        assert!(!everything.contains(secret), "the audit log contains {secret}");
    }
}

both_databases!(onboarding_and_login_leave_a_trail_without_secrets);

#[test]
fn audit_export_writes_json_lines() {
    let _shared = crate::harness::shared_blocking();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
            .args(args)
            .env("SPRECHSTUNDE_DATA_DIR", dir.path())
            .env_remove("SPRECHSTUNDE_DATABASE_URL")
            .output()
            .unwrap()
    };
    assert!(run(&["account", "create", "--email", "a@praxis-beispiel.de", "--name", "A"]).status.success());
    let export = run(&["audit", "export"]);
    assert!(export.status.success());
    let lines: Vec<serde_json::Value> =
        String::from_utf8(export.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "account.created");
    assert_eq!(lines[0]["actor"], "operator");
    assert!(lines[0]["at"].as_str().unwrap().ends_with('Z'));
    let later = run(&["audit", "export", "--since", "2999-01-01"]);
    assert!(later.stdout.is_empty());
    let bad = run(&["audit", "export", "--since", "gestern"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
}
