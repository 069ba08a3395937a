//! The Service-PIN check and what a correct check allows, for this agent's session and this account.
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::console::{Feedback, Kept};
use super::store;
use crate::accounts::guards::SupportAgent;
use crate::accounts::session::Session;
use crate::accounts::{self as lifecycle, Account, AccountError, EmailAddress, PersonName, changes, store as accounts};
use crate::domain::phone;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;
use crate::web::form::StrictForm;

/// How long after support changed address, number or 2FA it sends no password-reset e-mail.
const RESET_AFTER_SUPPORT_CHANGE: i64 = 7 * 86_400;

/// Wrong PIN checks before the check is locked until the person sets a new PIN.
pub const PIN_ATTEMPTS: i64 = 5;

async fn target(state: &AppState, id: &str) -> AppResult<Account> {
    accounts::find_by_id(&state.db, id).await?.ok_or(AppError::NotFound)
}

async fn log(
    state: &AppState,
    agent: &Account,
    account_id: &str,
    event: AuditEvent,
    outcome: &'static str,
    detail: Option<String>,
) -> AppResult<()> {
    let mut entry = Entry::new(event, outcome, Actor::Support(agent.id.clone()), Some(account_id));
    entry.detail = detail;
    audit::record(&state.db.pool, entry, state.clock.now()).await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinForm {
    pin: String,
}

/// `POST …/pin-pruefen`: the answer is only „korrekt“ or „nicht korrekt“.
pub async fn check_pin(
    State(state): State<AppState>,
    SupportAgent(session, agent): SupportAgent,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<PinForm>,
) -> AppResult<Response> {
    let account = target(&state, &id).await?;
    let (hash, _) = crate::accounts::store::pin_state(&state.db, &account.id).await?;
    if !crate::accounts::store::reserve_pin_attempt(&state.db, &account.id, PIN_ATTEMPTS).await? {
        log(&state, &agent, &account.id, AuditEvent::PinCheck, "locked", None).await?;
        let error =
            Some("PIN-Prüfung gesperrt: 5 falsche Versuche. Die Person muss eine neue Service-PIN festlegen.".into());
        let feedback = Feedback { error, ..Feedback::default() };
        return super::console::render_account(&state, &session.id_hash, &id, feedback, StatusCode::LOCKED).await;
    }
    let pin: String = form.pin.chars().filter(|c| !c.is_whitespace()).collect();
    let correct = hash.is_some() && state.hasher.verify(pin, hash).await?;
    if correct {
        crate::accounts::store::reset_pin_failures(&state.db, &account.id).await?;
        store::grant(&state.db, &session.id_hash, &account.id, state.clock.now()).await?;
        log(&state, &agent, &account.id, AuditEvent::PinCheck, "correct", None).await?;
    } else {
        log(&state, &agent, &account.id, AuditEvent::PinCheck, "incorrect", None).await?;
    }
    let (_, failures) = crate::accounts::store::pin_state(&state.db, &account.id).await?;
    let result = super::console::PinResult { correct, attempts_left: (PIN_ATTEMPTS - failures).max(0) };
    let feedback = Feedback { pin_result: Some(result), ..Feedback::default() };
    super::console::render_account(&state, &session.id_hash, &id, feedback, StatusCode::OK).await
}

/// A support agent's request about one account (`…/konten/{id}/…`), after a correct Service-PIN check in
/// this session for this account, as a handler argument. Without the check: 403, and an audit entry.
pub struct Granted {
    pub session: Session,
    pub agent: Account,
    pub account: Account,
}

impl FromRequestParts<AppState> for Granted {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let SupportAgent(session, agent) = SupportAgent::from_request_parts(parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
        let account = target(state, &id).await?;
        if !store::has_grant(&state.db, &session.id_hash, &account.id).await? {
            log(state, &agent, &account.id, AuditEvent::SupportChange, "refused", Some("ohne PIN-Prüfung".into()))
                .await?;
            return Err(AppError::Forbidden);
        }
        Ok(Granted { session, agent, account })
    }
}

fn saved(id: &str) -> Response {
    Redirect::to(&format!("/support/konten/{id}?gespeichert")).into_response()
}

fn by(agent: &Account) -> Actor {
    Actor::Support(agent.id.clone())
}

/// The account page again with `message`, and what was typed (`kept`) still in its field.
async fn refuse(state: &AppState, session: &Session, id: &str, message: String, kept: Kept) -> AppResult<Response> {
    let feedback = Feedback { error: Some(message), kept, ..Feedback::default() };
    super::console::render_account(state, &session.id_hash, id, feedback, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueForm {
    value: String,
}

pub async fn change_name(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { session, agent, account }: Granted,
    StrictForm(form): StrictForm<ValueForm>,
) -> AppResult<Response> {
    let Some(name) = PersonName::parse(&form.value) else {
        let kept = Kept { name: Some(form.value), ..Kept::default() };
        return refuse(&state, &session, &id, lifecycle::AccountError::InvalidName.to_string(), kept).await;
    };
    changes::rename(&state, &account, &name, by(&agent)).await?;
    Ok(saved(&id))
}

pub async fn change_email(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { session, agent, account }: Granted,
    StrictForm(form): StrictForm<ValueForm>,
) -> AppResult<Response> {
    let Ok(email) = EmailAddress::parse(&form.value) else {
        let message = format!("„{}“ ist keine gültige E-Mail-Adresse.", form.value);
        return refuse(&state, &session, &id, message, Kept { email: Some(form.value), ..Kept::default() }).await;
    };
    // Both addresses learn of the change: the old one in case this was not the person's wish.
    match changes::change_email(&state, &account, &email, by(&agent)).await {
        Err(AccountError::EmailTaken(_)) => {
            let message = "Diese E-Mail-Adresse gehört schon zu einem anderen Account.".into();
            refuse(&state, &session, &id, message, Kept { email: Some(form.value), ..Kept::default() }).await
        }
        other => other.map(|()| saved(&id)).map_err(Into::into),
    }
}

pub async fn change_phone(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { session, agent, account }: Granted,
    StrictForm(form): StrictForm<ValueForm>,
) -> AppResult<Response> {
    let number = match phone::MobileNumber::parse(&form.value) {
        Ok(number) => number,
        Err(phone::PhoneProblem::Landline) => {
            let kept = Kept { phone: form.value, ..Kept::default() };
            return refuse(&state, &session, &id, "Das ist eine Festnetznummer.".into(), kept).await;
        }
        Err(phone::PhoneProblem::Invalid) => {
            let kept = Kept { phone: form.value, ..Kept::default() };
            return refuse(&state, &session, &id, "Diese Mobilfunknummer ist ungültig.".into(), kept).await;
        }
    };
    changes::change_phone(&state, &account, &number, by(&agent)).await?;
    Ok(saved(&id))
}

pub async fn reset_two_factor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { agent, account, .. }: Granted,
) -> AppResult<Response> {
    changes::reset_two_factor(&state, &account, by(&agent)).await?;
    Ok(saved(&id))
}

/// `POST …/passwort-link`: the same reset e-mail as "Passwort vergessen?", to the address on file (never
/// shown to the agent or sent elsewhere), within the same cap per account and hour.
pub async fn send_password_reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { session, agent, account }: Granted,
) -> AppResult<Response> {
    if account.username.is_none() {
        let message =
            "Der Account ist noch nicht registriert: Senden Sie stattdessen die Registrierungs-E-Mail erneut.";
        return refuse(&state, &session, &id, message.into(), Kept::default()).await;
    }
    // A PIN alone must not hand over an account: after support changed the address, number or 2FA, the reset
    // e-mail waits a week (the person's own "Passwort vergessen?" still works).
    if store::support_changed_recently(&state.db, &account.id, state.clock.now() - RESET_AFTER_SUPPORT_CHANGE).await? {
        let message = "Die E-Mail-Adresse, Mobilfunknummer oder 2-Faktor-Authentifizierung wurde in den letzten 7 Tagen vom Support geändert. Zum Schutz vor Übernahmen sendet der Support in dieser Zeit keinen Link zum Zurücksetzen; die Person kann „Passwort vergessen?“ selbst nutzen.";
        return refuse(&state, &session, &id, message.into(), Kept::default()).await;
    }
    if !changes::send_password_reset(&state, &account, changes::ResetRequester::Support(agent.id.clone())).await? {
        let message = "In der letzten Stunde gingen schon drei E-Mails zum Zurücksetzen an diesen Account. Bitte später erneut versuchen.";
        return refuse(&state, &session, &id, message.into(), Kept::default()).await;
    }
    Ok(Redirect::to(&format!("/support/konten/{id}?passwort-link")).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockForm {
    #[serde(default)]
    reason: String,
}

/// `POST …/sperren`: on suspicion, at once and without a PIN check, with a reason for the history.
/// (Unlocking and data changes still need the check.)
pub async fn lock(
    State(state): State<AppState>,
    SupportAgent(session, agent): SupportAgent,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<LockForm>,
) -> AppResult<Response> {
    let account = target(&state, &id).await?;
    if account.is_staff() {
        let message = "Support-Accounts werden nicht in der Konsole gesperrt, sondern vom Betrieb.".into();
        return refuse(&state, &session, &id, message, Kept::default()).await;
    }
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        let message = "Bitte nennen Sie einen Grund für die Sperre (höchstens 200 Zeichen).".into();
        return refuse(&state, &session, &id, message, Kept { lock_reason: form.reason, ..Kept::default() }).await;
    }
    changes::set_locked(&state, &account, by(&agent), Some(reason)).await?;
    Ok(saved(&id))
}

pub async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Granted { agent, account, .. }: Granted,
) -> AppResult<Response> {
    changes::set_locked(&state, &account, by(&agent), None).await?;
    Ok(saved(&id))
}
