//! Foundations (issue 8): the throttle counts outcomes only, hashing keeps its memory, support search filters
//! before its limit.
use std::time::Duration;

use serde_json::Value;

use crate::both_databases;
use crate::harness::{Backend, PASSWORD, TestApp};
use sprechstunde::api::tokens::{self, Scope};

fn login_request(app: &TestApp, username: &str, password: &str) -> reqwest::RequestBuilder {
    app.browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .form(&[("username", username), ("password", password)])
}

/// Sends all logins at once and returns their status codes.
async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<u16> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) }))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().expect("login answered"));
    }
    statuses
}

async fn cancelled_logins_leave_no_trace(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    // Ten logins (twice the free attempts) cut off by the client (a proxy timeout, a closed tab) while they
    // wait for their password check: before each, twenty other hashes (280 ms of work for two threads here,
    // still well over the 60 ms on a machine three times as fast) fill the hashing threads' queue, so none is
    // answered in time. At most 210 jobs wait at once, below the queue's 256.
    let mut busy = Vec::new();
    for _ in 0..10 {
        for n in 0..20 {
            let hasher = app.state().hasher.clone();
            busy.push(tokio::spawn(async move { hasher.hash(format!("Auslastung {n}")).await }));
        }
        let cut = login_request(&app, "emuster", PASSWORD).timeout(Duration::from_millis(60)).send().await;
        assert!(cut.is_err(), "the login must still be waiting when the client gives up");
    }
    for task in busy {
        task.await.unwrap().unwrap();
    }
    let status = login_request(&app, "emuster", PASSWORD).send().await.unwrap().status();
    assert_eq!(status, 303, "cancelled requests must not count against the name or the address");
    let failures: i64 =
        app.scalar_i64("SELECT COUNT(*) FROM login_throttle WHERE failures > 0 AND throttle_key <> $1", "").await;
    assert_eq!(failures, 0, "no failure recorded for any key");
}

async fn a_burst_of_guesses_from_one_address_cannot_outrun_its_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 40 wrong passwords for 40 usernames at once, from one address (password spraying).
    let requests = (0..40).map(|n| login_request(&app, &format!("user{n}"), "falsch falsch falsch")).collect();
    let statuses = all_at_once(requests).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    // 20 are free for an address; the few let through together at the end may still finish.
    assert!((20..=24).contains(&checked), "{checked} passwords were checked: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
}

async fn many_people_behind_one_address_sign_in_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let people = 12;
    for n in 0..people {
        app.registered(&format!("person{n}@praxis-beispiel.de"), &format!("person{n}")).await;
    }
    // 48 correct logins from one address (a practice's router), four per person, all at the same moment.
    let requests = (0..48).map(|n| login_request(&app, &format!("person{}", n % people), PASSWORD)).collect();
    let statuses = all_at_once(requests).await;
    assert!(statuses.iter().all(|s| *s == 303), "every correct login gets in: {statuses:?}");
    // Ten at once for one person are taken one after the other, none refused.
    let statuses = all_at_once((0..10).map(|_| login_request(&app, "person0", PASSWORD)).collect()).await;
    assert!(statuses.iter().all(|s| *s == 303), "parallel correct logins are queued, not refused: {statuses:?}");
}

async fn parallel_wrong_guesses_are_counted_one_by_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let statuses = all_at_once((0..12).map(|_| login_request(&app, "emuster", "falsch falsch falsch")).collect()).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 7), "exactly the five free guesses are checked: {statuses:?}");
    app.clock.advance(1);
    assert_eq!(login_request(&app, "emuster", PASSWORD).send().await.unwrap().status(), 303);
}

#[test]
fn hashing_keeps_its_memory_on_a_fixed_set_of_threads() {
    let _shared = crate::harness::shared_blocking();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
        .args(["dev", "bench-hashing", "--hashes", "50"])
        .output()
        .expect("run the binary");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    let kib = |field: &str| report[field].as_u64().unwrap_or_else(|| panic!("{field} in {report}"));
    let bound = kib("idle_rss_kib") + kib("threads") * 20 * 1024 + 20 * 1024;
    assert!(kib("peak_rss_kib") > kib("idle_rss_kib"), "the peak is measured: {report}");
    assert!(kib("peak_rss_kib") < bound, "peak RSS {} KiB over {bound} KiB: {report}", kib("peak_rss_kib"));
}

async fn support_search_filters_before_its_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for n in 0..55 {
        app.create_account(&format!("aaron{n}@praxis-beispiel.de"), &format!("Aaron Muster {n:02}")).await;
    }
    app.create_account("zora.muster@praxis-beispiel.de", "Zora Muster").await;
    app.deliver().await;
    app.register(&app.browser(), &app.last_link_to("zora.muster@praxis-beispiel.de"), "zmuster").await;
    let token =
        tokens::create(&app.state().db, &app.state().token_key, "Verwaltung", &[Scope::AccountsRead], app.clock.now())
            .await
            .unwrap()
            .1;
    let search = |query: &'static str| {
        let request = app.browser().get(app.url(&format!("/api/v1/accounts?{query}"))).bearer_auth(&token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let all = search("q=muster").await;
    assert_eq!(all["accounts"].as_array().unwrap().len(), 50, "at most 50 at a time");
    let registering = search("q=muster&status=registering").await;
    let names: Vec<&str> =
        registering["accounts"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Zora Muster"], "the 56th match by name is found when filtered");
    let invited = search("q=muster&status=invited").await;
    assert_eq!(invited["accounts"].as_array().unwrap().len(), 50);
    assert!(invited["accounts"].as_array().unwrap().iter().all(|a| a["status"] == "invited"));
}

async fn a_change_and_its_notice_commit_together_or_not_at_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.deliver().await;
    let notices_before = app.mails().len();
    let pool = app.state().db.pool.clone();
    // The notice cannot be queued: the change must not happen either.
    sqlx::raw_sql("ALTER TABLE outbox RENAME TO outbox_away").execute(&pool).await.unwrap();
    let new = "Sandburg und Möwen 42";
    let form = [("current_password", PASSWORD), ("password", new), ("password_repeat", new)];
    let refused = app.post(&browser, "/profil/passwort", &form).await;
    assert_eq!(refused.status(), 500);
    assert!(refused.text().await.unwrap().contains("Ein Fehler ist aufgetreten"));
    sqlx::raw_sql("ALTER TABLE outbox_away RENAME TO outbox").execute(&pool).await.unwrap();
    assert_eq!(login_request(&app, "emuster", PASSWORD).send().await.unwrap().status(), 303, "old password works");
    assert_eq!(login_request(&app, "emuster", new).send().await.unwrap().status(), 401);
    let audited: i64 = app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE event = $1", "password.changed").await;
    assert_eq!(audited, 0, "nor was it audited");
    // With the outbox back, the same change goes through with its notice.
    assert_eq!(app.post(&browser, "/profil/passwort", &form).await.status(), 303);
    app.deliver().await;
    assert_eq!(app.mails().len(), notices_before + 1);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE event = $1", "password.changed").await, 1);
}

async fn a_database_outage_shows_the_unavailable_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    app.state().db.pool.close().await;
    for response in
        [app.get(&browser, "/profil").await, app.post(&browser, "/profil/sichtbarkeit", &[("visible", "ja")]).await]
    {
        assert_eq!(response.status(), 503);
        assert!(response.text().await.unwrap().contains("Vorübergehend nicht verfügbar"));
    }
}

// It fills the hashing threads on purpose and times a client's give-up: nothing else runs meanwhile.
both_databases!(alone: cancelled_logins_leave_no_trace);
both_databases!(
    a_burst_of_guesses_from_one_address_cannot_outrun_its_count,
    a_change_and_its_notice_commit_together_or_not_at_all,
    a_database_outage_shows_the_unavailable_page,
    many_people_behind_one_address_sign_in_at_once,
    parallel_wrong_guesses_are_counted_one_by_one,
    support_search_filters_before_its_limit,
    unreadable_text_is_refused_at_the_edge,
);

async fn unreadable_text_is_refused_at_the_edge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A NUL byte in a form: a clear page, never a database error.
    let nul = login_request(&app, "emuster\0", PASSWORD).send().await.unwrap();
    assert_eq!(nul.status(), 422);
    assert!(nul.text().await.unwrap().contains("Ihre Eingabe enthält Steuerzeichen"));
    let english = app
        .browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .header("accept-language", "en")
        .form(&[("username", "a\u{202E}b"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(english.status(), 422);
    assert!(
        english.text().await.unwrap().contains("invisible characters or characters that reverse the writing direction")
    );
    // In a path segment and in a query string.
    let path = app.get(&app.browser(), "/support/konten/abc%00").await;
    assert_eq!(path.status(), 422);
    let member = app.member("anna@praxis-beispiel.de", "Anna Muster", "amuster", true).await;
    assert_eq!(app.get(&member, "/kontakte/suche?q=mu%00").await.status(), 422);
    let long = app.get(&member, &format!("/kontakte/suche?q={}", "a".repeat(50_000))).await;
    assert_eq!(long.status(), 422);
    assert!(long.text().await.unwrap().contains("höchstens 1000 Zeichen pro Feld"));
    assert_eq!(app.get(&member, "/kontakte/suche?q=mu").await.status(), 200, "ordinary searches still work");
    // The API answers in problem+json.
    let token =
        tokens::create(&app.state().db, &app.state().token_key, "Verwaltung", &[Scope::AccountsWrite], app.clock.now())
            .await
            .unwrap()
            .1;
    let create = |name: &str| {
        let body = serde_json::json!({ "email": "neu@praxis-beispiel.de", "name": name }).to_string();
        app.browser()
            .post(app.url("/api/v1/accounts"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for name in ["Anna \u{202E}rellüM", "Anna\0", "Anna\u{200B}"] {
        let refused = create(name).await.unwrap();
        assert_eq!(refused.status(), 422, "{name:?}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().starts_with("name: enthält"), "{problem}");
    }
    let api_get = |path: String| app.browser().get(app.url(&path)).bearer_auth(&token).send();
    let long = api_get(format!("/api/v1/accounts?q={}", "m".repeat(50_000))).await.unwrap();
    assert_eq!(
        (long.status().as_u16(), long.headers()["content-type"].to_str().unwrap()),
        (422, "application/problem+json")
    );
    assert_eq!(api_get("/api/v1/accounts/abc%00".into()).await.unwrap().status(), 422);
    assert_eq!(api_get("/api/v1/accounts?q=m%00".into()).await.unwrap().status(), 422);
    assert_eq!(create("Dr. Jürgen Müller").await.unwrap().status(), 201, "ordinary names pass");
    let accounts: i64 = app.scalar_i64("SELECT COUNT(*) FROM accounts WHERE email <> $1", "").await;
    assert_eq!(accounts, 2, "nothing refused was stored");
}
