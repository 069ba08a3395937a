//! SMS codes, for setting up two-factor authentication and for signing in: 8 digits from the OS RNG,
//! valid 5 minutes, void after 5 wrong entries, a new one at the earliest 60 s after the last (and it voids
//! the old one), capped per account, number and client address. Each code is bound to the session it was
//! requested in, so a code from another login attempt never works. Only a hash of the code is stored.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::Tx;
use crate::domain::lang::Lang;
use crate::notify::outbox;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::token_key::{Keyed, TokenKey};
use crate::state::AppState;

pub const LIFETIME: i64 = 5 * 60;
pub const RESEND_AFTER: i64 = 60;
pub const MAX_WRONG: i64 = 5;

/// (window in seconds, most codes in it) per account and per number; per client address it is configured
/// (`sms.codes_per_address_per_hour`, a day three times as many).
const ACCOUNT_CAPS: [(i64, i64); 2] = [(3600, 5), (86_400, 10)];
const PHONE_CAPS: [(i64, i64); 2] = [(3600, 5), (86_400, 10)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Setup,
    Login,
    /// Confirming a sensitive change (turning 2FA off).
    Confirm,
    /// Setting a new password through "Passwort vergessen?".
    Reset,
}

impl Purpose {
    /// Codes asked for after the password was right (login) or from the e-mailed reset link count against
    /// the account and number only: people behind one practice router must not lock each other out.
    fn counts_per_address(self) -> bool {
        matches!(self, Purpose::Setup | Purpose::Confirm)
    }

    fn as_str(self) -> &'static str {
        match self {
            Purpose::Setup => "setup",
            Purpose::Login => "login",
            Purpose::Confirm => "confirm",
            Purpose::Reset => "reset",
        }
    }
}

/// 8 digits, every value equally likely.
pub fn generate() -> String {
    loop {
        let n = u32::from_le_bytes(crate::security::token::random_bytes::<4>());
        if n < u32::MAX - u32::MAX % 100_000_000 {
            return format!("{:08}", n % 100_000_000);
        }
    }
}

/// Keyed, and bound to the code's row: the same digits sent twice are stored differently.
fn hash(key: &TokenKey, id: &str, code: &str) -> String {
    key.hash(Keyed::SmsCode, &format!("{id}:{code}"))
}

/// Seconds still to wait before another code may be sent, given when the last one went out.
pub fn wait_before_resend(last_sent: Option<Timestamp>, now: Timestamp) -> i64 {
    last_sent.map_or(0, |sent| (sent + RESEND_AFTER - now).max(0))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Too early; seconds to wait.
    Wait(i64),
    /// An hourly or daily cap is reached; a new code is possible from `until` on.
    Capped { until: Timestamp },
}

pub struct Request<'a> {
    pub account_id: &'a crate::domain::names::AccountId,
    pub language: Lang,
    pub purpose: Purpose,
    /// The session the code belongs to.
    pub binding: &'a str,
    pub phone: &'a str,
    pub client_addr: &'a str,
}

async fn last_sent<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &crate::domain::names::AccountId,
    purpose: Purpose,
) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(sent_at) FROM sms_codes WHERE account_id = $1 AND purpose = $2")
        .bind(account_id)
        .bind(purpose.as_str())
        .fetch_one(db)
        .await
}

/// Seconds until a new code may be requested (0 = now).
pub async fn seconds_until_resend(
    state: &AppState,
    account_id: &crate::domain::names::AccountId,
    purpose: Purpose,
) -> Result<i64, sqlx::Error> {
    Ok(wait_before_resend(last_sent(&state.db.pool, account_id, purpose).await?, state.clock.now()))
}

async fn count_since(tx: &mut Tx, column: &'static str, value: &str, since: Timestamp) -> Result<i64, sqlx::Error> {
    let sql = match column {
        "account_id" => "SELECT COUNT(*) FROM sms_codes WHERE account_id = $1 AND sent_at > $2",
        "phone" => "SELECT COUNT(*) FROM sms_codes WHERE phone = $1 AND sent_at > $2",
        _ => "SELECT COUNT(*) FROM sms_codes WHERE client_addr = $1 AND sent_at > $2",
    };
    sqlx::query_scalar(sql).bind(value).bind(since).fetch_one(&mut **tx).await
}

/// Why a code for `request` may not be sent now (the 60 s rule, then the caps), if it may not.
async fn refusal_for(
    tx: &mut Tx,
    state: &AppState,
    request: &Request<'_>,
    now: Timestamp,
) -> Result<Option<Refused>, sqlx::Error> {
    let wait = wait_before_resend(last_sent(&mut **tx, request.account_id, request.purpose).await?, now);
    if wait > 0 {
        return Ok(Some(Refused::Wait(wait)));
    }
    let per_address = state.config.sms_codes_per_address_per_hour;
    let address_caps = [(3600, per_address), (86_400, 3 * per_address)];
    let mut checks =
        vec![("account_id", request.account_id.as_str(), ACCOUNT_CAPS), ("phone", request.phone, PHONE_CAPS)];
    if request.purpose.counts_per_address() {
        checks.push(("client_addr", request.client_addr, address_caps));
    }
    for (column, value, caps) in checks {
        for (window, most) in caps {
            let count = count_since(tx, column, value, now - window).await?;
            if count >= most {
                tracing::warn!(cap = column, window, "SMS-Obergrenze erreicht");
                // Possible again once enough of the codes in the window have left it.
                let oldest_that_counts = nth_sent_since(tx, column, value, now - window, count - most).await?;
                return Ok(Some(Refused::Capped { until: oldest_that_counts.unwrap_or(now) + window }));
            }
        }
    }
    Ok(None)
}

/// Why no code could be sent for `request` now, if none could (for pages that show it without sending).
pub async fn why_not(state: &AppState, request: &Request<'_>) -> Result<Option<Refused>, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let refused = refusal_for(&mut tx, state, request, state.clock.now()).await?;
    tx.rollback().await?;
    Ok(refused)
}

async fn nth_sent_since(
    tx: &mut Tx,
    column: &'static str,
    value: &str,
    since: Timestamp,
    skip: i64,
) -> Result<Option<Timestamp>, sqlx::Error> {
    let sql = match column {
        "account_id" => {
            "SELECT sent_at FROM sms_codes WHERE account_id = $1 AND sent_at > $2 ORDER BY sent_at LIMIT 1 OFFSET $3"
        }
        "phone" => "SELECT sent_at FROM sms_codes WHERE phone = $1 AND sent_at > $2 ORDER BY sent_at LIMIT 1 OFFSET $3",
        _ => "SELECT sent_at FROM sms_codes WHERE client_addr = $1 AND sent_at > $2 ORDER BY sent_at LIMIT 1 OFFSET $3",
    };
    sqlx::query_scalar(sql).bind(value).bind(since).bind(skip).fetch_optional(&mut **tx).await
}

/// Sends a new code (voiding the session's older ones) through the outbox, unless a rule says no.
pub async fn send(state: &AppState, request: Request<'_>) -> Result<Result<(), Refused>, sqlx::Error> {
    let now = state.clock.now();
    let id = crate::security::token::new_id();
    let code = generate();
    let text = crate::web::i18n::fill(request.language.texts().sms_code, &[("code", &code)]);
    // Parallel requests for the same account, number or address wait here for each other, so the 60 s rule
    // and the caps below count every code that went out before.
    let keys = [
        format!("sms:account:{}", request.account_id),
        format!("sms:phone:{}", request.phone),
        format!("sms:addr:{}", request.client_addr),
    ];
    let mut tx = state.db.begin_serialized(&keys.each_ref().map(String::as_str), now).await?;
    if let Some(refused) = refusal_for(&mut tx, state, &request, now).await? {
        tx.rollback().await?;
        let why = if matches!(refused, Refused::Wait(_)) { "too_early" } else { "capped" };
        refusal(state, &request, why, now).await?;
        return Ok(Err(refused));
    }
    sqlx::query("UPDATE sms_codes SET state = 'void' WHERE binding = $1 AND state = 'open'")
        .bind(request.binding)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sms_codes (id, account_id, purpose, binding, phone, client_addr, code_hash, sent_at, expires_at, \
         failed_attempts, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 'open')",
    )
    .bind(&id)
    .bind(request.account_id)
    .bind(request.purpose.as_str())
    .bind(request.binding)
    .bind(request.phone)
    .bind(request.client_addr)
    .bind(hash(&state.token_key, &id, &code))
    .bind(now)
    .bind(now + LIFETIME)
    .execute(&mut *tx)
    .await?;
    outbox::enqueue_sms(&mut tx, Some(request.account_id), request.phone, &text, now).await?;
    let entry = audit_entry(&request, "success", crate::domain::phone::mask(request.phone));
    audit::record(&mut *tx, entry, now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    tracing::info!(account = %request.account_id, purpose = request.purpose.as_str(),
        to = %crate::domain::phone::mask(request.phone), "SMS-Code eingereiht");
    Ok(Ok(()))
}

/// What the audit log keeps of a code request: purpose and outcome, the masked number or the reason.
fn audit_entry<'a>(request: &Request<'a>, outcome: &'static str, detail: impl std::fmt::Display) -> Entry<'a> {
    Entry::new(AuditEvent::SmsCodeSent, outcome, Actor::Account(request.account_id.clone()), Some(request.account_id))
        .from_addr(request.client_addr)
        .detail(format!("{} {detail}", request.purpose.as_str()))
}

async fn refusal(state: &AppState, request: &Request<'_>, why: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    audit::record(&state.db.pool, audit_entry(request, "refused", why), now).await
}

/// The open code of a session: the number it went to.
pub async fn open_code_phone(state: &AppState, binding: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT phone FROM sms_codes WHERE binding = $1 AND state = 'open' ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(binding)
    .fetch_optional(&state.db.pool)
    .await
}

/// The number the session's latest code went to, open or not (to offer it again after "Zurück").
pub async fn last_phone(state: &AppState, binding: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT phone FROM sms_codes WHERE binding = $1 ORDER BY sent_at DESC LIMIT 1")
        .bind(binding)
        .fetch_optional(&state.db.pool)
        .await
}

pub async fn void_open(state: &AppState, binding: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sms_codes SET state = 'void' WHERE binding = $1 AND state = 'open'")
        .bind(binding)
        .execute(&state.db.pool)
        .await
        .map(|_| ())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// Right code; the number it was sent to is now verified.
    Valid {
        phone: String,
    },
    Wrong {
        attempts_left: i64,
    },
    /// No usable code: expired, voided by too many wrong entries, or replaced.
    Expired,
    /// No code was ever sent for this session (a cap or the 60 s rule refused it).
    NotSent,
}

/// Checks a code of this session and purpose. Each entry is counted *before* the comparison (a conditional
/// UPDATE), so parallel guesses cannot get past the five allowed; a right code gets its attempt back.
pub async fn check(state: &AppState, binding: &str, purpose: Purpose, code: &str) -> Result<Checked, sqlx::Error> {
    let now = state.clock.now();
    let Some(row) = sqlx::query(
        "SELECT id, phone, code_hash, expires_at FROM sms_codes \
         WHERE binding = $1 AND purpose = $2 AND state = 'open' ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(binding)
    .bind(purpose.as_str())
    .fetch_optional(&state.db.pool)
    .await?
    else {
        let any: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sms_codes WHERE binding = $1 AND purpose = $2")
            .bind(binding)
            .bind(purpose.as_str())
            .fetch_one(&state.db.pool)
            .await?;
        return Ok(if any == 0 { Checked::NotSent } else { Checked::Expired });
    };
    let (id, phone, code_hash, expires_at): (String, String, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    if now >= expires_at {
        sqlx::query("UPDATE sms_codes SET state = 'void' WHERE id = $1").bind(&id).execute(&state.db.pool).await?;
        return Ok(Checked::Expired);
    }
    let reserved = sqlx::query(
        "UPDATE sms_codes SET failed_attempts = failed_attempts + 1 WHERE id = $1 AND state = 'open' AND failed_attempts < $2",
    )
    .bind(&id)
    .bind(MAX_WRONG)
    .execute(&state.db.pool)
    .await?;
    if reserved.rows_affected() == 0 {
        sqlx::query("UPDATE sms_codes SET state = 'void' WHERE id = $1").bind(&id).execute(&state.db.pool).await?;
        return Ok(Checked::Expired);
    }
    if hash(&state.token_key, &id, code.trim()) == code_hash {
        // Single use: only one of two simultaneous correct entries wins.
        let used = sqlx::query(
            "UPDATE sms_codes SET state = 'used', failed_attempts = failed_attempts - 1 WHERE id = $1 AND state = 'open'",
        )
        .bind(&id)
        .execute(&state.db.pool)
        .await?;
        return Ok(if used.rows_affected() == 1 { Checked::Valid { phone } } else { Checked::Expired });
    }
    let failed: i64 = sqlx::query_scalar("SELECT failed_attempts FROM sms_codes WHERE id = $1")
        .bind(&id)
        .fetch_one(&state.db.pool)
        .await?;
    if failed >= MAX_WRONG {
        sqlx::query("UPDATE sms_codes SET state = 'void' WHERE id = $1").bind(&id).execute(&state.db.pool).await?;
        return Ok(Checked::Expired);
    }
    Ok(Checked::Wrong { attempts_left: MAX_WRONG - failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_and_spread_out() {
        let mut first_digit = [0u32; 10];
        for _ in 0..5000 {
            let code = generate();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
            first_digit[(code.as_bytes()[0] - b'0') as usize] += 1;
        }
        // Each leading digit should appear about 500 times; 350 is far outside chance for a fair source.
        assert!(first_digit.iter().all(|n| *n > 350), "{first_digit:?}");
    }

    #[test]
    fn resend_waits_sixty_seconds() {
        assert_eq!(wait_before_resend(None, 1000), 0);
        assert_eq!(wait_before_resend(Some(1000), 1059), 1);
        assert_eq!(wait_before_resend(Some(1000), 1060), 0);
    }

    #[test]
    fn hashes_depend_on_the_code_row() {
        let key = TokenKey::from_bytes(&[3; 32]).unwrap();
        assert_ne!(hash(&key, "a", "12345678"), hash(&key, "b", "12345678"));
        assert!(!hash(&key, "a", "12345678").contains("12345678"));
    }
}
