//! Onboarding: the registration link from the e-mail and the wizard (step 1, then the edition's steps:
//! Service-PIN, SMS two-factor, visibility in contact search), ending with the unlocked account.
pub mod pin_step;
pub mod step1;
pub mod visibility;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/registrierung", get(step1::show).post(step1::submit))
        .route("/registrierung/benutzername", get(step1::username_available))
        .route("/registrierung/abgeschlossen", get(step1::done))
        .route(
            "/registrierung/sichtbarkeit",
            get(visibility::show)
                .post(visibility::submit)
                .layer(axum::Extension(crate::domain::wizard::Step::ContactVisibility)),
        )
        .route("/registrierung/{token}", get(step1::open_link))
}
