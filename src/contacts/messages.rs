//! "Per SMS kontaktieren" as a service: the message, its SMS in the outbox and the audit entry are
//! committed together, and the caps per sender hold under parallel requests. Only to a contact who is
//! visible and has a verified number; the sender never sees the number.
use crate::accounts::Account;
use crate::contacts::store::{self, Contact};
use crate::notify::outbox;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;
use crate::web::i18n::fill;

/// The longest note, in characters (one SMS with the sender's name around it).
pub const NOTE_MAX: usize = 160;

/// SMS to contacts per sender: (window in seconds, most messages).
const SMS_CAPS: [(i64, i64); 2] = [(3600, 5), (86_400, 20)];

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("Datenbankfehler: {0}")]
    Database(#[from] sqlx::Error),
    /// Not visible, or no verified number: nothing was sent.
    #[error("Kontakt nicht per SMS erreichbar")]
    Unreachable,
    /// The note is longer than [`NOTE_MAX`].
    #[error("Nachricht zu lang")]
    TooLong,
    /// The sender reached a cap; nothing was sent.
    #[error("SMS-Obergrenze erreicht")]
    Capped,
}

impl From<SmsError> for crate::error::AppError {
    fn from(error: SmsError) -> Self {
        match error {
            SmsError::Database(error) => error.into(),
            other => crate::error::AppError::Internal(other.to_string()),
        }
    }
}

/// Sends `note` to `contact` at `phone`, the number the contact list found.
pub async fn send(
    state: &AppState,
    sender: &Account,
    (contact, phone): (&Contact, Option<&str>),
    note: &str,
) -> Result<(), SmsError> {
    let now = state.clock.now();
    let outcome = |o| {
        Entry::new(AuditEvent::ContactSms, o, Actor::Account(sender.id.clone()), Some(&sender.id))
            .detail(format!("an {}", contact.id))
    };
    let (Some(phone), true) = (phone, contact.reachable) else {
        audit::record(&state.db.pool, outcome("refused"), now).await?;
        return Err(SmsError::Unreachable);
    };
    if note.chars().count() > NOTE_MAX {
        return Err(SmsError::TooLong);
    }
    // One sender's parallel requests count one after the other, so the caps hold.
    let mut tx = state.db.begin_serialized(&[&format!("contact-sms:{}", sender.id)], now).await?;
    for (window, most) in SMS_CAPS {
        if store::messages_since(&mut tx, &sender.id, now - window).await? >= most {
            tx.rollback().await?;
            audit::record(&state.db.pool, outcome("capped"), now).await?;
            return Err(SmsError::Capped);
        }
    }
    store::record_message(&mut tx, &sender.id, &contact.id, now).await?;
    outbox::enqueue_sms(&mut tx, Some(&contact.id), phone, &text(state, sender, note), now).await?;
    audit::record(&mut *tx, outcome("success"), now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// The SMS as the contact reads it (the form shows it as a preview).
pub fn text(state: &AppState, sender: &Account, note: &str) -> String {
    let t = crate::domain::lang::Lang::De.texts();
    let mut text = fill(t.contact_sms, &[("name", &sender.name)]);
    if !note.is_empty() {
        text.push(' ');
        text.push_str(&fill(t.contact_sms_note, &[("note", note)]));
    }
    text.push_str(&format!(" {}/", state.config.public_url));
    text
}
