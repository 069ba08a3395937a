//! The contact-search index holds rows only for accounts that may be found: active, visible, not locked,
//! not staff. Hidden accounts are therefore absent from results, from counts and from the work a search
//! does, so not even the answer time can reveal them. `refresh` is called after every change that can
//! affect this (registration completed, visibility, name, lock).
use sqlx::Row;

use crate::domain::search_terms as normalize;

pub async fn refresh(
    conn: &mut sqlx::AnyConnection,
    account_id: &crate::domain::names::AccountId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_search WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM contact_search_pairs WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    let Some(row) = sqlx::query(
        "SELECT name, username FROM accounts WHERE id = $1 AND status = 'active' AND visible = 1 AND locked = 0 \
         AND role = 'user'",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(());
    };
    let (name, username): (String, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
    let username = username.unwrap_or_default();
    for term in normalize::terms(&name, &username) {
        sqlx::query("INSERT INTO contact_search (term, account_id, name, username) VALUES ($1, $2, $3, $4)")
            .bind(term)
            .bind(account_id)
            .bind(&name)
            .bind(&username)
            .execute(&mut *conn)
            .await?;
    }
    for (first, second) in normalize::pairs(&name) {
        sqlx::query(
            "INSERT INTO contact_search_pairs (first_term, second_term, account_id, name, username) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(first)
        .bind(second)
        .bind(account_id)
        .bind(&name)
        .bind(&username)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// For callers that are not inside a transaction.
pub async fn refresh_now(db: &crate::db::Db, account_id: &crate::domain::names::AccountId) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    refresh(&mut tx, account_id).await?;
    tx.commit().await
}
