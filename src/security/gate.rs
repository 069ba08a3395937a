//! One at a time per key: a caller waits for its turn instead of being refused (the login throttle queues
//! password checks per username here, so parallel guesses each see the outcome of the one before).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

/// Lets one caller per key through at a time (in this process). With several instances, at most one per
/// instance runs at once.
#[derive(Default)]
pub struct Gate {
    keys: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl Gate {
    pub async fn enter(&self, key: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut keys = self.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Keys nobody waits for any more are dropped, so the map holds only attempts in flight.
            keys.retain(|_, lock| lock.strong_count() > 0);
            match keys.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    keys.insert(key.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_lets_one_attempt_per_key_through_at_a_time() {
        let gate = Arc::new(Gate::default());
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
}
