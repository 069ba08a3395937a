//! The account record and its lifecycle: support creates it (`invited`, a registration e-mail goes out),
//! the person registers (`active`). Creating and resending write the account, its link and its e-mail in
//! one transaction (transactional outbox).
pub mod changes;
pub mod directory;
pub mod guards;
pub mod links;
pub mod message_texts;
pub mod messages;
pub mod progress;
pub mod registration;
pub mod resets;
pub mod search_index;
pub mod session;
pub mod store;
pub mod throttle;

use crate::clock::Timestamp;
use crate::domain::lang::Lang;
pub use crate::domain::names::{AccountId, PersonName};
use crate::domain::phone::MobileNumber;
use crate::domain::username::Username;
use crate::domain::wizard::{Plan, Step};
use crate::notify::outbox;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;

pub use crate::domain::email::EmailAddress;

crate::domain::text::stored_enum! {
    pub enum AccountStatus {
        /// Created by support; the registration link is out.
        Invited = "invited",
        /// Step 1 done, further wizard steps open; nothing else of the product is reachable yet.
        Registering = "registering",
        /// Every step done: unlocked ("freigeschaltet").
        Active = "active",
    }
}

crate::domain::text::stored_enum! {
    /// What an account may do: practice users use the product, support staff also the console.
    pub enum Role {
        User = "user",
        Support = "support",
    }
}

#[derive(Clone, Debug)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub name: PersonName,
    pub language: Lang,
    pub status: AccountStatus,
    pub username: Option<Username>,
    pub created_at: Timestamp,
    pub registered_at: Option<Timestamp>,
    pub edition: String,
    /// The wizard as copied from the edition at creation, and the steps done so far.
    pub plan: Plan,
    pub two_factor_required: bool,
    pub two_factor_enabled: bool,
    /// Verified mobile number (E.164), set when two-factor authentication was set up.
    pub phone: Option<MobileNumber>,
    pub visible: bool,
    pub role: Role,
    /// Locked by support: no login, no sessions.
    pub locked: bool,
}

impl Account {
    pub fn is_registered(&self) -> bool {
        self.status != AccountStatus::Invited
    }

    /// The wizard step this account has to do next (`Complete` once everything is done).
    pub fn next_step(&self) -> Step {
        self.plan.next(self.username.is_some())
    }

    /// The edition requires SMS 2FA, and staff always use it.
    pub fn must_use_second_factor(&self) -> bool {
        self.two_factor_required || self.role == Role::Support
    }

    /// Where a signed-in person belongs: their next wizard step until the account is unlocked, and the 2FA
    /// setup when 2FA is required but off (after support reset it).
    /// Support staff: the header links to the console.
    pub fn is_staff(&self) -> bool {
        self.role == Role::Support
    }

    pub fn home_path(&self) -> &'static str {
        match self.status {
            AccountStatus::Active if self.must_use_second_factor() && !self.two_factor_enabled => {
                "/profil/zwei-faktor/aktivieren"
            }
            AccountStatus::Active => "/",
            _ => self.next_step().path(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("„{0}“ ist keine gültige E-Mail-Adresse")]
    InvalidEmail(String),
    #[error("Der Name muss eine Zeile sein, darf nicht leer sein und höchstens 200 Zeichen lang sein")]
    InvalidName,
    #[error("Für {0} gibt es bereits einen Account")]
    EmailTaken(String),
    #[error("Kein Account gefunden für „{0}“")]
    NotFound(String),
    #[error("Der Account {0} ist bereits registriert; eine Registrierungs-E-Mail ist nicht mehr nötig")]
    AlreadyRegistered(String),
    #[error("Unbekannte Produktausführung „{0}“ (definiert: {1})")]
    UnknownEdition(String, String),
    #[error("Datenbankfehler: {0}")]
    Database(#[from] sqlx::Error),
    #[error("E-Mail konnte nicht erstellt werden: {0}")]
    Template(#[from] askama::Error),
}

pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub language: Lang,
    /// A configured edition; `None` means the default edition.
    pub edition: Option<String>,
    pub role: Role,
}

/// Creates the account and queues its registration e-mail, atomically.
pub async fn create(state: &AppState, new: NewAccount, actor: Actor) -> Result<Account, AccountError> {
    let mut tx = state.db.begin().await?;
    let account = create_in(state, &mut tx, new, actor).await?;
    tx.commit().await?;
    created(state, &account);
    Ok(account)
}

/// As [`create`], inside the caller's transaction; the caller commits it, then calls [`created`]. (The admin
/// API writes its idempotency key in the same transaction.)
pub async fn create_in(
    state: &AppState,
    tx: &mut crate::db::Tx,
    new: NewAccount,
    actor: Actor,
) -> Result<Account, AccountError> {
    let email = EmailAddress::parse(&new.email).map_err(|_| AccountError::InvalidEmail(new.email.clone()))?;
    let name = PersonName::parse(&new.name).ok_or(AccountError::InvalidName)?;
    let edition_name = new.edition.unwrap_or_else(|| state.config.default_edition.clone());
    let edition = state.config.editions.get(&edition_name).ok_or_else(|| {
        let known = state.config.editions.keys().cloned().collect::<Vec<_>>().join(", ");
        AccountError::UnknownEdition(edition_name.clone(), known)
    })?;
    let now = state.clock.now();
    let account = Account {
        id: AccountId::from_stored(crate::security::token::new_id()),
        email: email.as_str().to_owned(),
        name,
        language: new.language,
        status: AccountStatus::Invited,
        username: None,
        created_at: now,
        registered_at: None,
        edition: edition_name.clone(),
        plan: Plan { middle: edition.steps.clone(), done: Vec::new() },
        two_factor_required: edition.two_factor_required,
        two_factor_enabled: false,
        phone: None,
        visible: false,
        role: new.role,
        locked: false,
    };
    store::insert(tx, &account, &email).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) { AccountError::EmailTaken(account.email.clone()) } else { e.into() }
    })?;
    queue_registration_mail(state, tx, &account, now).await?;
    let entry = Entry::new(AuditEvent::AccountCreated, "success", actor, Some(&account.id))
        .detail(format!("edition {}", account.edition));
    audit::record(&mut **tx, entry, now).await?;
    Ok(account)
}

/// After the commit of [`create_in`]: the registration e-mail goes out now.
pub fn created(state: &AppState, account: &Account) {
    state.outbox_wakeup.notify_one();
    let email = crate::domain::email::mask(&account.email);
    tracing::info!(account = %account.id, %email, edition = %account.edition,
        "Account angelegt, Registrierungs-E-Mail eingereiht");
}

/// Sends a new registration link; every older link stops working at once.
pub async fn resend(state: &AppState, id_or_email: &str, actor: Actor) -> Result<Account, AccountError> {
    let account =
        store::find(&state.db, id_or_email).await?.ok_or_else(|| AccountError::NotFound(id_or_email.to_owned()))?;
    if account.is_registered() {
        return Err(AccountError::AlreadyRegistered(account.id.to_string()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    links::revoke_open(&mut tx, &account.id, now).await?;
    outbox::cancel_pending_for_account(&mut tx, &account.id).await?;
    queue_registration_mail(state, &mut tx, &account, now).await?;
    audit::record(&mut *tx, Entry::new(AuditEvent::LinkRevoked, "success", actor.clone(), Some(&account.id)), now)
        .await?;
    audit::record(&mut *tx, Entry::new(AuditEvent::AccountResend, "success", actor, Some(&account.id)), now).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    tracing::info!(account = %account.id, "Registrierungs-E-Mail erneut eingereiht, ältere Links widerrufen");
    Ok(account)
}

impl From<AccountError> for crate::error::AppError {
    fn from(error: AccountError) -> Self {
        use crate::error::AppError;
        match error {
            AccountError::Database(e) => AppError::Database(e),
            AccountError::Template(e) => AppError::Template(e),
            AccountError::NotFound(_) => AppError::NotFound,
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

async fn queue_registration_mail(
    state: &AppState,
    tx: &mut crate::db::Tx,
    account: &Account,
    now: Timestamp,
) -> Result<(), AccountError> {
    let (link_id, token) = links::issue(tx, &account.id, &state.token_key, now).await?;
    let url = format!("{}/registrierung/{token}", state.config.public_url);
    let mail = messages::registration(&state.config, account, &url, now)?;
    outbox::enqueue_email(
        tx,
        outbox::OutgoingEmail {
            account_id: Some(account.id.to_string()),
            link_id: Some(link_id),
            participant_id: None,
            topic: None,
            to: account.email.clone(),
            mail,
            action_url: Some(url),
            sender: None,
        },
        now,
    )
    .await?;
    Ok(())
}
