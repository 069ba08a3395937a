//! The support console (issue 4, points 2 and 5): who may use it, what agents see and may do.
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts::{self, NewAccount, Role};
use sprechstunde::security::audit::{self, Actor};
use sprechstunde::web::i18n::Lang;

pub const AGENT_MOBILE: &str = "+4915123456789";

/// A registered support agent (edition "support": PIN and SMS 2FA required), signed in.
/// The agent from [`agent`] in a new browser, signed in with password and SMS code.
pub async fn agent_signed_in_again(app: &TestApp) -> reqwest::Client {
    let browser = app.browser();
    app.post(&browser, "/anmelden", &[("username", "sam"), ("password", PASSWORD)]).await;
    let code = app.last_code_to(AGENT_MOBILE).await;
    assert_eq!(app.post(&browser, "/anmelden/code", &[("code", &code)]).await.status(), 303);
    browser
}

pub async fn agent(app: &TestApp) -> (reqwest::Client, String) {
    let new = NewAccount {
        email: "agent@praxis-service.example".into(),
        name: "Sam Support".into(),
        language: Lang::De,
        edition: Some("support".into()),
        role: Role::Support,
    };
    let account = accounts::create(app.state(), new, Actor::Operator).await.unwrap();
    app.deliver().await;
    let browser = app.browser();
    app.register(&browser, &app.last_link_to("agent@praxis-service.example"), "sam").await;
    app.post(&browser, "/registrierung/service-pin", &[("pin", "749201")]).await;
    app.post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", "749201"), ("confirmed", "ja")]).await;
    let page = app.get(&browser, "/registrierung/zwei-faktor").await.text().await.unwrap();
    assert!(!page.contains("Später aktivieren"), "staff cannot postpone 2FA");
    app.post(&browser, "/registrierung/zwei-faktor", &[("phone", "0151 23456789")]).await;
    let code = app.last_code_to(AGENT_MOBILE).await;
    let done = app.post(&browser, "/registrierung/zwei-faktor/code", &[("code", &code)]).await;
    assert_eq!(done.headers()["location"], "/registrierung/abgeschlossen");
    (browser, account.id.to_string())
}

pub async fn id_of(app: &TestApp, email: &str) -> String {
    accounts::store::find(&app.state().db, email).await.unwrap().unwrap().id.to_string()
}

async fn only_support_agents_reach_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get(&app.browser(), "/support").await.headers()["location"], "/anmelden?weiter=support");
    let user = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let id = id_of(&app, "erika.muster@praxis-beispiel.de").await;
    for path in ["/support".to_owned(), format!("/support/konten/{id}")] {
        let refused = app.get(&user, &path).await;
        assert_eq!(refused.status(), 403, "{path}");
        assert!(refused.text().await.unwrap().contains("Kein Zugriff"));
    }
    let refused = app.post(&user, &format!("/support/konten/{id}/pin-pruefen"), &[("pin", SERVICE_PIN)]).await;
    assert_eq!(refused.status(), 403, "users cannot check PINs");
    let (console, _) = agent(&app).await;
    assert_eq!(app.get(&console, "/support").await.status(), 200);
}

async fn agents_find_accounts_and_see_their_state_but_no_secret(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let (console, _) = agent(&app).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.create_account("max.kollege@praxis-beispiel.de", "Dr. Max Kollege").await;
    app.create_account("j.mueller@praxis-beispiel.de", "JÜRGEN MÜLLER").await;
    app.deliver().await;
    let search = |q: &str| format!("/support?q={q}");
    let finds_all = async |app: &TestApp, console: &reqwest::Client| {
        for (query, expected) in [
            ("erika", "Dr. Erika Muster"),
            ("EMUSTER", "Dr. Erika Muster"),
            ("kollege@", "Dr. Max Kollege"),
            ("müller", "JÜRGEN MÜLLER"),
            ("Jürgen Mü", "JÜRGEN MÜLLER"),
        ] {
            let html = app.get(console, &search(query)).await.text().await.unwrap();
            assert!(html.contains(expected), "{query}");
        }
    };
    finds_all(&app, &console).await;
    // Accounts stored before the lower-case name existed get it when the service starts.
    sqlx::query("UPDATE accounts SET name_lower = NULL").execute(&app.state().db.pool).await.unwrap();
    app.restart_with(|_| {}).await;
    finds_all(&app, &console).await;
    let html = app.get(&console, &search("praxis-beispiel")).await.text().await.unwrap();
    assert!(html.contains("<strong>aktiv</strong>") && html.contains("<strong>eingeladen</strong>"), "{html}");
    let only_invited = app.get(&console, "/support?q=praxis&status=invited").await.text().await.unwrap();
    assert!(only_invited.contains("Max Kollege") && !only_invited.contains("Erika Muster"));
    app.clock.advance(15 * 86_400);
    let console = app.browser(); // the old session has long ended: sign in again, with the SMS code
    app.post(&console, "/anmelden", &[("username", "sam"), ("password", PASSWORD)]).await;
    let code = app.last_code_to(AGENT_MOBILE).await;
    app.post(&console, "/anmelden/code", &[("code", &code)]).await;
    let html = app.get(&console, &search("kollege")).await.text().await.unwrap();
    assert!(html.contains("Link abgelaufen"));
    let id = id_of(&app, "erika.muster@praxis-beispiel.de").await;
    let detail = app.get(&console, &format!("/support/konten/{id}")).await.text().await.unwrap();
    for expected in ["Letzte Anmeldung", "Verlauf", "Registrierung abgeschlossen", "Service-PIN prüfen"] {
        assert!(detail.contains(expected), "{expected}");
    }
    for secret in [SERVICE_PIN, PASSWORD, "$argon2id"] {
        assert!(!detail.contains(secret), "the console shows {secret}");
    }
}

async fn agents_create_accounts_and_resend_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, agent_id) = agent(&app).await;
    let form =
        [("email", "neu@praxis-beispiel.de"), ("name", "Dr. Nora Neu"), ("language", "de"), ("edition", "standard")];
    let created = app.post(&console, "/support/konten", &form).await;
    assert_eq!(created.status(), 303);
    let id = id_of(&app, "neu@praxis-beispiel.de").await;
    assert_eq!(created.headers()["location"], format!("/support/konten/{id}?angelegt").as_str());
    app.deliver().await;
    let first = app.last_link_to("neu@praxis-beispiel.de");
    let again = app.post(&console, "/support/konten", &form).await;
    assert_eq!(again.status(), 422);
    let html = again.text().await.unwrap();
    assert!(html.contains("gibt es bereits einen Account") && html.contains("value=\"Dr. Nora Neu\""), "input kept");
    app.clock.advance(60);
    let resent = app.post(&console, &format!("/support/konten/{id}/erneut-senden"), &[]).await;
    assert_eq!(resent.status(), 200);
    app.deliver().await;
    assert_eq!(app.get(&app.browser(), &first).await.status(), 410, "the old link is replaced");
    let history = audit::for_account(&app.state().db, &id, 20).await.unwrap();
    let by_agent = format!("support:{agent_id}");
    assert!(history.iter().any(|r| r.event == "account.created" && r.actor == by_agent));
    assert!(history.iter().any(|r| r.event == "account.resend" && r.actor == by_agent));
    let registered = id_of(&app, "agent@praxis-service.example").await;
    let refused = app.post(&console, &format!("/support/konten/{registered}/erneut-senden"), &[]).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("bereits registriert"));
}

async fn the_pin_check_says_yes_or_no_and_locks_after_five_misses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, _) = agent(&app).await;
    let user = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let id = id_of(&app, "erika.muster@praxis-beispiel.de").await;
    let check = |pin: &'static str| {
        let (app, console, id) = (&app, &console, id.clone());
        async move { app.post(console, &format!("/support/konten/{id}/pin-pruefen"), &[("pin", pin)]).await }
    };
    let right = check(SERVICE_PIN).await.text().await.unwrap();
    assert!(
        right.contains("<div class=\"notice success\" role=\"status\"><p id=\"pin-result\"><strong>korrekt</strong>")
    );
    for left in (0..5).rev() {
        let wrong = check("904182").await.text().await.unwrap();
        assert!(
            wrong.contains("<div class=\"errors\" role=\"alert\"><p id=\"pin-result\"><strong>nicht korrekt</strong>")
        );
        let expected = match left {
            1 => "Noch 1 Versuch, dann".to_owned(),
            n => format!("Noch {n} Versuche, dann"),
        };
        assert!(left == 0 || wrong.contains(&expected), "{expected}");
    }
    let locked = check(SERVICE_PIN).await;
    assert_eq!(locked.status(), 423, "locked, even for the right PIN");
    assert!(locked.text().await.unwrap().contains("PIN-Prüfung gesperrt"));
    // The person sets a new PIN in the profile: checks work again.
    app.post(&user, "/profil/service-pin", &[("pin", "372910")]).await;
    app.post(&user, "/profil/service-pin/bestaetigen", &[("pin", "372910"), ("confirmed", "ja")]).await;
    assert!(check("372910").await.text().await.unwrap().contains("<strong>korrekt</strong>"));
    let history = audit::for_account(&app.state().db, &id, 50).await.unwrap();
    let outcomes: Vec<&str> = history.iter().filter(|r| r.event == "pin.check").map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "incorrect").count(), 5);
    assert!(outcomes.contains(&"locked") && outcomes.contains(&"correct"));
}

async fn changes_need_a_correct_pin_check_in_this_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, agent_id) = agent(&app).await;
    let user = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.post(&user, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&user, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    app.post(&user, "/profil/sichtbarkeit", &[("visible", "ja")]).await;
    let id = id_of(&app, "erika.muster@praxis-beispiel.de").await;
    let url = |action: &str| format!("/support/konten/{id}/{action}");
    let before = app.post(&console, &url("name"), &[("value", "Dr. Erika Beispiel")]).await;
    assert_eq!(before.status(), 403, "no change without a PIN check");
    let page = app.get(&console, &format!("/support/konten/{id}")).await.text().await.unwrap();
    assert!(page.contains("erst nach einer korrekten Prüfung") && !page.contains("id=\"save-name\""));
    app.post(&console, &url("pin-pruefen"), &[("pin", SERVICE_PIN)]).await;
    assert_eq!(app.post(&console, &url("name"), &[("value", "Dr. Erika Beispiel")]).await.status(), 303);
    assert_eq!(app.post(&console, &url("email"), &[("value", "erika@neue-praxis.example")]).await.status(), 303);
    assert_eq!(app.post(&console, &url("mobilnummer"), &[("value", "0160 98765432")]).await.status(), 303);
    let account = accounts::store::find_by_id(&app.state().db, &id).await.unwrap().unwrap();
    assert_eq!(account.name, "Dr. Erika Beispiel");
    let colleague = app.member("kai@praxis-beispiel.de", "Kai Kollege", "kkollege", false).await;
    let search = app.get(&colleague, "/kontakte/suche?q=Erika").await.text().await.unwrap();
    assert!(search.contains("Dr. Erika Beispiel") && !search.contains("Muster"), "the search shows the new name");
    assert_eq!(account.email, "erika@neue-praxis.example");
    assert_eq!(account.phone.as_deref(), Some("+4916098765432"));
    assert_eq!(app.post(&console, &url("zwei-faktor-zuruecksetzen"), &[]).await.status(), 303);
    let account = accounts::store::find_by_id(&app.state().db, &id).await.unwrap().unwrap();
    assert!(!account.two_factor_enabled && account.phone.is_none());
    app.deliver().await;
    assert!(app.sms().iter().any(|(to, text)| to == MOBILE && text.contains("ersetzt")), "old number told");
    let to_old = app.mails().iter().any(|m| {
        m.raw.contains("To: erika.muster@praxis-beispiel.de") && m.text().contains("E-Mail-Adresse wurde vom Support")
    });
    assert!(to_old, "the old address learns of the change");

    // Lock: a reason is required (what was typed stays), sessions end, no login; unlock: login again.
    let no_reason = app.post(&console, &url("sperren"), &[("reason", " ")]).await;
    assert_eq!(no_reason.status(), 422);
    assert!(no_reason.text().await.unwrap().contains("Bitte nennen Sie einen Grund"));
    assert_eq!(app.post(&console, &url("sperren"), &[("reason", "Anruf eines Unbekannten")]).await.status(), 303);
    assert_eq!(app.get(&user, "/").await.status(), 303, "the person's session ended");
    let refused = app.post(&app.browser(), "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Ihr Account ist gesperrt"));
    let search = app.get(&console, "/support?q=emuster&status=locked").await.text().await.unwrap();
    assert!(search.contains("<strong>gesperrt</strong>"));
    app.post(&console, &url("entsperren"), &[]).await;
    let again = app.post(&app.browser(), "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(again.status(), 303);

    // Another session of the same agent has no grant.
    let second = app.browser();
    app.post(&second, "/anmelden", &[("username", "sam"), ("password", PASSWORD)]).await;
    let code = app.last_code_to(AGENT_MOBILE).await;
    app.post(&second, "/anmelden/code", &[("code", &code)]).await;
    assert_eq!(app.get(&second, "/support").await.status(), 200);
    let change = app.post(&second, &url("name"), &[("value", "Dr. Erika Neu")]).await;
    assert_eq!(change.status(), 403, "the grant belongs to one session");
    // Locking on suspicion needs no PIN check, and says why in the history (newest first).
    app.clock.advance(1);
    let locked = app.post(&second, &url("sperren"), &[("reason", "Verdacht auf Missbrauch")]).await;
    assert_eq!(locked.status(), 303);
    let page = app.get(&second, &format!("/support/konten/{id}")).await.text().await.unwrap();
    assert!(page.contains("Account gesperrt (Verdacht auf Missbrauch; "), "{page}");
    assert!(page.contains("Support: Sam Support"), "the actor by name");
    assert_eq!(app.post(&second, &url("entsperren"), &[]).await.status(), 403, "unlocking needs the PIN check");

    let history = audit::for_account(&app.state().db, &id, 100).await.unwrap();
    let by_agent = format!("support:{agent_id}");
    for event in
        ["name.changed", "email.changed", "phone.changed", "two_factor.reset", "account.locked", "account.unlocked"]
    {
        assert!(history.iter().any(|r| r.event == event && r.actor == by_agent), "{event} by the agent");
    }
    assert!(history.iter().any(|r| r.event == "support.change" && r.outcome == "refused"));
}

/// The history in German words and local time, twenty entries a page; refused values stay in their field.
async fn the_history_reads_as_sentences_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (console, _) = agent(&app).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    for _ in 0..25 {
        app.post(&app.browser(), "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
        app.clock.advance(60);
    }
    let id = id_of(&app, "erika.muster@praxis-beispiel.de").await;
    let page = app.get(&console, &format!("/support/konten/{id}")).await.text().await.unwrap();
    assert!(page.contains("<strong>02.11.2026, 10:24 Uhr</strong> – Anmeldung mit Passwort erfolgreich"), "{page}");
    assert!(page.contains("Dr. Erika Muster") && page.contains("id=\"older\""));
    assert!(!page.contains("login.password"), "no raw event names");
    let older = app.get(&console, &format!("/support/konten/{id}/verlauf?seite=2")).await.text().await.unwrap();
    let staff: String = sqlx::query_scalar("SELECT id FROM accounts WHERE username_normalized = 'sam'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    let own = app.post(&console, &format!("/support/konten/{staff}/sperren"), &[("reason", "Test")]).await;
    assert_eq!(own.status(), 422, "support accounts are not locked from the console");
    assert!(older.contains("– Account angelegt"), "the oldest entry is on the second page: {older}");
    assert!(older.contains("id=\"newer\""));
    // A refused value stays in the field it was typed into.
    app.post(&console, &format!("/support/konten/{id}/pin-pruefen"), &[("pin", SERVICE_PIN)]).await;
    let refused = app.post(&console, &format!("/support/konten/{id}/email"), &[("value", "erika@kaputt")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("value=\"erika@kaputt\""));
}

both_databases!(
    the_history_reads_as_sentences_a_page_at_a_time,
    only_support_agents_reach_the_console,
    agents_find_accounts_and_see_their_state_but_no_secret,
    agents_create_accounts_and_resend_links,
    the_pin_check_says_yes_or_no_and_locks_after_five_misses,
    changes_need_a_correct_pin_check_in_this_session,
);

#[test]
fn support_agents_are_created_at_the_command_line() {
    let _shared = crate::harness::shared_blocking();
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
        .args(["support", "create-user", "--email", "agent@praxis-service.example", "--name", "Sam Support"])
        .env("SPRECHSTUNDE_DATA_DIR", dir.path())
        .env_remove("SPRECHSTUNDE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["role"], "support");
    let shown = std::process::Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
        .args(["account", "show", "agent@praxis-service.example"])
        .env("SPRECHSTUNDE_DATA_DIR", dir.path())
        .env_remove("SPRECHSTUNDE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("Ausführung:       support"));
}
