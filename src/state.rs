//! What every request and worker shares: settings, database, clock, hasher, mail and SMS senders,
//! limiters. Built from leaf modules only, so every feature can depend on it without depending on the
//! application that composes them (`app`).
use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::notify::mail::Mailer;
use crate::security::rate_limit::RateLimiter;

/// Access-code entries: a practice behind one router may have several guests typing at once; a guesser
/// gets 20 tries per quarter hour per address (per /64 network for IPv6, where one line has billions; 100
/// per /48 site), and all guessers together at most 600 a minute (on PostgreSQL across all instances).
/// Nothing is counted per code, so wrong tries by others never lock out the person whose code is right. With V codes valid at a time out of 31^10, a day
/// at the global cap finds one with probability at most 864,000 · V / 8.2·10^14 (V = 1,000: about 10^-6).
pub const CODE_ENTRIES_PER_ADDRESS: u32 = 20;
pub const CODE_ENTRY_WINDOW: i64 = 15 * 60;
pub const CODE_ENTRIES_EVERYWHERE: u32 = 600;
/// Per IPv6 /48 (a site: 65,536 /64 networks), so that one site cannot use up the global cap alone.
pub const CODE_ENTRIES_PER_SITE: u32 = 100;
pub const CODE_ENTRIES_EVERYWHERE_WINDOW: i64 = 60;
/// "Passwort vergessen?" and "Benutzername vergessen?" requests per client address and hour (a practice
/// behind one router has room; a script probing addresses does not). Per account, fewer mails go out.
pub const RECOVERY_REQUESTS_PER_ADDRESS: u32 = 10;
/// Links opened by their token (`/t/…`, `/weiter/…`, `/registrierung/…`, `/passwort-vergessen/…`) per client
/// network and minute: a family or a practice opens a few; someone trying tokens opens thousands (3,000
/// unknown links once took 4.4 s and wrote 3,300 audit rows).
pub const LINK_OPENINGS_PER_MINUTE: u32 = 60;

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub clock: Clock,
    pub hasher: crate::security::hashing::Hasher,
    /// Link tokens, access codes and SMS codes are stored hashed under this key.
    pub token_key: crate::security::token_key::TokenKey,
    pub mailer: Mailer,
    pub sms: crate::notify::sms::SmsSender,
    /// Rung after a commit that queued a message, so the worker does not wait for its next poll.
    pub outbox_wakeup: Notify,
    pub username_checks: RateLimiter,
    pub contact_searches: RateLimiter,
    pub recovery_requests: RateLimiter,
    /// Password checks queue here per username (or account), one at a time, see `accounts::throttle`.
    pub login_gate: crate::security::gate::Gate,
    /// … and per client address, a few at a time.
    pub address_gate: crate::security::gate::Gate,
    /// Access-code entries per client address (network), and from everywhere together.
    pub code_entries_by_address: RateLimiter,
    pub code_entries_everywhere: RateLimiter,
    pub code_entries_by_site: RateLimiter,
    pub link_openings: RateLimiter,
    /// Anonymous failures (unknown links, refused code entries) reach the audit log at most once per
    /// client address, kind and minute.
    pub audit_sampler: crate::security::audit::Sampler,
    /// Waiting-room and host pages learn of changes here (see `live`).
    pub live: Arc<crate::live::Live>,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Connects to the database and brings its schema up to date.
    pub async fn new(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let token_key = crate::security::token_key::TokenKey::load(&config)?;
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        crate::security::token_key::adopt(&db, &token_key).await?;
        let mailer = Mailer::from_config(&config).map_err(anyhow::Error::msg)?;
        let sms = crate::notify::sms::SmsSender::from_config(&config).map_err(anyhow::Error::msg)?;
        let hashing_threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(AppState(Arc::new(Inner {
            config,
            db,
            clock,
            hasher: crate::security::hashing::Hasher::new(hashing_threads),
            token_key,
            mailer,
            sms,
            outbox_wakeup: Notify::new(),
            username_checks: RateLimiter::new("username", 60, 300),
            contact_searches: RateLimiter::new("search", 60, 60),
            recovery_requests: RateLimiter::new("recovery", RECOVERY_REQUESTS_PER_ADDRESS, 3600),
            login_gate: crate::security::gate::Gate::new(1),
            // A few at once: enough for a practice behind one router, too few for a burst to outrun the count.
            address_gate: crate::security::gate::Gate::new(4),
            code_entries_by_address: RateLimiter::new("code", CODE_ENTRIES_PER_ADDRESS, CODE_ENTRY_WINDOW),
            code_entries_everywhere: RateLimiter::new(
                "code-all",
                CODE_ENTRIES_EVERYWHERE,
                CODE_ENTRIES_EVERYWHERE_WINDOW,
            ),
            code_entries_by_site: RateLimiter::new("code-site", CODE_ENTRIES_PER_SITE, CODE_ENTRY_WINDOW),
            link_openings: RateLimiter::new("link", LINK_OPENINGS_PER_MINUTE, 60),
            audit_sampler: crate::security::audit::Sampler::default(),
            live: Arc::new(crate::live::Live::default()),
        })))
    }
}
