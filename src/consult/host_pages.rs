//! The host's pages: `/termine` (today and upcoming), "Termin anlegen", one appointment with its
//! participants (live), and the forms on it. Every form works without JavaScript.
use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::guards::ProductUser;
use crate::accounts::{Account, EmailAddress};
use crate::consult::changes::{self, ConsultError, Delivery};
use crate::consult::messages::Access;
use crate::consult::store::{self, Appointment, AppointmentStatus, NewParticipant, Planned};
use crate::consult::texts::{self, Texts};
use crate::consult::views::{self, ParticipantList};
use crate::domain::access_code::AccessCode;
use crate::domain::appointment::{DURATIONS, NAME_MAX, NOTICE_MAX, PRESET_NOTICES, TITLE_MAX};
use crate::domain::participant::Action;
use crate::error::{AppError, AppResult};
use crate::security::audit::Actor;
use crate::security::sealed;
use crate::security::token::{self, Purpose};
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::format::{self, LocalTimeError};
use crate::web::i18n::{Lang, fill};
use crate::web::page::{self, Layout};

/// One line of the list.
pub struct Row {
    pub id: String,
    pub when: String,
    pub title: String,
    pub minutes: i64,
}

#[derive(Template)]
#[template(path = "consult/list.html")]
struct ListPage {
    layout: Layout,
    c: &'static Texts,
    today: Vec<Row>,
    later: Vec<Row>,
}

fn row(appointment: &Appointment, c: &Texts, lang: Lang) -> Row {
    Row {
        id: appointment.id.clone(),
        when: format::date_time(appointment.starts_at, lang),
        title: if appointment.title.is_empty() { c.no_title.to_owned() } else { appointment.title.clone() },
        minutes: appointment.duration_minutes,
    }
}

/// `GET /termine`: today's (also those already over today) and upcoming appointments, soonest first.
pub async fn list(State(state): State<AppState>, ProductUser(account): ProductUser) -> AppResult<Response> {
    let (lang, now) = (account.language, state.clock.now());
    let c = texts::of(lang);
    let all = store::upcoming(&state.db, &account.id, format::berlin_day_start(now)).await?;
    let (today, later): (Vec<_>, Vec<_>) = all.iter().partition(|a| format::same_berlin_day(a.starts_at, now));
    page::render(
        StatusCode::OK,
        &ListPage {
            layout: Layout::new(&state, lang, c.appointments_title).signed_in("termine", account.is_staff()),
            c,
            today: today.into_iter().map(|a| row(a, c, lang)).collect(),
            later: later.into_iter().map(|a| row(a, c, lang)).collect(),
        },
    )
}

/// What the appointment form shows: the values as typed, so nothing is lost on an error.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentForm {
    date: String,
    time: String,
    duration: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    title_for_guests: Option<String>,
}

#[derive(Template)]
#[template(path = "consult/new.html")]
struct NewPage {
    layout: Layout,
    c: &'static Texts,
    form: AppointmentForm,
    durations: &'static [i64],
    errors: Vec<String>,
}

/// `GET /termine/neu`: today, at the next full half hour, 30 minutes.
pub async fn new_form(State(state): State<AppState>, ProductUser(account): ProductUser) -> AppResult<Response> {
    let next_half_hour = (state.clock.now() / 1800 + 1) * 1800;
    let (date, time) = format::berlin_fields(next_half_hour);
    let form = AppointmentForm { date, time, duration: "30".into(), ..AppointmentForm::default() };
    new_page(&state, &account, form, Vec::new(), StatusCode::OK)
}

fn new_page(
    state: &AppState,
    account: &Account,
    form: AppointmentForm,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let c = texts::of(account.language);
    page::render(
        status,
        &NewPage {
            layout: Layout::new(state, account.language, c.new_appointment).signed_in("termine", account.is_staff()),
            c,
            form,
            durations: &DURATIONS,
            errors,
        },
    )
}

/// Checks the form; the messages are in the host's language.
fn validate<'a>(form: &'a AppointmentForm, c: &Texts, now: i64) -> Result<Planned<'a>, Vec<String>> {
    let mut errors = Vec::new();
    let starts_at = match format::berlin_to_utc(&form.date, &form.time) {
        Ok(at) => Some(at),
        Err(LocalTimeError::Date) => {
            errors.push(c.err_date.to_owned());
            None
        }
        Err(LocalTimeError::Time) => {
            errors.push(c.err_time.to_owned());
            None
        }
        Err(LocalTimeError::SkippedBySummerTime) => {
            errors.push(c.err_summer_time.to_owned());
            None
        }
    };
    let duration = form.duration.trim().parse::<i64>().ok().filter(|d| DURATIONS.contains(d));
    if duration.is_none() {
        errors.push(c.err_duration.to_owned());
    }
    if let (Some(at), Some(minutes)) = (starts_at, duration)
        && at + minutes * 60 <= now
    {
        errors.push(c.err_past.to_owned());
    }
    let title = form.title.trim();
    if title.chars().count() > TITLE_MAX {
        errors.push(fill(c.err_title_long, &[("max", &TITLE_MAX.to_string())]));
    }
    match (starts_at, duration) {
        (Some(starts_at), Some(duration_minutes)) if errors.is_empty() => {
            Ok(Planned { starts_at, duration_minutes, title, title_for_guests: form.title_for_guests.is_some() })
        }
        _ => Err(errors),
    }
}

/// `POST /termine`
pub async fn create(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    StrictForm(form): StrictForm<AppointmentForm>,
) -> AppResult<Response> {
    let (c, now) = (texts::of(account.language), state.clock.now());
    let plan = match validate(&form, c, now) {
        Ok(plan) => plan,
        Err(errors) => return new_page(&state, &account, form, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let id = changes::create(&state, &account, &plan).await?;
    Ok(Redirect::to(&format!("/termine/{id}?angelegt")).into_response())
}

#[derive(Template)]
#[template(path = "consult/invite_now.html")]
struct InviteNowPage {
    layout: Layout,
    c: &'static Texts,
    new_participant: ParticipantForm,
    participant_errors: Vec<String>,
}

fn invite_now_page(
    state: &AppState,
    account: &Account,
    new_participant: ParticipantForm,
    participant_errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let c = texts::of(account.language);
    let layout = Layout::new(state, account.language, c.invite_now_title).signed_in("termine", account.is_staff());
    page::render(status, &InviteNowPage { layout, c, new_participant, participant_errors })
}

/// `GET /termine/jetzt`: "Patient jetzt einladen".
pub async fn invite_now_form(State(state): State<AppState>, ProductUser(account): ProductUser) -> AppResult<Response> {
    invite_now_page(&state, &account, ParticipantForm::default(), Vec::new(), StatusCode::OK)
}

/// `POST /termine/jetzt`: an appointment starting now (30 minutes) with this one participant; the page
/// that follows shows link and code at once, like "Teilnehmer hinzufügen".
pub async fn invite_now(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    headers: HeaderMap,
    StrictForm(form): StrictForm<ParticipantForm>,
) -> AppResult<Response> {
    let c = texts::of(account.language);
    let checked = match check_participant(&form, c) {
        Ok(checked) => checked,
        Err(errors) => return invite_now_page(&state, &account, form, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let plan =
        Planned { starts_at: state.clock.now() / 60 * 60, duration_minutes: 30, title: "", title_for_guests: false };
    let id = changes::create(&state, &account, &plan).await?;
    let appointment = planned(&state, &account, &id).await?;
    add_and_show(&state, &account, &headers, appointment, form, checked).await
}

/// The participant form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantForm {
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    send_email: Option<String>,
    #[serde(default)]
    send_sms: Option<String>,
}

/// Fresh access details, shown once: on the appointment page, or in the room without leaving it.
#[derive(Template)]
#[template(path = "consult/fresh.html")]
pub struct Fresh {
    c: &'static Texts,
    heading: String,
    access: Access,
    sent: Vec<&'static str>,
}

/// Fresh access details as kept for their one showing: for whom, link, code, and by which channels they
/// went out.
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct FreshData {
    name: String,
    url: String,
    code: String,
    email: bool,
    sms: bool,
}

impl FreshData {
    fn new(name: &str, access: Access, delivery: Delivery, (email, phone): (bool, bool)) -> FreshData {
        FreshData {
            name: name.to_owned(),
            url: access.url,
            code: access.code.expose().to_owned(),
            email: delivery.email && email,
            sms: delivery.sms && phone,
        }
    }

    fn shown(self, c: &'static Texts) -> Option<Fresh> {
        let code = AccessCode::parse(&self.code)?;
        let sent = [(self.email, c.sent_email), (self.sms, c.sent_sms)];
        Some(Fresh {
            c,
            heading: fill(c.fresh_heading, &[("name", &self.name)]),
            access: Access { url: self.url, code },
            sent: sent.into_iter().filter_map(|(went, line)| went.then_some(line)).collect(),
        })
    }
}

/// How long a one-time view of fresh access details waits for the page after the redirect.
const FRESH_VIEW_SECONDS: i64 = 600;

/// Post/redirect/get for fresh access details: they are sealed under a new token (only its hash is stored,
/// bound to the host's session) and the page after the redirect shows them once.
async fn show_once(
    state: &AppState,
    headers: &HeaderMap,
    appointment_id: &str,
    data: FreshData,
) -> AppResult<Response> {
    let (session, _) = crate::accounts::guards::signed_in(state, headers).await?;
    let token = token::generate();
    let plain = serde_json::to_vec(&data).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = sealed::seal(&token, &session.id_hash, &plain);
    let now = state.clock.now();
    let id_hash = token::hash(Purpose::FreshView, &token);
    let key = (id_hash.as_str(), session.id_hash.as_str(), appointment_id);
    store::keep_fresh_view(&state.db, key, &sealed, (now, now + FRESH_VIEW_SECONDS)).await?;
    Ok(Redirect::to(&format!("/termine/{appointment_id}?zugang={token}")).into_response())
}

/// The fresh access details behind `token`, taken: `Err(())` when they were shown already (or expired).
async fn take_once(
    state: &AppState,
    headers: &HeaderMap,
    appointment_id: &str,
    token: &str,
) -> AppResult<Option<FreshData>> {
    if !token::looks_valid(token) {
        return Ok(None);
    }
    let (session, _) = crate::accounts::guards::signed_in(state, headers).await?;
    let id_hash = token::hash(Purpose::FreshView, token);
    let key = (id_hash.as_str(), session.id_hash.as_str(), appointment_id);
    let Some(sealed) = store::take_fresh_view(&state.db, key, state.clock.now()).await? else { return Ok(None) };
    Ok(sealed::open(token, &session.id_hash, &sealed).and_then(|plain| serde_json::from_slice(&plain).ok()))
}

#[derive(Template)]
#[template(path = "consult/appointment.html")]
struct AppointmentPage {
    layout: Layout,
    c: &'static Texts,
    appointment: Appointment,
    when: String,
    /// Why nothing can change any more: cancelled, or ended by the host.
    closed: Option<&'static str>,
    /// The device check warns without waiting for the script: the camera needs https.
    insecure: bool,
    form: AppointmentForm,
    form_errors: Vec<String>,
    durations: &'static [i64],
    participants: ParticipantList,
    new_participant: ParticipantForm,
    participant_errors: Vec<String>,
    fresh: Option<Fresh>,
    notice: Option<String>,
    notice_errors: Vec<String>,
    notice_text: String,
    notice_max: usize,
    notice_label: String,
    presets: Vec<&'static str>,
    cancel_error: Option<&'static str>,
}

/// Everything the appointment page can show besides the appointment itself.
#[derive(Default)]
struct Extras {
    form: Option<AppointmentForm>,
    form_errors: Vec<String>,
    new_participant: ParticipantForm,
    participant_errors: Vec<String>,
    fresh: Option<Fresh>,
    notice: Option<String>,
    notice_errors: Vec<String>,
    notice_text: Option<String>,
    cancel_error: Option<&'static str>,
}

async fn appointment_page(
    state: &AppState,
    account: &Account,
    appointment: Appointment,
    extras: Extras,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = account.language;
    let c = texts::of(lang);
    let (date, time) = format::berlin_fields(appointment.starts_at);
    let form = extras.form.unwrap_or(AppointmentForm {
        date,
        time,
        duration: appointment.duration_minutes.to_string(),
        title: appointment.title.clone(),
        title_for_guests: appointment.title_for_guests.then(|| "ja".to_owned()),
    });
    let participants = views::participant_list(state, &appointment, lang).await?;
    let title = if appointment.title.is_empty() { c.no_title } else { appointment.title.as_str() };
    page::render(
        status,
        &AppointmentPage {
            layout: Layout::new(state, lang, title).signed_in("termine", account.is_staff()),
            c,
            when: format::date_time(appointment.starts_at, lang),
            closed: closed_label(&appointment, c),
            insecure: !state.config.is_secure_context(),
            notice_text: extras.notice_text.unwrap_or_default(),
            appointment,
            form,
            form_errors: extras.form_errors,
            durations: &DURATIONS,
            participants,
            new_participant: extras.new_participant,
            participant_errors: extras.participant_errors,
            fresh: extras.fresh,
            notice: extras.notice,
            notice_errors: extras.notice_errors,
            notice_max: NOTICE_MAX,
            notice_label: fill(c.label_notice, &[("max", &NOTICE_MAX.to_string())]),
            presets: presets(lang),
            cancel_error: extras.cancel_error,
        },
    )
}

fn presets(lang: Lang) -> Vec<&'static str> {
    PRESET_NOTICES.iter().map(|(de, en)| if lang == Lang::En { *en } else { *de }).collect()
}

fn closed_label(appointment: &Appointment, c: &'static Texts) -> Option<&'static str> {
    if appointment.status == AppointmentStatus::Cancelled {
        Some(c.cancelled_label)
    } else if appointment.finished_at.is_some() {
        Some(c.finished_label)
    } else {
        None
    }
}

async fn own(state: &AppState, account: &Account, id: &str) -> AppResult<Appointment> {
    store::find_for_host(&state.db, &account.id, id).await?.ok_or(AppError::NotFound)
}

/// `GET /termine/{id}`
pub async fn show(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let appointment = own(&state, &account, &id).await?;
    let c = texts::of(account.language);
    // Fresh link and code after a redirect: shown once; a reload says where they went.
    if let Some(token) = query.as_deref().and_then(|q| q.strip_prefix("zugang=")) {
        let (fresh, notice) = match take_once(&state, &headers, &id, token).await?.and_then(|data| data.shown(c)) {
            Some(fresh) => (Some(fresh), None),
            None => (None, Some(c.fresh_gone.to_owned())),
        };
        let extras = Extras { fresh, notice, ..Extras::default() };
        return appointment_page(&state, &account, appointment, extras, StatusCode::OK).await;
    }
    let notice = match query.as_deref() {
        Some("angelegt") => Some(c.created.to_owned()),
        Some("gespeichert") => Some(format!("{} {}", c.saved, c.changed_hint)),
        Some("nachricht") => Some(c.notice_saved.to_owned()),
        Some("abgesagt") => Some(c.cancelled_notice.to_owned()),
        Some("beendet") => Some(c.finished_notice.to_owned()),
        Some("voll") => Some(fill(c.room_full, &[("max", &changes::ROOM_MAX.to_string())])),
        Some("geaendert") => Some(c.changed_meanwhile.to_owned()),
        _ => None,
    };
    appointment_page(&state, &account, appointment, Extras { notice, ..Extras::default() }, StatusCode::OK).await
}

/// `POST /termine/{id}`: date, time, duration, title.
pub async fn update(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<AppointmentForm>,
) -> AppResult<Response> {
    let appointment = own(&state, &account, &id).await?;
    let (c, now) = (texts::of(account.language), state.clock.now());
    let plan = match validate(&form, c, now) {
        Ok(plan) => plan,
        Err(form_errors) => {
            let extras = Extras { form: Some(form), form_errors, ..Extras::default() };
            return appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if !changes::update(&state, &account, &id, &plan).await? {
        return Ok(Redirect::to(&format!("/termine/{id}?geaendert")).into_response());
    }
    Ok(Redirect::to(&format!("/termine/{id}?gespeichert")).into_response())
}

/// The participant form, checked: (name, e-mail, E.164 number) or the messages.
fn check_participant(
    form: &ParticipantForm,
    c: &Texts,
) -> Result<(String, Option<String>, Option<String>), Vec<String>> {
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(fill(c.err_name, &[("max", &NAME_MAX.to_string())]));
    }
    let email = match form.email.trim() {
        "" => None,
        text => match EmailAddress::parse(text) {
            Ok(email) => Some(email.as_str().to_owned()),
            Err(_) => {
                errors.push(c.err_email.to_owned());
                None
            }
        },
    };
    let phone = match form.phone.trim() {
        "" => None,
        text => match crate::domain::phone::parse_mobile(text) {
            Ok(phone) => Some(phone),
            Err(_) => {
                errors.push(c.err_phone.to_owned());
                None
            }
        },
    };
    if errors.is_empty() { Ok((name, email, phone)) } else { Err(errors) }
}

/// `POST /termine/{id}/teilnehmer`: adds a participant and shows their link and code once.
pub async fn add_participant(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    InRoom(in_room): InRoom,
    headers: HeaderMap,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<ParticipantForm>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let c = texts::of(account.language);
    match check_participant(&form, c) {
        Ok(checked) if in_room => {
            let result = add(&state, &account, &appointment, &form, checked).await;
            answer(result, c, |data| Answer::shown(data, c))
        }
        Ok(checked) => add_and_show(&state, &account, &headers, appointment, form, checked).await,
        Err(errors) if in_room => Ok(Answer::refused(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Err(participant_errors) => {
            let extras = Extras { new_participant: form, participant_errors, ..Extras::default() };
            appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Adds the checked participant: their fresh link and code, sent as the form asked.
async fn add(
    state: &AppState,
    account: &Account,
    appointment: &Appointment,
    form: &ParticipantForm,
    (name, email, phone): (String, Option<String>, Option<String>),
) -> Result<FreshData, ConsultError> {
    let delivery = Delivery { email: form.send_email.is_some(), sms: form.send_sms.is_some() };
    let new = NewParticipant { name: &name, email: email.as_deref(), phone: phone.as_deref() };
    let (_, access) = changes::add(state, account, appointment, &new, delivery).await?;
    Ok(FreshData::new(&name, access, delivery, (email.is_some(), phone.is_some())))
}

/// Adds the checked participant; the page after the redirect shows the fresh link and code once.
async fn add_and_show(
    state: &AppState,
    account: &Account,
    headers: &HeaderMap,
    appointment: Appointment,
    form: ParticipantForm,
    checked: (String, Option<String>, Option<String>),
) -> AppResult<Response> {
    let c = texts::of(account.language);
    match add(state, account, &appointment, &form, checked).await {
        Ok(data) => show_once(state, headers, &appointment.id, data).await,
        Err(ConsultError::SmsCapped) => {
            let extras = Extras {
                new_participant: form,
                participant_errors: vec![c.sms_capped.to_owned()],
                ..Extras::default()
            };
            appointment_page(state, account, appointment, extras, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The host's appointment, if still open (a cancelled or ended one takes no more changes).
async fn planned(state: &AppState, account: &Account, id: &str) -> AppResult<Appointment> {
    let appointment = own(state, account, id).await?;
    if !appointment.is_open() {
        return Err(AppError::elsewhere(Redirect::to(&format!("/termine/{id}"))));
    }
    Ok(appointment)
}

/// The room's script sends the host's actions with `Accept: application/json` and stays where it is: the
/// page, its camera and its connections. Everyone else (the forms without JavaScript) gets pages and
/// redirects.
pub struct InRoom(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for InRoom {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accept = parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(InRoom(accept.contains("application/json")))
    }
}

/// What the room's script is told after an action: done (perhaps with fresh access details to show), or
/// refused with the reasons, in the host's language. The change itself arrives over the WebSocket.
#[derive(Debug, Default, serde::Serialize)]
pub struct Answer {
    ok: bool,
    message: Option<String>,
    errors: Vec<String>,
    html: Option<String>,
}

impl Answer {
    fn done(message: Option<String>) -> Response {
        Json(Answer { ok: true, message, ..Answer::default() }).into_response()
    }

    fn shown(data: FreshData, c: &'static Texts) -> Response {
        match data.shown(c).map(|fresh| fresh.render()) {
            Some(Ok(html)) => Json(Answer { ok: true, html: Some(html), ..Answer::default() }).into_response(),
            Some(Err(error)) => AppError::from(error).into_response(),
            None => AppError::Internal("Zugangscode nicht lesbar".into()).into_response(),
        }
    }

    fn refused(status: StatusCode, errors: Vec<String>) -> Response {
        (status, Json(Answer { errors, ..Answer::default() })).into_response()
    }
}

/// The room's answer to an action's outcome: `done` on success, a refusal the host can act on otherwise.
fn answer<T>(result: Result<T, ConsultError>, c: &Texts, done: impl FnOnce(T) -> Response) -> AppResult<Response> {
    match result {
        Ok(value) => Ok(done(value)),
        Err(error) => match refusal_of(&error, c) {
            Some((status, _, text)) => Ok(Answer::refused(status, vec![text])),
            None => Err(error.into()),
        },
    }
}

/// Refusals the host can act on: the status, the appointment page's notice (`?…`) and the text.
fn refusal_of(error: &ConsultError, c: &Texts) -> Option<(StatusCode, &'static str, String)> {
    match error {
        ConsultError::Changed => Some((StatusCode::CONFLICT, "geaendert", c.changed_meanwhile.to_owned())),
        ConsultError::RoomFull => {
            Some((StatusCode::CONFLICT, "voll", fill(c.room_full, &[("max", &changes::ROOM_MAX.to_string())])))
        }
        ConsultError::SmsCapped => Some((StatusCode::TOO_MANY_REQUESTS, "sms", c.sms_capped.to_owned())),
        _ => None,
    }
}

/// `POST /termine/{id}/teilnehmer/{pid}/{action}`: einlassen, ablehnen, zurueck, neu, senden, entfernen.
pub async fn participant_action(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    InRoom(in_room): InRoom,
    headers: HeaderMap,
    Path((id, pid, action)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let participant = store::participant_of(&state.db, &id, &pid).await?.ok_or(AppError::NotFound)?;
    let actor = Actor::Account(account.id.clone());
    let result = match action.as_str() {
        "einlassen" | "ablehnen" | "zurueck" => {
            let transition = match action.as_str() {
                "einlassen" => Action::Admit,
                "ablehnen" => Action::Decline,
                _ => Action::SendBack,
            };
            changes::step(&state, actor, Some(&account.id), &participant, transition).await.map(|_| None)
        }
        "entfernen" => changes::remove(&state, &account, &appointment, &participant).await.map(|()| None),
        "neu" | "senden" => {
            let delivery = if action == "senden" { Delivery { email: true, sms: true } } else { Delivery::default() };
            let reachable = (participant.email.is_some(), participant.phone.is_some());
            changes::renew(&state, &account, &appointment, &participant, delivery)
                .await
                .map(|access| Some(FreshData::new(&participant.name, access, delivery, reachable)))
        }
        _ => return Err(AppError::NotFound),
    };
    reply(&state, &account, (&headers, in_room), appointment, result).await
}

/// `POST /termine/{id}/teilnehmer/{pid}/geraet/{knock}/{einlassen|ablehnen}`: another device of the
/// participant, exactly the one the host saw knocking, is let in (replacing theirs) or declined.
pub async fn device_action(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    InRoom(in_room): InRoom,
    headers: HeaderMap,
    Path((id, pid, knock, decision)): Path<(String, String, String, String)>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let participant = store::participant_of(&state.db, &id, &pid).await?.ok_or(AppError::NotFound)?;
    let admit = match decision.as_str() {
        "einlassen" => true,
        "ablehnen" => false,
        _ => return Err(AppError::NotFound),
    };
    let result = changes::decide_device(&state, &account, &participant, &knock, admit).await;
    reply(&state, &account, (&headers, in_room), appointment, result.map(|()| None)).await
}

/// The answer to a participant action: JSON in the room, otherwise the appointment page (fresh access
/// details through a redirect, refusals as its notice).
async fn reply(
    state: &AppState,
    account: &Account,
    (headers, in_room): (&HeaderMap, bool),
    appointment: Appointment,
    result: Result<Option<FreshData>, ConsultError>,
) -> AppResult<Response> {
    let c = texts::of(account.language);
    let id = appointment.id.clone();
    if in_room {
        return answer(result, c, |data| data.map_or_else(|| Answer::done(None), |data| Answer::shown(data, c)));
    }
    match result {
        Ok(None) => Ok(Redirect::to(&format!("/termine/{id}")).into_response()),
        Ok(Some(data)) => show_once(state, headers, &id, data).await,
        Err(ConsultError::SmsCapped) => {
            let extras = Extras { participant_errors: vec![c.sms_capped.to_owned()], ..Extras::default() };
            appointment_page(state, account, appointment, extras, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(error) => match refusal_of(&error, c) {
            Some((_, query, _)) => Ok(Redirect::to(&format!("/termine/{id}?{query}")).into_response()),
            None => Err(error.into()),
        },
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeForm {
    #[serde(default)]
    preset: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    clear: Option<String>,
}

/// `POST /termine/{id}/nachricht`: a preset or the host's own words (≤ 200 characters), or none.
pub async fn set_notice(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    InRoom(in_room): InRoom,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<NoticeForm>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let c = texts::of(account.language);
    let own_text: String = form.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let preset = form.preset.trim().parse::<usize>().ok().and_then(|i| PRESET_NOTICES.get(i));
    let notice = match (form.clear.is_some(), own_text.is_empty(), preset) {
        (true, _, _) => String::new(),
        (false, false, _) => own_text,
        (false, true, Some((de, _))) => (*de).to_owned(),
        (false, true, None) => String::new(),
    };
    if notice.chars().count() > NOTICE_MAX {
        let error = fill(c.err_notice_long, &[("max", &NOTICE_MAX.to_string())]);
        if in_room {
            return Ok(Answer::refused(StatusCode::UNPROCESSABLE_ENTITY, vec![error]));
        }
        let extras = Extras { notice_errors: vec![error], notice_text: Some(form.text), ..Extras::default() };
        return appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    changes::set_notice(&state, &account, &id, &notice).await?;
    if in_room {
        let message = if notice.is_empty() { c.notice_cleared } else { c.notice_saved };
        return Ok(Answer::done(Some(message.to_owned())));
    }
    Ok(Redirect::to(&format!("/termine/{id}?nachricht")).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelForm {
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /termine/{id}/absagen`
pub async fn cancel(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<CancelForm>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    if form.confirm.is_none() {
        let extras = Extras { cancel_error: Some(texts::of(account.language).err_cancel_confirm), ..Extras::default() };
        return appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match changes::cancel(&state, &account, &appointment).await {
        Ok(()) | Err(ConsultError::Changed) => Ok(Redirect::to(&format!("/termine/{id}?abgesagt")).into_response()),
        Err(error) => Err(error.into()),
    }
}

/// `POST /termine/{id}/beenden`: "Sprechstunde beenden" ends the consultation for everyone.
pub async fn end(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    match changes::end_consultation(&state, &account, &appointment).await {
        Ok(()) | Err(ConsultError::Changed) => Ok(Redirect::to(&format!("/termine/{id}?beendet")).into_response()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "consult/host_room.html")]
struct RoomPage {
    layout: Layout,
    c: &'static Texts,
    when: String,
    participants: ParticipantList,
    banner: Option<views::WaitingBanner>,
    roster: views::Roster,
    appointment: Appointment,
    new_participant: ParticipantForm,
    notice_errors: Vec<String>,
    notice_text: String,
    notice_max: usize,
    notice_label: String,
    presets: Vec<&'static str>,
}

/// `GET /termine/{id}/raum`: the host's side of the video room. Everything the host does during the call
/// happens here without leaving it: admit (also from the banner over the video), decline, send back, add,
/// renew, resend, remove, the message to the waiting room. The host can always get back in while the
/// appointment is planned.
pub async fn room(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let lang = account.language;
    let c = texts::of(lang);
    let participants = store::participants(&state.db, &appointment.id).await?;
    let roster = views::Roster::of(&appointment, &participants, views::HOST, lang);
    let facts = views::Facts::read(&state, &appointment).await?;
    let participants = views::participant_lines(&appointment, participants, &facts, lang);
    page::render(
        StatusCode::OK,
        &RoomPage {
            layout: Layout::new(&state, lang, c.room_title).signed_in("termine", account.is_staff()),
            c,
            when: format::date_time(appointment.starts_at, lang),
            banner: Some(participants.banner()),
            participants,
            roster,
            appointment,
            new_participant: ParticipantForm::default(),
            notice_errors: Vec::new(),
            notice_text: String::new(),
            notice_max: NOTICE_MAX,
            notice_label: fill(c.label_notice, &[("max", &NOTICE_MAX.to_string())]),
            presets: presets(lang),
        },
    )
}
