//! Login throttling per username and per client address: after a few free failures each further attempt
//! must wait a growing delay (no hard lockout that an attacker could use against someone). Stored in the
//! database so every instance sees the same counts.
//!
//! Only outcomes count: a failure is recorded after the password was found wrong, a request cut off before
//! that leaves no trace, and a correct password is never refused because other people behind the same address
//! are signing in at the same moment. Parallel guesses for one username cannot slip through together all the
//! same: attempts for one username queue at a gate (`security::gate`), so each one sees the outcome of the one
//! before, and those from one address pass a few at a time, so a burst cannot outrun the address's count.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Failures allowed without any delay.
    pub free: i64,
    /// A quiet period after which the count starts again.
    pub window: i64,
    pub max_delay: i64,
}

pub const PER_USERNAME: Limits = Limits { free: 5, window: 24 * 3600, max_delay: 900 };
pub const PER_ADDRESS: Limits = Limits { free: 20, window: 3600, max_delay: 900 };

/// Seconds to wait after `failures` consecutive failures: 0 for the free ones, then 1, 2, 4, … capped.
pub fn delay_after(failures: i64, limits: Limits) -> i64 {
    if failures < limits.free {
        return 0;
    }
    let exponent = (failures - limits.free).min(20) as u32;
    (1i64 << exponent).min(limits.max_delay)
}

/// `Some(seconds)` when an attempt for `key` must wait that long first.
pub async fn wait_time(db: &Db, key: &str, limits: Limits, now: Timestamp) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT last_failure_at, next_allowed_at FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (last, next_allowed): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let quiet_long_enough = now - last >= limits.window;
    Ok((!quiet_long_enough && now < next_allowed).then_some(next_allowed - now))
}

/// A wrong password for `key`. One statement counts it (failures from parallel requests add up, none is
/// lost); the delay it sets only ever grows.
async fn record_failure(tx: &mut Tx, key: &str, limits: Limits, now: Timestamp) -> Result<(), sqlx::Error> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure_at, next_allowed_at) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           failures = CASE WHEN $2 - login_throttle.last_failure_at >= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(limits.window)
    .fetch_one(&mut **tx)
    .await?;
    let next_allowed = now + delay_after(failures, limits);
    sqlx::query("UPDATE login_throttle SET next_allowed_at = $1 WHERE throttle_key = $2 AND next_allowed_at < $1")
        .bind(next_allowed)
        .bind(key)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The failures counted against `key` are forgotten (a right password, or a new one set by reset).
pub async fn forget<'e>(executor: impl sqlx::Executor<'e, Database = sqlx::Any>, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(key).execute(executor).await.map(|_| ())
}

/// Records how a password check ended. A right password clears the first key (the username or account;
/// earlier failures of an address stay); a wrong one counts against every key, in one transaction. It runs
/// as a task of its own, so a client that hangs up at this moment cannot leave half of it undone (which
/// would let it tell right from wrong without paying for the wrong ones).
pub async fn record_outcome(db: &Db, keys: &[(&str, Limits)], correct: bool, now: Timestamp) -> AppResult<()> {
    let db = db.clone();
    let keys: Vec<(String, Limits)> = keys.iter().map(|(key, limits)| ((*key).to_owned(), *limits)).collect();
    let recording = tokio::spawn(async move {
        let mut tx = db.begin().await?;
        if correct {
            if let Some((key, _)) = keys.first() {
                forget(&mut *tx, key).await?;
            }
        } else {
            for (key, limits) in &keys {
                record_failure(&mut tx, key, *limits, now).await?;
            }
        }
        tx.commit().await
    });
    recording.await.map_err(|e| AppError::Internal(format!("throttle task: {e}")))?.map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_attempts() {
        let delays: Vec<i64> = (0..9).map(|n| delay_after(n, PER_USERNAME)).collect();
        assert_eq!(delays, vec![0, 0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(delay_after(40, PER_USERNAME), 900);
        assert_eq!(delay_after(19, PER_ADDRESS), 0);
        assert_eq!(delay_after(20, PER_ADDRESS), 1);
    }
}
