//! `/support`: the console for staff accounts with the role `support`. Agents find accounts, create them,
//! resend registration e-mails, check a caller's Service-PIN (yes/no only; 5 wrong attempts lock the check
//! until the person sets a new PIN) and — only after a correct check, within that session, for that
//! account — change name, e-mail, mobile number, reset 2FA, lock and unlock. Every action is audited with
//! the agent's identity; no secret is ever shown. The console is German only (staff tool; see docs).
mod actions;
mod console;
mod history;
pub mod store;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::{Account, AccountStatus, Role, store as accounts};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/support", get(console::index))
        .route("/support/konten", post(console::create))
        .route("/support/konten/{id}", get(console::account))
        .route("/support/konten/{id}/erneut-senden", post(console::resend))
        .route("/support/konten/{id}/pin-pruefen", post(actions::check_pin))
        .route("/support/konten/{id}/verlauf", get(console::history))
        .route("/support/konten/{id}/name", post(actions::change_name))
        .route("/support/konten/{id}/email", post(actions::change_email))
        .route("/support/konten/{id}/mobilnummer", post(actions::change_phone))
        .route("/support/konten/{id}/zwei-faktor-zuruecksetzen", post(actions::reset_two_factor))
        .route("/support/konten/{id}/sperren", post(actions::lock))
        .route("/support/konten/{id}/passwort-link", post(actions::send_password_reset))
        .route("/support/konten/{id}/entsperren", post(actions::unlock))
}

crate::accounts::session::guard_extractor! {
    /// A signed-in support agent with SMS two-factor on, as a handler argument (see [`agent`]).
    SupportAgent = agent
}

/// A signed-in support agent (active, role `support`, signed in with the second factor).
pub async fn agent(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account)> {
    let Some(session) = session::current(state, headers).await?.filter(|s| s.kind == SessionKind::Login) else {
        return Err(AppError::elsewhere(Redirect::to("/anmelden").into_response()));
    };
    let account = accounts::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
    if account.status != AccountStatus::Active {
        return Err(AppError::elsewhere(Redirect::to(account.home_path()).into_response()));
    }
    if account.role != Role::Support || !account.two_factor_enabled {
        tracing::warn!(account = %account.id, "Zugriff auf die Support-Konsole verweigert");
        return Err(AppError::Forbidden);
    }
    Ok((session, account))
}
