//! The host's pages: `/termine` (today and upcoming), "Termin anlegen", one appointment with its
//! participants (live), and the forms on it. Every form works without JavaScript.
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::{Account, EmailAddress};
use crate::consult::changes::{self, ConsultError, Delivery};
use crate::consult::messages::Access;
use crate::consult::store::{self, Appointment, AppointmentStatus, NewParticipant, Planned};
use crate::consult::texts::{self, Texts};
use crate::consult::views::{self, ParticipantList};
use crate::domain::appointment::{DURATIONS, NAME_MAX, NOTICE_MAX, PRESET_NOTICES, TITLE_MAX};
use crate::domain::participant::Action;
use crate::error::{AppError, AppResult};
use crate::profile::ProductUser;
use crate::security::audit::Actor;
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
    add_and_show(&state, &account, appointment, form, checked).await
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

/// Fresh access details, shown once.
pub struct Fresh {
    pub heading: String,
    pub access: Access,
    pub sent: Vec<&'static str>,
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
    let presets = PRESET_NOTICES.iter().map(|(de, en)| if lang == Lang::En { *en } else { *de }).collect();
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
            presets,
            cancel_error: extras.cancel_error,
        },
    )
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
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let appointment = own(&state, &account, &id).await?;
    let c = texts::of(account.language);
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

fn sent_lines(delivery: Delivery, email: bool, phone: bool, c: &Texts) -> Vec<&'static str> {
    let mut lines = Vec::new();
    if delivery.email && email {
        lines.push(c.sent_email);
    }
    if delivery.sms && phone {
        lines.push(c.sent_sms);
    }
    lines
}

/// `POST /termine/{id}/teilnehmer`: adds a participant and shows their link and code once.
pub async fn add_participant(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
    StrictForm(form): StrictForm<ParticipantForm>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let c = texts::of(account.language);
    match check_participant(&form, c) {
        Ok(checked) => add_and_show(&state, &account, appointment, form, checked).await,
        Err(participant_errors) => {
            let extras = Extras { new_participant: form, participant_errors, ..Extras::default() };
            appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Adds the checked participant and shows the appointment with the fresh link and code (once).
async fn add_and_show(
    state: &AppState,
    account: &Account,
    appointment: Appointment,
    form: ParticipantForm,
    (name, email, phone): (String, Option<String>, Option<String>),
) -> AppResult<Response> {
    let c = texts::of(account.language);
    let delivery = Delivery { email: form.send_email.is_some(), sms: form.send_sms.is_some() };
    let new = NewParticipant { name: &name, email: email.as_deref(), phone: phone.as_deref() };
    match changes::add(state, account, &appointment, &new, delivery).await {
        Ok((_, access)) => {
            let fresh = Fresh {
                heading: fill(c.fresh_heading, &[("name", &name)]),
                access,
                sent: sent_lines(delivery, email.is_some(), phone.is_some(), c),
            };
            let extras = Extras { fresh: Some(fresh), ..Extras::default() };
            appointment_page(state, account, appointment, extras, StatusCode::OK).await
        }
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

/// `POST /termine/{id}/teilnehmer/{pid}/{action}`: einlassen, ablehnen, zurueck, neu, senden, entfernen.
pub async fn participant_action(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path((id, pid, action)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let participant = store::participant_of(&state.db, &id, &pid).await?.ok_or(AppError::NotFound)?;
    let c = texts::of(account.language);
    let back = Redirect::to(&format!("/termine/{id}")).into_response();
    let transition = match action.as_str() {
        "einlassen" => Action::Admit,
        "ablehnen" => Action::Decline,
        "zurueck" => Action::SendBack,
        "entfernen" => {
            changes::remove(&state, &account, &appointment, &participant).await?;
            return Ok(back);
        }
        "neu" | "senden" => {
            let delivery = if action == "senden" { Delivery { email: true, sms: true } } else { Delivery::default() };
            let access = match changes::renew(&state, &account, &appointment, &participant, delivery).await {
                Ok(access) => access,
                Err(ConsultError::Changed) => {
                    return Ok(Redirect::to(&format!("/termine/{id}?geaendert")).into_response());
                }
                Err(ConsultError::SmsCapped) => {
                    let extras = Extras { participant_errors: vec![c.sms_capped.to_owned()], ..Extras::default() };
                    return appointment_page(&state, &account, appointment, extras, StatusCode::TOO_MANY_REQUESTS)
                        .await;
                }
                Err(error) => return Err(error.into()),
            };
            let fresh = Fresh {
                heading: fill(c.fresh_heading, &[("name", &participant.name)]),
                access,
                sent: sent_lines(delivery, participant.email.is_some(), participant.phone.is_some(), c),
            };
            let extras = Extras { fresh: Some(fresh), ..Extras::default() };
            return appointment_page(&state, &account, appointment, extras, StatusCode::OK).await;
        }
        _ => return Err(AppError::NotFound),
    };
    let actor = Actor::Account(account.id.clone());
    match changes::step(&state, actor, Some(&account.id), &participant, transition).await {
        Ok(_) => Ok(back),
        Err(ConsultError::Changed) => Ok(Redirect::to(&format!("/termine/{id}?geaendert")).into_response()),
        Err(ConsultError::RoomFull) => Ok(Redirect::to(&format!("/termine/{id}?voll")).into_response()),
        Err(error) => Err(error.into()),
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
        let extras = Extras {
            notice_errors: vec![fill(c.err_notice_long, &[("max", &NOTICE_MAX.to_string())])],
            notice_text: Some(form.text),
            ..Extras::default()
        };
        return appointment_page(&state, &account, appointment, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    changes::set_notice(&state, &account, &id, &notice).await?;
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
    appointment_id: String,
    when: String,
    participants: ParticipantList,
    roster: views::Roster,
}

/// `GET /termine/{id}/raum`: the host's side of the video room, with the live participant list (the host
/// can admit from here too). The host can always get back in while the appointment is planned.
pub async fn room(
    State(state): State<AppState>,
    ProductUser(account): ProductUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let appointment = planned(&state, &account, &id).await?;
    let lang = account.language;
    let c = texts::of(lang);
    let participants = store::participants(&state.db, &appointment.id).await?;
    let roster = views::Roster::of(&appointment, &participants, crate::consult::ws::HOST, lang);
    page::render(
        StatusCode::OK,
        &RoomPage {
            layout: Layout::new(&state, lang, c.room_title).signed_in("termine", account.is_staff()),
            c,
            when: format::date_time(appointment.starts_at, lang),
            participants: views::participant_lines(&appointment, participants, lang),
            appointment_id: appointment.id,
            roster,
        },
    )
}
