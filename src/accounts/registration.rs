//! Registration's step 1 as a service: the credentials, the spent link, the contact-search entry, the login
//! session and the audit entry in one transaction. The wizard's page (`onboarding::step1`) checks the form
//! and shows what comes back.
use crate::accounts::session::{self, SessionKind};
use crate::accounts::{Account, links, store};
use crate::domain::wizard::Step;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("Datenbankfehler: {0}")]
    Database(#[from] sqlx::Error),
    #[error("Passwort nicht verarbeitet: {0}")]
    Hashing(#[from] crate::error::AppError),
    /// Another submission of the same link won the race, or the link changed meanwhile: nothing was written.
    #[error("Registrierungslink schon verwendet")]
    LinkSpent,
    /// Someone else has this username; `suggestion`: a free variant of it.
    #[error("Benutzername vergeben")]
    UsernameTaken { suggestion: Option<String> },
}

/// Sets username and password (already checked against the rules) through the link `link_id`; returns
/// the new login session's token.
pub async fn set_credentials(
    state: &AppState,
    account: &Account,
    link_id: &str,
    (username, password): (&str, String),
    peer: std::net::IpAddr,
) -> Result<String, RegistrationError> {
    let password_hash = state.hasher.hash(password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !links::consume(&mut tx, link_id, now).await? {
        tx.rollback().await?;
        return Err(RegistrationError::LinkSpent);
    }
    match store::register(&mut tx, account, username, &password_hash, now).await {
        Ok(true) => {}
        Ok(false) => {
            tx.rollback().await?;
            return Err(RegistrationError::LinkSpent);
        }
        Err(e) if crate::db::is_unique_violation(&e) => {
            tx.rollback().await?;
            let suggestion = store::free_variant(&state.db, username).await?;
            return Err(RegistrationError::UsernameTaken { suggestion });
        }
        Err(e) => return Err(e.into()),
    }
    crate::accounts::search_index::refresh(&mut tx, &account.id).await?;
    let raw = session::create(&mut *tx, SessionKind::Login, &account.id, None, now).await?;
    let entry =
        Entry::new(AuditEvent::RegistrationStep, "success", Actor::Account(account.id.clone()), Some(&account.id))
            .from_addr(peer)
            .detail(Step::Credentials.key());
    audit::record(&mut *tx, entry, now).await?;
    tx.commit().await?;
    Ok(raw)
}
