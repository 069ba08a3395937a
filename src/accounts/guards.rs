//! Who is signed in, as request guards: a handler's arguments say who may call it (`SignedIn`,
//! `ProductUser`), and anyone else is sent to sign in, to their wizard step or to confirm the password.
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};

use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::{Account, AccountStatus, Role, store};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

session::guard_extractor! {
    /// A signed-in, unlocked account, as a handler argument (see [`signed_in`]).
    SignedIn = signed_in
}

/// A signed-in, unlocked account with nothing left to set up (contacts and appointments are product
/// pages), as a handler argument; anyone else is sent to sign in, to their wizard step or to the required
/// 2FA setup.
pub struct ProductUser(pub Account);

impl axum::extract::FromRequestParts<AppState> for ProductUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> AppResult<Self> {
        let (_, account) = signed_in(state, &parts.headers).await?;
        if account.home_path() != "/" {
            return Err(AppError::elsewhere(Redirect::to(account.home_path())));
        }
        Ok(ProductUser(account))
    }
}

/// A signed-in, unlocked account; anyone else is sent to sign in or to their wizard step.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account)> {
    let Some(session) = session::current(state, headers).await?.filter(|s| s.kind == SessionKind::Login) else {
        return Err(AppError::elsewhere(Redirect::to("/anmelden").into_response()));
    };
    let mut account = store::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
    // Pages follow the language switch at once; the account keeps its own until the person saves the
    // choice in the profile or signs in with it (a GET changes nothing stored).
    account.language = crate::domain::lang::Lang::for_visitor(headers, account.language);
    if account.status != AccountStatus::Active {
        return Err(AppError::elsewhere(Redirect::to(account.home_path()).into_response()));
    }
    Ok((session, account))
}

/// As [`signed_in`], and the password was confirmed recently; otherwise off to confirm it, then back to `next`.
pub async fn recently_confirmed(state: &AppState, headers: &HeaderMap, next: &str) -> AppResult<(Session, Account)> {
    let (session, account) = signed_in(state, headers).await?;
    if state.clock.now() - session.reauth_at > state.config.reauth_window {
        let target = format!("/profil/bestaetigen?weiter={}", next.trim_start_matches('/'));
        return Err(AppError::elsewhere(Redirect::to(&target).into_response()));
    }
    Ok((session, account))
}

session::guard_extractor! {
    /// A signed-in support agent with SMS two-factor on, as a handler argument (see [`support_agent`]).
    SupportAgent = support_agent
}

/// A signed-in support agent (active, role `support`, signed in with the second factor).
pub async fn support_agent(state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account)> {
    let (session, account) = signed_in(state, headers).await?;
    if account.role != Role::Support || !account.two_factor_enabled {
        tracing::warn!(account = %account.id, "Zugriff auf die Support-Konsole verweigert");
        return Err(AppError::Forbidden);
    }
    Ok((session, account))
}
