//! Contacts: find visible colleagues, keep a contact list, contact them by SMS without ever seeing the number.
pub mod messages;
mod pages;
pub mod store;

/// The contacts added last (the start page).
pub use store::recent;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kontakte", get(pages::list).post(pages::add))
        .route("/kontakte/suche", get(pages::search))
        .route("/kontakte/{id}/entfernen", post(pages::remove))
        .route("/kontakte/{id}/sms", get(pages::sms_form).post(pages::send_sms))
}
