//! Where an account is in its registration wizard. What every wizard step after step 1 shares, wherever its
//! page lives (the phone setup serves the wizard and the profile): who may see it — a signed-in account
//! whose next open step it is; everyone else is sent where they belong — and moving on once it is done.
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Account, AccountStatus, store};
use crate::accounts::session::{self, Session, SessionKind};
use crate::db::Tx;
use crate::domain::wizard::Step;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;

/// The signed-in account, if `step` is its next open step; otherwise the redirect to show instead.
pub async fn current_step(state: &AppState, headers: &HeaderMap, step: Step) -> AppResult<(Session, Account)> {
    let Some(session) = session::current(state, headers).await?.filter(|s| s.kind == SessionKind::Login) else {
        return Err(AppError::elsewhere(Redirect::to("/anmelden").into_response()));
    };
    let mut account = store::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
    account.language = crate::domain::lang::Lang::for_visitor(headers, account.language);
    if account.status != AccountStatus::Registering || account.next_step() != step {
        return Err(AppError::elsewhere(Redirect::to(account.home_path()).into_response()));
    }
    Ok((session, account))
}

/// The signed-in account whose next open step is the one its route is for, as a handler argument (the
/// step comes with the routes as an extension); anyone else is sent where they belong.
pub struct AtStep(pub Session, pub Account);

impl axum::extract::FromRequestParts<AppState> for AtStep {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> AppResult<Self> {
        let step = *parts.extensions.get::<Step>().ok_or_else(|| AppError::Internal("Route ohne Schritt".into()))?;
        let (session, account) = current_step(state, &parts.headers, step).await?;
        Ok(AtStep(session, account))
    }
}

/// Saves the step as done (progress survives a closed browser) and goes on to the next one.
pub async fn advance(state: &AppState, account: &Account, step: Step) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    let next = complete(&mut tx, state, account, step).await?;
    tx.commit().await?;
    Ok(moved_on(account, step, next))
}

/// The wizard's visibility step: the choice, its audit entry and the step done, committed together.
pub async fn choose_visibility(state: &AppState, account: &Account, visible: bool) -> AppResult<Response> {
    let step = Step::ContactVisibility;
    let mut tx = state.db.begin().await?;
    store::set_visible(&mut *tx, &account.id, visible).await?;
    let entry =
        Entry::new(AuditEvent::VisibilityChanged, "success", Actor::Account(account.id.clone()), Some(&account.id))
            .detail(if visible { "visible" } else { "hidden" });
    audit::record(&mut *tx, entry, state.clock.now()).await?;
    let next = complete(&mut tx, state, account, step).await?;
    tx.commit().await?;
    Ok(moved_on(account, step, next))
}

/// Marks `step` done in `tx` (with the contact-search entry and the audit entries); returns the next step.
async fn complete(tx: &mut Tx, state: &AppState, account: &Account, step: Step) -> AppResult<Step> {
    let next = account.plan.with_done(step).next(true);
    let now = state.clock.now();
    let actor = || Actor::Account(account.id.clone());
    store::complete_step(&mut **tx, account, step).await?;
    super::search_index::refresh(tx, &account.id).await?;
    audit::record(
        &mut **tx,
        Entry::new(AuditEvent::RegistrationStep, "success", actor(), Some(&account.id)).detail(step.key()),
        now,
    )
    .await?;
    if next == Step::Complete {
        audit::record(
            &mut **tx,
            Entry::new(AuditEvent::RegistrationCompleted, "success", actor(), Some(&account.id)),
            now,
        )
        .await?;
    }
    Ok(next)
}

fn moved_on(account: &Account, step: Step, next: Step) -> Response {
    tracing::info!(account = %account.id, step = step.key(), next = next.key(), "Registrierungsschritt abgeschlossen");
    Redirect::to(next.path()).into_response()
}
