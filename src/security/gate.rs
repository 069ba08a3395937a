//! A few at a time per key: a caller waits for its turn instead of being refused. The login throttle queues
//! password checks here per username (one at a time, so parallel guesses each see the outcome of the one
//! before) and per client address (a few at a time, so a burst of guesses cannot outrun its count).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Lets at most `permits` callers per key through at a time (in this process); the others wait for their
/// turn. With several instances, at most that many per instance run at once.
pub struct Gate {
    permits: usize,
    keys: Mutex<HashMap<String, Weak<Semaphore>>>,
}

impl Gate {
    pub fn new(permits: usize) -> Self {
        Gate { permits: permits.max(1), keys: Mutex::new(HashMap::new()) }
    }

    pub async fn enter(&self, key: &str) -> OwnedSemaphorePermit {
        let turns = {
            let mut keys = self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Keys nobody waits for any more are dropped, so the map holds only attempts in flight.
            keys.retain(|_, turns| turns.strong_count() > 0);
            match keys.get(key).and_then(Weak::upgrade) {
                Some(turns) => turns,
                None => {
                    let turns = Arc::new(Semaphore::new(self.permits));
                    keys.insert(key.to_owned(), Arc::downgrade(&turns));
                    turns
                }
            }
        };
        turns.acquire_owned().await.expect("the gate's semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_lets_one_attempt_per_key_through_at_a_time() {
        let gate = Arc::new(Gate::new(1));
        let first = gate.enter("u:anna").await;
        let other_key = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter("u:bert")).await;
        assert!(other_key.is_ok(), "another key does not wait");
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter("u:anna").await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the same key waits for its turn");
        drop(first);
        let second = tokio::time::timeout(std::time::Duration::from_secs(1), waiting).await;
        assert!(second.is_ok(), "and gets it once the first is done");
        drop(second);
        drop(other_key);
        let _again = gate.enter("u:carl").await;
        assert_eq!(gate.keys.lock().unwrap().len(), 1, "finished keys are forgotten");
    }

    #[tokio::test]
    async fn a_wider_gate_lets_that_many_through() {
        let gate = Gate::new(2);
        let (_a, _b) = (gate.enter("ip:1").await, gate.enter("ip:1").await);
        let third = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter("ip:1")).await;
        assert!(third.is_err(), "the third waits");
    }
}
