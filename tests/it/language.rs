//! The language switch on every page: remembered in a cookie, saved to the account at sign-in or in the
//! profile (never by the GET itself), and pages about an account follow the visitor's choice.
use crate::both_databases;
use crate::harness::{Backend, TestApp};

async fn switch(app: &TestApp, browser: &reqwest::Client, path: &str) -> reqwest::Response {
    let response = app.get(browser, path).await;
    assert_eq!(response.status(), 303, "{path}");
    response
}

async fn the_choice_is_kept_before_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    let german = app.get(&browser, "/anmelden").await.text().await.unwrap();
    assert!(german.contains("id=\"language-switch\"") && german.contains(">English</a>"));
    let switched = switch(&app, &browser, "/anmelden?weiter=kontakte&sprache=en").await;
    assert_eq!(switched.headers()["location"], "/anmelden?weiter=kontakte", "the rest of the address stays");
    assert!(switched.headers()["set-cookie"].to_str().unwrap().starts_with("lang=en;"));
    let english = app.get(&browser, "/anmelden?weiter=kontakte").await.text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains(">Deutsch</a>"), "{english}");
    assert!(app.get(&browser, "/passwort-vergessen").await.text().await.unwrap().contains("Forgot your password"));
    switch(&app, &browser, "/passwort-vergessen?sprache=de").await;
    // Never a way to another site: `//evil.example/` is a path here, but an address elsewhere to a browser.
    assert_eq!(switch(&app, &app.browser(), "//evil.example/?sprache=de").await.headers()["location"], "/");
    assert!(app.get(&browser, "/passwort-vergessen").await.text().await.unwrap().contains("Passwort vergessen"));
}

async fn stored_language(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT language FROM accounts WHERE username_normalized = 'emuster'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap()
}

/// Signed in, the switch changes the pages at once; the account keeps its language until the person saves
/// the choice in the profile (a GET changes nothing stored: issue 18).
async fn a_signed_in_choice_is_saved_to_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    assert_eq!(switch(&app, &browser, "/profil?sprache=en").await.headers()["location"], "/profil");
    assert!(app.get(&browser, "/profil").await.text().await.unwrap().contains("<html lang=\"en\">"));
    assert_eq!(stored_language(&app).await, "de", "a GET stores nothing");
    let saved = app.post(&browser, "/profil/sprache", &[("language", "en")]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(stored_language(&app).await, "en", "mails and pages follow from now on");
}

/// Chosen in the wizard before step 1: the wizard's pages follow at once, and finishing step 1 (from then on
/// the person is signed in) makes it the account's.
async fn a_choice_in_the_wizard_becomes_the_accounts_at_step_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    switch(&app, &browser, "/anmelden?sprache=en").await;
    app.get(&browser, &link).await;
    assert!(app.get(&browser, "/registrierung").await.text().await.unwrap().contains("<html lang=\"en\">"));
    assert_eq!(
        sqlx::query_scalar::<_, String>(
            "SELECT language FROM accounts WHERE email = 'erika.muster@praxis-beispiel.de'"
        )
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap(),
        "de",
        "not before step 1"
    );
    app.register(&browser, &link, "emuster").await;
    assert_eq!(stored_language(&app).await, "en");
}

async fn pages_about_an_account_follow_the_visitor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    app.register(&app.browser(), &link, "emuster").await;
    // Someone else's browser, set to English, opens the German account's used link.
    let visitor = app.browser();
    switch(&app, &visitor, "/anmelden?sprache=en").await;
    let page = app.get(&visitor, &link).await.text().await.unwrap();
    assert!(page.contains("Your account already exists"), "{page}");
}

async fn a_choice_before_login_follows_the_person_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    // The reset pages of a German account, opened by a visitor who chose English.
    let browser = app.browser();
    switch(&app, &browser, "/passwort-vergessen?sprache=en").await;
    app.post(&browser, "/passwort-vergessen", &[("identifier", "emuster")]).await;
    app.deliver().await;
    let link = app.mails().into_iter().rfind(|m| m.subject().starts_with("Neues Passwort")).unwrap().link().unwrap();
    app.get(&browser, &link).await;
    assert!(app.get(&browser, "/passwort-neu").await.text().await.unwrap().contains("Choose a new password"));
    // Signing in with that choice makes it the account's.
    let login =
        app.post(&browser, "/anmelden", &[("username", "emuster"), ("password", crate::harness::PASSWORD)]).await;
    assert_eq!(login.status(), 303);
    let language: String = sqlx::query_scalar("SELECT language FROM accounts WHERE username_normalized = 'emuster'")
        .fetch_one(&app.state().db.pool)
        .await
        .unwrap();
    assert_eq!(language, "en");
    assert!(app.get(&browser, "/").await.text().await.unwrap().contains("<html lang=\"en\">"));
}

both_databases!(
    a_choice_before_login_follows_the_person_in,
    a_choice_in_the_wizard_becomes_the_accounts_at_step_one,
    the_choice_is_kept_before_login,
    a_signed_in_choice_is_saved_to_the_account,
    pages_about_an_account_follow_the_visitor,
);
