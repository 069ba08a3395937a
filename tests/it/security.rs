//! Rows of the security checklist not covered elsewhere: no default accounts, HTTPS headers and cookies,
//! and no username enumeration through answer times.
use std::time::{Duration, Instant};

use crate::both_databases;
use crate::harness::{Backend, TestApp};

async fn a_new_installation_has_no_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM accounts WHERE id <> $1", "").await, 0, "no default accounts");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM api_tokens WHERE id <> $1", "").await, 0, "no default tokens");
}

async fn https_deployments_get_hsts_and_host_only_secure_cookies(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.public_url = "https://praxis.example".into()).await;
    let health = app.get(&app.browser(), "/healthz").await;
    assert_eq!(health.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    app.deliver().await;
    let link = app.last_link_to("erika.muster@praxis-beispiel.de");
    assert!(link.starts_with("https://praxis.example/registrierung/"));
    let path = &link["https://praxis.example".len()..];
    let opened = app.get(&app.browser(), path).await;
    let cookie = opened.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-sid=") && cookie.contains("; Secure") && !cookie.contains("Domain"), "{cookie}");
}

async fn unknown_usernames_answer_as_slowly_as_known_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    // Interleaved, with the order swapped every round, so that load from other tests affects both alike.
    // An hour between rounds keeps both below the login throttles, so every answer really checks a
    // password (or the dummy hash).
    for i in 0..16 {
        let mut round = [("emuster".to_owned(), &mut known), (format!("niemand{i}"), &mut unknown)];
        if i % 2 == 1 {
            round.reverse();
        }
        for (username, samples) in round {
            let browser = app.browser();
            let started = Instant::now();
            let response =
                app.post(&browser, "/anmelden", &[("username", &username), ("password", "falsch falsch falsch")]).await;
            samples.push(started.elapsed());
            assert_eq!(response.status(), 401);
        }
        app.clock.advance(3601);
    }
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2]
    };
    let (known, unknown) = (median(&mut known), median(&mut unknown));
    let gap = known.abs_diff(unknown);
    // Skipping the hash for unknown names would make them several times faster; a loaded machine stretches
    // both alike, so the tolerance grows with the answer time (10 ms, or a quarter of it when slower).
    let tolerance = Duration::from_millis(10).max(known.max(unknown) / 4);
    assert!(gap < tolerance, "medians differ by {gap:?} (known {known:?}, unknown {unknown:?})");
}

/// Row 15: no page loads anything from elsewhere (a third party would see which page, and from its address
/// bar, which token): scripts, styles, images and fonts come from this service, and the CSP says so.
async fn pages_load_nothing_from_elsewhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.invite("erika.muster@praxis-beispiel.de").await;
    let browser = app.browser();
    app.get(&browser, &link).await;
    for path in ["/anmelden", "/passwort-vergessen", "/benutzername-vergessen", "/teilnehmen", "/registrierung"] {
        let page = app.get(&browser, path).await;
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        let html = page.text().await.unwrap();
        for foreign in ["src=\"http", "src=\"//", "href=\"//", "url(http", "url(//", "@import"] {
            assert!(!html.contains(foreign), "{path} loads from elsewhere: {foreign}");
        }
        let stylesheets = html.matches("rel=\"stylesheet\"").count();
        assert!(stylesheets >= 1, "{path}: the page's own stylesheet");
        assert_eq!(stylesheets, html.matches("rel=\"stylesheet\" href=\"/static/").count(), "{path}");
    }
}

/// Checklist row 9 and issue 18 point 4: a copy of the database alone does not let anyone search the
/// 49-bit access codes offline. Codes and link tokens are stored as HMAC under a key the database does not
/// hold; rows of an earlier version (plain SHA-256) are taken over under the key at the next start, and a
/// start with another key, or on PostgreSQL with none, is refused with a message that says what to do.
async fn a_stolen_database_does_not_give_away_codes(backend: Backend) {
    use crate::appointments::{DATE, STARTS_AT, TIME, add_participant, create_appointment, host};
    use sha2::Digest;
    use sprechstunde::security::token_key::{Keyed, TokenKey};
    let sha256 = |text: String| -> String { sha2::Sha256::digest(text).iter().map(|b| format!("{b:02x}")).collect() };

    let mut app = TestApp::spawn(backend).await;
    let (doctor, _) = host(&app, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&app, &doctor, DATE, TIME).await;
    let invitation = add_participant(&app, &doctor, &id, &[("name", "Anna Beispiel")]).await;
    let code = sprechstunde::domain::access_code::AccessCode::parse(&invitation.code).unwrap();
    let raw_link = invitation.link.rsplit('/').next().unwrap().to_owned();
    // Checklist row 39: a guest's link carries 32 random bytes, base64url (43 characters).
    assert!(sprechstunde::security::token::looks_valid(&raw_link), "{raw_link}");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&raw_link).unwrap().len(), 32);
    let code_sql = "SELECT code_hash FROM participants WHERE appointment_id = $1";
    let link_sql = "SELECT link_hash FROM participants WHERE appointment_id = $1";
    let unkeyed_code = sha256(format!("access-code:{}", code.expose()));
    let unkeyed_link = sha256(format!("invitation-link:{raw_link}"));
    let code_hash = stored(&app, code_sql, &id).await;
    assert_ne!(code_hash, unkeyed_code, "not a plain SHA-256 that a GPU could search");
    assert_eq!(code_hash, app.state().token_key.hash(Keyed::AccessCode, code.expose()));
    let other = TokenKey::from_bytes(&[9; 32]).unwrap();
    assert_ne!(code_hash, other.hash(Keyed::AccessCode, code.expose()), "without the key, the hash says nothing");
    assert_ne!(stored(&app, link_sql, &id).await, unkeyed_link);
    if backend == Backend::Sqlite {
        let key_file = app.dir.path().join("token.key");
        let key = std::fs::read_to_string(&key_file).expect("the key was made in the data folder");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
        let database = std::fs::read(app.dir.path().join("sprechstunde.db")).unwrap();
        let key = key.trim().as_bytes();
        assert!(!database.windows(key.len()).any(|w| w == key), "the key is not in the database file");
    }

    // A database of an earlier version: the same rows, hashed without a key, and no key recorded yet.
    let pool = app.state().db.pool.clone();
    sqlx::query("UPDATE participants SET code_hash = $1, link_hash = $2 WHERE appointment_id = $3")
        .bind(&unkeyed_code)
        .bind(&unkeyed_link)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM token_key").execute(&pool).await.unwrap();
    app.restart_with(|_| {}).await;
    assert_eq!(stored(&app, code_sql, &id).await, code_hash, "taken over under the key");
    app.clock.advance(STARTS_AT - app.clock.now());
    let joined = app.post(&app.browser(), "/teilnehmen", &[("code", invitation.code.as_str())]).await;
    assert_eq!(joined.status(), 303, "the code of before the upgrade still works");
    let opened = app.get(&app.browser(), &invitation.link).await;
    assert_eq!(opened.status(), 303, "and so does the link");

    let mut config = app.state().config.clone();
    config.token_key = Some(sprechstunde::config::Secret::new("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktb3RoZXI="));
    let clock = sprechstunde::clock::Clock::manual(crate::harness::START);
    let refused = sprechstunde::state::AppState::new(config.clone(), clock.clone()).await.err().expect("refused");
    assert!(refused.to_string().contains("passt nicht zu dem Schlüssel"), "{refused}");
    if backend == Backend::Postgres {
        config.token_key = None;
        let refused = sprechstunde::state::AppState::new(config, clock).await.err().expect("refused");
        assert!(refused.to_string().contains("openssl rand -base64 32"), "{refused}");
    }
}

async fn stored(app: &TestApp, sql: &'static str, id: &str) -> String {
    sqlx::query_scalar(sql).bind(id).fetch_one(&app.state().db.pool).await.unwrap()
}

both_databases!(
    a_stolen_database_does_not_give_away_codes,
    a_new_installation_has_no_accounts,
    https_deployments_get_hsts_and_host_only_secure_cookies,
    pages_load_nothing_from_elsewhere,
);
both_databases!(alone: unknown_usernames_answer_as_slowly_as_known_ones);

/// Checklist row 5 (paste works): no script of ours handles paste, copy or cut, no page has an inline
/// handler for them (the CSP would refuse it anyway), and no password field turns autocomplete off or caps
/// its length; so browsers and password managers may paste and fill.
#[test]
fn nothing_keeps_people_from_pasting_or_filling_passwords() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "js" || e == "html") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    files(&root.join("static"), &mut found);
    files(&root.join("templates"), &mut found);
    let mut password_fields = 0;
    for path in &found {
        let text = std::fs::read_to_string(path).unwrap().to_lowercase();
        for event in ["paste", "copy", "cut"] {
            for form in
                [format!("addeventlistener(\"{event}\""), format!("addeventlistener('{event}'"), format!(" on{event}=")]
            {
                assert!(!text.contains(&form), "{}: {form}", path.display());
            }
        }
        for field in text.split("<input").skip(1).map(|f| f.split('>').next().unwrap()) {
            if field.contains("type=\"password\"") {
                password_fields += 1;
                assert!(
                    !field.contains("maxlength") && !field.contains("autocomplete=\"off\""),
                    "{}: {field}",
                    path.display()
                );
                assert!(
                    field.contains("autocomplete=\""),
                    "{}: a password field says what it is: {field}",
                    path.display()
                );
            }
        }
    }
    assert!(found.len() > 20 && password_fields >= 3, "{} files, {password_fields} password fields", found.len());
}

/// docs/security.md maps every row of the security checklist (1–41) to tests: each row names at least one,
/// and every name is a test function that exists (`file::function` in tests/it, or a unit test by its module
/// path in src). A renamed or deleted test, or a row left empty, fails here.
#[test]
fn every_checklist_row_names_tests_that_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let mut rows = Vec::new();
    for line in map.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(number) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else { continue };
        let tests = cells[cells.len() - 2];
        let names: Vec<&str> = tests.split('`').skip(1).step_by(2).filter(|name| name.contains("::")).collect();
        assert!(!names.is_empty(), "row {number} names no test: {tests}");
        for name in names {
            let parts: Vec<&str> = name.split("::").collect();
            let (file, function) = if parts.len() == 2 {
                (root.join("tests/it").join(format!("{}.rs", parts[0])), parts[1])
            } else {
                let at = parts.iter().position(|p| *p == "tests").unwrap_or_else(|| panic!("row {number}: {name}"));
                let module = parts[..at].join("/");
                let plain = root.join("src").join(format!("{module}.rs"));
                (
                    if plain.exists() { plain } else { root.join("src").join(&module).join("mod.rs") },
                    parts[parts.len() - 1],
                )
            };
            let text = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("row {number}: no file for {name}"));
            assert!(text.contains(&format!("fn {function}(")), "row {number}: {name} does not exist");
        }
        rows.push(number);
    }
    assert_eq!(rows, (1..=41).collect::<Vec<_>>(), "every row of the checklist, in order");
}
