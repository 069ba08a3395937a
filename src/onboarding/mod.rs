//! Onboarding: the registration link from the e-mail and the wizard. For now the wizard has step 1
//! (username + password); finishing it unlocks the account.
pub mod links;
pub mod step1;
pub mod username;

use axum::Router;
use axum::routing::get;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/registrierung", get(step1::show).post(step1::submit))
        .route("/registrierung/benutzername", get(step1::username_available))
        .route("/registrierung/abgeschlossen", get(step1::done))
        .route("/registrierung/{token}", get(step1::open_link))
}
