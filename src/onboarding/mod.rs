//! Onboarding: the registration link from the e-mail and the wizard (step 1, then the edition's steps:
//! Service-PIN, SMS two-factor, visibility in contact search), ending with the unlocked account.
pub mod links;
pub mod pin_step;
pub mod service_pin;
pub mod step1;
pub mod steps;
pub mod two_factor_step;
pub mod username;
pub mod visibility;
pub mod wizard;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/registrierung", get(step1::show).post(step1::submit))
        .route("/registrierung/benutzername", get(step1::username_available))
        .route("/registrierung/abgeschlossen", get(step1::done))
        .route("/registrierung/service-pin", get(pin_step::show).post(pin_step::define))
        .route("/registrierung/service-pin/bestaetigen", post(pin_step::confirm))
        .route("/registrierung/service-pin/pdf", post(pin_step::pdf))
        .route("/registrierung/service-pin/drucken", post(pin_step::print))
        .route("/registrierung/zwei-faktor", get(two_factor_step::show).post(two_factor_step::send_code))
        .route("/registrierung/zwei-faktor/code", post(two_factor_step::verify))
        .route("/registrierung/zwei-faktor/neuer-code", post(two_factor_step::resend))
        .route("/registrierung/zwei-faktor/zurueck", post(two_factor_step::back))
        .route("/registrierung/zwei-faktor/spaeter", post(two_factor_step::later))
        .route("/registrierung/sichtbarkeit", get(visibility::show).post(visibility::submit))
        .route("/registrierung/{token}", get(step1::open_link))
}
