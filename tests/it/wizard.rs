//! The wizard after step 1 (issue 3): editions, resume, the Service-PIN, visibility, completion.
use crate::both_databases;
use crate::harness::{Backend, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts::{self, AccountError, NewAccount};
use sprechstunde::config::Edition;
use sprechstunde::domain::wizard::Step;
use sprechstunde::web::i18n::Lang;

fn editions(config: &mut sprechstunde::config::Config) {
    config.editions.insert(
        "kompakt".into(),
        Edition { steps: vec![Step::ContactVisibility, Step::ServicePin], two_factor_required: false },
    );
    config.editions.insert("nur-passwort".into(), Edition { steps: vec![], two_factor_required: false });
    config.editions.insert("klinik".into(), Edition { steps: vec![Step::TwoFactor], two_factor_required: true });
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = app.get(browser, path).await;
    assert_eq!(response.status(), 200, "{path} → {:?}", response.headers().get("location"));
    response.text().await.unwrap()
}

async fn set_pin(app: &TestApp, browser: &reqwest::Client) {
    assert_eq!(app.post(browser, "/registrierung/service-pin", &[("pin", SERVICE_PIN)]).await.status(), 200);
    let done =
        app.post(browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN), ("confirmed", "ja")]).await;
    assert_eq!(done.status(), 303);
}

async fn an_edition_can_reorder_and_omit_steps(backend: Backend) {
    let app = TestApp::spawn_with(backend, editions).await;
    let link = app.invite_in_edition("erika.muster@praxis-beispiel.de", "kompakt").await;
    let browser = app.browser();
    app.get(&browser, &link).await;
    assert!(page(&app, &browser, "/registrierung").await.contains("Schritt 1 von 4"));
    let step1 = app
        .post(
            &browser,
            "/registrierung",
            &[("username", "emuster"), ("password", PASSWORD), ("password_repeat", PASSWORD)],
        )
        .await;
    assert_eq!(step1.headers()["location"], "/registrierung/sichtbarkeit", "visibility comes first here");
    let html = page(&app, &browser, "/registrierung/sichtbarkeit").await;
    assert!(html.contains("Schritt 2 von 4"));
    let two_factor = app.get(&browser, "/registrierung/zwei-faktor").await;
    assert_eq!(two_factor.headers()["location"], "/registrierung/sichtbarkeit", "not part of this edition");
    let next = app.post(&browser, "/registrierung/sichtbarkeit", &[("visible", "ja")]).await;
    assert_eq!(next.headers()["location"], "/registrierung/service-pin");
    assert!(page(&app, &browser, "/registrierung/service-pin").await.contains("Schritt 3 von 4"));
    set_pin(&app, &browser).await;
    let done = page(&app, &browser, "/registrierung/abgeschlossen").await;
    assert!(done.contains("Schritt 4 von 4") && done.contains("Registrierung abgeschlossen"));
    assert!(page(&app, &browser, "/").await.contains("Sie sind angemeldet als emuster."));

    let link = app.invite_in_edition("kollege@praxis-beispiel.de", "nur-passwort").await;
    let browser = app.browser();
    app.get(&browser, &link).await;
    assert!(page(&app, &browser, "/registrierung").await.contains("Schritt 1 von 2"));
    let step1 = app
        .post(
            &browser,
            "/registrierung",
            &[("username", "mkollege"), ("password", PASSWORD), ("password_repeat", PASSWORD)],
        )
        .await;
    assert_eq!(step1.headers()["location"], "/registrierung/abgeschlossen", "nothing else to do");
    let overview = accounts::store::find(&app.state().db, "kollege@praxis-beispiel.de").await.unwrap().unwrap();
    assert_eq!(overview.status.as_str(), "active");
}

async fn an_unknown_edition_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, editions).await;
    let new = NewAccount {
        email: "erika.muster@praxis-beispiel.de".into(),
        name: "Dr. Erika Muster".into(),
        language: Lang::De,
        edition: Some("premium".into()),
        role: accounts::Role::User,
    };
    let refused = accounts::create(app.state(), new, sprechstunde::security::audit::Actor::Operator).await.unwrap_err();
    assert!(matches!(refused, AccountError::UnknownEdition(..)));
    let message = refused.to_string();
    assert!(message.contains("premium") && message.contains("kompakt") && message.contains("standard"), "{message}");
}

async fn an_account_keeps_its_steps_when_the_configuration_changes(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    app.restart_with(|config| {
        config.editions.insert("standard".into(), Edition { steps: vec![], two_factor_required: false });
    })
    .await;
    let browser = app.browser();
    let step1 = app.register(&browser, &link, "emuster").await;
    assert_eq!(step1.headers()["location"], "/registrierung/service-pin", "the three steps it started with");
    assert!(page(&app, &browser, "/registrierung/service-pin").await.contains("Schritt 2 von 5"));
    let newcomer = app.invite("neu@praxis-beispiel.de").await;
    let browser = app.browser();
    let step1 = app.register(&browser, &newcomer, "neu").await;
    assert_eq!(step1.headers()["location"], "/registrierung/abgeschlossen", "new accounts follow the new setting");
}

async fn progress_survives_a_closed_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let first = app.browser();
    app.register(&first, &link, "emuster").await;
    set_pin(&app, &first).await;
    // Browser closed. Later, elsewhere: sign in, continue at the first open step.
    let later = app.browser();
    let login = app.post(&later, "/anmelden", &[("username", "emuster"), ("password", PASSWORD)]).await;
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/registrierung/zwei-faktor");
    for elsewhere in ["/", "/registrierung/service-pin", "/registrierung/sichtbarkeit", "/registrierung/abgeschlossen"]
    {
        let response = app.get(&later, elsewhere).await;
        assert_eq!(response.headers()["location"], "/registrierung/zwei-faktor", "{elsewhere}");
    }
    let account = accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap();
    let overview = app.overview(&account.id).await;
    assert_eq!(overview.status, "registering");
    assert_eq!(overview.next_step.as_deref(), Some("two_factor"));
}

async fn the_service_pin_rules_and_its_single_showing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.register(&browser, &link, "emuster").await;
    let html = page(&app, &browser, "/registrierung/service-pin").await;
    assert!(html.contains("Schritt 2 von 5"));
    let proposed = html.split("id=\"pin\"").nth(1).unwrap().split("value=\"").nth(1).unwrap()[..6].to_owned();
    assert!(proposed.bytes().all(|b| b.is_ascii_digit()), "a random PIN is proposed: {proposed}");
    for (pin, reason) in [
        ("111111", "lauter gleichen Ziffern"),
        ("123456", "Zahlenfolge"),
        ("121212", "wiederholtes Muster"),
        ("12345", "6 bis 8 Ziffern"),
        ("12ab56", "nur Ziffern"),
    ] {
        let refused = app.post(&browser, "/registrierung/service-pin", &[("pin", pin)]).await;
        assert_eq!(refused.status(), 422, "{pin}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(reason), "{pin}: {reason}");
        assert!(html.contains(&format!("value=\"{pin}\"")), "input kept");
    }
    let shown = app.post(&browser, "/registrierung/service-pin", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    for expected in [
        ">Kopieren</button>",
        ">Als PDF speichern</button>",
        ">Drucken</button>",
        "Ich habe meine Service-PIN sicher verwahrt.",
        ">Fortfahren</button>",
        SERVICE_PIN,
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let hash: String = sqlx::query_scalar("SELECT pin_hash FROM accounts WHERE username_normalized = 'emuster'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$") && !hash.contains(SERVICE_PIN));

    // The PDF: a real PDF with name, username and PIN, German text with umlauts.
    let pdf = app.post(&browser, "/registrierung/service-pin/pdf", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(pdf.headers()["cache-control"], "no-store");
    assert!(pdf.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let bytes = pdf.bytes().await.unwrap();
    let file = app.dir.path().join("pin.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let text = crate::browser::pdf_text(&file);
    for expected in
        ["Ihre Service-PIN für die Videosprechstunde", "Dr. Erika Muster", "emuster", "583 021", "Änderung", "Support"]
    {
        assert!(text.contains(expected), "PDF lacks {expected}: {text}");
    }
    let print = app.post(&browser, "/registrierung/service-pin/drucken", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(print.status(), 200);
    let html = print.text().await.unwrap();
    assert!(html.contains("583 021") && html.contains("Dr. Erika Muster") && html.contains("id=\"print-now\""));
    let wrong = app.post(&browser, "/registrierung/service-pin/pdf", &[("pin", "904182")]).await;
    assert_eq!(wrong.status(), 400, "only the PIN that was set");

    // "Fortfahren" needs the box ticked, checked on the server.
    let unticked = app.post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(unticked.status(), 422);
    assert!(unticked.text().await.unwrap().contains("Bitte bestätigen Sie"));
    // A reload shows the form again, never the PIN.
    let reload = page(&app, &browser, "/registrierung/service-pin").await;
    assert!(reload.contains("nicht erneut angezeigt") && !reload.contains(SERVICE_PIN));
    let done = app
        .post(&browser, "/registrierung/service-pin/bestaetigen", &[("pin", SERVICE_PIN), ("confirmed", "ja")])
        .await;
    assert_eq!(done.headers()["location"], "/registrierung/zwei-faktor");
    let gone = app.post(&browser, "/registrierung/service-pin/pdf", &[("pin", SERVICE_PIN)]).await;
    assert_eq!(gone.status(), 303, "the PDF exists only while the step is open");
    let logs = crate::harness::logs();
    // sqlx's own lines carry SQL text (never bound values) and timings such as `elapsed=1.583021ms`, where
    // six random digits would match the PIN now and then.
    if let Some(line) = logs.lines().filter(|l| !l.contains(" sqlx::")).find(|l| l.contains(SERVICE_PIN)) {
        panic!("the PIN was logged: {line}");
    }
}

async fn visibility_is_off_unless_chosen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (email, username, choice) in
        [("a@praxis-beispiel.de", "sichtbar", true), ("b@praxis-beispiel.de", "unsichtbar", false)]
    {
        let link = app.invite(email).await;
        let browser = app.browser();
        app.register(&browser, &link, username).await;
        set_pin(&app, &browser).await;
        app.post(&browser, "/registrierung/zwei-faktor/spaeter", &[]).await;
        let html = page(&app, &browser, "/registrierung/sichtbarkeit").await;
        assert!(html.contains("Schritt 4 von 5") && html.contains("per SMS kontaktieren"));
        assert!(
            html.contains("type=\"checkbox\" id=\"visible\" name=\"visible\" value=\"ja\">"),
            "unticked by default"
        );
        let form: &[(&str, &str)] = if choice { &[("visible", "ja")] } else { &[] };
        let done = app.post(&browser, "/registrierung/sichtbarkeit", form).await;
        assert_eq!(done.headers()["location"], "/registrierung/abgeschlossen");
        let account = accounts::store::find(&app.state().db, email).await.unwrap().unwrap();
        assert_eq!(account.visible, choice, "{username}");
        assert_eq!(account.status.as_str(), "active");
        assert!(!account.two_factor_enabled, "postponed");
        // The choice is in the audit log, as a change in the profile would be.
        let sql = "SELECT detail FROM audit_log WHERE event = 'visibility.changed' AND account_id = $1";
        let detail: String =
            sqlx::query_scalar(sql).bind(account.id.as_str()).fetch_one(&app.state().db.pool).await.unwrap();
        assert_eq!(detail, if choice { "visible" } else { "hidden" });
    }
}

async fn a_required_second_factor_cannot_be_postponed(backend: Backend) {
    let app = TestApp::spawn_with(backend, editions).await;
    let link = app.invite_in_edition("erika.muster@praxis-beispiel.de", "klinik").await;
    let browser = app.browser();
    app.register(&browser, &link, "emuster").await;
    let html = page(&app, &browser, "/registrierung/zwei-faktor").await;
    assert!(!html.contains("Später aktivieren") && html.contains("vorgeschrieben"));
    let refused = app.post(&browser, "/registrierung/zwei-faktor/spaeter", &[]).await;
    assert_eq!(refused.headers()["location"], "/registrierung/zwei-faktor");
    let account = accounts::store::find(&app.state().db, "erika.muster@praxis-beispiel.de").await.unwrap().unwrap();
    assert_eq!(account.status.as_str(), "registering");
}

both_databases!(
    an_edition_can_reorder_and_omit_steps,
    an_unknown_edition_is_refused,
    an_account_keeps_its_steps_when_the_configuration_changes,
    progress_survives_a_closed_browser,
    the_service_pin_rules_and_its_single_showing,
    visibility_is_off_unless_chosen,
    a_required_second_factor_cannot_be_postponed,
);
