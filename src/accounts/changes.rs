//! Changes to an account's credentials and contact data. Each is one transaction: the change, the e-mail
//! telling the person (through the outbox) and the audit entry commit together or not at all — when the
//! notice cannot be queued the change is refused and the old state stays. Handlers call these functions and
//! render; none of them opens a transaction.
use super::{Account, AccountError, EmailAddress, PersonName, store};
use crate::accounts::messages::{self, Change};
use crate::accounts::session;
use crate::clock::Timestamp;
use crate::db::Tx;
use crate::notify::outbox;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;

/// How a change is told: by whom, and with which (never secret) detail in the audit log.
struct Notice {
    change: Change,
    actor: Actor,
    detail: Option<String>,
    /// Besides the account's own address: the new one, when the address itself changed.
    also_to: Option<String>,
}

impl Notice {
    fn new(change: Change, actor: Actor) -> Self {
        Notice { change, actor, detail: None, also_to: None }
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A change under way: its transaction and the moment it happens.
struct Pending {
    tx: Tx,
    now: Timestamp,
}

async fn begin(state: &AppState) -> Result<Pending, AccountError> {
    Ok(Pending { tx: state.db.begin().await?, now: state.clock.now() })
}

/// Queues the notice, records the audit entry and commits everything written in `pending`.
async fn commit(state: &AppState, mut pending: Pending, account: &Account, notice: Notice) -> Result<(), AccountError> {
    let (tx, now) = (&mut pending.tx, pending.now);
    // A reset link sent before a change of password, address, number or 2FA must not outlive it (a mailbox
    // reported as compromised, say).
    super::resets::revoke_open(tx, &account.id, now).await?;
    let mail = messages::change_notice(&state.config, account, notice.change, now)?;
    for to in std::iter::once(account.email.clone()).chain(notice.also_to) {
        let email = outbox::OutgoingEmail {
            account_id: Some(account.id.to_string()),
            link_id: None,
            participant_id: None,
            topic: None,
            to,
            mail: mail.clone(),
            action_url: None,
            sender: None,
        };
        outbox::enqueue_email(tx, email, now).await?;
    }
    let mut entry = Entry::new(notice.change.event(), "success", notice.actor, Some(&account.id));
    entry.detail = notice.detail;
    audit::record(&mut **tx, entry, now).await?;
    pending.tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

fn by_the_person(account: &Account) -> Actor {
    Actor::Account(account.id.clone())
}

/// A new password (already hashed); the session it was typed in counts as freshly confirmed.
pub async fn change_password(
    state: &AppState,
    account: &Account,
    session_hash: &str,
    password_hash: &str,
) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::set_password_hash(&mut *pending.tx, &account.id, password_hash).await?;
    session::mark_reauthenticated(&mut *pending.tx, session_hash, pending.now).await?;
    commit(state, pending, account, Notice::new(Change::Password, by_the_person(account))).await
}

/// SMS two-factor off (password and a fresh code were checked by the caller).
pub async fn turn_off_two_factor(state: &AppState, account: &Account, session_hash: &str) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::disable_two_factor(&mut *pending.tx, &account.id).await?;
    session::mark_reauthenticated(&mut *pending.tx, session_hash, pending.now).await?;
    commit(state, pending, account, Notice::new(Change::TwoFactorOff, by_the_person(account))).await
}

/// SMS two-factor on, with a number just verified.
pub async fn turn_on_two_factor(state: &AppState, account: &Account, number: &str) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::enable_two_factor(&mut *pending.tx, &account.id, number).await?;
    let notice = Notice::new(Change::TwoFactorOn, by_the_person(account)).detail(crate::domain::phone::mask(number));
    commit(state, pending, account, notice).await
}

/// A new mobile number, by the person (verified) or by support; the old number is told by SMS.
pub async fn change_phone(state: &AppState, account: &Account, number: &str, actor: Actor) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::set_phone(&mut *pending.tx, &account.id, number).await?;
    if let Some(old) = account.phone.as_deref().filter(|old| *old != number) {
        // In case the change was not its owner's wish.
        let text = account.language.texts().phone_replaced_sms;
        outbox::enqueue_sms(&mut pending.tx, Some(&account.id), old, text, pending.now).await?;
    }
    commit(state, pending, account, Notice::new(Change::Phone, actor).detail(crate::domain::phone::mask(number))).await
}

/// A Service-PIN (already hashed): in the wizard the first one, in the profile a renewal, which is told
/// at once, even if the page is left before "Fortfahren".
pub async fn set_pin(state: &AppState, account: &Account, pin_hash: &str, renewal: bool) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::set_pin_hash(&mut *pending.tx, &account.id, pin_hash, pending.now).await?;
    let entry = Entry::new(AuditEvent::PinSet, "success", by_the_person(account), Some(&account.id));
    audit::record(&mut *pending.tx, entry, pending.now).await?;
    if renewal {
        return commit(state, pending, account, Notice::new(Change::ServicePin, by_the_person(account))).await;
    }
    pending.tx.commit().await?;
    Ok(())
}

/// Support corrects the name; the contact search shows the new one with the same commit.
pub async fn rename(state: &AppState, account: &Account, name: &PersonName, actor: Actor) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::set_name(&mut pending.tx, &account.id, name).await?;
    super::search_index::refresh(&mut pending.tx, &account.id).await?;
    let renamed = Account { name: name.clone(), ..account.clone() };
    commit(state, pending, &renamed, Notice::new(Change::Name, actor)).await
}

/// Support changes the e-mail address; both the old and the new address are told.
pub async fn change_email(
    state: &AppState,
    account: &Account,
    email: &EmailAddress,
    actor: Actor,
) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    match store::set_email(&mut *pending.tx, &account.id, email.as_str()).await {
        Err(e) if crate::db::is_unique_violation(&e) => return Err(AccountError::EmailTaken(email.as_str().into())),
        other => other?,
    }
    let mut notice = Notice::new(Change::Email, actor).detail(email.masked());
    notice.also_to = Some(email.as_str().to_owned());
    commit(state, pending, account, notice).await
}

/// Support turns two-factor off and forgets the number (the usual reason: the phone is lost).
pub async fn reset_two_factor(state: &AppState, account: &Account, actor: Actor) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::reset_two_factor(&mut *pending.tx, &account.id).await?;
    commit(state, pending, account, Notice::new(Change::TwoFactorReset, actor)).await
}

/// Locks the account (`Some(reason)`: every session ends, the reason goes to the audit log) or unlocks it
/// (`None`).
pub async fn set_locked(
    state: &AppState,
    account: &Account,
    actor: Actor,
    lock: Option<&str>,
) -> Result<u64, AccountError> {
    let mut pending = begin(state).await?;
    store::set_locked(&mut *pending.tx, &account.id, lock.is_some()).await?;
    super::search_index::refresh(&mut pending.tx, &account.id).await?;
    let (event, detail, ended) = match lock {
        Some(reason) => {
            let ended = session::end_others(&mut *pending.tx, &account.id, None).await?;
            (AuditEvent::AccountLocked, Some(format!("{reason}; {ended} Sitzung(en) beendet")), ended)
        }
        None => (AuditEvent::AccountUnlocked, None, 0),
    };
    let mut entry = Entry::new(event, "success", actor, Some(&account.id));
    entry.detail = detail;
    audit::record(&mut *pending.tx, entry, pending.now).await?;
    pending.tx.commit().await?;
    if ended > 0 {
        session::announce_ended(state, &account.id).await;
    }
    Ok(ended)
}

/// Visible in the contact search or not, effective with this commit (in or out of the index at once).
pub async fn set_visibility(state: &AppState, account: &Account, visible: bool) -> Result<(), AccountError> {
    let mut pending = begin(state).await?;
    store::set_visible(&mut *pending.tx, &account.id, visible).await?;
    super::search_index::refresh(&mut pending.tx, &account.id).await?;
    let entry = Entry::new(AuditEvent::VisibilityChanged, "success", by_the_person(account), Some(&account.id))
        .detail(if visible { "visible" } else { "hidden" });
    audit::record(&mut *pending.tx, entry, pending.now).await?;
    pending.tx.commit().await?;
    Ok(())
}

/// Who asked for a password-reset e-mail.
#[derive(Clone, Debug)]
pub enum ResetRequester {
    /// "Passwort vergessen?", from this client address.
    Person { client_addr: String },
    /// A support agent, after a correct Service-PIN check.
    Support(crate::domain::names::AccountId),
}

/// Queues a password-reset e-mail (a new link; older ones stop working). `Ok(false)` when the account had
/// its three reset e-mails this hour already: nothing is sent, and the audit log says so.
pub async fn send_password_reset(
    state: &AppState,
    account: &Account,
    requester: ResetRequester,
) -> Result<bool, AccountError> {
    let now = state.clock.now();
    // Parallel requests for one account wait for each other, so the cap counts every link issued before.
    let mut tx = state.db.begin_serialized(&[&format!("reset:{}", account.id)], now).await?;
    let (actor, requested_by, client_addr) = match &requester {
        ResetRequester::Person { client_addr } => (Actor::Anonymous, "self".to_owned(), Some(client_addr.as_str())),
        ResetRequester::Support(agent) => (Actor::Support(agent.clone()), format!("support:{agent}"), None),
    };
    let entry = |outcome| {
        let entry = Entry::new(AuditEvent::PasswordResetRequested, outcome, actor.clone(), Some(&account.id));
        match client_addr {
            Some(addr) => entry.from_addr(addr),
            None => entry,
        }
    };
    if super::resets::issued_within_hour(&mut tx, &account.id, now).await? >= super::resets::PER_ACCOUNT_AND_HOUR {
        tx.rollback().await?;
        audit::record(&state.db.pool, entry("capped"), now).await?;
        return Ok(false);
    }
    let (_, token) = super::resets::issue(&mut tx, &account.id, &requested_by, &state.token_key, now).await?;
    let url = format!("{}/passwort-vergessen/{token}", state.config.public_url);
    let mail = messages::password_reset(&state.config, account, &url, now + super::resets::LIFETIME)?;
    let email = outbox::OutgoingEmail {
        account_id: Some(account.id.to_string()),
        link_id: None,
        participant_id: None,
        topic: None,
        to: account.email.clone(),
        mail,
        action_url: Some(url),
        sender: None,
    };
    outbox::enqueue_email(&mut tx, email, now).await?;
    audit::record(&mut *tx, entry("success"), now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(true)
}

/// A new password (already hashed) through the reset link `reset_id`: uses the link up, ends every session
/// of the account, forgets earlier wrong passwords for its username, and tells the person by e-mail.
/// `Ok(false)` when the link was used (or replaced, or expired) meanwhile.
pub async fn reset_password(
    state: &AppState,
    account: &Account,
    reset_id: &str,
    password_hash: &str,
) -> Result<bool, AccountError> {
    let mut pending = begin(state).await?;
    if !super::resets::consume(&mut pending.tx, reset_id, pending.now).await? {
        pending.tx.rollback().await?;
        return Ok(false);
    }
    store::set_password_hash(&mut *pending.tx, &account.id, password_hash).await?;
    session::end_others(&mut *pending.tx, &account.id, None).await?;
    if let Some(username) = &account.username {
        crate::accounts::throttle::forget(&mut *pending.tx, &format!("u:{}", username.to_lowercase())).await?;
    }
    commit(state, pending, account, Notice::new(Change::PasswordReset, by_the_person(account))).await?;
    session::announce_ended(state, &account.id).await;
    Ok(true)
}

/// Username reminders per account and hour; more are not sent.
pub const REMINDERS_PER_HOUR: i64 = 3;

/// "Benutzername vergessen?": the username to the address on file. `Ok(false)` when the hour's reminders
/// were sent already.
pub async fn send_username_reminder(
    state: &AppState,
    account: &Account,
    client_addr: &str,
) -> Result<bool, AccountError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_serialized(&[&format!("reminder:{}", account.id)], now).await?;
    let sent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE account_id = $1 AND event = $2 AND outcome = 'success' AND at > $3",
    )
    .bind(&account.id)
    .bind(AuditEvent::UsernameReminder.as_str())
    .bind(now - 3600)
    .fetch_one(&mut *tx)
    .await?;
    let entry = |outcome| {
        Entry::new(AuditEvent::UsernameReminder, outcome, Actor::Anonymous, Some(&account.id)).from_addr(client_addr)
    };
    if sent >= REMINDERS_PER_HOUR {
        tx.rollback().await?;
        audit::record(&state.db.pool, entry("capped"), now).await?;
        return Ok(false);
    }
    let email = outbox::OutgoingEmail {
        account_id: Some(account.id.to_string()),
        link_id: None,
        participant_id: None,
        topic: None,
        to: account.email.clone(),
        mail: messages::username_reminder(&state.config, account)?,
        action_url: None,
        sender: None,
    };
    outbox::enqueue_email(&mut tx, email, now).await?;
    audit::record(&mut *tx, entry("success"), now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(true)
}
