//! Sprechstunde: self-hostable video consultation platform for medical practices.
//!
//! Code tour (one obvious place for each thing):

/// For handlers: awaits a guard that yields `Ok(found)` or `Err(response)` — the page to show instead
/// (sign in, the next wizard step, …) — and returns that response early.
macro_rules! or_elsewhere {
    ($guard:expr) => {
        match $guard.await? {
            Ok(found) => found,
            Err(elsewhere) => return Ok(elsewhere),
        }
    };
}

pub mod accounts;
pub mod api; // admin API /api/v1: tokens with scopes, idempotent account creation, problem+json, OpenAPI // the account record and its lifecycle: invited → active
pub mod app; // AppState, router, serve(), background worker, shutdown
pub mod auth; // password policy + hashing, sessions, login throttling, login/logout
pub mod cli; // clap subcommands → calls into the features
pub mod clock; // injected time: every expiry rule reads "now" from here
pub mod config; // typed settings: defaults < TOML file < SPRECHSTUNDE_* env
pub mod contacts; // contact search (visible colleagues only), contact list, contact by SMS
pub mod db;
pub mod dev; // NOT for production data: synthetic accounts (dev seed) and the contact-search benchmark // connect (SQLite | PostgreSQL) and migrate
pub mod error; // AppError → friendly page, logged once
pub mod notify; // outbox, mail transports, message templates, delivery worker
pub mod onboarding; // registration links and the wizard (step 1 for now)
pub mod profile; // profile settings: password, SMS 2FA, mobile number, visibility, Service-PIN, language, sessions
pub mod security;
pub mod server; // the HTTP server: plain or TLS connections, header and idle timeouts, graceful shutdown
pub mod support; // support console: find accounts, check a caller's Service-PIN, change data after a correct check // random tokens, hashing, CSRF (Origin) check, headers, rate limits
pub mod web; // page layout, i18n, static assets, form and cookie helpers
