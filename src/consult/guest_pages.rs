//! The guest's way in, without any account: the invitation link, `/teilnehmen` for those with only a
//! code, the check-in (name and consent), the waiting room, and the terms and privacy notice.
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::consult::changes::{self, ConsultError};
use crate::consult::guest::{self, Guest};
use crate::consult::store::{self, AccessColumn, Appointment, Participant};
use crate::consult::texts::{self, Texts};
use crate::consult::views::{self, GuestStatus};
use crate::domain::access_code::AccessCode;
use crate::domain::appointment::NAME_MAX;
use crate::domain::participant::{Action, ParticipantState};
use crate::domain::practice::PracticeContact;
use crate::error::AppResult;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::{self, ClientIp};
use crate::security::link_opening::LinkOpening;
use crate::security::token;
use crate::security::token_key::Keyed;
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::format;
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Layout};

/// One more code entry from `addr`: within the limits of its network, its site (IPv6 /48) and everyone's.
async fn code_entry_allowed(state: &AppState, addr: std::net::IpAddr, now: i64) -> Result<(), i64> {
    state.code_entries_by_address.hit(&state.db, &client_addr::network_key(addr), now).await?;
    if let Some(site) = client_addr::site_key(addr) {
        state.code_entries_by_site.hit(&state.db, &site, now).await?;
    }
    state.code_entries_everywhere.hit(&state.db, "all", now).await
}

/// Lets the guest in after a link or code was found: refused (with the reason), or a new session and on
/// to the check-in. Audited with the real outcome (`event`: link or code).
async fn enter(
    state: &AppState,
    event: AuditEvent,
    addr: std::net::IpAddr,
    participant: Participant,
    appointment: Appointment,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let lang = Lang::from_headers(headers);
    let refused = guest::refusal(state, &participant, &appointment, lang)?;
    let outcome = refused.as_ref().map_or("success", |(outcome, _)| *outcome);
    let entry = Entry::new(event, outcome, Actor::Guest(participant.id.clone()), None)
        .from_addr(addr)
        .detail(format!("participant:{}", participant.id));
    audit::record(&state.db.pool, entry, state.clock.now()).await?;
    if let Some((_, page)) = refused {
        return Ok(page);
    }
    let next = match changes::step(state, Actor::Guest(participant.id.clone()), None, &participant, Action::Open).await
    {
        Ok(next) => next,
        // The host changed the state at this very moment; the current one decides.
        Err(ConsultError::Changed) => participant.state,
        Err(error) => return Err(error.into()),
    };
    // The link opened again in the browser that already has this participant's session: the same device.
    if let Some((_, session)) = guest::current(state, headers).await?
        && session.participant.id == participant.id
    {
        return Ok(guest::next_page(next));
    }
    let cookie = guest::start_session(state, &participant, next, &appointment).await?;
    let mut response = guest::next_page(next);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `GET /t/{token}`: the invitation link opens the check-in directly (the token leaves the address bar).
pub async fn open_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(addr): ClientIp,
    _: LinkOpening,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    let found = if token::looks_valid(&raw) {
        store::find_by_access(&state.db, AccessColumn::Link, &state.token_key.hash(Keyed::InvitationLink, &raw)).await?
    } else {
        None
    };
    let Some((participant, appointment)) = found else {
        return guest::unknown_link(&state, lang, addr, AuditEvent::GuestLink, |c| c.invalid_text).await;
    };
    enter(&state, AuditEvent::GuestLink, addr, participant, appointment, &headers).await
}

#[derive(Template)]
#[template(path = "consult/join.html")]
struct JoinPage {
    layout: Layout,
    c: &'static Texts,
    code: String,
    error: Option<String>,
}

/// The code entry; `practice`: the one a returning guest's session belongs to, named on the page.
fn join_page(
    state: &AppState,
    lang: Lang,
    (code, error): (String, Option<String>),
    practice: Option<&PracticeContact>,
    status: StatusCode,
) -> AppResult<Response> {
    let c = texts::of(lang);
    let layout = Layout::new(state, lang, c.join_title).for_guests(practice);
    page::render(status, &JoinPage { layout, c, code, error })
}

/// The practice of the guest session this browser still holds, if any.
async fn known_practice(state: &AppState, headers: &HeaderMap) -> AppResult<Option<PracticeContact>> {
    Ok(guest::current(state, headers).await?.map(|(_, session)| session.appointment.practice))
}

/// `GET /teilnehmen`
pub async fn join_form(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let practice = known_practice(&state, &headers).await?;
    join_page(&state, Lang::from_headers(&headers), (String::new(), None), practice.as_ref(), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinForm {
    code: String,
}

/// `POST /teilnehmen`: one neutral message for every wrong code (a specific one for characters no code
/// contains); limited per address network and for everyone together, never per code.
pub async fn join(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(addr): ClientIp,
    StrictForm(form): StrictForm<JoinForm>,
) -> AppResult<Response> {
    let lang = Lang::from_headers(&headers);
    let c = texts::of(lang);
    let now = state.clock.now();
    let typed = form.code.trim().to_owned();
    let audit_entry = |outcome| Entry::new(AuditEvent::GuestCode, outcome, Actor::Anonymous, None).from_addr(addr);
    let code = AccessCode::parse(&typed);
    let limited = code_entry_allowed(&state, addr, now).await;
    if let Err(retry_after) = limited {
        audit::record_sampled(&state.db, &state.audit_sampler, audit_entry("limited"), now).await?;
        let minutes = (retry_after + 59) / 60;
        let error = fill(c.join_limited, &[("minutes", &minutes.max(1).to_string())]);
        let practice = known_practice(&state, &headers).await?;
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut response = join_page(&state, lang, (typed, Some(error)), practice.as_ref(), status)?;
        response.headers_mut().insert(header::RETRY_AFTER, retry_after.max(1).into());
        return Ok(response);
    }
    let found = match &code {
        Some(code) => {
            store::find_by_access(
                &state.db,
                AccessColumn::Code,
                &state.token_key.hash(Keyed::AccessCode, code.expose()),
            )
            .await?
        }
        None => None,
    };
    let Some((participant, appointment)) = found else {
        audit::record_sampled(&state.db, &state.audit_sampler, audit_entry("unknown"), now).await?;
        let look_alikes = AccessCode::look_alikes(&typed);
        let error = if look_alikes.is_empty() {
            c.join_wrong.to_owned()
        } else {
            let named: Vec<String> = look_alikes.iter().map(|ch| format!("„{ch}“")).collect();
            fill(c.join_look_alikes, &[("chars", &named.join(", "))])
        };
        let practice = known_practice(&state, &headers).await?;
        return join_page(&state, lang, (typed, Some(error)), practice.as_ref(), StatusCode::UNPROCESSABLE_ENTITY);
    };
    enter(&state, AuditEvent::GuestCode, addr, participant, appointment, &headers).await
}

#[derive(Template)]
#[template(path = "consult/checkin.html")]
struct CheckInPage {
    layout: Layout,
    c: &'static Texts,
    when: String,
    name: String,
    errors: Vec<&'static str>,
    /// The device check warns without waiting for the script: the camera needs https.
    insecure: bool,
}

fn check_in_page(
    state: &AppState,
    guest: &Guest,
    name: String,
    errors: Vec<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let c = texts::of(guest.lang);
    let when = fill(
        c.checkin_when,
        &[
            ("when", &format::date_time(guest.appointment.starts_at, guest.lang)),
            ("host", &guest.appointment.host_name),
        ],
    );
    page::render(
        status,
        &CheckInPage {
            layout: Layout::new(state, guest.lang, c.checkin_title).for_guests(Some(&guest.appointment.practice)),
            c,
            when,
            name,
            errors,
            insecure: !state.config.is_secure_context(),
        },
    )
}

/// `GET /teilnehmen/eintreten`: name (prefilled from the invitation) and consent.
pub async fn check_in_form(State(state): State<AppState>, guest: Guest) -> AppResult<Response> {
    let name = guest.participant.name.clone();
    check_in_page(&state, &guest, name, Vec::new(), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInForm {
    name: String,
    #[serde(default)]
    consent: Option<String>,
}

/// `POST /teilnehmen/eintreten`: "Sprechstunde betreten".
pub async fn check_in(
    State(state): State<AppState>,
    guest: Guest,
    StrictForm(form): StrictForm<CheckInForm>,
) -> AppResult<Response> {
    if guest.other_device.is_some() {
        return Ok(Redirect::to("/warteraum").into_response());
    }
    let c = texts::of(guest.lang);
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(c.err_name);
    }
    if form.consent.is_none() {
        errors.push(c.err_consent);
    }
    if !errors.is_empty() {
        return check_in_page(&state, &guest, form.name, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match changes::check_in(&state, &guest.participant, &guest.session_hash, &name).await {
        Ok(_) | Err(ConsultError::Changed) => Ok(Redirect::to("/warteraum").into_response()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "consult/waiting.html")]
struct WaitingPage {
    layout: Layout,
    status: GuestStatus,
    reload: bool,
    roster: views::Roster,
    /// Only the host's room shows who is waiting.
    banner: Option<views::WaitingBanner>,
    /// The device check while waiting warns without the script: the camera needs https.
    insecure: bool,
}

/// `GET /warteraum`: the guest's state; without JavaScript the page reloads itself while waiting.
pub async fn waiting_room(State(state): State<AppState>, guest: Guest) -> AppResult<Response> {
    if matches!(guest.participant.state, ParticipantState::Invited | ParticipantState::LinkOpened) {
        return Ok(Redirect::to("/teilnehmen/eintreten").into_response());
    }
    // The extractor let the guest in: the invitation works now.
    let status =
        views::guest_status(Some(&guest.participant), guest.other_device, &guest.appointment, guest.lang, true);
    let (me, lang, title) = (guest.participant.id.as_str(), guest.lang, status.title());
    let roster = if guest.participant.state == ParticipantState::Admitted {
        let participants = store::participants(&state.db, &guest.appointment.id).await?;
        views::Roster::of(&guest.appointment, &participants, me, lang)
    } else {
        views::Roster::empty(me, lang)
    };
    let reload = matches!(guest.participant.state, ParticipantState::Waiting | ParticipantState::Admitted);
    page::render(
        StatusCode::OK,
        &WaitingPage {
            layout: Layout::new(&state, lang, title).for_guests(Some(&guest.appointment.practice)),
            status,
            reload,
            roster,
            banner: None,
            insecure: !state.config.is_secure_context(),
        },
    )
}

/// `POST /warteraum/verlassen`
pub async fn leave(State(state): State<AppState>, guest: Guest) -> AppResult<Response> {
    // Another device than the participant's own cannot take them out of the consultation.
    if guest.other_device.is_some() {
        return Ok(Redirect::to("/warteraum").into_response());
    }
    let actor = Actor::Guest(guest.participant.id.clone());
    match changes::step(&state, actor, None, &guest.participant, Action::Leave).await {
        Ok(_) | Err(ConsultError::Changed) => Ok(Redirect::to("/warteraum").into_response()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "consult/terms.html")]
struct TermsPage {
    layout: Layout,
    en: bool,
    privacy: bool,
}

/// `GET /nutzungsbedingungen` and `GET /datenschutz`: readable without any account.
pub async fn terms(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    legal(&state, &headers, false)
}

pub async fn privacy(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    legal(&state, &headers, true)
}

fn legal(state: &AppState, headers: &HeaderMap, privacy: bool) -> AppResult<Response> {
    let lang = Lang::from_headers(headers);
    let c = texts::of(lang);
    let title = if privacy { c.privacy_title } else { c.terms_title };
    page::render(StatusCode::OK, &TermsPage { layout: Layout::new(state, lang, title), en: lang == Lang::En, privacy })
}
