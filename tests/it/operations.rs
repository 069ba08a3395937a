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
    for (name, original) in [
        ("room-negotiation.js", include_str!("../../static/room-negotiation.js")),
        ("app.css", include_str!("../../static/app.css")),
    ] {
        let gzipped =
            client.get(app.url(&format!("/static/{name}"))).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip", "{name}");
        let sent = gzipped.bytes().await.unwrap().len();
        assert!(sent * 2 < original.len(), "{name}: {sent} bytes for {}", original.len());
        let plain = client.get(app.url(&format!("/static/{name}"))).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "only to those who accept it");
        assert_eq!(without_hashes(&plain.text().await.unwrap()), original, "the file, its imports by hashed name");
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
    assert_eq!(stale.headers()["cache-control"], "public, max-age=60", "a missing file is asked for again soon");
}

/// A module as written: `from "./room-view.0123456789.js"` back to `from "./room-view.js"`.
fn without_hashes(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("from \"./") {
            Some((head, target)) if line.starts_with("import ") => {
                let parts: Vec<&str> = target.split('.').collect();
                assert_eq!(parts.len(), 3, "{line}");
                assert!(parts[1].len() == 10 && parts[1].chars().all(|c| c.is_ascii_hexdigit()), "{line}");
                format!("{head}from \"./{}.{}", parts[0], parts[2])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
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
    let _shared = crate::harness::shared_blocking();
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

/// Issue 17, point 4: the settings are declared once (`config::SETTINGS`); README.md's table and the
/// example file name each of them, with its default, and nothing else.
#[test]
fn the_readme_and_the_example_file_list_every_setting() {
    use sprechstunde::config::SETTINGS;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("sprechstunde.example.toml")).unwrap();
    let known = |env: &str| SETTINGS.iter().find(|s| s.env == env);
    // Not settings of the service's configuration: the file's own name and the log filter.
    let other = ["SPRECHSTUNDE_CONFIG", "SPRECHSTUNDE_LOG"];
    let mut documented = Vec::new();
    for row in readme.lines().filter(|line| line.starts_with("| `SPRECHSTUNDE_")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let names: Vec<&str> = cells[0].split('`').skip(1).step_by(2).collect();
        let first = names[0];
        let mut in_row = Vec::new();
        for name in &names {
            // `_PORT` after `SPRECHSTUNDE_SMTP_HOST` stands for `SPRECHSTUNDE_SMTP_PORT`.
            let full = if name.starts_with('_') {
                let expanded = first
                    .match_indices('_')
                    .map(|(i, _)| format!("{}{name}", &first[..i]))
                    .find(|e| known(e).is_some());
                expanded.unwrap_or_else(|| panic!("README: {name} in the row of {first} is no setting"))
            } else {
                name.to_string()
            };
            assert!(
                known(&full).is_some() || other.contains(&full.as_str()),
                "README names {full}, which is no setting"
            );
            in_row.push(full);
        }
        for setting in in_row.iter().filter_map(|name| known(name)) {
            if let Some(default) = setting.default.filter(|d| !d.is_empty()) {
                assert!(
                    cells[1].contains(&format!("`{default}`")),
                    "README: {} has the default {default}: {row}",
                    setting.env
                );
            }
        }
        documented.extend(in_row);
    }
    for setting in SETTINGS {
        assert!(documented.iter().any(|name| name == setting.env), "README.md lacks {}", setting.env);
        assert!(example.contains(setting.env), "sprechstunde.example.toml lacks {}", setting.env);
        let (section, key) = setting.key.rsplit_once('.').unwrap_or(("", setting.key));
        let body = if section.is_empty() {
            example.split("\n[").next().unwrap().to_owned()
        } else {
            let header = format!("\n[{section}]\n");
            let start = example.find(&header).unwrap_or_else(|| panic!("example: no [{section}]")) + header.len();
            example[start..].split("\n[").next().unwrap().to_owned()
        };
        let written = body.lines().any(|line| {
            let line = line.trim_start_matches('#').trim_start();
            line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        assert!(written, "sprechstunde.example.toml lacks {} in [{section}]", key);
    }
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
