//! Appointments and guest access: what the seed promises at its end — guests and patients never
//! register; each participant gets an individually generated invitation link or access code. The host
//! plans appointments at `/termine`, the guest comes in by link or at `/teilnehmen`, checks in and waits
//! until admitted; both pages are live over one WebSocket (`/ws`). Participants' data is deleted a
//! configurable number of days after the appointment (`purge`).
pub mod agenda;
pub mod changes;
pub mod guest;
mod guest_pages;
mod handover;
mod host_pages;
pub mod messages;
pub mod purge;
pub mod store;
pub mod texts;
pub mod views;
pub mod ws;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/termine", get(host_pages::list).post(host_pages::create))
        .route("/termine/neu", get(host_pages::new_form))
        .route("/termine/jetzt", get(host_pages::invite_now_form).post(host_pages::invite_now))
        .route("/termine/{id}", get(host_pages::show).post(host_pages::update))
        .route("/termine/{id}/teilnehmer", post(host_pages::add_participant))
        .route("/termine/{id}/teilnehmer/{pid}/{action}", post(host_pages::participant_action))
        .route("/termine/{id}/teilnehmer/{pid}/geraet/{knock}/{decision}", post(host_pages::device_action))
        .route("/termine/{id}/nachricht", post(host_pages::set_notice))
        .route("/termine/{id}/absagen", post(host_pages::cancel))
        .route("/termine/{id}/raum", get(host_pages::room))
        .route("/termine/{id}/beenden", post(host_pages::end))
        .route("/t/{token}", get(guest_pages::open_link))
        .route("/teilnehmen", get(guest_pages::join_form).post(guest_pages::join))
        .route("/teilnehmen/eintreten", get(guest_pages::check_in_form).post(guest_pages::check_in))
        .route("/warteraum", get(guest_pages::waiting_room))
        .route("/warteraum/verlassen", post(guest_pages::leave))
        .route("/teilnehmen/weitergeben", post(handover::make))
        .route("/weiter/{token}", get(handover::take))
        .route("/nutzungsbedingungen", get(guest_pages::terms))
        .route("/datenschutz", get(guest_pages::privacy))
        .route("/ws", get(ws::connect))
}
