//! Queries only the support console needs.

use crate::clock::Timestamp;
use crate::db::Db;

/// After a correct PIN: this agent's session may change this account.
pub async fn grant(db: &Db, session_hash: &str, account_id: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_grants (session_hash, account_id, granted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_hash, account_id) DO UPDATE SET granted_at = excluded.granted_at",
    )
    .bind(session_hash)
    .bind(account_id)
    .bind(now)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// Whether support changed the account's e-mail address, mobile number or 2FA since `since`.
pub async fn support_changed_recently(db: &Db, account_id: &str, since: i64) -> Result<bool, sqlx::Error> {
    let changes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE account_id = $1 AND at > $2 AND actor LIKE 'support:%' \
         AND event IN ('email.changed', 'phone.changed', 'two_factor.reset')",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    Ok(changes > 0)
}

pub async fn has_grant(db: &Db, session_hash: &str, account_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT granted_at FROM support_grants WHERE session_hash = $1 AND account_id = $2")
            .bind(session_hash)
            .bind(account_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(found.is_some())
}
