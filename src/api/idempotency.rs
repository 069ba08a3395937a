//! `Idempotency-Key` for creating accounts. The key is written in the same transaction as the account, its
//! registration e-mail and its audit entry: a retry finds the account, or nothing at all. (The key used to
//! be claimed in a transaction of its own before the account: after `kill -9` during creates, or a client
//! that hung up a moment after sending, keys stayed at 409 "Anfrage läuft noch" for good.) A second request
//! with the key while the first runs waits for its commit (PostgreSQL: the unique index; SQLite: the write
//! lock) and then gets the account.
use axum::http::StatusCode;
use sqlx::Row;

use super::problem::Problem;
use super::tokens::ApiToken;
use crate::accounts::{self, NewAccount};
use crate::security::audit::Actor;
use crate::state::AppState;

pub enum Outcome {
    /// This request created the account.
    Created(String),
    /// An earlier request with this key and body created it.
    Replay(String),
}

/// Creates the account once per (token, key); `request_hash` tells a retry from another request.
pub async fn create_once(
    state: &AppState,
    token: &ApiToken,
    key: &str,
    request_hash: &str,
    new: NewAccount,
) -> Result<Outcome, Problem> {
    let mut tx = state.db.begin().await?;
    // A claim without an account was left by the scheme before this one; nothing is behind it, so this
    // request takes it over.
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (token_id, idempotency_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (token_id, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, \
         created_at = excluded.created_at WHERE idempotency_keys.account_id IS NULL",
    )
    .bind(&token.id)
    .bind(key)
    .bind(request_hash)
    .bind(state.clock.now())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let row = sqlx::query(
            "SELECT request_hash, account_id FROM idempotency_keys WHERE token_id = $1 AND idempotency_key = $2",
        )
        .bind(&token.id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        let (stored_hash, account_id): (String, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
        if stored_hash != request_hash {
            // 409, as for a key whose request is still running: the key is taken (the IETF draft suggests
            // 422, which reads as "your data is wrong"; the data may be fine, the key is not).
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "Idempotency-Key schon verwendet",
                "Dieser Idempotency-Key gehört zu einer anderen Anfrage.",
            ));
        }
        return account_id.map(Outcome::Replay).ok_or_else(|| sqlx::Error::RowNotFound.into());
    }
    // Refused (the address is taken, say): the transaction rolls back and the key stays free.
    let account = accounts::create_in(state, &mut tx, new, Actor::ApiToken(token.id.clone())).await?;
    sqlx::query("UPDATE idempotency_keys SET account_id = $3 WHERE token_id = $1 AND idempotency_key = $2")
        .bind(&token.id)
        .bind(key)
        .bind(&account.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    accounts::created(state, &account);
    Ok(Outcome::Created(account.id.to_string()))
}
