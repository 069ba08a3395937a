//! A fixed-window counter per key, in memory (per instance). Used where a limit only has to stop abuse
//! of one instance, such as the live username check; login throttling is stored in the database instead.
use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Timestamp;

pub struct RateLimiter {
    limit: u32,
    window: i64,
    counters: Mutex<HashMap<String, (Timestamp, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window_seconds: i64) -> Self {
        RateLimiter { limit, window: window_seconds, counters: Mutex::new(HashMap::new()) }
    }

    /// Counts one use of `key`; `Err(seconds)` says how long until the window resets.
    pub fn hit(&self, key: &str, now: Timestamp) -> Result<(), i64> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let limiter = RateLimiter::new(3, 60);
        for _ in 0..3 {
            assert!(limiter.hit("a", 1000).is_ok());
        }
        assert_eq!(limiter.hit("a", 1010), Err(50));
        assert!(limiter.hit("b", 1010).is_ok(), "other keys are independent");
        assert!(limiter.hit("a", 1060).is_ok(), "a new window starts");
    }
}
