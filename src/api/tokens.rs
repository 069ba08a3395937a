//! API tokens: shown once at creation, stored as SHA-256 only, with scopes, revocable.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::Db;
use crate::security::token;
use crate::security::token_key::{Keyed, TokenKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    AccountsRead,
    AccountsWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AccountsRead => "accounts:read",
            Scope::AccountsWrite => "accounts:write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "accounts:read" => Some(Scope::AccountsRead),
            "accounts:write" => Some(Scope::AccountsWrite),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// `accounts:write` includes reading.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || (scope == Scope::AccountsRead && self.scopes.contains(&Scope::AccountsWrite))
    }
}

/// The secret is returned once: `sst_` + 32 random bytes.
pub async fn create(
    db: &Db,
    key: &TokenKey,
    name: &str,
    scopes: &[Scope],
    now: Timestamp,
) -> Result<(ApiToken, String), sqlx::Error> {
    let secret = format!("sst_{}", token::generate());
    let id = token::new_id();
    let scope_text = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    sqlx::query("INSERT INTO api_tokens (id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(name)
        .bind(key.hash(Keyed::ApiToken, &secret))
        .bind(&scope_text)
        .bind(now)
        .execute(&db.pool)
        .await?;
    let created = ApiToken {
        id,
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((created, secret))
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: row.try_get::<String, _>("scopes")?.split(' ').filter_map(Scope::parse).collect(),
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The live token behind a bearer secret, if any; records its use.
pub async fn authenticate(
    db: &Db,
    key: &TokenKey,
    secret: &str,
    now: Timestamp,
) -> Result<Option<ApiToken>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key.hash(Keyed::ApiToken, secret))
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let found = from_row(&row)?;
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&found.id)
        .execute(&db.pool)
        .await?;
    Ok(Some(found))
}

pub async fn list(db: &Db) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query("SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at, id")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// `true` if a live token was revoked.
pub async fn revoke(db: &Db, id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|r| r.rows_affected() == 1)
}
