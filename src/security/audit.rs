//! The security audit log: who did what to which account, from where, with what outcome — never a secret
//! (no passwords, PINs, codes, tokens; phone numbers and e-mail addresses masked). Append-only: this module
//! only inserts and reads.
use serde::Serialize;
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::Db;

/// Who acted.
#[derive(Clone, Debug)]
pub enum Actor {
    /// The service itself (delivery worker, expiry).
    System,
    /// An operator at the command line.
    Operator,
    /// The person the account belongs to (or someone holding their link or password).
    Account(crate::domain::names::AccountId),
    /// A support agent (their account id).
    Support(crate::domain::names::AccountId),
    /// A system using the admin API (the token's id).
    ApiToken(String),
    /// A guest of an appointment (the participant's id; names are never in the audit log).
    Guest(String),
    /// Someone not (yet) identified.
    Anonymous,
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Operator => "operator".into(),
            Actor::Account(id) => format!("account:{id}"),
            Actor::Support(id) => format!("support:{id}"),
            Actor::ApiToken(id) => format!("api-token:{id}"),
            Actor::Guest(id) => format!("participant:{id}"),
            Actor::Anonymous => "anonymous".into(),
        }
    }
}

crate::domain::text::stored_enum! {
    /// Every kind of event the audit log records (the database accepts only these: migrations 11, 12 and 13).
    pub enum AuditEvent {
        AccountCreated = "account.created",
        AccountLocked = "account.locked",
        AccountResend = "account.resend",
        AccountUnlocked = "account.unlocked",
        AppointmentCancelled = "appointment.cancelled",
        AppointmentChanged = "appointment.changed",
        AppointmentCreated = "appointment.created",
        /// "Sprechstunde beenden": the host ended the consultation for everyone.
        AppointmentEnded = "appointment.ended",
        /// Participants' data deleted after the retention period (`detail`: how many).
        AppointmentPurged = "appointment.purged",
        ContactSms = "contact.sms",
        EmailChanged = "email.changed",
        GuestAdmitted = "guest.admitted",
        GuestCheckin = "guest.checkin",
        /// An access code was entered (outcome: success, unknown, limited, too_early, over, cancelled, declined,
        /// revoked).
        GuestCode = "guest.code",
        GuestDeclined = "guest.declined",
        /// A guest made a link for another browser (outcome: made), or opened one (success, unknown, …).
        GuestHandover = "guest.handover",
        GuestLeft = "guest.left",
        /// An invitation link was opened (outcomes as for codes).
        GuestLink = "guest.link",
        GuestSentBack = "guest.sent_back",
        InvitationSent = "invitation.sent",
        LinkOpened = "link.opened",
        LinkRevoked = "link.revoked",
        LinkSent = "link.sent",
        LoginPassword = "login.password",
        LoginSecondFactor = "login.second_factor",
        Logout = "logout",
        MessageDelivered = "message.delivered",
        MessageFailed = "message.failed",
        NameChanged = "name.changed",
        ParticipantAdded = "participant.added",
        ParticipantRemoved = "participant.removed",
        /// "Neu erstellen": a participant's link and code replaced.
        ParticipantRenewed = "participant.renewed",
        PasswordChanged = "password.changed",
        /// A new password set through "Passwort vergessen?" (the link from the e-mail).
        PasswordReset = "password.reset",
        /// A reset e-mail asked for (by the person or by support), or refused by a cap.
        PasswordResetRequested = "password.reset_requested",
        PhoneChanged = "phone.changed",
        PinCheck = "pin.check",
        PinRenewed = "pin.renewed",
        PinSet = "pin.set",
        Reauth = "reauth",
        RegistrationCompleted = "registration.completed",
        RegistrationStep = "registration.step",
        SessionsEnded = "sessions.ended",
        SmsCodeSent = "sms.code_sent",
        SupportChange = "support.change",
        TwoFactorDisabled = "two_factor.disabled",
        TwoFactorEnabled = "two_factor.enabled",
        TwoFactorReset = "two_factor.reset",
        UsernameReminder = "username.reminder",
        VisibilityChanged = "visibility.changed",
        WaitingRoomNotice = "waiting_room.notice",
    }
}

pub struct Entry<'a> {
    pub actor: Actor,
    pub account_id: Option<&'a str>,
    pub client_addr: Option<String>,
    pub event: AuditEvent,
    /// `success`, `failure`, `refused`, `expired`, …
    pub outcome: &'static str,
    /// Non-secret details (step name, masked number, …).
    pub detail: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn new(event: AuditEvent, outcome: &'static str, actor: Actor, account_id: Option<&'a str>) -> Self {
        Entry { actor, account_id, client_addr: None, event, outcome, detail: None }
    }

    pub fn from_addr(mut self, addr: impl ToString) -> Self {
        self.client_addr = Some(addr.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

pub async fn record<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    entry: Entry<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, account_id, client_addr, event, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::security::token::new_id())
    .bind(now)
    .bind(entry.actor.label())
    .bind(entry.account_id)
    .bind(entry.client_addr)
    .bind(entry.event.as_str())
    .bind(entry.outcome)
    .bind(entry.detail)
    .execute(executor)
    .await
    .map(|_| ())
}

/// Anonymous failures — unknown links, refused or wrong code entries — written at most once per kind,
/// client address and minute; the ones left out are counted and named in the next entry written. (Each
/// used to be a row: thousands of unknown links were thousands of rows.) Per instance, in memory.
#[derive(Default)]
pub struct Sampler {
    seen: std::sync::Mutex<std::collections::HashMap<(String, String), (Timestamp, u32)>>,
}

impl Sampler {
    /// `Some(left_out)`: write this one, noting how many of the same were left out before it.
    pub fn admit(&self, kind: &str, addr: &str, now: Timestamp) -> Option<u32> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, (since, _)| now - *since < 60);
        }
        let entry = seen.entry((kind.to_owned(), addr.to_owned())).or_insert((now - 60, 0));
        if now - entry.0 < 60 {
            entry.1 += 1;
            return None;
        }
        let left_out = entry.1;
        *entry = (now, 0);
        Some(left_out)
    }
}

/// Records an anonymous failure through the `sampler` (see [`Sampler`]).
pub async fn record_sampled(
    db: &crate::db::Db,
    sampler: &Sampler,
    mut entry: Entry<'_>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let kind = format!("{}:{}", entry.event.as_str(), entry.outcome);
    let Some(left_out) = sampler.admit(&kind, entry.client_addr.as_deref().unwrap_or(""), now) else {
        return Ok(());
    };
    if left_out > 0 {
        let before = entry.detail.take().map(|d| format!("{d}; ")).unwrap_or_default();
        entry.detail = Some(format!("{before}{left_out} gleiche seit dem letzten Eintrag nicht einzeln vermerkt"));
    }
    record(&db.pool, entry, now).await
}

/// Entries about `detail` (e.g. `participant:<id>`) no longer say where the request came from: the entries
/// stay, the address (personal data) goes.
pub async fn forget_client_addr(tx: &mut crate::db::Tx, detail: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE audit_log SET client_addr = NULL WHERE detail = $1")
        .bind(detail)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

#[derive(Debug, Serialize)]
pub struct Record {
    pub at: String,
    pub actor: String,
    pub account_id: Option<String>,
    pub client_addr: Option<String>,
    pub event: String,
    pub outcome: String,
    pub detail: Option<String>,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Record, sqlx::Error> {
    Ok(Record {
        at: crate::web::format::iso_utc(row.try_get("at")?),
        actor: row.try_get("actor")?,
        account_id: row.try_get("account_id")?,
        client_addr: row.try_get("client_addr")?,
        event: crate::db::decode_enum(row, "event", AuditEvent::parse)?.as_str().to_owned(),
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
    })
}

/// Everything since `since`, oldest first (for `sprechstunde audit export`).
pub async fn since(db: &Db, since: Timestamp) -> Result<Vec<Record>, sqlx::Error> {
    sqlx::query(
        "SELECT at, actor, account_id, client_addr, event, outcome, detail FROM audit_log WHERE at >= $1 ORDER BY at, id",
    )
    .bind(since)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// One account's history, newest first (for the support console).
pub async fn for_account(db: &Db, account_id: &str, limit: i64) -> Result<Vec<Record>, sqlx::Error> {
    sqlx::query(
        "SELECT at, actor, account_id, client_addr, event, outcome, detail FROM audit_log WHERE account_id = $1 \
         ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_lets_one_through_per_kind_address_and_minute() {
        let sampler = Sampler::default();
        assert_eq!(sampler.admit("guest.link:unknown", "203.0.113.7", 1000), Some(0));
        assert_eq!(sampler.admit("guest.link:unknown", "203.0.113.7", 1010), None);
        assert_eq!(sampler.admit("guest.link:unknown", "203.0.113.7", 1059), None);
        assert_eq!(sampler.admit("guest.code:unknown", "203.0.113.7", 1010), Some(0), "another kind");
        assert_eq!(sampler.admit("guest.link:unknown", "203.0.113.8", 1010), Some(0), "another address");
        assert_eq!(sampler.admit("guest.link:unknown", "203.0.113.7", 1060), Some(2), "two left out");
    }
}
