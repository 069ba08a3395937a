//! Login throttling per username and per client address: after a few free failures each further attempt
//! must wait a growing delay (no hard lockout that an attacker could use against someone). Stored in the
//! database so every instance sees the same counts; an attempt is counted *before* the password is checked
//! (compare-and-set on the failure count), so parallel guesses cannot slip through together.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::Db;

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

/// Registers one attempt for `key`. `Err(seconds)` means: refused, try again in that many seconds.
pub async fn begin_attempt(db: &Db, key: &str, limits: Limits, now: Timestamp) -> Result<Result<(), i64>, sqlx::Error> {
    for _ in 0..5 {
        sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, last_failure_at, next_allowed_at) VALUES ($1, 0, $2, 0) \
             ON CONFLICT (throttle_key) DO NOTHING",
        )
        .bind(key)
        .bind(now)
        .execute(&db.pool)
        .await?;
        let row = sqlx::query(
            "SELECT failures, last_failure_at, next_allowed_at FROM login_throttle WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_one(&db.pool)
        .await?;
        let (failures, last, next_allowed): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let expired = now - last >= limits.window;
        if !expired && now < next_allowed {
            return Ok(Err(next_allowed - now));
        }
        let counted = if expired { 1 } else { failures + 1 };
        let updated = sqlx::query(
            "UPDATE login_throttle SET failures = $1, last_failure_at = $2, next_allowed_at = $3 \
             WHERE throttle_key = $4 AND failures = $5 AND last_failure_at = $6",
        )
        .bind(counted)
        .bind(now)
        .bind(now + delay_after(counted, limits))
        .bind(key)
        .bind(failures)
        .bind(last)
        .execute(&db.pool)
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(Ok(()));
        }
        // Another attempt for the same key won the race; look again.
    }
    Ok(Err(1))
}

/// A successful login: the username starts with a clean slate.
pub async fn forget(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(key).execute(&db.pool).await.map(|_| ())
}

/// A successful login from an address: take back the attempt counted for it, but keep earlier failures.
pub async fn refund(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
        .bind(key)
        .execute(&db.pool)
        .await
        .map(|_| ())
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
