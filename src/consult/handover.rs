//! Going on in another browser: a guest whose browser cannot hold the call (an app's built-in browser,
//! one without WebRTC) gets a personal link for another one. The invitation's link left the address bar
//! at check-in, so the guest's session makes a new one: it opens once, within 30 minutes, and the new
//! browser takes the place of the old one as the participant's device — without knocking, since the old
//! one vouched for it.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::consult::guest::{self, Guest};
use crate::consult::store::{self, GuestSession};
use crate::consult::texts::Texts;
use crate::domain::lang::Lang;
use crate::error::AppResult;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::ClientIp;
use crate::security::link_opening::LinkOpening;
use crate::security::token::{self, Purpose};
use crate::security::token_key::Keyed;
use crate::state::AppState;
use crate::web::cookies::{self, Jar};

/// How long a link for another browser works.
pub const HANDOVER_SECONDS: i64 = 30 * 60;

#[derive(serde::Serialize)]
struct Made {
    url: String,
}

/// `POST /teilnehmen/weitergeben`: `{"url": …}`, the link for another browser. Only the participant's own
/// device makes one (a knocking device would slip past the host with it; the store checks that).
pub async fn make(State(state): State<AppState>, guest: Guest) -> AppResult<Response> {
    let raw = token::generate();
    let now = state.clock.now();
    let hash = state.token_key.hash(Keyed::Handover, &raw);
    if !store::keep_handover(&state.db, &guest.session_hash, &hash, now + HANDOVER_SECONDS).await? {
        return Ok(StatusCode::CONFLICT.into_response());
    }
    let entry = Entry::new(AuditEvent::GuestHandover, "made", Actor::Guest(guest.participant.id.clone()), None);
    audit::record(&state.db.pool, entry, now).await?;
    Ok(Json(Made { url: format!("{}/weiter/{raw}", state.config.public_url) }).into_response())
}

/// `GET /weiter/{token}`: this browser takes the place of the one that made the link.
pub async fn take(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(addr): ClientIp,
    _: LinkOpening,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    let now = state.clock.now();
    let hash = state.token_key.hash(Keyed::Handover, &raw);
    let from = if token::looks_valid(&raw) { store::handover_session(&state.db, &hash, now).await? } else { None };
    let found = match from {
        Some(from) => store::guest_session(&state.db, &from, now).await?.map(|session| (from, session)),
        None => None,
    };
    let spent = |c: &Texts| c.handover_invalid;
    let Some((from, GuestSession { participant, appointment, .. })) = found else {
        return guest::unknown_link(&state, lang, addr, AuditEvent::GuestHandover, spent).await;
    };
    // The browser that made the link, reloaded with it in the address bar: it stays what it was.
    if guest::current(&state, &headers).await?.is_some_and(|(current, _)| current == from) {
        return Ok(guest::next_page(participant.state));
    }
    let audit_entry = |outcome| {
        Entry::new(AuditEvent::GuestHandover, outcome, Actor::Guest(participant.id.clone()), None)
            .from_addr(addr)
            .detail(format!("participant:{}", participant.id))
    };
    if let Some((outcome, page)) = guest::refusal(&state, &participant, &appointment, lang)? {
        audit::record(&state.db.pool, audit_entry(outcome), now).await?;
        return Ok(page);
    }
    let session = token::generate();
    let new_hash = token::hash(Purpose::GuestSession, &session);
    let expires = appointment.window(&state.config.appointments).closes;
    if !store::take_handover(&state.db, (&from, &hash), (&new_hash, &participant.id), (now, expires)).await? {
        // Opened twice at once: the other one has it.
        return guest::unknown_link(&state, lang, addr, AuditEvent::GuestHandover, spent).await;
    }
    audit::record(&state.db.pool, audit_entry("success"), now).await?;
    // The old page learns that it was replaced; the host's list stays as it was.
    state.live.announce(&state.db, &appointment.id).await;
    let mut response = guest::next_page(participant.state);
    response.headers_mut().insert(header::SET_COOKIE, cookies::set(&state.config, Jar::Guest, &session));
    Ok(response)
}
