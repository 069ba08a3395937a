//! Queries on accounts (portable SQL, see `db`).
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Account, AccountStatus, EmailAddress};
use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::web::i18n::Lang;

/// Static SQL only (sqlx refuses strings built at run time): the column list is spliced in by `concat!`.
macro_rules! columns {
    () => {
        "id, email, name, language, status, username, created_at, registered_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        language: Lang::parse(&row.try_get::<String, _>("language")?).unwrap_or(Lang::De),
        status: AccountStatus::parse(&row.try_get::<String, _>("status")?),
        username: row.try_get("username")?,
        created_at: row.try_get("created_at")?,
        registered_at: row.try_get("registered_at")?,
    })
}

pub async fn insert(tx: &mut Tx, account: &Account, email: &EmailAddress) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, email, email_normalized, name, language, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&account.id)
    .bind(&account.email)
    .bind(email.as_str())
    .bind(&account.name)
    .bind(account.language.code())
    .bind(account.status.as_str())
    .bind(account.created_at)
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

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE username_normalized = $1")
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(found.is_some())
}

/// Sets the credentials and unlocks the account; `Ok(false)` if it was registered meanwhile.
pub async fn register(
    tx: &mut Tx,
    account_id: &str,
    username: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE accounts SET username = $1, username_normalized = $2, password_hash = $3, status = $4, \
         registered_at = $5 WHERE id = $6 AND status = $7",
    )
    .bind(username)
    .bind(username.to_lowercase())
    .bind(password_hash)
    .bind(AccountStatus::Active.as_str())
    .bind(now)
    .bind(account_id)
    .bind(AccountStatus::Invited.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
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
}

macro_rules! overview {
    () => {
        "SELECT a.id, a.email, a.name, a.language, a.status, a.username, a.created_at, a.registered_at, \
     l.sent_at AS link_sent_at, l.expires_at AS link_expires_at, \
     o.status AS mail_status, o.attempts AS mail_attempts, o.last_error AS mail_error \
     FROM accounts a \
     LEFT JOIN registration_links l ON l.id = (SELECT l2.id FROM registration_links l2 WHERE l2.account_id = a.id \
         ORDER BY l2.created_at DESC, l2.id DESC LIMIT 1) \
     LEFT JOIN outbox o ON o.id = (SELECT o2.id FROM outbox o2 WHERE o2.account_id = a.id \
         ORDER BY o2.created_at DESC, o2.id DESC LIMIT 1)"
    };
}

fn overview_from_row(row: &AnyRow, now: Timestamp) -> Result<Overview, sqlx::Error> {
    let account = from_row(row)?;
    let link_expires_at: Option<i64> = row.try_get("link_expires_at")?;
    // "link_expired" is derived, never stored: it follows from the clock.
    let status = match (account.status, link_expires_at) {
        (AccountStatus::Invited, Some(expires)) if now >= expires => "link_expired",
        (status, _) => status.as_str(),
    };
    Ok(Overview {
        status: status.to_owned(),
        link_sent_at: row.try_get("link_sent_at")?,
        link_expires_at,
        mail_status: row.try_get("mail_status")?,
        mail_attempts: row.try_get("mail_attempts")?,
        mail_error: row.try_get("mail_error")?,
        id: account.id,
        email: account.email,
        name: account.name,
        language: account.language.code().to_owned(),
        username: account.username,
        created_at: account.created_at,
        registered_at: account.registered_at,
    })
}

pub async fn overview(db: &Db, account_id: &str, now: Timestamp) -> Result<Option<Overview>, sqlx::Error> {
    sqlx::query(concat!(overview!(), " WHERE a.id = $1"))
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| overview_from_row(&row, now))
        .transpose()
}

pub async fn list(db: &Db, now: Timestamp) -> Result<Vec<Overview>, sqlx::Error> {
    sqlx::query(concat!(overview!(), " ORDER BY a.created_at, a.id"))
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|row| overview_from_row(row, now))
        .collect()
}
