//! Registration links: issued with the e-mail, valid for the configured time after the mail was handed to
//! the mail server, never consumed by opening, consumed atomically by step 1, revoked by a resend.
use sqlx::Row;

use crate::accounts::{Account, store};
use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::security::token;
use crate::security::token_key::{Keyed, TokenKey};

#[derive(Clone, Debug)]
pub struct Link {
    pub id: String,
    pub account_id: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub used_at: Option<Timestamp>,
}

/// What opening a link leads to; each has its own page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    Valid,
    Expired,
    AlreadyRegistered,
    Replaced,
    Unknown,
}

impl LinkOutcome {
    /// Name in the audit log.
    pub fn label(self) -> &'static str {
        match self {
            LinkOutcome::Valid => "valid",
            LinkOutcome::Expired => "expired",
            LinkOutcome::AlreadyRegistered => "already_registered",
            LinkOutcome::Replaced => "replaced",
            LinkOutcome::Unknown => "unknown",
        }
    }
}

/// The decision, without I/O. Registration wins over everything (the person should sign in), then a
/// newer link (use that one), then the clock. A link whose e-mail has not gone out yet has no expiry yet.
pub fn outcome(link: &Link, account: &Account, now: Timestamp) -> LinkOutcome {
    if account.is_registered() || link.used_at.is_some() {
        LinkOutcome::AlreadyRegistered
    } else if link.revoked_at.is_some() {
        LinkOutcome::Replaced
    } else if link.expires_at.is_some_and(|expires| now >= expires) {
        LinkOutcome::Expired
    } else {
        LinkOutcome::Valid
    }
}

/// A new link for the account; returns its id and the raw token (which exists only in the e-mail).
pub async fn issue(
    tx: &mut Tx,
    account_id: &crate::domain::names::AccountId,
    key: &TokenKey,
    now: Timestamp,
) -> Result<(String, String), sqlx::Error> {
    let id = token::new_id();
    let raw = token::generate();
    sqlx::query("INSERT INTO registration_links (id, account_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(account_id)
        .bind(key.hash(Keyed::RegistrationLink, &raw))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok((id, raw))
}

pub async fn revoke_open(
    tx: &mut Tx,
    account_id: &crate::domain::names::AccountId,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE registration_links SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Uses the link up. Exactly one of any number of simultaneous calls gets `true`: the first statement of
/// the transaction is this conditional write, so later ones wait for it and then find `used_at` set.
pub async fn consume(tx: &mut Tx, link_id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE registration_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $1)",
    )
    .bind(now)
    .bind(link_id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

macro_rules! columns {
    () => {
        "id, account_id, expires_at, revoked_at, used_at"
    };
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Link, sqlx::Error> {
    Ok(Link {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        used_at: row.try_get("used_at")?,
    })
}

async fn with_account(db: &Db, link: Option<Link>) -> Result<Option<(Link, Account)>, sqlx::Error> {
    let Some(link) = link else { return Ok(None) };
    Ok(store::find_by_id(db, &link.account_id).await?.map(|account| (link, account)))
}

pub async fn find_by_token(db: &Db, key: &TokenKey, raw: &str) -> Result<Option<(Link, Account)>, sqlx::Error> {
    if !token::looks_valid(raw) {
        return Ok(None);
    }
    let link = sqlx::query(concat!("SELECT ", columns!(), " FROM registration_links WHERE token_hash = $1"))
        .bind(key.hash(Keyed::RegistrationLink, raw))
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()?;
    with_account(db, link).await
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<(Link, Account)>, sqlx::Error> {
    let link = sqlx::query(concat!("SELECT ", columns!(), " FROM registration_links WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .map(|row| from_row(&row))
        .transpose()?;
    with_account(db, link).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{AccountId, AccountStatus, PersonName};
    use crate::domain::lang::Lang;

    fn link() -> Link {
        Link { id: "l".into(), account_id: "a".into(), expires_at: Some(1000), revoked_at: None, used_at: None }
    }

    fn account(status: AccountStatus) -> Account {
        Account {
            id: AccountId::from_stored("a".into()),
            email: "e@x.de".into(),
            name: PersonName::from_stored("E".into()),
            language: Lang::De,
            status,
            username: None,
            created_at: 0,
            registered_at: None,
            edition: "standard".into(),
            plan: crate::domain::wizard::Plan { middle: vec![], done: vec![] },
            two_factor_required: false,
            two_factor_enabled: false,
            phone: None,
            visible: false,
            role: crate::accounts::Role::User,
            locked: false,
        }
    }

    #[test]
    fn outcomes() {
        let invited = account(AccountStatus::Invited);
        assert_eq!(outcome(&link(), &invited, 999), LinkOutcome::Valid);
        assert_eq!(outcome(&link(), &invited, 1000), LinkOutcome::Expired);
        let unsent = Link { expires_at: None, ..link() };
        assert_eq!(outcome(&unsent, &invited, 10_000), LinkOutcome::Valid);
        let revoked = Link { revoked_at: Some(5), ..link() };
        assert_eq!(outcome(&revoked, &invited, 2000), LinkOutcome::Replaced, "replaced beats expired");
        let used = Link { used_at: Some(5), ..link() };
        assert_eq!(outcome(&used, &invited, 2000), LinkOutcome::AlreadyRegistered);
        assert_eq!(
            outcome(&revoked, &account(AccountStatus::Active), 2000),
            LinkOutcome::AlreadyRegistered,
            "a registered person is sent to sign in, whichever link they open"
        );
    }
}
