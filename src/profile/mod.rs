//! `/profil`: what the seed promises "in den Profileinstellungen" — password, SMS two-factor on/off, mobile
//! number, visibility in contact search, a new Service-PIN, language, and the list of active sessions.
//! Changes to credentials or contact data need a recent password confirmation and are confirmed by e-mail.
mod page;
mod settings;
mod two_factor_off;

use axum::Router;
use axum::routing::{get, post};

use crate::accounts::throttle;
use crate::accounts::{Account, store};
use crate::error::{AppError, AppResult};
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
