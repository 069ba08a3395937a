//! The admin API (issue 4, points 4 and 5): tokens and scopes, idempotency, problem+json, OpenAPI.
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::{Backend, TestApp};
use sprechstunde::api::tokens::{self, Scope};

async fn token(app: &TestApp, scopes: &[Scope]) -> String {
    tokens::create(&app.state().db, &app.state().token_key, "Praxisverwaltung", scopes, app.clock.now())
        .await
        .unwrap()
        .1
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    key: Option<&str>,
) -> (u16, String, Value) {
    let mut request = app.browser().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let value = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, content_type, value)
}

fn new_account() -> Value {
    json!({ "email": "neu@praxis-beispiel.de", "name": "Dr. Nora Neu", "language": "de", "edition": "standard" })
}

async fn tokens_and_scopes_decide_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, content_type, problem) = call(&app, reqwest::Method::GET, "/api/v1/accounts", None, None, None).await;
    assert_eq!((status, content_type.as_str()), (401, "application/problem+json"));
    assert_eq!(problem["status"], 401);
    assert!(problem["detail"].as_str().unwrap().contains("Bearer"));
    let (status, ..) = call(&app, reqwest::Method::GET, "/api/v1/accounts", Some("sst_falsch"), None, None).await;
    assert_eq!(status, 401);
    let session_like = sprechstunde::security::token::generate();
    let (status, ..) = call(&app, reqwest::Method::GET, "/api/v1/accounts", Some(&session_like), None, None).await;
    assert_eq!(status, 401, "other kinds of tokens are no API tokens");

    let reader = token(&app, &[Scope::AccountsRead]).await;
    let (status, _, body) = call(&app, reqwest::Method::GET, "/api/v1/accounts", Some(&reader), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["accounts"], json!([]));
    // The scheme's name is case-insensitive.
    for scheme in ["bearer", "BEARER"] {
        let request =
            app.browser().get(app.url("/api/v1/accounts")).header("authorization", format!("{scheme} {reader}"));
        assert_eq!(request.send().await.unwrap().status(), 200, "{scheme}");
    }
    let (status, _, problem) =
        call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&reader), Some(new_account()), None).await;
    assert_eq!(status, 403, "reading is not writing");
    assert!(problem["detail"].as_str().unwrap().contains("accounts:write"));
    assert_eq!(app.deliver().await, 0);

    let writer = token(&app, &[Scope::AccountsWrite]).await;
    let (status, ..) =
        call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(new_account()), None).await;
    assert_eq!(status, 201);
    let id = tokens::list(&app.state().db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.scopes == vec![Scope::AccountsWrite])
        .unwrap()
        .id;
    assert!(tokens::revoke(&app.state().db, &id, app.clock.now()).await.unwrap());
    let (status, ..) = call(&app, reqwest::Method::GET, "/api/v1/accounts", Some(&writer), None, None).await;
    assert_eq!(status, 401, "revoked");
    let stored: i64 = app.scalar_i64("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1", &writer).await;
    assert_eq!(stored, 0, "only the hash is stored");
}

async fn creating_accounts_idempotently(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = token(&app, &[Scope::AccountsWrite]).await;
    let post = |body: Value, key: Option<&'static str>| {
        let (app, writer) = (&app, writer.clone());
        async move { call(app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(body), key).await }
    };
    let (status, _, created) = post(new_account(), Some("crm-4711")).await;
    assert_eq!(status, 201);
    let mut keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    let mut documented = sprechstunde::api::ACCOUNT_FIELDS.to_vec();
    documented.sort();
    assert_eq!(keys, documented, "the response is exactly the documented Account");
    assert_eq!(created["status"], "invited");
    assert_eq!(app.deliver().await, 1);
    let (status, _, again) = post(new_account(), Some("crm-4711")).await;
    assert_eq!(status, 200, "a retry returns the same account");
    assert_eq!(again["id"], created["id"]);
    assert_eq!(app.deliver().await, 0, "and sends no second e-mail");
    assert_eq!(app.mails().len(), 1);
    let (status, _, problem) =
        post(json!({ "email": "anders@praxis-beispiel.de", "name": "X" }), Some("crm-4711")).await;
    assert_eq!(status, 409, "the same key for another request");
    assert!(problem["detail"].as_str().unwrap().contains("anderen Anfrage"));
    let (status, ..) = post(new_account(), None).await;
    assert_eq!(status, 409, "without a key, the address is taken");

    // A key claimed without an account (what a crash or a client that hung up left behind before the key
    // and the account were written together) does not block a retry: it creates the account.
    let stuck = sqlx::query(
        "INSERT INTO idempotency_keys (token_id, idempotency_key, request_hash, created_at) \
         SELECT id, 'crm-stuck', 'x', 0 FROM api_tokens",
    );
    stuck.execute(&app.state().db.pool).await.unwrap();
    let (status, _, created) =
        post(json!({ "email": "stuck@praxis-beispiel.de", "name": "Dr. Hängt" }), Some("crm-stuck")).await;
    assert_eq!(status, 201, "{created}");
    let (status, _, again) =
        post(json!({ "email": "stuck@praxis-beispiel.de", "name": "Dr. Hängt" }), Some("crm-stuck")).await;
    assert_eq!((status, &again["id"]), (200, &created["id"]));

    // The same request eight times at once with one key: one account, and every answer names it.
    let mut same = Vec::new();
    for _ in 0..8 {
        let (url, writer) = (app.url("/api/v1/accounts"), writer.clone());
        same.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(writer)
                .header("idempotency-key", "crm-same")
                .header("content-type", "application/json")
                .body(json!({ "email": "same@praxis-beispiel.de", "name": "Dr. Gleich" }).to_string())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap()["id"].clone())
        }));
    }
    let mut answers = Vec::new();
    for task in same {
        answers.push(task.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|(status, _)| *status == 201).count(), 1, "{answers:?}");
    assert!(answers.iter().all(|(status, id)| matches!(status, 200 | 201) && *id == answers[0].1), "{answers:?}");

    // Racing requests with one key: exactly one account, exactly one e-mail, whatever the bodies.
    let mut racing = Vec::new();
    for n in 0..8 {
        let (url, writer) = (app.url("/api/v1/accounts"), writer.clone());
        let body = json!({ "email": format!("race{n}@praxis-beispiel.de"), "name": "Dr. Rennt" }).to_string();
        racing.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(writer)
                .header("idempotency-key", "crm-race")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in racing {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| matches!(s, 201 | 409 | 422)), "{statuses:?}");
    let created = app.scalar_i64("SELECT COUNT(*) FROM accounts WHERE email LIKE $1", "race%").await;
    assert_eq!(created, 1);

    for (body, expected) in [
        (json!({ "email": "kaputt", "name": "X" }), 422),
        (json!({ "email": "a@praxis-beispiel.de", "name": "" }), 422),
        // A name is one line: a CR once reached the calendar file's SUMMARY and the invitation SMS.
        (json!({ "email": "f@praxis-beispiel.de", "name": "Dr. Carl\rATTENDEE:mailto:x@example.org" }), 422),
        (json!({ "email": "b@praxis-beispiel.de", "name": "X", "edition": "gold" }), 422),
        (json!({ "email": "c@praxis-beispiel.de", "name": "X", "language": "fr" }), 400),
        (json!({ "email": "d@praxis-beispiel.de", "name": "X", "role": "support" }), 400),
        (json!({ "email": ["e@praxis-beispiel.de"], "name": "X" }), 400),
        (json!("nur ein Text"), 400),
    ] {
        let (status, content_type, _) = post(body.clone(), None).await;
        assert_eq!(status, expected, "{body}");
        assert_eq!(content_type, "application/problem+json");
    }
}

async fn reading_searching_and_resending(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = token(&app, &[Scope::AccountsWrite]).await;
    let (_, _, created) =
        call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(new_account()), None).await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.deliver().await;
    let first_link = app.last_link_to("neu@praxis-beispiel.de");
    let (status, _, shown) =
        call(&app, reqwest::Method::GET, &format!("/api/v1/accounts/{id}"), Some(&writer), None, None).await;
    assert_eq!(status, 200);
    assert!(shown["registration_link_expires_at"].as_str().unwrap().ends_with('Z'));
    let (status, ..) =
        call(&app, reqwest::Method::GET, "/api/v1/accounts/gibt-es-nicht", Some(&writer), None, None).await;
    assert_eq!(status, 404);
    let (_, _, found) =
        call(&app, reqwest::Method::GET, "/api/v1/accounts?q=nora&status=invited", Some(&writer), None, None).await;
    assert_eq!(found["accounts"][0]["id"], id.as_str());
    let (_, _, none) =
        call(&app, reqwest::Method::GET, "/api/v1/accounts?q=nora&status=active", Some(&writer), None, None).await;
    assert_eq!(none["accounts"], json!([]));
    let (status, ..) =
        call(&app, reqwest::Method::GET, "/api/v1/accounts?status=kaputt", Some(&writer), None, None).await;
    assert_eq!(status, 400);
    // Present but empty is no status (schemathesis found it taken for "all").
    let (status, ..) = call(&app, reqwest::Method::GET, "/api/v1/accounts?status=", Some(&writer), None, None).await;
    assert_eq!(status, 400);
    // An Idempotency-Key is visible ASCII without spaces, as the document's pattern says.
    let (status, ..) =
        call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(new_account()), Some("crm 4711"))
            .await;
    assert_eq!(status, 400);
    let (_, _, document) = call(&app, reqwest::Method::GET, "/api/v1/openapi.json", None, None, None).await;
    let name = &document["components"]["schemas"]["NewAccount"]["properties"]["name"];
    assert_eq!((name["minLength"].as_u64(), name["maxLength"].as_u64()), (Some(1), Some(200)), "{name}");
    app.clock.advance(60);
    let (status, ..) =
        call(&app, reqwest::Method::POST, &format!("/api/v1/accounts/{id}/resend"), Some(&writer), None, None).await;
    assert_eq!(status, 200);
    app.deliver().await;
    assert_eq!(app.get(&app.browser(), &first_link).await.status(), 410);
    app.register(&app.browser(), &app.last_link_to("neu@praxis-beispiel.de"), "nneu").await;
    let (status, _, problem) =
        call(&app, reqwest::Method::POST, &format!("/api/v1/accounts/{id}/resend"), Some(&writer), None, None).await;
    assert_eq!(status, 409);
    assert_eq!(problem["title"], "Bereits registriert");
    let history = sprechstunde::security::audit::for_account(&app.state().db, &id, 50).await.unwrap();
    assert!(history.iter().any(|r| r.event == "account.created" && r.actor.starts_with("api-token:")));
}

async fn the_openapi_document_matches_the_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, _, spec) = call(&app, reqwest::Method::GET, "/api/v1/openapi.json", None, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    let writer = token(&app, &[Scope::AccountsWrite]).await;
    let (_, _, created) =
        call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(new_account()), None).await;
    let id = created["id"].as_str().unwrap();
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let url = format!("/api/v1{}", path.replace("{id}", id));
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let body = (method == reqwest::Method::POST && !path.contains("resend"))
                .then(|| json!({ "email": format!("x{operations}@praxis-beispiel.de"), "name": "X" }));
            let (status, ..) = call(&app, method.clone(), &url, Some(&writer), body, None).await;
            let documented: Vec<u16> =
                operation["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
            assert!(documented.contains(&status), "{method} {path} answered {status}, documented {documented:?}");
        }
    }
    assert_eq!(operations, 4);
    let (status, ..) = call(&app, reqwest::Method::GET, "/api/v1/nichts", Some(&writer), None, None).await;
    assert_eq!(status, 404, "undocumented paths do not exist");
    let (status, content_type, _) =
        call(&app, reqwest::Method::DELETE, "/api/v1/accounts", Some(&writer), None, None).await;
    assert_eq!((status, content_type.as_str()), (405, "application/problem+json"), "undocumented methods neither");
    let schema = &spec["components"]["schemas"]["Account"];
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for key in created.as_object().unwrap().keys() {
        assert!(required.contains(&key.as_str()), "{key} is not documented");
        assert!(schema["properties"][key].is_object());
    }
    let new_props: Vec<&String> =
        spec["components"]["schemas"]["NewAccount"]["properties"].as_object().unwrap().keys().collect();
    let all =
        json!({ "email": "alle@praxis-beispiel.de", "name": "Alle Felder", "language": "en", "edition": "standard" });
    assert_eq!(new_props.len(), all.as_object().unwrap().len());
    let (status, ..) = call(&app, reqwest::Method::POST, "/api/v1/accounts", Some(&writer), Some(all), None).await;
    assert_eq!(status, 201, "every documented request field is accepted");
}

/// Where `.ci/run` installs schemathesis (a venv from PyPI); `SPRECHSTUNDE_SCHEMATHESIS` names another.
fn schemathesis() -> std::path::PathBuf {
    std::env::var_os("SPRECHSTUNDE_SCHEMATHESIS").map(Into::into).unwrap_or_else(|| {
        std::path::Path::new(&std::env::var("HOME").unwrap()).join(".cache/sprechstunde/schemathesis/bin/schemathesis")
    })
}

/// Issue 18: the OpenAPI document and the API agree, as schemathesis sees it with every check (status codes,
/// content types, schema-valid data accepted and invalid data refused, the documented links between
/// operations followed statefully). Bounded: 50 examples per operation, a fixed seed, so CI is repeatable.
async fn schemathesis_finds_no_disagreement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = token(&app, &[Scope::AccountsRead, Scope::AccountsWrite]).await;
    let program = schemathesis();
    assert!(program.exists(), "{} is missing: run .ci/run, which installs schemathesis", program.display());
    let work = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(&program)
        .current_dir(work.path())
        .args(["run", &app.url("/api/v1/openapi.json"), "--checks", "all", "--max-examples", "50", "--seed", "1"])
        .args(["--url", &app.url("/api/v1"), "-H", &format!("Authorization: Bearer {secret}")])
        .args(["--max-response-time", "5", "--no-color"])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(std::time::Duration::from_secs(300), run).await.expect("within 5 minutes").unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("No issues found"), "{report}");
}

both_databases!(
    schemathesis_finds_no_disagreement,
    tokens_and_scopes_decide_everything,
    creating_accounts_idempotently,
    reading_searching_and_resending,
    the_openapi_document_matches_the_routes,
);

#[test]
fn api_tokens_at_the_command_line() {
    let _shared = crate::harness::shared_blocking();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
            .args(args)
            .env("SPRECHSTUNDE_DATA_DIR", dir.path())
            .env_remove("SPRECHSTUNDE_DATABASE_URL")
            .output()
            .unwrap()
    };
    let created = run(&["api-token", "create", "--name", "CRM", "--scope", "accounts:write"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let line: Value = serde_json::from_slice(&created.stdout).unwrap();
    let secret = line["token"].as_str().unwrap();
    assert!(secret.starts_with("sst_"));
    let listed = String::from_utf8(run(&["api-token", "list"]).stdout).unwrap();
    assert!(listed.contains("CRM") && listed.contains("accounts:write") && !listed.contains(secret));
    let id = line["id"].as_str().unwrap();
    assert!(run(&["api-token", "revoke", id]).status.success());
    assert!(!run(&["api-token", "revoke", id]).status.success(), "revoked once");
    assert!(String::from_utf8(run(&["api-token", "list"]).stdout).unwrap().contains("widerrufen"));
    let bad = run(&["api-token", "create", "--name", "X", "--scope", "alles"]);
    assert_eq!(bad.status.code(), Some(2));
}
