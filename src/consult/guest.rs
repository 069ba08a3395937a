//! Guests: no account, no password. A guest session is its own kind — its own table, cookie and token
//! purpose, bound to one participant of one appointment — so no account guard can ever take it for a
//! login, and the [`Guest`] extractor is the only way a handler gets a guest.
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::consult::store::{self, Appointment, AppointmentStatus, GuestSession, OtherDevice, Participant};
use crate::consult::texts::{self, Texts};
use crate::domain::appointment::WindowPosition;
use crate::domain::participant::ParticipantState;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::token::{self, Purpose};
use crate::state::AppState;
use crate::web::cookies::{self, Jar};
use crate::web::format;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Action};

/// A guest with a live session, as a handler argument.
pub struct Guest {
    pub session_hash: String,
    pub participant: Participant,
    pub appointment: Appointment,
    /// Another device than the participant's own (knocking, declined or replaced): it changes nothing.
    pub other_device: Option<OtherDevice>,
    pub lang: Lang,
}

/// The guest's session from the request's guest cookie, if it is live.
pub async fn current(state: &AppState, headers: &HeaderMap) -> AppResult<Option<(String, GuestSession)>> {
    let Some(raw) = cookies::read(headers, cookies::cookie_name(&state.config, Jar::Guest)) else {
        return Ok(None);
    };
    if !token::looks_valid(&raw) {
        return Ok(None);
    }
    let hash = token::hash(Purpose::GuestSession, &raw);
    Ok(store::guest_session(&state.db, &hash, state.clock.now()).await?.map(|session| (hash, session)))
}

impl axum::extract::FromRequestParts<AppState> for Guest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let lang = Lang::from_headers(&parts.headers);
        let Some((session_hash, GuestSession { participant, appointment, other_device })) =
            current(state, &parts.headers).await?
        else {
            let c = texts::of(lang);
            let page =
                without_appointment(state, lang, StatusCode::UNAUTHORIZED, c.no_session_title, c.no_session_text)?;
            return Err(AppError::elsewhere(page));
        };
        if let Some((_, refused)) = refusal(state, &participant, &appointment, lang)? {
            return Err(AppError::elsewhere(refused));
        }
        Ok(Guest { session_hash, participant, appointment, other_device, lang })
    }
}

/// A guest page that knows no appointment (an unknown link, no session): on to the code entry; the practice
/// cannot be named.
pub fn without_appointment(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> AppResult<Response> {
    let c = texts::of(lang);
    let action = Action { href: "/teilnehmen".into(), label: c.to_code_entry };
    let layout = page::Layout::new(state, lang, title).for_guests(None);
    page::render(status, &page::MessagePage::new(layout, text.to_owned(), c.invalid_next, Some(action)))
}

/// A link that leads to no one (unknown, replaced, spent or expired): audited without a name (`event`: which
/// kind of link), and a page that says so and leads on to the code entry.
pub async fn unknown_link(
    state: &AppState,
    lang: Lang,
    addr: std::net::IpAddr,
    event: AuditEvent,
    text: fn(&Texts) -> &'static str,
) -> AppResult<Response> {
    let entry = Entry::new(event, "unknown", Actor::Anonymous, None).from_addr(addr);
    audit::record_sampled(&state.db, &state.audit_sampler, entry, state.clock.now()).await?;
    let c = texts::of(lang);
    without_appointment(state, lang, StatusCode::NOT_FOUND, c.invalid_title, text(c))
}

/// Why a guest may not (or not yet, or no longer) enter, as named in the audit log, and the page that
/// explains it; `None` when they may.
pub fn refusal(
    state: &AppState,
    participant: &Participant,
    appointment: &Appointment,
    lang: Lang,
) -> AppResult<Option<(&'static str, Response)>> {
    let c = texts::of(lang);
    let now = state.clock.now();
    let window = appointment.window(&state.config.appointments);
    let (outcome, title, text, next) = if appointment.status == AppointmentStatus::Cancelled {
        ("cancelled", c.cancelled_title, c.cancelled_text, c.cancelled_next)
    } else if appointment.finished_at.is_some() && participant.state == ParticipantState::Waiting {
        ("ended", c.finished_unadmitted_title, c.finished_unadmitted_text, c.finished_unadmitted_next)
    } else if appointment.finished_at.is_some() {
        ("ended", c.finished_title, c.finished_text, c.finished_next)
    } else if participant.state == ParticipantState::Revoked {
        ("revoked", c.invalid_title, c.invalid_text, c.invalid_next)
    } else if participant.state == ParticipantState::Declined {
        ("declined", c.declined_title, c.declined_text, c.declined_next)
    } else {
        match window.position(now) {
            WindowPosition::Open => return Ok(None),
            WindowPosition::TooEarly => ("too_early", c.early_title, c.early_text, c.early_next),
            WindowPosition::Over => ("over", c.over_title, c.over_text, c.over_next),
        }
    };
    // Dates are formatted only for a refusal: this runs on every guest request.
    let values = [
        ("when", format::date_time(appointment.starts_at, lang)),
        ("host", appointment.host_name.clone()),
        ("opens", format::date_time_from(window.opens, now, lang)),
        ("closes", format::date_time(window.closes, lang)),
    ];
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let layout = page::Layout::new(state, lang, title).for_guests(Some(&appointment.practice));
    let mut message = page::MessagePage::new(layout, fill(text, &values), next, None);
    // Too early: the page opens by itself once the window does (a second late, so it is open then).
    if outcome == "too_early" {
        message.reload_after = Some(window.opens - now + 1);
    }
    Ok(Some((outcome, page::render(StatusCode::FORBIDDEN, &message)?)))
}

/// A new guest session for the participant (in `participant_state` now), valid until their window closes;
/// returns the cookie. Someone already waiting or in the room on another device knocks with this one: a
/// shared or forwarded code must not slip into a consultation unseen.
pub async fn start_session(
    state: &AppState,
    participant: &Participant,
    participant_state: ParticipantState,
    appointment: &Appointment,
) -> AppResult<HeaderValue> {
    let raw = token::generate();
    let now = state.clock.now();
    let expires = appointment.window(&state.config.appointments).closes;
    let knocking = matches!(participant_state, ParticipantState::Waiting | ParticipantState::Admitted)
        && store::has_own_session(&state.db, &participant.id, now).await?;
    let hash = token::hash(Purpose::GuestSession, &raw);
    store::create_guest_session(&state.db, &hash, &participant.id, (now, expires), knocking).await?;
    if knocking {
        state.live.announce(&state.db, &appointment.id).await;
    }
    Ok(cookies::set(&state.config, Jar::Guest, &raw))
}

/// Where a guest goes after coming in: to check in, or straight back to the waiting room.
pub fn next_page(participant_state: ParticipantState) -> Response {
    match participant_state {
        ParticipantState::Waiting | ParticipantState::Admitted => Redirect::to("/warteraum").into_response(),
        _ => Redirect::to("/teilnehmen/eintreten").into_response(),
    }
}
