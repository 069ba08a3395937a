//! Queries on accounts (portable SQL, see `db`).
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Account, AccountId, AccountStatus, EmailAddress, PersonName};
use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::domain::lang::Lang;
use crate::domain::wizard::{self, Plan, Step};

/// Static SQL only (sqlx refuses strings built at run time): the column list is spliced in by `concat!`.
macro_rules! columns {
    () => {
        "id, email, name, language, status, username, created_at, registered_at, edition, wizard_steps, steps_done, \
         two_factor_required, two_factor_enabled, phone, visible, role, locked"
    };
}

fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        language: Lang::parse(&row.try_get::<String, _>("language")?).unwrap_or(Lang::De),
        status: crate::db::decode_enum(row, "status", AccountStatus::parse)?,
        username: row.try_get("username")?,
        created_at: row.try_get("created_at")?,
        registered_at: row.try_get("registered_at")?,
        edition: row.try_get("edition")?,
        plan: Plan {
            middle: wizard::parse_list(&row.try_get::<String, _>("wizard_steps")?),
            done: wizard::parse_list(&row.try_get::<String, _>("steps_done")?),
        },
        two_factor_required: row.try_get::<i64, _>("two_factor_required")? != 0,
        two_factor_enabled: row.try_get::<i64, _>("two_factor_enabled")? != 0,
        phone: row.try_get("phone")?,
        visible: row.try_get::<i64, _>("visible")? != 0,
        role: crate::db::decode_enum(row, "role", super::Role::parse)?,
        locked: row.try_get::<i64, _>("locked")? != 0,
    })
}

pub async fn insert(tx: &mut Tx, account: &Account, email: &EmailAddress) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, email, email_normalized, name, name_lower, language, status, created_at, edition, \
         wizard_steps, two_factor_required, role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&account.id)
    .bind(&account.email)
    .bind(email.as_str())
    .bind(&account.name)
    .bind(account.name.to_lowercase())
    .bind(account.language.code())
    .bind(account.status.as_str())
    .bind(account.created_at)
    .bind(&account.edition)
    .bind(wizard::format_list(&account.plan.middle))
    .bind(i64::from(account.two_factor_required))
    .bind(account.role.as_str())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<Account>, sqlx::Error> {
    sqlx::query(concat!("SELECT ", columns!(), " FROM accounts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// By id, or by e-mail address when the argument contains `@`.
pub async fn find(db: &Db, id_or_email: &str) -> Result<Option<Account>, sqlx::Error> {
    if !id_or_email.contains('@') {
        return find_by_id(db, id_or_email.trim()).await;
    }
    let Ok(email) = EmailAddress::parse(id_or_email) else {
        return Ok(None);
    };
    sqlx::query(concat!("SELECT ", columns!(), " FROM accounts WHERE email_normalized = $1"))
        .bind(email.as_str())
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// The account with this username (case-insensitive) and its password hash, for login.
pub async fn find_for_login(db: &Db, username: &str) -> Result<Option<(Account, String)>, sqlx::Error> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        ", password_hash FROM accounts WHERE username_normalized = $1 AND password_hash IS NOT NULL"
    ))
    .bind(username.trim().to_lowercase())
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| Ok((from_row(&row)?, row.try_get("password_hash")?))).transpose()
}

/// A free username close to a taken one (`emuster2`, `emuster3`, …), within the username rules.
pub async fn free_variant(db: &Db, taken: &str) -> Result<Option<String>, sqlx::Error> {
    let base: String = taken.trim().chars().take(30).collect();
    for n in 2..=99 {
        let candidate = format!("{base}{n}");
        if crate::domain::username::unmet(&candidate).is_empty() && !username_taken(db, &candidate).await? {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// The practice as the profile keeps it; every part optional (empty when not given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PracticeDetails {
    pub practice: String,
    pub city: String,
    /// For patients, as [`crate::domain::phone::parse_callable`] writes it.
    pub phone: String,
    /// For patients, and the Reply-To of their invitations.
    pub email: String,
}

pub async fn practice(db: &Db, account_id: &str) -> Result<PracticeDetails, sqlx::Error> {
    let row = sqlx::query("SELECT practice, city, practice_phone, practice_email FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(Default::default()) };
    let get = |i| row.try_get::<Option<String>, _>(i).map(Option::unwrap_or_default);
    Ok(PracticeDetails { practice: get(0)?, city: get(1)?, phone: get(2)?, email: get(3)? })
}

pub async fn set_practice(db: &Db, account_id: &AccountId, details: &PracticeDetails) -> Result<(), sqlx::Error> {
    let blank_is_none = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    sqlx::query("UPDATE accounts SET practice = $1, city = $2, practice_phone = $3, practice_email = $4 WHERE id = $5")
        .bind(blank_is_none(&details.practice))
        .bind(blank_is_none(&details.city))
        .bind(blank_is_none(&details.phone))
        .bind(blank_is_none(&details.email))
        .bind(account_id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE username_normalized = $1")
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(found.is_some())
}

/// Sets the credentials; the account is unlocked at once when its wizard has no further steps.
/// `Ok(false)` if it was registered meanwhile.
pub async fn register(
    tx: &mut Tx,
    account: &Account,
    username: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let status = match account.plan.next(true) {
        Step::Complete => AccountStatus::Active,
        _ => AccountStatus::Registering,
    };
    let result = sqlx::query(
        "UPDATE accounts SET username = $1, username_normalized = $2, password_hash = $3, status = $4, \
         registered_at = $5 WHERE id = $6 AND status = $7",
    )
    .bind(username)
    .bind(username.to_lowercase())
    .bind(password_hash)
    .bind(status.as_str())
    .bind(now)
    .bind(&account.id)
    .bind(AccountStatus::Invited.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn record_login(db: &Db, account_id: &AccountId, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(account_id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn set_visible<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    visible: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET visible = $1 WHERE id = $2")
        .bind(i64::from(visible))
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// A new PIN also lifts a lock on support's PIN checks.
pub async fn set_pin_hash<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    hash: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET pin_hash = $1, pin_set_at = $2, pin_failed_attempts = 0 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

pub async fn pin_hash(db: &Db, account_id: &AccountId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT pin_hash FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await
        .map(Option::flatten)
}

/// A new verified number; two-factor authentication stays as it was.
pub async fn set_phone<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    phone: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET phone = $1 WHERE id = $2")
        .bind(phone)
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

pub async fn disable_two_factor<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET two_factor_enabled = 0 WHERE id = $1")
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

pub async fn set_password_hash<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

pub async fn password_hash(db: &Db, account_id: &AccountId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await
        .map(Option::flatten)
}

pub async fn set_language(
    db: &Db,
    account_id: &AccountId,
    language: crate::domain::lang::Lang,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
        .bind(language.code())
        .bind(account_id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Two-factor authentication is on, with this verified number.
pub async fn enable_two_factor<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    phone: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET phone = $1, two_factor_enabled = 1 WHERE id = $2")
        .bind(phone)
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// Marks a wizard step done; when it was the last one the account is unlocked in the same statement.
pub async fn complete_step<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account: &Account,
    step: Step,
) -> Result<(), sqlx::Error> {
    let plan = account.plan.with_done(step);
    let status = match plan.next(true) {
        Step::Complete => AccountStatus::Active,
        _ => AccountStatus::Registering,
    };
    sqlx::query("UPDATE accounts SET steps_done = $1, status = $2 WHERE id = $3 AND status = $4")
        .bind(wizard::format_list(&plan.done))
        .bind(status.as_str())
        .bind(&account.id)
        .bind(AccountStatus::Registering.as_str())
        .execute(executor)
        .await
        .map(|_| ())
}

/// What an operator sees of an account: never a secret.
#[derive(Debug, serde::Serialize)]
pub struct Overview {
    pub id: String,
    pub email: String,
    pub name: String,
    pub language: String,
    pub status: String,
    pub username: Option<String>,
    pub created_at: Timestamp,
    pub registered_at: Option<Timestamp>,
    pub link_sent_at: Option<Timestamp>,
    pub link_expires_at: Option<Timestamp>,
    pub mail_status: Option<String>,
    pub mail_attempts: Option<i64>,
    pub mail_error: Option<String>,
    pub edition: String,
    /// The next wizard step while registering.
    pub next_step: Option<String>,
    pub two_factor_enabled: bool,
    pub visible: bool,
    pub role: String,
    pub locked: bool,
    pub last_login_at: Option<Timestamp>,
}

/// The query behind [`Overview`]: add a `WHERE` (tables `a` accounts, `l` latest link, `o` its e-mail).
macro_rules! overview_select {
    () => {
        "SELECT a.id, a.email, a.name, a.language, a.status, a.username, a.created_at, a.registered_at, a.edition, \
     a.wizard_steps, a.steps_done, a.two_factor_required, a.two_factor_enabled, a.phone, a.visible, a.role, a.locked, \
     a.last_login_at, \
     l.sent_at AS link_sent_at, l.expires_at AS link_expires_at, \
     o.status AS mail_status, o.attempts AS mail_attempts, o.last_error AS mail_error \
     FROM accounts a \
     LEFT JOIN registration_links l ON l.id = (SELECT l2.id FROM registration_links l2 WHERE l2.account_id = a.id \
         ORDER BY l2.created_at DESC, l2.id DESC LIMIT 1) \
     LEFT JOIN outbox o ON o.id = (SELECT o2.id FROM outbox o2 WHERE o2.account_id = a.id AND o2.link_id IS NOT NULL \
         ORDER BY o2.created_at DESC, o2.id DESC LIMIT 1)"
    };
}
pub(crate) use overview_select;

pub fn overview_from_row(row: &AnyRow, now: Timestamp) -> Result<Overview, sqlx::Error> {
    let account = from_row(row)?;
    let link_expires_at: Option<i64> = row.try_get("link_expires_at")?;
    // "link_expired" is derived, never stored: it follows from the clock.
    let status = match (account.status, link_expires_at) {
        (AccountStatus::Invited, Some(expires)) if now >= expires => "link_expired",
        (status, _) => status.as_str(),
    };
    Ok(Overview {
        next_step: (account.status == AccountStatus::Registering).then(|| account.next_step().key().to_owned()),
        edition: account.edition.clone(),
        two_factor_enabled: account.two_factor_enabled,
        visible: account.visible,
        role: account.role.as_str().to_owned(),
        locked: account.locked,
        last_login_at: row.try_get("last_login_at")?,
        status: status.to_owned(),
        link_sent_at: row.try_get("link_sent_at")?,
        link_expires_at,
        mail_status: row.try_get("mail_status")?,
        mail_attempts: row.try_get("mail_attempts")?,
        mail_error: row.try_get("mail_error")?,
        id: account.id.to_string(),
        email: account.email,
        name: account.name.to_string(),
        language: account.language.code().to_owned(),
        username: account.username.map(|u| u.to_string()),
        created_at: account.created_at,
        registered_at: account.registered_at,
    })
}

pub async fn overview(db: &Db, account_id: &str, now: Timestamp) -> Result<Option<Overview>, sqlx::Error> {
    sqlx::query(concat!(overview_select!(), " WHERE a.id = $1"))
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| overview_from_row(&row, now))
        .transpose()
}

pub async fn list(db: &Db, now: Timestamp) -> Result<Vec<Overview>, sqlx::Error> {
    sqlx::query(concat!(overview_select!(), " ORDER BY a.created_at, a.id"))
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| overview_from_row(row, now))
        .collect()
}

/// Gives accounts stored before `name_lower` existed (or imported without it) their lower-case name; returns
/// how many it filled. Pages by id, so a million rows are read once, not once per batch.
pub async fn fill_name_lower(db: &Db) -> Result<u64, sqlx::Error> {
    let (mut after, mut filled) = (String::new(), 0);
    loop {
        let rows =
            sqlx::query("SELECT id, name FROM accounts WHERE name_lower IS NULL AND id > $1 ORDER BY id LIMIT 1000")
                .bind(&after)
                .fetch_all(&db.pool)
                .await?;
        let Some(last) = rows.last() else { return Ok(filled) };
        after = last.try_get(0)?;
        let mut tx = db.begin().await?;
        for row in &rows {
            let (id, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            sqlx::query("UPDATE accounts SET name_lower = $1 WHERE id = $2")
                .bind(name.to_lowercase())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

/// Inside the transaction that also rewrites the account's contact-search rows, which carry the name.
pub async fn set_name(tx: &mut Tx, account_id: &AccountId, name: &PersonName) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET name = $1, name_lower = $2 WHERE id = $3")
        .bind(name)
        .bind(name.to_lowercase())
        .bind(account_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn set_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET email = $1, email_normalized = $1 WHERE id = $2")
        .bind(email)
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// Turns 2FA off and forgets the number (the usual reason: the phone is lost).
pub async fn reset_two_factor<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET two_factor_enabled = 0, phone = NULL WHERE id = $1")
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

pub async fn set_locked<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account_id: &AccountId,
    locked: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET locked = $1 WHERE id = $2")
        .bind(i64::from(locked))
        .bind(account_id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// The Service-PIN's hash and how many checks failed in a row (support's PIN check).
pub async fn pin_state(db: &Db, account_id: &str) -> Result<(Option<String>, i64), sqlx::Error> {
    let row = sqlx::query("SELECT pin_hash, pin_failed_attempts FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&db.pool)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Counts a check *before* it is made (so parallel checks cannot exceed the limit); `false` when locked.
pub async fn reserve_pin_attempt(db: &Db, account_id: &str, limit: i64) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE accounts SET pin_failed_attempts = pin_failed_attempts + 1 WHERE id = $1 AND pin_failed_attempts < $2",
    )
    .bind(account_id)
    .bind(limit)
    .execute(&db.pool)
    .await
    .map(|r| r.rows_affected() == 1)
}

pub async fn reset_pin_failures(db: &Db, account_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET pin_failed_attempts = 0 WHERE id = $1")
        .bind(account_id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}
