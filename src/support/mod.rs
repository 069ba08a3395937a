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
use axum::routing::{get, post};

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
