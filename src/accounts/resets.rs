//! Password-reset links: 32 random bytes (only their hash stored, with a purpose of their own), valid one
//! hour, used once. Opening a link binds it to the browser's reset session, so the token leaves the address
//! bar; a newer link replaces the older ones of the account.
use sqlx::Row;

use crate::accounts::session::{self, SessionKind};
use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::domain::names::AccountId;
use crate::security::token;
use crate::security::token_key::{Keyed, TokenKey};

pub const LIFETIME: i64 = 3600;
/// Reset e-mails per account and hour (whoever asks); more are not sent.
pub const PER_ACCOUNT_AND_HOUR: i64 = 3;

#[derive(Clone, Debug)]
pub struct Reset {
    pub id: String,
    pub account_id: String,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl Reset {
    pub fn usable(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

/// The account's open links stop working (a new one was issued, or a change made them unsafe).
pub async fn revoke_open(tx: &mut Tx, account_id: &AccountId, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE password_resets SET revoked_at = $1 WHERE account_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// A new link for the account (the older open ones stop working); returns its id and the raw token.
pub async fn issue(
    tx: &mut Tx,
    account_id: &AccountId,
    requested_by: &str,
    key: &TokenKey,
    now: Timestamp,
) -> Result<(String, String), sqlx::Error> {
    revoke_open(tx, account_id, now).await?;
    let id = token::new_id();
    let raw = token::generate();
    sqlx::query(
        "INSERT INTO password_resets (id, account_id, token_hash, requested_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(key.hash(Keyed::PasswordReset, &raw))
    .bind(requested_by)
    .bind(now)
    .bind(now + LIFETIME)
    .execute(&mut **tx)
    .await?;
    Ok((id, raw))
}

/// Links issued for the account within the last hour.
pub async fn issued_within_hour(tx: &mut Tx, account_id: &AccountId, now: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM password_resets WHERE account_id = $1 AND created_at > $2")
        .bind(account_id)
        .bind(now - 3600)
        .fetch_one(&mut **tx)
        .await
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Reset, sqlx::Error> {
    Ok(Reset {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

macro_rules! columns {
    () => {
        "id, account_id, expires_at, used_at, revoked_at"
    };
}

pub async fn find_by_token(db: &Db, key: &TokenKey, raw: &str) -> Result<Option<Reset>, sqlx::Error> {
    if !token::looks_valid(raw) {
        return Ok(None);
    }
    sqlx::query(concat!("SELECT ", columns!(), " FROM password_resets WHERE token_hash = $1"))
        .bind(key.hash(Keyed::PasswordReset, raw))
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// The link opened in the reset session `session_hash`.
pub async fn find_by_session(db: &Db, session_hash: &str) -> Result<Option<Reset>, sqlx::Error> {
    sqlx::query(concat!("SELECT ", columns!(), " FROM password_resets WHERE session_hash = $1"))
        .bind(session_hash)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// Binds the link to the session it was opened in (opening it again in another browser moves it there).
async fn bind_session<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    reset_id: &str,
    session_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE password_resets SET session_hash = $1 WHERE id = $2")
        .bind(session_hash)
        .bind(reset_id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// The browser that opened reset link `reset_id` (or passed its SMS code) gets a new session of `kind`,
/// bound to the link; `replaced`: the session it had, which ends. One transaction; returns the token.
pub async fn start_session(
    db: &Db,
    (reset_id, account_id): (&str, &AccountId),
    kind: SessionKind,
    replaced: Option<&str>,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let mut tx = db.begin().await?;
    if let Some(old) = replaced {
        session::delete(&mut *tx, old).await?;
    }
    let raw = session::create(&mut *tx, kind, account_id, None, now).await?;
    bind_session(&mut *tx, reset_id, &session::id_hash(&raw)).await?;
    tx.commit().await?;
    Ok(raw)
}

/// Uses the link up; exactly one of simultaneous calls gets `true`.
pub async fn consume(tx: &mut Tx, reset_id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL \
         AND expires_at > $1",
    )
    .bind(now)
    .bind(reset_id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_usable_once_within_the_hour() {
        let reset = Reset { id: "r".into(), account_id: "a".into(), expires_at: 1000, used_at: None, revoked_at: None };
        assert!(reset.usable(999));
        assert!(!reset.usable(1000), "expired at its end");
        assert!(!Reset { used_at: Some(5), ..reset.clone() }.usable(10));
        assert!(!Reset { revoked_at: Some(5), ..reset }.usable(10));
    }
}
