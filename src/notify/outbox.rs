//! The transactional outbox: a message is a row written in the same transaction as the change that causes
//! it; the worker claims rows, sends them, and records the result. Message bodies (which may contain a
//! link token) are erased once a message is sent, cancelled or given up.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::notify::RenderedMail;
use crate::security::audit::{self, Actor, AuditEvent, Entry};

/// Attempts before a message is marked `failed`; with the backoff below that spans about six hours.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed message is reserved for the worker that claimed it.
const CLAIM_SECONDS: i64 = 120;

pub struct OutgoingEmail {
    pub account_id: Option<String>,
    pub link_id: Option<String>,
    /// An invitation's participant: the message is deleted with the participant's data.
    pub participant_id: Option<String>,
    /// Where its delivery state is shown live (an appointment's id).
    pub topic: Option<String>,
    pub to: String,
    pub mail: RenderedMail,
    /// The link the message is about; logged only while the development file transport is in use.
    pub action_url: Option<String>,
    /// On whose behalf it goes out; `None`: the service's own sender.
    pub sender: Option<Sender>,
}

/// A sender's display name (the address stays the service's own, so SPF and DKIM hold) and Reply-To.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub reply_to: Option<String>,
}

pub async fn enqueue_email(tx: &mut Tx, email: OutgoingEmail, now: Timestamp) -> Result<String, sqlx::Error> {
    let id = crate::security::token::new_id();
    sqlx::query(
        "INSERT INTO outbox (id, channel, account_id, link_id, recipient, subject, body_text, body_html, action_url, \
         status, attempts, next_attempt_at, created_at, participant_id, attachment, topic, sender_name, reply_to) \
         VALUES ($1, 'email', $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(email.account_id)
    .bind(email.link_id)
    .bind(email.to)
    .bind(email.mail.subject)
    .bind(email.mail.text)
    .bind(email.mail.html)
    .bind(email.action_url)
    .bind(now)
    .bind(email.participant_id)
    .bind(email.mail.calendar)
    .bind(email.topic)
    .bind(email.sender.as_ref().map(|sender| sender.name.clone()))
    .bind(email.sender.and_then(|sender| sender.reply_to))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// An SMS: the text is the body; the recipient is an E.164 number.
pub async fn enqueue_sms(
    tx: &mut Tx,
    account_id: Option<&str>,
    to: &str,
    text: &str,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    enqueue_sms_for(tx, account_id, None, to, text, now).await
}

/// A message about a guest: deleted with the participant's data, its delivery state shown live under
/// `topic` (the appointment's id).
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    pub participant_id: &'a str,
    pub topic: &'a str,
}

/// An SMS to a participant (`account_id` is the host's): deleted with the participant's data.
pub async fn enqueue_sms_for(
    tx: &mut Tx,
    account_id: Option<&str>,
    about: Option<About<'_>>,
    to: &str,
    text: &str,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let id = crate::security::token::new_id();
    sqlx::query(
        "INSERT INTO outbox (id, channel, account_id, recipient, subject, body_text, body_html, status, attempts, \
         next_attempt_at, created_at, participant_id, topic) \
         VALUES ($1, 'sms', $2, $3, '', $4, '', 'pending', 0, $5, $5, $6, $7)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(to)
    .bind(text)
    .bind(now)
    .bind(about.map(|a| a.participant_id))
    .bind(about.map(|a| a.topic))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Cancels the account's undelivered registration e-mails (a newer link replaces them).
pub async fn cancel_pending_for_account(
    tx: &mut Tx,
    account_id: &crate::domain::names::AccountId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET status = 'cancelled', body_text = '', body_html = '', action_url = NULL \
         WHERE account_id = $1 AND status = 'pending' AND channel = 'email' AND link_id IS NOT NULL",
    )
    .bind(account_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Cancels a participant's undelivered invitations (their link no longer works).
pub async fn cancel_pending_for_participant(tx: &mut Tx, participant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET status = 'cancelled', body_text = '', body_html = '', action_url = NULL, attachment = NULL \
         WHERE participant_id = $1 AND status = 'pending'",
    )
    .bind(participant_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Deletes every message to a participant (their appointment's data is purged).
pub async fn forget_participant(tx: &mut Tx, participant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM outbox WHERE participant_id = $1")
        .bind(participant_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

crate::domain::text::stored_enum! {
    pub enum Channel {
        Email = "email",
        Sms = "sms",
    }
}

#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    /// The claim's end; results are written only while this claim still holds.
    pub claimed_until: Timestamp,
    pub account_id: Option<String>,
    pub channel: Channel,
    pub link_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub action_url: Option<String>,
    pub attachment: Option<String>,
    pub attempts: i64,
    /// Where the delivery state is shown live, if anywhere.
    pub topic: Option<String>,
    pub sender: Option<Sender>,
}

/// Where a message to a participant stands, as the host's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub participant_id: String,
    pub channel: Channel,
    pub state: DeliveryState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet handed over.
    Sending,
    /// Handed over failed at least once; tried again.
    Retrying,
    /// Accepted by the mail server or the SMS gateway.
    Delivered,
    /// Given up after [`MAX_ATTEMPTS`].
    Failed,
}

/// The latest message per participant and channel under `topic` (cancelled ones, replaced by a newer
/// link, do not count).
pub async fn deliveries(db: &Db, topic: &str) -> Result<Vec<Delivery>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT participant_id, channel, status, attempts FROM outbox \
         WHERE topic = $1 AND participant_id IS NOT NULL AND status <> 'cancelled' ORDER BY created_at, id",
    )
    .bind(topic)
    .fetch_all(&db.pool)
    .await?;
    let mut latest: Vec<Delivery> = Vec::new();
    for row in rows {
        let status: String = row.try_get(2)?;
        let attempts: i64 = row.try_get(3)?;
        let state = match status.as_str() {
            "sent" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ if attempts > 0 => DeliveryState::Retrying,
            _ => DeliveryState::Sending,
        };
        let delivery = Delivery {
            participant_id: row.try_get(0)?,
            channel: crate::db::decode_enum(&row, "channel", Channel::parse)?,
            state,
        };
        latest.retain(|d| d.participant_id != delivery.participant_id || d.channel != delivery.channel);
        latest.push(delivery);
    }
    Ok(latest)
}

/// Frees every claim (see `App::start`): the message goes out again with the same Message-ID, so a copy
/// that reached the mail server just before the process died shows once in the mailbox.
pub async fn release_claims(db: &Db) -> Result<u64, sqlx::Error> {
    let released =
        sqlx::query("UPDATE outbox SET claimed_until = NULL WHERE claimed_until IS NOT NULL AND status = 'pending'")
            .execute(&db.pool)
            .await?
            .rows_affected();
    if released > 0 {
        tracing::warn!(released, "Nachrichten eines beendeten Versands werden erneut zugestellt");
    }
    Ok(released)
}

/// Takes the next due message, if any. The conditional UPDATE makes the claim atomic on both databases:
/// two workers racing for one row cannot both see `claimed_until` in the past after the first has written.
pub async fn claim_next(db: &Db, now: Timestamp) -> Result<Option<Claimed>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                     AND (claimed_until IS NULL OR claimed_until <= $2) \
                     ORDER BY next_attempt_at, created_at LIMIT 1) \
         AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $2) \
         RETURNING id, link_id, recipient, subject, body_text, body_html, action_url, attempts, channel, account_id, \
         claimed_until, attachment, topic, sender_name, reply_to",
    )
    .bind(now + CLAIM_SECONDS)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(Claimed {
            id: row.try_get(0)?,
            link_id: row.try_get(1)?,
            recipient: row.try_get(2)?,
            subject: row.try_get(3)?,
            body_text: row.try_get(4)?,
            body_html: row.try_get(5)?,
            action_url: row.try_get(6)?,
            attempts: row.try_get(7)?,
            channel: crate::db::decode_enum(&row, "channel", Channel::parse)?,
            account_id: row.try_get(9)?,
            claimed_until: row.try_get(10)?,
            attachment: row.try_get(11)?,
            topic: row.try_get(12)?,
            sender: row
                .try_get::<Option<String>, _>(13)?
                .map(|name| Ok::<_, sqlx::Error>(Sender { name, reply_to: row.try_get(14)? }))
                .transpose()?,
        })
    })
    .transpose()
}

/// Delivered: erase the body and start the link's validity.
pub async fn mark_sent(db: &Db, message: &Claimed, now: Timestamp, link_ttl: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, last_error = NULL, \
         body_text = '', body_html = '', action_url = NULL, attachment = NULL WHERE id = $2 AND claimed_until = $3",
    )
    .bind(now)
    .bind(&message.id)
    .bind(message.claimed_until)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        // The claim ran out and another worker took the message over: its result counts.
        return tx.rollback().await;
    }
    if let Some(link_id) = &message.link_id {
        // A registration link is valid from the hand-over of its mail ("ab Erhalt der E-Mail").
        sqlx::query("UPDATE registration_links SET sent_at = $1, expires_at = $2 WHERE id = $3 AND sent_at IS NULL")
            .bind(now)
            .bind(now + link_ttl)
            .bind(link_id)
            .execute(&mut *tx)
            .await?;
        let entry = Entry::new(AuditEvent::LinkSent, "success", Actor::System, message.account_id.as_deref());
        audit::record(&mut *tx, entry, now).await?;
    }
    let entry = Entry::new(AuditEvent::MessageDelivered, "success", Actor::System, message.account_id.as_deref())
        .detail(message.channel.as_str());
    audit::record(&mut *tx, entry, now).await?;
    tx.commit().await
}

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … capped at one hour.
pub fn backoff(attempts: i64) -> i64 {
    let exponent = (attempts - 1).clamp(0, 20) as u32;
    (30i64 << exponent).min(3600)
}

/// Not delivered: try again later, or give up visibly after [`MAX_ATTEMPTS`].
pub async fn mark_failed_attempt(db: &Db, message: &Claimed, error: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let give_up = message.attempts >= MAX_ATTEMPTS;
    let query = if give_up {
        "UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = $1, next_attempt_at = $2, \
         body_text = '', body_html = '', action_url = NULL, attachment = NULL \
         WHERE id = $3 AND claimed_until = $4 AND status = 'pending'"
    } else {
        "UPDATE outbox SET claimed_until = NULL, last_error = $1, next_attempt_at = $2 WHERE id = $3 AND claimed_until = $4"
    };
    sqlx::query(query)
        .bind(error)
        .bind(now + backoff(message.attempts))
        .bind(&message.id)
        .bind(message.claimed_until)
        .execute(&db.pool)
        .await?;
    if give_up {
        let entry = Entry::new(AuditEvent::MessageFailed, "failure", Actor::System, message.account_id.as_deref())
            .detail(message.channel.as_str());
        audit::record(&db.pool, entry, now).await?;
    }
    Ok(give_up)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_and_is_capped() {
        let delays: Vec<i64> = (1..=9).map(backoff).collect();
        assert_eq!(delays, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
