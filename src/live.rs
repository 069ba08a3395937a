//! Live updates between the instances of one service: "something about topic X changed, read it again".
//! A change is written to the database first, then announced. On PostgreSQL the announcement is a
//! `NOTIFY` that every instance `LISTEN`s for, so a guest served by one instance and a host served by
//! another see each other at once; on SQLite (one process) it goes straight to the local subscribers.
//! Announcements carry only a topic id (an appointment's id), never personal data. The same way relays
//! carry a message for one recipient of a topic (the video signalling: SDP and ICE candidates), which
//! is never stored; a relay's payload must stay under PostgreSQL's 8000-byte `NOTIFY` limit.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::db::{Backend, Db};

/// The PostgreSQL channel all instances listen on.
const CHANNEL: &str = "sprechstunde_live";
/// Sent to everyone when announcements may have been missed (a lost listener connection): read again.
pub const EVERYTHING: &str = "*";

/// The topic announced when sessions of an account end (sign-out, lock, a new password, "Andere Sitzungen
/// abmelden"): that account's live pages look again at once, and those whose session ended close.
pub fn sessions_of(account_id: &str) -> String {
    format!("sessions:{account_id}")
}

/// What subscribers receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Something about `topic` changed: read it again.
    Changed(Arc<str>),
    /// A message for the recipient `to` within `topic`, from `from`; `payload` is JSON text.
    Relay { topic: Arc<str>, to: Arc<str>, from: Arc<str>, payload: Arc<str> },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<'a> {
    topic: &'a str,
    to: &'a str,
    from: &'a str,
    payload: &'a serde_json::value::RawValue,
}

/// Marks a relay's `NOTIFY` payload (topics are hex ids and never start with it).
const RELAY_PREFIX: &str = "r ";

impl Event {
    fn from_notification(payload: &str) -> Option<Event> {
        match payload.strip_prefix(RELAY_PREFIX) {
            None => Some(Event::Changed(Arc::from(payload))),
            Some(json) => {
                let envelope: Envelope = serde_json::from_str(json).ok()?;
                Some(Event::Relay {
                    topic: envelope.topic.into(),
                    to: envelope.to.into(),
                    from: envelope.from.into(),
                    payload: envelope.payload.get().into(),
                })
            }
        }
    }
}

pub struct Live {
    local: broadcast::Sender<Event>,
    open: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live { local: broadcast::channel(1024).0, open: Arc::default() }
    }
}

/// Open connections per viewer (session): a few tabs are normal, hundreds are not.
pub const CONNECTIONS_PER_VIEWER: usize = 8;

/// One open live connection of a viewer; counted until dropped.
pub struct Slot {
    key: String,
    open: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

async fn notify(db: &Db, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&db.pool).await.map(|_| ())
}

impl Live {
    /// A connection slot for `viewer` (this instance), or `None` when it has too many open already.
    pub fn slot(&self, viewer: &str) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(viewer.to_owned()).or_insert(0);
        if *count >= CONNECTIONS_PER_VIEWER {
            return None;
        }
        *count += 1;
        Some(Slot { key: viewer.to_owned(), open: self.open.clone() })
    }

    /// Topics announced from now on. A subscriber that falls behind gets `Lagged`; it should read again.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Tells every instance's subscribers that `topic` changed. Call after the change is committed.
    pub async fn announce(&self, db: &Db, topic: &str) {
        match db.backend {
            Backend::Sqlite => self.publish_locally(Event::Changed(Arc::from(topic))),
            Backend::Postgres => {
                if let Err(error) = notify(db, topic).await {
                    // The change is stored; this instance's pages at least learn of it, the others on reconnect.
                    tracing::warn!(%error, "Änderung konnte anderen Instanzen nicht gemeldet werden");
                    self.publish_locally(Event::Changed(Arc::from(topic)));
                }
            }
        }
    }

    /// Hands `payload` (JSON) to the recipient `to` within `topic`, on whichever instance it is connected.
    /// Best effort, like the network it stands for: the browsers repeat what got lost (ICE restart).
    pub async fn relay(&self, db: &Db, topic: &str, to: &str, from: &str, payload: &str) {
        match db.backend {
            Backend::Sqlite => self.publish_locally(Event::Relay {
                topic: topic.into(),
                to: to.into(),
                from: from.into(),
                payload: payload.into(),
            }),
            Backend::Postgres => {
                let Ok(payload) = serde_json::value::RawValue::from_string(payload.to_owned()) else { return };
                let envelope = Envelope { topic, to, from, payload: &payload };
                let envelope = serde_json::to_string(&envelope).unwrap_or_default();
                if let Err(error) = notify(db, &format!("{RELAY_PREFIX}{envelope}")).await {
                    tracing::warn!(%error, "Nachricht konnte nicht weitergegeben werden");
                }
            }
        }
    }

    fn publish_locally(&self, event: Event) {
        // No subscribers is not an error.
        let _ = self.local.send(event);
    }

    /// PostgreSQL only: forwards every instance's announcements to this instance's subscribers until
    /// `shutdown`. After a lost connection everyone is told to read again (announcements may be lost).
    pub async fn listen(self: Arc<Self>, database_url: String, mut shutdown: watch::Receiver<bool>) {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(&database_url).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "Live-Verbindung zur Datenbank fehlgeschlagen, neuer Versuch");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
            };
            if let Err(error) = listener.listen(CHANNEL).await {
                tracing::warn!(%error, "LISTEN fehlgeschlagen, neuer Versuch");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            self.publish_locally(Event::Changed(Arc::from(EVERYTHING)));
            loop {
                tokio::select! {
                    received = listener.try_recv() => match received {
                        Ok(Some(notification)) => {
                            if let Some(event) = Event::from_notification(notification.payload()) {
                                self.publish_locally(event);
                            }
                        }
                        // The connection was lost; `try_recv` reconnects on the next call.
                        Ok(None) => self.publish_locally(Event::Changed(Arc::from(EVERYTHING))),
                        Err(error) => {
                            tracing::warn!(%error, "Live-Verbindung unterbrochen");
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_are_topics_or_relays() {
        assert_eq!(Event::from_notification("ab12"), Some(Event::Changed("ab12".into())));
        let relay = r#"r {"topic":"ab12","to":"host","from":"p1","payload":{"sdp":"v=0"}}"#;
        assert_eq!(
            Event::from_notification(relay),
            Some(Event::Relay {
                topic: "ab12".into(),
                to: "host".into(),
                from: "p1".into(),
                payload: r#"{"sdp":"v=0"}"#.into()
            })
        );
        assert_eq!(Event::from_notification("r {broken"), None);
    }

    #[test]
    fn slots_are_limited_per_viewer_and_given_back() {
        let live = Live::default();
        let slots: Vec<Slot> = (0..CONNECTIONS_PER_VIEWER).map(|_| live.slot("a").unwrap()).collect();
        assert!(live.slot("a").is_none());
        assert!(live.slot("b").is_some(), "others are not affected");
        drop(slots);
        assert!(live.slot("a").is_some());
    }
}
