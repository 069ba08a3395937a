//! Fixed-window limits per key: access-code entries, recovery requests, the live username check, the
//! contact search, link openings. On SQLite (one instance) they count in memory; on PostgreSQL, where
//! several instances serve one database, in the `rate_limits` table, so N instances do not allow N times
//! as many tries. Login throttling has its own table (`accounts::throttle`).
use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Timestamp;
use crate::db::{Backend, Db};

pub struct RateLimiter {
    /// Part of the key in the shared table: which limit this is.
    name: &'static str,
    limit: u32,
    window: i64,
    counters: Mutex<HashMap<String, (Timestamp, u32)>>,
}

impl RateLimiter {
    pub fn new(name: &'static str, limit: u32, window_seconds: i64) -> Self {
        RateLimiter { name, limit, window: window_seconds, counters: Mutex::new(HashMap::new()) }
    }

    /// Counts one use of `key`; `Err(seconds)` says how long until the window resets. Should the shared
    /// table fail, this instance counts in memory (a limit never fails open).
    pub async fn hit(&self, db: &Db, key: &str, now: Timestamp) -> Result<(), i64> {
        if db.backend == Backend::Postgres {
            match self.hit_shared(db, key, now).await {
                Ok(result) => return result,
                Err(error) => tracing::warn!(%error, limit = self.name, "gemeinsames Limit nicht lesbar"),
            }
        }
        self.hit_here(key, now)
    }

    fn hit_here(&self, key: &str, now: Timestamp) -> Result<(), i64> {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if counters.len() > 100_000 {
            counters.retain(|_, (start, _)| now - *start < self.window);
        }
        let entry = counters.entry(key.to_owned()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(entry.0 + self.window - now);
        }
        entry.1 += 1;
        Ok(())
    }

    /// One statement: a new window, or one more in the current one.
    async fn hit_shared(&self, db: &Db, key: &str, now: Timestamp) -> Result<Result<(), i64>, sqlx::Error> {
        let (count, start): (i64, i64) = sqlx::query_as(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END, \
               window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
             RETURNING count, window_start",
        )
        .bind(format!("{}:{key}", self.name))
        .bind(now)
        .bind(now - self.window)
        .fetch_one(&db.pool)
        .await?;
        Ok(if count > i64::from(self.limit) { Err(start + self.window - now) } else { Ok(()) })
    }
}

/// Windows older than a day are over for every limit: their rows go (housekeeping, every 5 minutes).
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now - 86_400)
        .execute(&db.pool)
        .await
        .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let limiter = RateLimiter::new("test", 3, 60);
        for _ in 0..3 {
            assert!(limiter.hit_here("a", 1000).is_ok());
        }
        assert_eq!(limiter.hit_here("a", 1010), Err(50));
        assert!(limiter.hit_here("b", 1010).is_ok(), "other keys are independent");
        assert!(limiter.hit_here("a", 1060).is_ok(), "a new window starts");
    }
}
