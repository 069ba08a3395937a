//! Queries for contact search, contact lists and contact SMS.
use sqlx::Row;

use crate::clock::Timestamp;
use crate::db::{Db, Tx};
use crate::domain::search_terms as normalize;

pub const PAGE_SIZE: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub username: String,
}

/// One page of accounts matching every word of the query as the prefix of one of their terms. Ordered by the
/// matching term, so exact matches come first ("muller" before "mullerson"), straight from the index.
pub async fn search(db: &Db, query: &str, searcher: &str, page: usize) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let words = normalize::query_words(query);
    let Some(first) = words.first() else { return Ok((Vec::new(), false)) };
    let second = words.get(1).map(|w| (w.as_str(), normalize::range_end(w)));
    let whole_first = match second {
        Some(_) => is_whole_term(db, first).await?,
        None => false,
    };
    let want = (page + 1) * PAGE_SIZE + 1;
    // Umlaut spellings can bring one account twice: fetch a little more, and more again if that was not enough.
    let mut fetch = want + 3;
    let all = loop {
        let rows = candidates(db, first, second.as_ref(), whole_first, searcher, fetch as i64).await?;
        let truncated = rows.len() == fetch;
        let mut all: Vec<Found> = Vec::with_capacity(rows.len());
        for found in rows {
            if !all.iter().any(|f| f.id == found.id) {
                all.push(found);
            }
        }
        if all.len() >= want || !truncated {
            break all;
        }
        fetch *= 2;
    };
    let more = all.len() > (page + 1) * PAGE_SIZE;
    let mut found: Vec<Found> = all.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect();
    // Words beyond the second are checked here, on at most a page of candidates.
    let extra: Vec<&String> = words.iter().skip(2).collect();
    if !extra.is_empty() {
        found.retain(|f| {
            let terms = normalize::terms(&f.name, &f.username);
            extra.iter().all(|w| terms.iter().any(|t| t.starts_with(w.as_str())))
        });
    }
    Ok((found, more))
}

/// Matching accounts in index order, with name and username (one query per search: with sqlx's `Any`
/// driver a round trip costs more than a few more rows).
async fn candidates(
    db: &Db,
    first: &str,
    second: Option<&(&str, String)>,
    whole_first: bool,
    searcher: &str,
    limit: i64,
) -> Result<Vec<Found>, sqlx::Error> {
    let end = normalize::range_end(first);
    let rows = match second {
        None => {
            sqlx::query(
                "SELECT account_id, name, username FROM contact_search \
                 WHERE term >= $1 AND term < $2 AND account_id <> $3 ORDER BY term, account_id LIMIT $4",
            )
            .bind(first)
            .bind(&end)
            .bind(searcher)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        // A whole first word ("Anna Mü"): one range in the pair index, as fast as a one-word search.
        Some((second, second_end)) if whole_first => {
            sqlx::query(
                "SELECT account_id, name, username FROM contact_search_pairs \
                 WHERE first_term = $1 AND second_term >= $2 AND second_term < $3 AND account_id <> $4 \
                 ORDER BY second_term, account_id LIMIT $5",
            )
            .bind(first)
            .bind(*second)
            .bind(second_end)
            .bind(searcher)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        // Only a fragment of the first word ("An Mü"): scan its range, check the second word per row.
        Some((second, second_end)) => {
            sqlx::query(
                "SELECT s.account_id, s.name, s.username FROM contact_search s \
                 WHERE s.term >= $1 AND s.term < $2 AND s.account_id <> $3 AND EXISTS (SELECT 1 FROM contact_search t WHERE t.account_id = s.account_id AND t.term >= $4 \
                 AND t.term < $5) ORDER BY s.term, s.account_id LIMIT $6",
            )
            .bind(first)
            .bind(&end)
            .bind(searcher)
            .bind(*second)
            .bind(second_end)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
    };
    rows.iter().map(|row| Ok(Found { id: row.try_get(0)?, name: row.try_get(1)?, username: row.try_get(2)? })).collect()
}

async fn is_whole_term(db: &Db, word: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT term FROM contact_search WHERE term = $1 LIMIT 1")
        .bind(word)
        .fetch_optional(&db.pool)
        .await?;
    Ok(found.is_some())
}

/// May this account be found (and so added as a contact)?
/// What tells a search hit apart: whether they have a verified mobile number (a contact SMS could reach
/// them), and their practice and town.
pub async fn details(db: &Db, account_id: &str) -> Result<(bool, String), sqlx::Error> {
    let row = sqlx::query("SELECT phone, practice, city FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok((false, String::new())) };
    Ok((row.try_get::<Option<String>, _>(0)?.is_some(), place(row.try_get(1)?, row.try_get(2)?)))
}

pub async fn is_findable(db: &Db, account_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM contact_search WHERE account_id = $1 LIMIT 1")
            .bind(account_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(found.is_some())
}

#[derive(Clone, Debug)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub username: String,
    /// Visible, unlocked, active and with a verified mobile number: an SMS can reach them now.
    pub reachable: bool,
    /// Practice and town as they entered them ("Praxis am Deich · Husum"), or empty.
    pub place: String,
}

/// "Praxis am Deich · Husum" from the two optional profile fields.
pub fn place(practice: Option<String>, city: Option<String>) -> String {
    [practice, city].into_iter().flatten().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" · ")
}

pub async fn list(db: &Db, owner: &str) -> Result<Vec<Contact>, sqlx::Error> {
    sqlx::query(
        "SELECT a.id, a.name, a.username, a.visible, a.locked, a.status, a.phone, a.practice, a.city FROM contacts c \
         JOIN accounts a ON a.id = c.contact_id WHERE c.owner_id = $1 ORDER BY a.name, a.id",
    )
    .bind(owner)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(contact_from_row)
    .collect()
}

/// The contacts added last, newest first (the start page).
pub async fn recent(db: &Db, owner: &str, limit: i64) -> Result<Vec<Contact>, sqlx::Error> {
    sqlx::query(
        "SELECT a.id, a.name, a.username, a.visible, a.locked, a.status, a.phone, a.practice, a.city FROM contacts c \
         JOIN accounts a ON a.id = c.contact_id WHERE c.owner_id = $1 ORDER BY c.added_at DESC, a.id LIMIT $2",
    )
    .bind(owner)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(contact_from_row)
    .collect()
}

fn contact_from_row(row: &sqlx::any::AnyRow) -> Result<Contact, sqlx::Error> {
    let reachable = row.try_get::<i64, _>(3)? == 1
        && row.try_get::<i64, _>(4)? == 0
        && row.try_get::<String, _>(5)? == "active"
        && row.try_get::<Option<String>, _>(6)?.is_some();
    Ok(Contact {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        username: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
        reachable,
        place: place(row.try_get(7)?, row.try_get(8)?),
    })
}

/// The owner's contact with this id, if it is in their list.
pub async fn get(db: &Db, owner: &str, contact: &str) -> Result<Option<(Contact, Option<String>)>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT a.id, a.name, a.username, a.visible, a.locked, a.status, a.phone, a.practice, a.city FROM contacts c \
         JOIN accounts a ON a.id = c.contact_id WHERE c.owner_id = $1 AND c.contact_id = $2",
    )
    .bind(owner)
    .bind(contact)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((contact_from_row(&row)?, row.try_get(6)?)))
}

pub async fn add(db: &Db, owner: &str, contact: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contacts (owner_id, contact_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (owner_id, contact_id) DO NOTHING",
    )
    .bind(owner)
    .bind(contact)
    .bind(now)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

pub async fn remove(db: &Db, owner: &str, contact: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2")
        .bind(owner)
        .bind(contact)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// One SMS from `sender` to `recipient`, counted against the sender's caps.
pub async fn record_message(tx: &mut Tx, sender: &str, recipient: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO contact_messages (id, sender_id, recipient_id, sent_at) VALUES ($1, $2, $3, $4)")
        .bind(crate::security::token::new_id())
        .bind(sender)
        .bind(recipient)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn messages_since(tx: &mut Tx, sender: &str, since: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM contact_messages WHERE sender_id = $1 AND sent_at > $2")
        .bind(sender)
        .bind(since)
        .fetch_one(&mut **tx)
        .await
}
