//! Server-side sessions. The cookie holds 32 random bytes; the table holds only their SHA-256.
//! A `registration` session carries a person through the wizard after opening their link (so the token
//! leaves the address bar); a `login` session is a signed-in account.
use axum::http::HeaderMap;
use sqlx::Row;

use crate::clock::Timestamp;
use crate::security::token::{self, Purpose};
use crate::state::AppState;
use crate::web::cookies;

pub const IDLE_TIMEOUT: i64 = 30 * 60;
pub const LOGIN_LIFETIME: i64 = 12 * 3600;
pub const REGISTRATION_LIFETIME: i64 = 3600;
pub const SECOND_FACTOR_LIFETIME: i64 = 10 * 60;
/// Time to choose a new password after opening the reset link.
pub const RESET_LIFETIME: i64 = 30 * 60;
/// `last_seen_at` is written at most this often, to keep page views from becoming writes.
const TOUCH_EVERY: i64 = 60;

crate::domain::text::stored_enum! {
    pub enum SessionKind {
        Registration = "registration",
        /// Password was right; the SMS code of this login attempt is still to come.
        SecondFactor = "second_factor",
        Login = "login",
        /// Opened a password-reset link; may set a new password (after the SMS code, with 2FA on).
        PasswordReset = "password_reset",
        /// Opened a password-reset link of an account with 2FA; the SMS code is still to come.
        ResetSecondFactor = "reset_second_factor",
    }
}

/// A handler argument made from a guard `async fn(&AppState, &HeaderMap) -> AppResult<(Session, Account)>`:
/// the handler's signature says who may call it, and anyone else is sent where the guard says.
macro_rules! guard_extractor {
    ($(#[$meta:meta])* $name:ident = $guard:path) => {
        $(#[$meta])*
        pub struct $name(pub $crate::accounts::session::Session, pub $crate::accounts::Account);

        impl axum::extract::FromRequestParts<$crate::state::AppState> for $name {
            type Rejection = $crate::error::AppError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &$crate::state::AppState,
            ) -> $crate::error::AppResult<Self> {
                let (session, account) = $guard(state, &parts.headers).await?;
                Ok($name(session, account))
            }
        }
    };
}
pub(crate) use guard_extractor;

#[derive(Clone, Debug)]
pub struct Session {
    pub id_hash: String,
    pub kind: SessionKind,
    pub account_id: crate::domain::names::AccountId,
    pub link_id: Option<String>,
    /// When the password was last confirmed in this session (login or re-authentication).
    pub reauth_at: Timestamp,
}

/// The stored form of a session id; also what SMS codes are bound to.
pub fn id_hash(raw: &str) -> String {
    token::hash(Purpose::Session, raw)
}

/// Starts a session and returns the cookie value (the only place the raw id exists).
pub async fn create<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: SessionKind,
    account_id: &crate::domain::names::AccountId,
    link_id: Option<&str>,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let raw = token::generate();
    let lifetime = match kind {
        SessionKind::Registration => REGISTRATION_LIFETIME,
        SessionKind::SecondFactor | SessionKind::ResetSecondFactor => SECOND_FACTOR_LIFETIME,
        SessionKind::PasswordReset => RESET_LIFETIME,
        SessionKind::Login => LOGIN_LIFETIME,
    };
    sqlx::query(
        "INSERT INTO sessions (id_hash, kind, account_id, link_id, created_at, last_seen_at, expires_at, reauth_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
    )
    .bind(id_hash(&raw))
    .bind(kind.as_str())
    .bind(account_id)
    .bind(link_id)
    .bind(now)
    .bind(now + lifetime)
    // A login session always follows a password check (login, step 1, or the SMS code right after one).
    .bind(if kind == SessionKind::Login { now } else { 0 })
    .execute(executor)
    .await?;
    Ok(raw)
}

/// The live session named by the request's cookie, if any; expired ones are deleted on sight.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, sqlx::Error> {
    let Some(raw) = cookies::read(headers, cookies::cookie_name(&state.config, cookies::Jar::Account)) else {
        return Ok(None);
    };
    if !token::looks_valid(&raw) {
        return Ok(None);
    }
    let id_hash = id_hash(&raw);
    let Some(row) = sqlx::query(
        "SELECT kind, account_id, link_id, last_seen_at, expires_at, reauth_at, device FROM sessions WHERE id_hash = $1",
    )
    .bind(&id_hash)
    .fetch_optional(&state.db.pool)
    .await?
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    let (last_seen, expires): (i64, i64) = (row.try_get(3)?, row.try_get(4)?);
    if now >= expires || now - last_seen >= IDLE_TIMEOUT {
        delete(&state.db.pool, &id_hash).await?;
        return Ok(None);
    }
    if row.try_get::<Option<String>, _>(6)?.is_none() {
        // The first request of the session names its device (empty when unknown, so this runs once).
        let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        sqlx::query("UPDATE sessions SET device = $1 WHERE id_hash = $2")
            .bind(crate::domain::device::summary(agent))
            .bind(&id_hash)
            .execute(&state.db.pool)
            .await?;
    }
    if now - last_seen >= TOUCH_EVERY {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(&id_hash)
            .execute(&state.db.pool)
            .await?;
    }
    // A kind this code does not know (written by a newer version, say) is no session at all: never a login.
    let Some(kind) = SessionKind::parse(&row.try_get::<String, _>(0)?) else {
        tracing::warn!("Sitzung unbekannter Art abgewiesen");
        return Ok(None);
    };
    Ok(Some(Session {
        id_hash,
        kind,
        account_id: row.try_get(1)?,
        link_id: row.try_get(2)?,
        reauth_at: row.try_get(5)?,
    }))
}

/// The password was just confirmed again in this session.
pub async fn mark_reauthenticated<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id_hash: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET reauth_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(executor)
        .await
        .map(|_| ())
}

/// An account's signed-in sessions, newest first: (id hash, started, last seen).
/// A signed-in session as the profile lists it.
pub struct Listed {
    pub id_hash: String,
    pub since: Timestamp,
    pub seen: Timestamp,
    /// "Chrome · Android", or empty when unknown.
    pub device: String,
}

pub async fn list_for_account(
    state: &AppState,
    account_id: &crate::domain::names::AccountId,
) -> Result<Vec<Listed>, sqlx::Error> {
    let now = state.clock.now();
    let rows = sqlx::query(
        "SELECT id_hash, created_at, last_seen_at, device FROM sessions WHERE account_id = $1 AND kind = 'login' \
         AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC",
    )
    .bind(account_id)
    .bind(now)
    .bind(now - IDLE_TIMEOUT)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                id_hash: r.try_get(0)?,
                since: r.try_get(1)?,
                seen: r.try_get(2)?,
                device: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Ends every session of the account except `keep` (all of them with `None`); returns how many ended.
pub async fn end_others<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &crate::domain::names::AccountId,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
        .bind(account_id)
        .bind(keep.unwrap_or(""))
        .execute(executor)
        .await
        .map(|r| r.rows_affected())
}

pub async fn delete<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(executor).await.map(|_| ())
}

/// Housekeeping for the worker: drop sessions past their absolute or idle limit.
/// Tells every instance that sessions of `account_id` ended, after the commit: their live pages (the video
/// room's signalling) close at once instead of at the next heartbeat.
pub async fn announce_ended(state: &AppState, account_id: &crate::domain::names::AccountId) {
    state.live.announce(&state.db, &crate::live::sessions_of(account_id)).await;
}

pub async fn purge_expired(state: &AppState) -> Result<u64, sqlx::Error> {
    let now = state.clock.now();
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - IDLE_TIMEOUT)
        .execute(&state.db.pool)
        .await
        .map(|r| r.rows_affected())
}
