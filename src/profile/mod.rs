//! `/profil`: what the seed promises "in den Profileinstellungen" — password, SMS two-factor on/off, mobile
//! number, visibility in contact search, a new Service-PIN, language, and the list of active sessions.
//! Changes to credentials or contact data need a recent password confirmation and are confirmed by e-mail.
mod page;
mod settings;
mod two_factor_off;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use crate::accounts::session::{self, Session, SessionKind};
use crate::accounts::throttle;
use crate::accounts::{Account, AccountStatus, store};
use crate::auth::phone_setup;
use crate::error::{AppError, AppResult};
use crate::onboarding::pin_step;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profil", get(page::show))
        .route("/profil/bestaetigen", get(settings::reauth_form).post(settings::reauth))
        .route("/profil/passwort", post(settings::change_password))
        .route("/profil/sichtbarkeit", post(settings::set_visibility))
        .route("/profil/praxis", post(settings::set_practice))
        .route("/profil/sprache", post(settings::set_language))
        .route("/profil/sitzungen/abmelden", post(settings::end_other_sessions))
        .route("/profil/zwei-faktor/deaktivieren", get(two_factor_off::show).post(two_factor_off::disable))
        .route("/profil/zwei-faktor/deaktivieren/code", post(two_factor_off::send_code))
        .merge(phone_setup::routes(phone_setup::Place::ProfileEnable))
        .merge(phone_setup::routes(phone_setup::Place::ProfileChange))
        .merge(pin_step::routes(pin_step::Place::Profile))
}

/// A password check inside the profile, throttled like logins (a stolen session must not allow fast guessing).
pub async fn check_password(state: &AppState, account: &Account, password: String) -> AppResult<bool> {
    let key = format!("acct:{}", account.id);
    let _turn = state.login_gate.enter(&key).await;
    let now = state.clock.now();
    if let Some(retry_after) = throttle::wait_time(&state.db, &key, throttle::PER_USERNAME, now).await? {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let hash = store::password_hash(&state.db, &account.id).await?;
    let matches = state.hasher.verify(password, hash).await?;
    throttle::record_outcome(&state.db, &[(key.as_str(), throttle::PER_USERNAME)], matches, now).await?;
    Ok(matches)
}

crate::accounts::session::guard_extractor! {
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
    let account = store::find_by_id(&state.db, &session.account_id).await?.ok_or(AppError::NotFound)?;
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
