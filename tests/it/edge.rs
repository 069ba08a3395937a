//! The edge of the service (issue 8, points 6 and 8): limits on every request and connection, a caught
//! panic, request ids in the logs, the client's address behind trusted proxies, TLS in `serve`.
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_databases;
use crate::harness::{Backend, PASSWORD, TestApp};

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection or `within` passes; `(closed, text read)`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (bool, String) {
    let mut text = Vec::new();
    let deadline = Instant::now() + within;
    let mut buffer = [0u8; 4096];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (true, String::from_utf8_lossy(&text).into_owned()),
            Ok(Ok(n)) => text.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    (false, String::from_utf8_lossy(&text).into_owned())
}

fn short_timeouts(config: &mut sprechstunde::config::Config) {
    config.http.request_timeout = Duration::from_secs(1);
    config.http.header_timeout = Duration::from_secs(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickling_in_gets_the_timeout_page() {
    let _shared = crate::harness::shared().await;
    let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /anmelden HTTP/1.1\r\nHost: x\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 100\r\n\r\n",
        app.base
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for _ in 0..30 {
            if stream.write_all(b"u").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    trickle.await;
    let (_, answer) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("Die Anfrage hat zu lange gedauert"), "the error page, not a dropped connection");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let _shared = crate::harness::shared().await;
    let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
    // One header byte every 300 ms: closed after the header timeout, not held forever.
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let mut closed = false;
    for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let (gone, _) = read_until_closed(&mut slow, Duration::from_millis(300)).await;
        if gone {
            closed = true;
            break;
        }
    }
    assert!(closed, "a client trickling its headers is cut off");
    assert!(started.elapsed() < Duration::from_secs(4), "within about the header timeout: {:?}", started.elapsed());
    // A kept-alive connection that sits idle after its request is closed as well.
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let started = Instant::now();
    let (closed, answer) = read_until_closed(&mut idle, Duration::from_secs(4)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "idle keep-alive connection closed");
    assert!(started.elapsed() >= Duration::from_millis(900), "but only after the timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_limited_per_route_class() {
    let _shared = crate::harness::shared().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let big_form = app
        .browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .form(&[("username", "x".repeat(20_000)), ("password", "y".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(big_form.status(), 413);
    assert!(big_form.text().await.unwrap().contains("Es wurden mehr Daten gesendet, als dieses Formular annimmt"));
    let token = sprechstunde::api::tokens::create(
        &app.state().db,
        &app.state().token_key,
        "Verwaltung",
        &[sprechstunde::api::tokens::Scope::AccountsWrite],
        0,
    )
    .await
    .unwrap()
    .1;
    let post_json = |size: usize| {
        let body = serde_json::json!({ "email": "neu@praxis-beispiel.de", "name": "N", "padding": "p".repeat(size) });
        app.browser()
            .post(app.url("/api/v1/accounts"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let huge = post_json(100_000).await.unwrap();
    assert_eq!(huge.status(), 413);
    assert_eq!(huge.headers()["content-type"], "application/problem+json");
    assert_eq!(huge.json::<Value>().await.unwrap()["title"], "Anfrage zu groß");
    // 30 kB is over the forms' limit but within the API's: it is read (and refused for its content).
    let within = post_json(30_000).await.unwrap();
    assert_ne!(within.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_the_error_page_with_one_log_line_and_every_line_has_the_request_id() {
    let _shared = crate::harness::shared().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let marker = sprechstunde::security::token::new_id();
    let message = format!("absichtlicher Testfehler {marker}");
    let routes = sprechstunde::app::routes().route(
        "/test/panik",
        axum::routing::get(move || {
            let message = message.clone();
            async move {
                tracing::info!("vor dem Fehler {}", &message[..]);
                if !message.is_empty() {
                    panic!("{message}");
                }
                "nie"
            }
        }),
    );
    let router = sprechstunde::app::edge(routes, app.state().clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, signal) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(sprechstunde::server::run(listener, router, None, Duration::from_secs(5), signal));
    let browser = app.browser();
    let panicked = browser.get(format!("{base}/test/panik")).send().await.unwrap();
    assert_eq!(panicked.status(), 500);
    let id = panicked.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    assert!(panicked.text().await.unwrap().contains("Ein Fehler ist aufgetreten"));
    assert_eq!(browser.get(format!("{base}/healthz")).send().await.unwrap().status(), 200, "the server goes on");
    let logs = crate::harness::logs();
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(&marker)).collect();
    assert_eq!(lines.len(), 2, "the handler's line and exactly one line for the panic: {lines:#?}");
    assert!(lines.iter().all(|line| line.contains(&format!("request{{id={id}}}"))), "{lines:#?}");
    assert!(lines[1].contains("Programmfehler"));
    let _ = stop.send(true);
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_sent_by_the_client_is_not_taken() {
    let _shared = crate::harness::shared().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let answer = app.browser().get(app.url("/anmelden")).header("x-request-id", "gefälscht").send().await.unwrap();
    let id = answer.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "gefälscht");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
}

/// A wrong password for `username`, sent with `X-Forwarded-For: forwarded_for`.
async fn failed_login_from(app: &TestApp, forwarded_for: &str, username: &str) -> u16 {
    app.browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .header("x-forwarded-for", forwarded_for)
        .form(&[("username", username), ("password", "falsch")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn behind_a_trusted_proxy_each_client_has_its_own_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    // 20 failures from one client behind the proxy use up that client's free attempts …
    for n in 0..20 {
        assert_eq!(failed_login_from(&app, "203.0.113.7", &format!("user{n}")).await, 401);
    }
    assert_eq!(failed_login_from(&app, "203.0.113.7", "user99").await, 429, "this client waits");
    // … but not those of the practice next door behind the same proxy.
    let other = app
        .browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .header("x-forwarded-for", "198.51.100.23")
        .form(&[("username", "emuster"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 303);
    let account = app.state().db.pool.clone();
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT client_addr FROM audit_log WHERE event = 'login.password' ORDER BY at, id")
            .fetch_all(&account)
            .await
            .unwrap();
    assert!(addresses.iter().any(|a| a == "203.0.113.7"));
    assert!(addresses.iter().any(|a| a == "198.51.100.23"), "the audit log names the real client");
    assert!(!addresses.iter().any(|a| a == "127.0.0.1"), "never the proxy: {addresses:?}");
    // The proxy writes X-Forwarded-For and passes a client's own Forwarded header on: that one is ignored.
    let smuggled = app
        .browser()
        .post(app.url("/anmelden"))
        .header("origin", &app.base)
        .header("forwarded", "for=6.6.6.6")
        .header("x-forwarded-for", "198.51.100.99")
        .form(&[("username", "niemand"), ("password", "falsch")])
        .send()
        .await
        .unwrap();
    assert_eq!(smuggled.status(), 401);
    let addresses: Vec<String> = sqlx::query_scalar("SELECT client_addr FROM audit_log WHERE event = 'login.password'")
        .fetch_all(&account)
        .await
        .unwrap();
    assert!(addresses.iter().any(|a| a == "198.51.100.99"));
    assert!(!addresses.iter().any(|a| a == "6.6.6.6"), "{addresses:?}");
}

async fn from_an_untrusted_sender_forwarding_headers_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Without trusted proxies a new X-Forwarded-For per attempt does not give new free attempts.
    for n in 0..20 {
        assert_eq!(failed_login_from(&app, &format!("203.0.113.{n}"), &format!("user{n}")).await, 401);
    }
    assert_eq!(failed_login_from(&app, "198.51.100.1", "user99").await, 429);
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT client_addr FROM audit_log WHERE event = 'login.password'")
            .fetch_all(&app.state().db.pool)
            .await
            .unwrap();
    assert_eq!(addresses, ["127.0.0.1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_terminates_tls_itself() {
    let _shared = crate::harness::shared().await;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(dir.path().join("leaf.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    // A test CA and a certificate for localhost signed by it.
    let steps: Vec<Vec<String>> = vec![
        [
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=Test-CA", "-keyout", &file("ca.key"), "-out", &file("ca.pem")],
        ]
        .concat(),
        [&["req"][..], &ec, &["-subj", "/CN=localhost", "-keyout", &file("key.pem"), "-out", &file("leaf.csr")]]
            .concat(),
        vec!["x509", "-req", "-in", &file("leaf.csr"), "-CA", &file("ca.pem"), "-CAkey", &file("ca.key")]
            .into_iter()
            .chain(["-CAcreateserial", "-days", "2", "-extfile", &file("leaf.ext"), "-out", &file("cert.pem")])
            .collect(),
    ]
    .into_iter()
    .map(|args| args.iter().map(|a| a.to_string()).collect())
    .collect();
    for args in steps {
        let made = std::process::Command::new("openssl").args(&args).output().expect("openssl is installed");
        assert!(made.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&made.stderr));
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.http.tls = Some(sprechstunde::config::TlsFiles { cert: cert.clone(), key: key.clone() });
        c.public_url = c.public_url.replace("http://127.0.0.1", "https://localhost");
    })
    .await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let root = reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let page = client.get(format!("https://localhost:{port}/anmelden")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("strict-transport-security"));
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.is_err(), "plain HTTP is not answered on the TLS port");
}

both_databases!(
    behind_a_trusted_proxy_each_client_has_its_own_address,
    from_an_untrusted_sender_forwarding_headers_are_ignored
);
