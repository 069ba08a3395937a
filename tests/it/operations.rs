//! Health endpoints, headers on every route, the command line on the same data as the server.
use std::process::Command;

use crate::both_databases;
use crate::harness::{Backend, TestApp};

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.get(&app.browser(), "/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get(&app.browser(), "/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
    app.state().db.pool.close().await;
    assert_eq!(app.get(&app.browser(), "/readyz").await.status(), 503);
}

async fn security_headers_on_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    for path in ["/", "/anmelden", "/registrierung", "/healthz", "/gibt-es-nicht", "/static/app.css", link.as_str()] {
        let response = app.get(&app.browser(), path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in ["script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    let missing = app.get(&app.browser(), "/gibt-es-nicht").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Seite nicht gefunden"));
    let english = app.browser().get(app.url("/gibt-es-nicht")).header("accept-language", "en").send().await.unwrap();
    assert!(english.text().await.unwrap().contains("Page not found"));
}

/// Static files go out gzip-compressed to browsers that accept it (on a slow line every kilobyte counts);
/// pages are never compressed (they can carry secrets next to reflected input: BREACH).
async fn static_files_are_compressed_and_pages_are_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.browser();
    for (name, original) in
        [("room.js", include_str!("../../static/room.js")), ("app.css", include_str!("../../static/app.css"))]
    {
        let gzipped =
            client.get(app.url(&format!("/static/{name}"))).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip", "{name}");
        let sent = gzipped.bytes().await.unwrap().len();
        assert!(sent * 3 < original.len(), "{name}: {sent} bytes for {}", original.len());
        let plain = client.get(app.url(&format!("/static/{name}"))).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "only to those who accept it");
        assert_eq!(plain.text().await.unwrap(), original);
    }
    let page = client.get(app.url("/anmelden")).header("accept-encoding", "gzip").send().await.unwrap();
    assert!(page.headers().get("content-encoding").is_none(), "pages are not compressed");
    // Pages link each file by a name that changes with its content; under that name it is kept for a year.
    let html = page.text().await.unwrap();
    let start = html.find("/static/app.").expect("the stylesheet by its hashed name");
    let hashed = &html[start..start + html[start..].find('"').unwrap()];
    assert!(hashed.len() == "/static/app..css".len() + 10, "{hashed}");
    let kept = client.get(app.url(hashed)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(kept.status(), 200);
    assert_eq!(kept.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(kept.headers()["content-encoding"], "gzip");
    let plain = client.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(plain.headers()["cache-control"], "public, max-age=3600", "the plain name: an hour");
    let stale = client.get(app.url("/static/app.0000000000.css")).send().await.unwrap();
    assert_eq!(stale.status(), 404);
}

both_databases!(health_and_readiness, security_headers_on_every_route, static_files_are_compressed_and_pages_are_not);

fn cli(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
        .args(args)
        .env("SPRECHSTUNDE_DATA_DIR", data_dir)
        .env_remove("SPRECHSTUNDE_DATABASE_URL")
        .output()
        .expect("run the binary")
}

#[test]
fn the_command_line_manages_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let created = cli(
        dir.path(),
        &["account", "create", "--email", "Erika.Muster@praxis-beispiel.de", "--name", "Dr. Erika Muster"],
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let line: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(line["email"], "erika.muster@praxis-beispiel.de");
    assert_eq!(line["status"], "invited");
    let id = line["id"].as_str().unwrap();

    let duplicate =
        cli(dir.path(), &["account", "create", "--email", "erika.muster@praxis-beispiel.de", "--name", "X"]);
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("gibt es bereits einen Account"));

    let invalid = cli(dir.path(), &["account", "create", "--email", "kein-at-zeichen", "--name", "X"]);
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("keine gültige E-Mail-Adresse"));

    let shown = cli(dir.path(), &["account", "show", "erika.muster@praxis-beispiel.de"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains(id) && text.contains("Status:           invited"), "{text}");
    assert!(text.contains("Registrierungs-E-Mail: pending"));

    let resent = cli(dir.path(), &["account", "resend", id]);
    assert!(resent.status.success(), "{}", String::from_utf8_lossy(&resent.stderr));

    let listed = cli(dir.path(), &["account", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("LINK GÜLTIG BIS") && text.contains(id), "{text}");

    let edition =
        cli(dir.path(), &["account", "create", "--email", "b@praxis-beispiel.de", "--name", "B", "--edition", "gold"]);
    assert!(!edition.status.success());
    let message = String::from_utf8_lossy(&edition.stderr);
    assert!(message.contains("Unbekannte Produktausführung „gold“") && message.contains("standard"), "{message}");
    let standard = cli(
        dir.path(),
        &["account", "create", "--email", "b@praxis-beispiel.de", "--name", "B", "--edition", "standard"],
    );
    assert!(standard.status.success());
    let shown =
        String::from_utf8_lossy(&cli(dir.path(), &["account", "show", "b@praxis-beispiel.de"]).stdout).into_owned();
    assert!(shown.contains("Ausführung:       standard"), "{shown}");

    let unknown = cli(dir.path(), &["account", "show", "niemand@x.de"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Kein Account gefunden"));

    let bad_setting = Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
        .args(["account", "list"])
        .env("SPRECHSTUNDE_DATA_DIR", dir.path())
        .env("SPRECHSTUNDE_REGISTRATION_LINK_TTL", "zwei Wochen")
        .output()
        .unwrap();
    assert_eq!(bad_setting.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_setting.stderr).contains("registration_link_ttl"));
    assert!(cli(dir.path(), &["migrate"]).status.success());
    assert!(dir.path().join("sprechstunde.db").exists(), "SQLite in the data folder by default");
}

#[test]
fn the_example_settings_file_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sprechstunde.example.toml");
    let config = sprechstunde::config::Config::load(Some(&path)).expect("example settings load");
    assert_eq!(config.registration_link_ttl, 14 * 86_400);
    assert_eq!(config.support.phone, "+49 30 1234567");
    assert_eq!(config.editions["kompakt"].steps.len(), 2);
    assert!(config.editions["klinik"].two_factor_required);
    assert_eq!(config.http.request_timeout.as_secs(), 30);
    assert_eq!(config.http.trusted_proxies.len(), 1);
}

async fn logs_never_contain_secrets_or_full_addresses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let unique = sprechstunde::security::token::new_id();
    let email = format!("log.{}@praxis-beispiel.de", &unique[..8]);
    let password = format!("Geheimnis {}", sprechstunde::security::token::new_id());
    let link = app.invite(&email).await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let browser = app.browser();
    let opened = app.get(&browser, &link).await;
    let session = opened.headers()["set-cookie"].to_str().unwrap()[4..47].to_owned();
    let username = format!("log{}", &unique[..8]);
    let done = app
        .post(
            &browser,
            "/registrierung",
            &[("username", &username), ("password", &password), ("password_repeat", &password)],
        )
        .await;
    assert_eq!(done.status(), 303);
    let wrong = format!("Falsch {unique}");
    app.post(&app.browser(), "/anmelden", &[("username", &username), ("password", &wrong)]).await;
    app.post(&app.browser(), "/anmelden", &[("username", &username), ("password", &password)]).await;
    let logs = crate::harness::logs();
    assert!(logs.contains("Anmeldung erfolgreich"), "the log capture works");
    for secret in [&password, &wrong, &session, &email] {
        if let Some(line) = logs.lines().find(|l| l.contains(secret.as_str())) {
            panic!("logged: {line}");
        }
    }
    // Development file transport: the link is logged so a newcomer can click it.
    assert!(logs.contains(&token), "file transport logs the link");
}

both_databases!(logs_never_contain_secrets_or_full_addresses);
