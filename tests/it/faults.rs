//! Issue 18 point 7: faults survived. The server killed with SIGKILL in the middle of registrations, API
//! creates and mail delivery; PostgreSQL away for ten seconds under load; a mail server that refuses and
//! then accepts; an SMS gateway that hangs.
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::appointments::{
    DATE, STARTS_AT, TIME, add_participant, create_appointment, guest_by_link, host, participant_id, until,
    waiting_ids, websocket,
};
use crate::both_databases;
use crate::harness::{Backend, DropDatabase, PASSWORD, TestApp, create_pg_database, read_mails};
use crate::mail::{free_port, smtp, start_smtp_server};

/// `sprechstunde serve` as its own process, on a fixed port, with mail to a real SMTP server.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Setup {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    port: u16,
    smtp_port: u16,
}

impl Setup {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sprechstunde"));
        command
            .args(args)
            .env("SPRECHSTUNDE_DATA_DIR", self.dir.path())
            .env("SPRECHSTUNDE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("SPRECHSTUNDE_PUBLIC_URL", self.base())
            .env("SPRECHSTUNDE_SMTP_HOST", "127.0.0.1")
            .env("SPRECHSTUNDE_SMTP_PORT", self.smtp_port.to_string())
            .env("SPRECHSTUNDE_SMTP_TLS", "none")
            .env("SPRECHSTUNDE_LOG", "warn");
        match &self.database_url {
            Some(url) => {
                command.env("SPRECHSTUNDE_DATABASE_URL", url);
                command.env("SPRECHSTUNDE_TOKEN_KEY", crate::harness::TEST_TOKEN_KEY);
            }
            None => {
                command.env_remove("SPRECHSTUNDE_DATABASE_URL");
            }
        }
        command
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn serve(&self) -> Server {
        let child =
            self.command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start the server");
        let server = Server { child };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/readyz", self.base())).send().await.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    async fn db(&self) -> sprechstunde::db::Db {
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.dir.path().join("sprechstunde.db").display()));
        sprechstunde::db::Db::connect(&url).await.unwrap()
    }
}

fn kill_9(server: &mut Server) {
    // SIGKILL: no shutdown, no flush; what is not committed is gone.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// One API create with its key; `None` when the connection broke (the server was killed).
async fn api_create(base: &str, token: &str, i: usize) -> Option<(u16, serde_json::Value)> {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("crm-{i}"))
        .json(&serde_json::json!({ "email": format!("api{i}@praxis-beispiel.de"), "name": format!("Dr. Api {i}") }))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

/// Opens the link and submits step 1; the status of that submission, `None` if the connection broke.
async fn register(base: &str, link: &str, i: usize) -> Option<u16> {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let opened = browser.get(link).send().await.ok()?;
    if opened.status() != 303 {
        return Some(opened.status().as_u16());
    }
    let username = format!("person{i}");
    let form = [("username", username.as_str()), ("password", PASSWORD), ("password_repeat", PASSWORD)];
    let done = browser.post(format!("{base}/registrierung")).header("origin", base).form(&form).send().await.ok()?;
    Some(done.status().as_u16())
}

async fn signs_in(base: &str, i: usize) -> bool {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let username = format!("person{i}");
    let form = [("username", username.as_str()), ("password", PASSWORD)];
    let answer = browser.post(format!("{base}/anmelden")).header("origin", base).form(&form).send().await.unwrap();
    answer.status() == 303
}

const REGISTRATIONS: usize = 12;
const CREATES: usize = 40;

/// SIGKILL while 12 people register, 40 API creates come in and their e-mails go out. After the restart:
/// every API create answers its retry with its account (no key stuck at 409, no account twice), every
/// registration either went through (the person can sign in) or can be done again, and every person got
/// exactly one e-mail — a message that was on its way when the process died is sent again with the same
/// Message-ID, so it shows once.
async fn a_killed_server_loses_nothing_and_sends_nothing_twice(backend: Backend) {
    let smtp_server = start_smtp_server().await;
    let (database_url, _drop) = match backend {
        Backend::Postgres => {
            let (url, pg) = create_pg_database().await;
            (Some(url), DropDatabase(Some(pg)))
        }
        Backend::Sqlite => (None, DropDatabase(None)),
    };
    let setup =
        Setup { dir: tempfile::tempdir().unwrap(), database_url, port: free_port(), smtp_port: smtp_server.port };
    let made = setup.command(&["api-token", "create", "--name", "CRM", "--scope", "accounts:write"]).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let token: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    for i in 0..REGISTRATIONS {
        let email = format!("person{i}@praxis-beispiel.de");
        let name = format!("Dr. Person {i}");
        let created = setup.command(&["account", "create", "--email", &email, "--name", &name]).output().unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    }
    let mut server = setup.serve().await;
    if backend == Backend::Sqlite {
        // One `serve` per SQLite file: a second one (which would free the first one's claims) is refused.
        let second =
            setup.command(&["serve"]).env("SPRECHSTUNDE_LISTEN", format!("127.0.0.1:{}", free_port())).output();
        let second = second.unwrap();
        assert!(!second.status.success());
        let said = String::from_utf8_lossy(&second.stderr);
        assert!(said.contains("wird schon von einem anderen `sprechstunde serve` benutzt"), "{said}");
    }
    let maildir = smtp_server.maildir.join("new");
    let mut links = vec![String::new(); REGISTRATIONS];
    let deadline = Instant::now() + Duration::from_secs(30);
    while links.iter().any(String::is_empty) && Instant::now() < deadline {
        for mail in read_mails(&maildir) {
            let to = mail.header("To").unwrap_or_default();
            if let Some(i) = (0..REGISTRATIONS).find(|i| to == format!("person{i}@praxis-beispiel.de")) {
                links[i] = mail.link().unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(links.iter().all(|l| !l.is_empty()), "every registration mail arrived");

    // The load, and SIGKILL once a third of it has been answered.
    let answered = Arc::new(AtomicUsize::new(0));
    let base = setup.base();
    let mut creates = Vec::new();
    for i in 0..CREATES {
        let (base, token, answered) = (base.clone(), token.clone(), answered.clone());
        creates.push(tokio::spawn(async move {
            let result = api_create(&base, &token, i).await;
            answered.fetch_add(1, Ordering::SeqCst);
            result
        }));
    }
    let mut registrations = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let (base, link, answered) = (base.clone(), link.clone(), answered.clone());
        registrations.push(tokio::spawn(async move {
            let result = register(&base, &link, i).await;
            answered.fetch_add(1, Ordering::SeqCst);
            result
        }));
    }
    let started = Instant::now();
    while answered.load(Ordering::SeqCst) < (CREATES + REGISTRATIONS) / 3 && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at_kill = answered.load(Ordering::SeqCst);
    kill_9(&mut server);
    let mut before = Vec::new();
    for task in creates {
        before.push(task.await.unwrap());
    }
    for task in registrations {
        task.await.unwrap();
    }
    let cut_off = before.iter().filter(|r| r.is_none()).count();
    println!("killed after {at_kill} of {} answers; {cut_off} API creates cut off", CREATES + REGISTRATIONS);

    let _server = setup.serve().await;
    for (i, earlier) in before.iter().enumerate() {
        let (status, account) = api_create(&base, &token, i).await.expect("an answer after the restart");
        assert!(status == 200 || status == 201, "retry {i}: {status} {account}");
        if let Some((200 | 201, first)) = earlier {
            assert_eq!(account["id"], first["id"], "retry {i} names the account it created");
        }
    }
    for i in 0..REGISTRATIONS {
        if !signs_in(&base, i).await {
            // Not registered before the kill: the link still works, and does now.
            assert_eq!(register(&base, &links[i], i).await, Some(303), "registration {i} again");
            assert!(signs_in(&base, i).await, "person {i} signs in");
        }
    }
    let db = setup.db().await;
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&db.pool).await.unwrap();
    assert_eq!(accounts, (CREATES + REGISTRATIONS) as i64, "every account once");

    // Every e-mail out, once. On PostgreSQL a message claimed by the killed process waits for its claim to
    // run out (2 minutes); on SQLite the new process frees it at the start.
    let deadline = Instant::now() + Duration::from_secs(if backend == Backend::Postgres { 150 } else { 30 });
    let pending = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    while pending().await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(pending().await, 0, "the outbox is empty");
    let mails = read_mails(&maildir);
    let mut by_recipient = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for mail in &mails {
        by_recipient.entry(mail.header("To").unwrap()).or_default().insert(mail.header("Message-ID").unwrap());
    }
    assert_eq!(by_recipient.len(), CREATES + REGISTRATIONS, "everyone got mail");
    for (to, ids) in &by_recipient {
        assert_eq!(ids.len(), 1, "{to} got one message, not two: {ids:?}");
    }
    let again = mails.len() - by_recipient.len();
    println!("{} mails, {again} of them sent again after the kill with the same Message-ID", mails.len());
    assert!(again <= 1, "only the message in flight is sent again");
    db.pool.close().await;
}

/// A TCP relay in front of PostgreSQL that the test can cut: every connection through it is dropped and
/// the port closed (connections refused), as when the database stops; restored, it listens again.
struct Cuttable {
    port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl Cuttable {
    async fn start(target: String) -> Cuttable {
        let port = free_port();
        let (up, mut watch) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            loop {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        _ = watch.wait_for(|up| !*up) => break,
                    };
                    let Ok((mut client, _)) = accepted else { return };
                    let (target, mut watch) = (target.clone(), watch.clone());
                    tokio::spawn(async move {
                        let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else { return };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = watch.wait_for(|up| !*up) => {}
                        }
                    });
                }
                drop(listener);
                if watch.wait_for(|up| *up).await.is_err() {
                    return;
                }
            }
        });
        Cuttable { port, up }
    }
}

/// PostgreSQL away for 10 s while two instances serve: pages answer within 4 s, and once the instance has
/// noticed at once, with the "vorübergehend nicht verfügbar" page (503, `Retry-After`), `/readyz` says so, and within 5 s after the database is
/// back everything works without a restart — including the live updates across instances (LISTEN/NOTIFY
/// reconnects), which a page's socket gets again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_away_for_ten_seconds() {
    let _shared = crate::harness::shared().await;
    let relay = Cuttable::start("127.0.0.1:5432".into()).await;
    let through = |url: &str| url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port), 1);
    let first = TestApp::spawn_with(Backend::Postgres, |c| c.database_url = through(&c.database_url)).await;
    let url = first.state().config.database_url.clone();
    let second = TestApp::spawn_with(Backend::Sqlite, |c| c.database_url = url).await;
    let (doctor, doctor_jar) = host(&first, "hanna.wolf@praxis-beispiel.de", "hwolf").await;
    let id = create_appointment(&first, &doctor, DATE, TIME).await;
    let anna = add_participant(&first, &doctor, &id, &[("name", "Anna Beispiel")]).await;
    first.clock.advance(STARTS_AT - first.clock.now());
    second.clock.advance(STARTS_AT - second.clock.now());
    let page = format!("/termine/{id}");
    assert_eq!(first.get(&doctor, &page).await.status(), 200);

    relay.up.send(false).unwrap();
    let away = Instant::now();
    while away.elapsed() < Duration::from_secs(10) {
        let asked = Instant::now();
        let answer = first.get(&doctor, &page).await;
        let took = asked.elapsed();
        let status = answer.status();
        let logs = crate::harness::logs();
        let errors: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(status, 503, "while the database is away: {errors:?}");
        assert!(took < Duration::from_secs(4), "answered in {took:?}");
        // Once the instance has noticed (its look every second waits at most 3 s), at once.
        if away.elapsed() > Duration::from_secs(5) {
            assert!(took < Duration::from_millis(500), "answered in {took:?} after the first seconds");
        }
        assert_eq!(answer.headers()["retry-after"], "5");
        assert!(answer.text().await.unwrap().contains("Vorübergehend nicht verfügbar"));
        assert_eq!(second.get(&second.browser(), "/readyz").await.status(), 503);
    }
    relay.up.send(true).unwrap();
    let back = Instant::now();
    loop {
        let ready = first.get(&first.browser(), "/readyz").await.status() == 200
            && second.get(&second.browser(), "/readyz").await.status() == 200
            && first.get(&doctor, &page).await.status() == 200;
        if ready {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(5), "everything works again within 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("working again {:?} after the database came back", back.elapsed());

    // A page's socket on the first instance learns of a guest who checks in on the second.
    let mut socket = websocket(&first, &format!("/ws?termin={id}"), &doctor_jar, &first.base).await.unwrap();
    let path = anna.link.replacen(&first.base, "", 1);
    guest_by_link(&second, &path).await;
    let pid = participant_id(&first, "Anna Beispiel").await;
    until(&mut socket, 10, |m| waiting_ids(m).contains(&pid)).await;
}

/// A mail server that refuses (nothing listens) and then accepts: the state is visible meanwhile, and the
/// mail goes out once it accepts, once.
async fn the_mail_server_refusing_then_accepting(backend: Backend) {
    let port = free_port();
    let app = TestApp::spawn_with(backend, |c| c.mail = smtp(port)).await;
    let account = app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    assert_eq!(app.deliver().await, 1);
    let overview = app.overview(&account.id).await;
    assert_eq!(overview.mail_status.as_deref(), Some("pending"), "waiting, visibly");
    assert!(overview.mail_error.is_some());
    let server = crate::mail::start_smtp_server_on(port).await;
    app.clock.advance(30);
    assert_eq!(app.deliver().await, 1);
    app.clock.advance(3600);
    assert_eq!(app.deliver().await, 0, "nothing left to send");
    assert_eq!(read_mails(&server.maildir.join("new")).len(), 1, "delivered once");
    assert_eq!(app.overview(&account.id).await.mail_status.as_deref(), Some("sent"));
}

/// An SMS gateway that hangs: the page that sends a code answers at once (the code goes through the
/// outbox), and the worker sends it again once the gateway answers.
async fn a_hanging_sms_gateway_keeps_no_page_waiting(backend: Backend) {
    let gateway = crate::recorder::Recorder::start().await;
    let url = format!("{}/sms", gateway.url);
    gateway.hang_next(1);
    let app = TestApp::spawn_full(
        backend,
        |c| {
            c.sms = sprechstunde::config::SmsTransport::Http { url, token: None };
            c.sms_timeout = Duration::from_secs(8);
        },
        true,
    )
    .await;
    let browser = app.registered("erika.muster@praxis-beispiel.de", "emuster").await;
    let asked = Instant::now();
    let sent = app.post(&browser, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let took = asked.elapsed();
    assert!(sent.status().is_redirection() || sent.status() == 200, "{}", sent.status());
    assert!(took < Duration::from_secs(4), "the page did not wait for the gateway (8 s): {took:?}");
    // The first attempt hangs until the 8 s timeout, and the page is there before it ends; the retry 30 s
    // later (the clock is the test's) goes through.
    let deadline = Instant::now() + Duration::from_secs(10);
    while gateway.requests().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gateway.requests().len(), 1, "the gateway got the code");
    let page = app.get(&browser, "/profil/zwei-faktor/aktivieren").await;
    assert!(page.text().await.unwrap().contains("name=\"code\""), "the code form is shown while the gateway hangs");
    let open: i64 =
        app.scalar_i64("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND channel <> $1", "email").await;
    assert_eq!(open, 1, "still on its way");
    // The attempt ends at the 8 s timeout and is recorded; only then does the clock move on (else the retry
    // would be due 30 s after the moved clock).
    let failed =
        || app.scalar_i64("SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL AND channel <> $1", "email");
    let deadline = Instant::now() + Duration::from_secs(20);
    while failed().await == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed().await, 1, "the hanging attempt timed out and was recorded");
    app.clock.advance(31);
    app.state().outbox_wakeup.notify_one();
    let deadline = Instant::now() + Duration::from_secs(10);
    while gateway.requests().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let requests = gateway.requests();
    assert_eq!(requests.len(), 2, "tried, timed out, sent again");
    assert_eq!(requests[0].body, requests[1].body, "the same code again");
}

both_databases!(
    a_killed_server_loses_nothing_and_sends_nothing_twice,
    the_mail_server_refusing_then_accepting,
    a_hanging_sms_gateway_keeps_no_page_waiting,
);
