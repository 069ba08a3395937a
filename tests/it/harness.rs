//! `TestApp`: the real server on 127.0.0.1:0 with a fresh database (an SQLite file, or a new PostgreSQL
//! database from `SPRECHSTUNDE_TEST_DATABASE_URL`), a manual clock, and helpers per action.
use std::path::PathBuf;

use base64::Engine;
use reqwest::redirect::Policy;
use sprechstunde::accounts::{self, Account, NewAccount};
use sprechstunde::app::{App, Options};
use sprechstunde::clock::Clock;
use sprechstunde::config::Config;
use sprechstunde::state::AppState;
use sprechstunde::web::i18n::Lang;
use sqlx::Connection;

/// Runs one test body against both databases: `both_databases!(name);` for `async fn name(Backend)`.
/// `both_databases!(alone: name);` runs it with nothing else at the same time (timing tests).
#[macro_export]
macro_rules! both_databases {
    (alone: $($name:ident),* $(,)?) => { $crate::both_databases!(@with exclusive; $($name),*); };
    (@with $lock:ident; $($name:ident),*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let _turn = $crate::harness::$lock().await;
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let _turn = $crate::harness::$lock().await;
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )*};
    ($($name:ident),* $(,)?) => { $crate::both_databases!(@with shared; $($name),*); };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// 2026-11-02 09:00:00 UTC, so that tests do not depend on today's date.
pub const START: i64 = 1_793_610_000;
pub const PASSWORD: &str = "Leuchtturm am Deich 7";
pub const SERVICE_PIN: &str = "583021";
pub const MOBILE: &str = "+491711234567";

pub struct TestApp {
    pub base: String,
    pub app: Option<App>,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

fn postgres_admin_url() -> String {
    std::env::var("SPRECHSTUNDE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = &base[..base.rfind('/').expect("database URL has a path")];
    match query {
        Some(q) => format!("{prefix}/{database}?{q}"),
        None => format!("{prefix}/{database}"),
    }
}

/// Everything every test in this binary logged (at debug level), to check that no secret is ever logged.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            // The test clients (reqwest, its cookie jar) are not the service: their logs are left out.
            .with_env_filter("debug,cookie_store=off,reqwest=off")
            .with_ansi(false)
            .without_time()
            .with_writer(|| LogWriter)
            .try_init();
        // As in the service, a panic is logged; the test runner's own report follows as usual.
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            sprechstunde::cli::log_panic(info);
            report(info);
        }));
    });
}

static ALONE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Tests that drive Chromium, or measure timing, hold this while they run, so nothing else runs at the same
/// time: on two cores, browsers encoding video and tests filling the hashing threads starve each other, and
/// WebRTC connections or timings then fail for reasons that are not the product's.
pub async fn exclusive() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    ALONE.write().await
}

/// Every other test (all of `both_databases!`) holds this: any number of them run together.
pub async fn shared() -> tokio::sync::RwLockReadGuard<'static, ()> {
    ALONE.read().await
}

/// `shared` for the plain tests that run the command line: those hash passwords or seed thousands of
/// accounts, and beside a browser on a poor line they starve its sound (the Firefox patient's test failed
/// only in full runs, once with 72 % concealed).
pub fn shared_blocking() -> tokio::sync::RwLockReadGuard<'static, ()> {
    ALONE.blocking_read()
}

pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

/// The token key of every test instance on PostgreSQL (Base64 of 32 bytes).
pub const TEST_TOKEN_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=";

/// Instances on one PostgreSQL database must share their token key (SQLite makes one in the data folder).
pub fn share_the_test_key(config: &mut Config) {
    if config.database_url.starts_with("postgres") && config.token_key.is_none() {
        config.token_key = Some(sprechstunde::config::Secret::new(TEST_TOKEN_KEY));
    }
}

/// One form post from one browser: (browser, path, fields).
pub type Post<'a> = (reqwest::Client, &'a str, Vec<(String, String)>);

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_full(backend, adjust, false).await
    }

    /// With the background delivery worker running, as `sprechstunde serve` has it.
    pub async fn spawn_full(backend: Backend, adjust: impl FnOnce(&mut Config), run_worker: bool) -> TestApp {
        capture_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let mut config = Config::defaults_in(dir.path());
        config.listen = addr;
        config.public_url = format!("http://{addr}");
        config.support.email = "support@praxis-service.example".into();
        let mut pg_database = None;
        if backend == Backend::Postgres {
            let (url, admin_and_name) = create_pg_database().await;
            config.database_url = url;
            pg_database = Some(admin_and_name);
        }
        adjust(&mut config);
        share_the_test_key(&mut config);
        let clock = Clock::manual(START);
        let state = AppState::new(config, clock.clone()).await.expect("app state");
        let app = App::start(state, listener, Options { run_worker }).await.expect("start");
        TestApp { base: format!("http://{addr}"), app: Some(app), clock, dir, pg_database }
    }

    /// Stops the server and starts it again on the same data and address with changed settings.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) {
        let app = self.app.take().expect("running");
        let mut config = app.state.config.clone();
        app.stop().await;
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind(config.listen).await.expect("rebind the same port");
        let state = AppState::new(config, self.clock.clone()).await.expect("app state");
        self.app = Some(App::start(state, listener, Options { run_worker: false }).await.expect("start"));
    }

    pub fn state(&self) -> &AppState {
        &self.app.as_ref().unwrap().state
    }

    /// A new browser: its own cookie jar, redirects not followed (tests look at each step).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create_account(&self, email: &str, name: &str) -> Account {
        self.create_account_in(email, name, Lang::De).await
    }

    pub async fn create_account_in(&self, email: &str, name: &str, language: Lang) -> Account {
        accounts::create(
            self.state(),
            NewAccount { email: email.into(), name: name.into(), language, edition: None, role: accounts::Role::User },
            sprechstunde::security::audit::Actor::Operator,
        )
        .await
        .expect("create account")
    }

    /// What the background worker would do now.
    pub async fn deliver(&self) -> usize {
        sprechstunde::notify::worker::deliver_due(self.state()).await.expect("deliver")
    }

    /// Creates an account, delivers its e-mail, returns the link from it.
    pub async fn invite(&self, email: &str) -> String {
        self.create_account(email, "Dr. Erika Muster").await;
        self.deliver().await;
        // With the background worker running (`spawn_full`), it may have taken the mail and be writing it.
        for _ in 0..50 {
            if self.mails().iter().any(|m| m.raw.contains(&format!("To: {email}"))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.last_link_to(email)
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("outbox").join("mail")
    }

    /// Delivered messages (file transport), oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        read_mails(&self.mail_dir())
    }

    pub fn last_link_to(&self, email: &str) -> String {
        let mail = self
            .mails()
            .into_iter()
            .rfind(|m| m.raw.contains(&format!("To: {email}")))
            .unwrap_or_else(|| panic!("no mail to {email}"));
        mail.link().expect("registration link in mail")
    }

    pub async fn get(&self, browser: &reqwest::Client, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") { path_or_url.to_owned() } else { self.url(path_or_url) };
        browser.get(&url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e:?}"))
    }

    pub async fn post(&self, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        browser
            .post(self.url(path))
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e:?}"))
    }

    /// Sends all the form posts at once, each from its browser, and returns the answers in order.
    pub async fn post_all_at_once(&self, posts: Vec<Post<'_>>) -> Vec<reqwest::Response> {
        let tasks: Vec<_> = posts
            .into_iter()
            .map(|(browser, path, form)| {
                let request = browser.post(self.url(path)).header("origin", &self.base).form(&form);
                tokio::spawn(async move { request.send().await })
            })
            .collect();
        let mut responses = Vec::new();
        for task in tasks {
            responses.push(task.await.expect("request task").expect("POST"));
        }
        responses
    }

    /// Opens the link (303 to the wizard) and submits step 1.
    pub async fn register(&self, browser: &reqwest::Client, link: &str, username: &str) -> reqwest::Response {
        let opened = self.get(browser, link).await;
        assert_eq!(opened.status(), 303, "link should open the wizard: {link}");
        let response = self
            .post(
                browser,
                "/registrierung",
                &[("username", username), ("password", PASSWORD), ("password_repeat", PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), 303, "step 1 for {username}");
        response
    }

    /// An account in the given edition, its e-mail delivered; returns the link.
    pub async fn invite_in_edition(&self, email: &str, edition: &str) -> String {
        let new = NewAccount {
            email: email.into(),
            name: "Dr. Erika Muster".into(),
            language: Lang::De,
            edition: Some(edition.into()),
            role: accounts::Role::User,
        };
        accounts::create(self.state(), new, sprechstunde::security::audit::Actor::Operator)
            .await
            .expect("create account");
        self.deliver().await;
        self.last_link_to(email)
    }

    /// A registered account (default edition: PIN set, 2FA postponed, visibility chosen), signed in.
    pub async fn registered(&self, email: &str, username: &str) -> reqwest::Client {
        let link = self.invite(email).await;
        let browser = self.browser();
        let done = self.register(&browser, &link, username).await;
        assert_eq!(done.status(), 303);
        self.finish_wizard(&browser).await;
        browser
    }

    /// A fully registered account with this name, signed in; visible in the contact search if asked.
    pub async fn member(&self, email: &str, name: &str, username: &str, visible: bool) -> reqwest::Client {
        self.create_account(email, name).await;
        self.deliver().await;
        let browser = self.browser();
        self.register(&browser, &self.last_link_to(email), username).await;
        self.finish_wizard(&browser).await;
        if visible {
            let saved = self.post(&browser, "/profil/sichtbarkeit", &[("visible", "ja")]).await;
            assert_eq!(saved.status(), 303);
        }
        browser
    }

    /// Walks through whatever wizard steps are open, the simplest way: a PIN, "Später aktivieren", not visible.
    pub async fn finish_wizard(&self, browser: &reqwest::Client) {
        for _ in 0..5 {
            let here = self.get(browser, "/").await;
            if here.status() == 200 {
                return;
            }
            let location = here.headers()["location"].to_str().unwrap().to_owned();
            let response = match location.as_str() {
                "/registrierung/service-pin" => {
                    assert_eq!(self.post(browser, &location, &[("pin", SERVICE_PIN)]).await.status(), 200);
                    self.post(
                        browser,
                        "/registrierung/service-pin/bestaetigen",
                        &[("pin", SERVICE_PIN), ("confirmed", "ja")],
                    )
                    .await
                }
                "/registrierung/zwei-faktor" => self.post(browser, "/registrierung/zwei-faktor/spaeter", &[]).await,
                "/registrierung/sichtbarkeit" => self.post(browser, &location, &[]).await,
                other => panic!("unexpected wizard step {other}"),
            };
            assert_eq!(response.status(), 303, "{location}");
        }
        panic!("the wizard did not end");
    }

    /// The files the SMS file transport wrote, oldest first: (to, text).
    pub fn sms(&self) -> Vec<(String, String)> {
        let dir = self.dir.path().join("outbox").join("sms");
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut names: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        names.sort();
        names
            .into_iter()
            .map(|path| {
                let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
                (value["to"].as_str().unwrap().to_owned(), value["text"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    /// The code in the latest SMS to this number.
    pub async fn last_code_to(&self, phone: &str) -> String {
        self.deliver().await;
        let (_, text) = self.sms().into_iter().rfind(|(to, _)| to == phone).expect("an SMS to that number");
        text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 8).expect("8-digit code").to_owned()
    }

    pub async fn overview(&self, account_id: &str) -> sprechstunde::accounts::store::Overview {
        sprechstunde::accounts::store::overview(&self.state().db, account_id, self.clock.now())
            .await
            .expect("query")
            .expect("account exists")
    }

    pub async fn scalar_i64(&self, sql: &'static str, bind: &str) -> i64 {
        sqlx::query_scalar(sql).bind(bind.to_owned()).fetch_one(&self.state().db.pool).await.expect("query")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let app = self.app.take();
        let Some((admin, name)) = self.pg_database.take() else {
            return;
        };
        drop_pg_database(admin, name, app.map(|app| app.state.db.pool.clone()));
    }
}

/// A new, empty PostgreSQL database for one test: its URL, and (admin URL, name) to drop it afterwards.
pub async fn create_pg_database() -> (String, (String, String)) {
    let admin = postgres_admin_url();
    let name = format!("spr_test_{}", sprechstunde::security::token::new_id());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required for the tests ({admin}): {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    (with_database(&admin, &name), (admin, name))
}

/// Drops a database from `create_pg_database` when the test ends, passed or failed.
pub struct DropDatabase(pub Option<(String, String)>);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.0.take() {
            drop_pg_database(admin, name, None);
        }
    }
}

/// Closes `pool` (if any) and drops the database. Needs a runtime of its own, as the test's may be ending.
pub fn drop_pg_database(admin: String, name: String, pool: Option<sqlx::AnyPool>) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            if let Some(pool) = pool {
                pool.close().await;
            }
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut conn)
                    .await;
            }
        });
    })
    .join()
    .ok();
}

pub struct Mail {
    pub raw: String,
}

pub fn read_mails(dir: &std::path::Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
        .collect();
    files.sort();
    files.into_iter().map(|(_, path)| Mail { raw: std::fs::read_to_string(path).unwrap() }).collect()
}

impl Mail {
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// A header of the message (unfolded and decoded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.replace("\r\n", "\n");
        let head = head.split("\n\n").next().unwrap_or_default().replace("\n ", " ").replace("\n\t", " ");
        head.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).map(decode_header)
    }

    /// The decoded body of the part with the given content type (`text/plain` or `text/html`).
    pub fn part(&self, content_type: &str) -> String {
        let raw = self.raw.replace("\r\n", "\n");
        let start =
            raw.find(&format!("Content-Type: {content_type}")).unwrap_or_else(|| panic!("no {content_type} part"));
        let part = &raw[start..];
        let (headers, body) = part.split_once("\n\n").expect("part body");
        // The part ends at the next boundary line: "\n--" alone would also match inside an encoded link whose
        // token has "--" right after a soft line break.
        let boundaries: Vec<&str> =
            raw.split("boundary=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
        let end = boundaries.iter().filter_map(|b| body.find(&format!("\n--{b}"))).min().unwrap_or(body.len());
        let body = &body[..end];
        if headers.contains("Content-Transfer-Encoding: base64") {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
        } else if headers.contains("Content-Transfer-Encoding: quoted-printable") {
            decode_quoted_printable(body)
        } else {
            body.to_owned()
        }
    }

    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    pub fn link(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("http")?;
        let end = text[start..].find(char::is_whitespace).map_or(text.len(), |e| start + e);
        Some(text[start..end].to_owned())
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Decodes `=?utf-8?b?…?=` encoded words (lettre encodes subjects with umlauts that way).
/// RFC 2047: encoded words decoded; the space between two encoded words is not part of the text.
fn decode_header(value: &str) -> String {
    let mut decoded = String::new();
    let mut last_encoded = false;
    for word in value.split_whitespace() {
        let encoded = word.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?="));
        let joined_to_last = last_encoded && encoded.is_some();
        if !decoded.is_empty() && !joined_to_last {
            decoded.push(' ');
        }
        match encoded {
            Some(encoded) => decoded.push_str(
                &String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap(),
            ),
            None => decoded.push_str(word),
        }
        last_encoded = encoded.is_some();
    }
    decoded
}
