//! Delivery through the outbox: a real SMTP server (Debian's python3-aiosmtpd), retries, visible failures.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::both_databases;
use crate::harness::{Backend, TestApp, read_mails};
use sprechstunde::config::{MailTransport, SmtpTls};
use sprechstunde::notify::outbox::MAX_ATTEMPTS;

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn start_smtp_server() -> SmtpServer {
    start_smtp_server_on(free_port()).await
}

pub async fn start_smtp_server_on(port: u16) -> SmtpServer {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let child = Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3-aiosmtpd is required for the tests (apt-get install python3-aiosmtpd)");
    let server = SmtpServer { child, port, maildir, _dir: dir };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SMTP test server did not start");
}

pub fn smtp(port: u16) -> MailTransport {
    MailTransport::Smtp { host: "127.0.0.1".into(), port, tls: SmtpTls::None, user: None, password: None }
}

async fn registration_mail_goes_through_a_real_smtp_server(backend: Backend) {
    let server = start_smtp_server().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail = smtp(server.port);
        c.mail_from = "Praxis-Service <no-reply@praxis-service.example>".into();
    })
    .await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    assert_eq!(app.deliver().await, 1);
    let mails = read_mails(&server.maildir.join("new"));
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.raw.contains("To: erika.muster@praxis-beispiel.de"));
    assert!(mail.raw.contains("From: Praxis-Service <no-reply@praxis-service.example>"), "{}", mail.raw);
    assert_eq!(mail.subject(), "Ihre Registrierung für die Videosprechstunde");
    let link = mail.link().unwrap();
    assert_eq!(app.get(&app.browser(), &link).await.status(), 303);
    let overview = sprechstunde::accounts::store::list(&app.state().db, app.clock.now()).await.unwrap();
    assert_eq!(overview[0].mail_status.as_deref(), Some("sent"));
    assert_eq!(overview[0].link_sent_at, Some(app.clock.now()));
    assert_eq!(overview[0].link_expires_at, Some(app.clock.now() + 14 * 86_400));
}

async fn an_unreachable_mail_server_gets_retries_and_then_a_visible_failure(backend: Backend) {
    let port = free_port(); // nothing listens there
    let app = TestApp::spawn_with(backend, |c| c.mail = smtp(port)).await;
    let account = app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    assert_eq!(app.deliver().await, 1);
    let overview = app.overview(&account.id).await;
    assert_eq!(overview.mail_status.as_deref(), Some("pending"));
    assert_eq!(overview.mail_attempts, Some(1));
    assert!(overview.mail_error.is_some());
    assert_eq!(overview.link_sent_at, None, "the link's validity has not started");
    assert_eq!(app.deliver().await, 0, "not again before the backoff");
    app.clock.advance(30);
    assert_eq!(app.deliver().await, 1, "again after 30 s");
    for _ in 2..MAX_ATTEMPTS {
        app.clock.advance(3600);
        assert_eq!(app.deliver().await, 1);
    }
    let overview = app.overview(&account.id).await;
    assert_eq!(overview.mail_status.as_deref(), Some("failed"));
    assert_eq!(overview.mail_attempts, Some(MAX_ATTEMPTS));
    app.clock.advance(86_400);
    assert_eq!(app.deliver().await, 0, "given up, but visible – never silently dropped");
    // Support's answer: a resend queues a fresh message.
    sprechstunde::accounts::resend(app.state(), &account.id, sprechstunde::security::audit::Actor::Operator)
        .await
        .unwrap();
    let overview = app.overview(&account.id).await;
    assert_eq!(overview.mail_status.as_deref(), Some("pending"));
}

async fn the_background_worker_delivers_without_being_asked(backend: Backend) {
    let app = TestApp::spawn_full(backend, |_| {}, true).await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    for _ in 0..50 {
        if !app.mails().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.mails().len(), 1, "delivered within 5 s");
}

both_databases!(
    registration_mail_goes_through_a_real_smtp_server,
    an_unreachable_mail_server_gets_retries_and_then_a_visible_failure,
    the_background_worker_delivers_without_being_asked,
);

async fn links_are_never_logged_when_mail_goes_over_smtp(backend: Backend) {
    let server = start_smtp_server().await;
    let app = TestApp::spawn_with(backend, |c| c.mail = smtp(server.port)).await;
    app.create_account("smtp.log@praxis-beispiel.de", "Dr. Erika Muster").await;
    assert_eq!(app.deliver().await, 1);
    let link = read_mails(&server.maildir.join("new"))[0].link().unwrap();
    let token = link.rsplit('/').next().unwrap();
    let logs = crate::harness::logs();
    assert!(logs.contains("Nachricht zugestellt"));
    assert!(!logs.contains(token), "a token was logged while SMTP is in use");
}

both_databases!(links_are_never_logged_when_mail_goes_over_smtp);

async fn a_late_worker_cannot_overwrite_a_newer_result(backend: Backend) {
    use sprechstunde::notify::outbox;
    let app = TestApp::spawn(backend).await;
    app.create_account("erika.muster@praxis-beispiel.de", "Dr. Erika Muster").await;
    let db = &app.state().db;
    let slow = outbox::claim_next(db, app.clock.now()).await.unwrap().expect("due");
    app.clock.advance(121); // the first worker's claim runs out
    let fresh = outbox::claim_next(db, app.clock.now()).await.unwrap().expect("claimable again");
    assert_eq!(fresh.id, slow.id);
    outbox::mark_sent(db, &fresh, app.clock.now(), 86_400).await.unwrap();
    outbox::mark_failed_attempt(db, &slow, "timeout", app.clock.now()).await.unwrap();
    let status: String =
        sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1").bind(&slow.id).fetch_one(&db.pool).await.unwrap();
    assert_eq!(status, "sent", "the late failure does not undo the delivery");
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM outbox WHERE id = $1")
        .bind(&slow.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(error, None);
}

both_databases!(a_late_worker_cannot_overwrite_a_newer_result);
