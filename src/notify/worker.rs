//! The delivery worker: hands due outbox messages to the mail transport, retries with backoff, never drops
//! a message silently. `deliver_due` is also what tests call to deliver synchronously.
use std::time::Duration;

use tokio::sync::watch;

use crate::domain::email::mask;
use crate::notify::outbox::Channel;
use crate::state::AppState;

/// Delivers every message that is due now; returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut attempted = 0;
    while let Some(message) = crate::notify::outbox::claim_next(&state.db, state.clock.now()).await? {
        attempted += 1;
        let (result, to) = match message.channel {
            Channel::Sms => (
                state.sms.send(&message.recipient, &message.body_text).await,
                crate::domain::phone::mask(&message.recipient),
            ),
            Channel::Email => (state.mailer.send(&state.config.mail_from, &message).await, mask(&message.recipient)),
        };
        let now = state.clock.now();
        match result {
            Ok(()) => {
                crate::notify::outbox::mark_sent(&state.db, &message, now, state.config.registration_link_ttl).await?;
                // The host's list shows the new state at once.
                if let Some(topic) = &message.topic {
                    state.live.announce(&state.db, topic).await;
                }
                tracing::info!(%to, channel = %message.channel, "Nachricht zugestellt");
                if let (true, Some(url)) = (state.config.may_log_links(), &message.action_url) {
                    // Development only (file transport): lets a newcomer click the link from the log.
                    tracing::info!(link = %url, "Link aus der E-Mail (nur beim Datei-Versand protokolliert)");
                }
                if message.channel == Channel::Sms && state.sms.is_file() && state.config.may_log_links() {
                    // Development only (file transport): the code, so a newcomer can finish the wizard.
                    tracing::info!(text = %message.body_text, "SMS-Text (nur beim Datei-Versand protokolliert)");
                }
            }
            Err(error) => {
                // Mail servers repeat the recipient in their answers; keep only the masked form.
                let error = error.replace(&message.recipient, &to);
                let gave_up = crate::notify::outbox::mark_failed_attempt(&state.db, &message, &error, now).await?;
                if let Some(topic) = &message.topic {
                    state.live.announce(&state.db, topic).await;
                }
                if gave_up {
                    tracing::error!(%to, channel = %message.channel, attempts = message.attempts, %error,
                        "Nachricht endgültig nicht zustellbar");
                } else {
                    tracing::warn!(%to, channel = %message.channel, attempts = message.attempts, %error,
                        "Nachricht nicht zugestellt, neuer Versuch folgt");
                }
            }
        }
    }
    Ok(attempted)
}

/// Runs until `shutdown` turns true: delivers, then waits for new work.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = deliver_due(&state).await {
            tracing::error!(%error, "Zustellung unterbrochen (Datenbank)");
        }
        tokio::select! {
            _ = state.outbox_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
