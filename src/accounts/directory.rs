//! The account list as support and the API search it: by name, e-mail address or username, with a
//! status filter.
use crate::clock::Timestamp;
use crate::db::Db;

use super::store::{self as accounts, Overview};

/// Which accounts a search keeps. Locked accounts count as `Locked` only, whatever their registration state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Any,
    Invited,
    LinkExpired,
    Registering,
    Active,
    Locked,
}

impl StatusFilter {
    /// The names used in the console's form and the API (`""` or absent: any).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" => Self::Any,
            "invited" => Self::Invited,
            "link_expired" => Self::LinkExpired,
            "registering" => Self::Registering,
            "active" => Self::Active,
            "locked" => Self::Locked,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Invited => "invited",
            Self::LinkExpired => "link_expired",
            Self::Registering => "registering",
            Self::Active => "active",
            Self::Locked => "locked",
        }
    }
}

/// Accounts whose name, e-mail address or username contains `query` (case-insensitive) and that pass the
/// filter, at most 50, in one query (the filter is applied before the limit, so none is missed).
pub async fn search(db: &Db, query: &str, filter: StatusFilter, now: Timestamp) -> Result<Vec<Overview>, sqlx::Error> {
    // LIKE wildcards typed by the agent are taken literally by dropping them.
    let needle: String = query.trim().to_lowercase().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect();
    let rows = sqlx::query(concat!(
        accounts::overview_select!(),
        " WHERE (a.name_lower LIKE $1 OR a.email_normalized LIKE $1 OR a.username_normalized LIKE $1) \
         AND ($2 = 'any' OR ($2 = 'locked' AND a.locked = 1) OR (a.locked = 0 AND ( \
              ($2 = 'link_expired' AND a.status = 'invited' AND l.expires_at <= $3) \
           OR ($2 = 'invited' AND a.status = 'invited' AND (l.expires_at IS NULL OR l.expires_at > $3)) \
           OR ($2 IN ('registering', 'active') AND a.status = $2)))) \
         ORDER BY a.name, a.id LIMIT 50"
    ))
    .bind(format!("%{needle}%"))
    .bind(filter.as_str())
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|row| accounts::overview_from_row(row, now)).collect()
}
