//! Sprechstunde: a self-hostable video consultation platform for medical practices.
//!
//! # Code tour
//! One obvious place for each thing, in layers (the rules are in `docs/architecture.md`):
//!
//! **Composition** — only `main`, [`cli`] and the tests use these:
//! - [`cli`]: the `sprechstunde` subcommands; each calls into the features.
//! - [`app`]: every feature's routes inside the edge layers, the server with its delivery worker, start-up
//!   maintenance, shutdown.
//! - [`dev`]: NOT for production data — synthetic accounts and the benchmarks (`dev seed`, `dev bench-…`).
//!
//! **Features** — handlers (thin: extract, call, render) with the services and stores they own:
//! - [`onboarding`]: step 1 of the wizard behind a registration link, and the later wizard steps.
//! - [`start`]: the start page `/` — today's appointments, "Patient jetzt einladen", recent contacts.
//! - [`auth`]: sessions, login and logout (with the page asked for before it), the login throttle, SMS
//!   codes, the phone-number setup, and getting back in ("Passwort vergessen?", "Benutzername vergessen?").
//! - [`profile`]: `/profil` — password, SMS 2FA, mobile number, visibility, Service-PIN, language, sessions.
//! - [`support`]: the support console — find accounts, check a caller's Service-PIN, change data after it,
//!   lock on suspicion, the history in words; the password-reset e-mail on a caller's behalf.
//! - [`contacts`]: contact search (visible colleagues only), the contact list, contacting by SMS.
//! - [`consult`]: appointments ("Termine"), guests' way in by invitation link or access code, check-in,
//!   the waiting room and admission, live over one WebSocket per page; data minimisation.
//! - [`api`]: the admin API `/api/v1` — tokens with scopes, idempotent account creation, OpenAPI.
//!
//! **The account record** — [`accounts`]: the record and its lifecycle (invited → registering → active),
//! its registration and password-reset links, and the services for changes to credentials and contact
//! data (change, notice and audit entry in one transaction).
//!
//! **Leaves** — depend on nothing above them:
//! - [`state`]: `AppState`, what every request and worker shares.
//! - [`domain`]: pure rules — the wizard as a state machine, the password policy.
//! - [`config`]: typed settings, defaults < TOML file < `SPRECHSTUNDE_*` environment.
//! - [`db`]: connecting to SQLite or PostgreSQL, migrations, transactions, stored enums.
//! - [`clock`]: injected time; every expiry rule reads "now" from here.
//! - [`error`]: `AppError`, mapped once to the error page (or problem+json under `/api/`).
//! - [`notify`]: the transactional outbox, mail and SMS transports, message templates, delivery worker.
//! - [`security`]: random tokens, password hashing, the client's address, CSRF check, headers, rate limits,
//!   the audit log.
//! - [`live`]: "topic X changed" between instances (PostgreSQL `LISTEN/NOTIFY`, on SQLite in-process).
//! - [`server`]: the HTTP server — plain or TLS connections, header and idle timeouts, graceful shutdown.
//! - [`web`]: page layout with the signed-in header, texts in German and English and the language switch,
//!   text checks at the edge, static assets, forms.
pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consult;
pub mod contacts;
pub mod db;
pub mod dev;
pub mod domain;
pub mod error;
pub mod fuzzing;
pub mod live;
pub mod notify;
pub mod onboarding;
pub mod profile;
pub mod security;
pub mod server;
pub mod start;
pub mod state;
pub mod support;
pub mod web;
