//! The start page `/`: where a signed-in person works from. Today's appointments with who is waiting,
//! "Termin anlegen", "Patient jetzt einladen", the contacts added last, and the console for staff.
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::accounts::guards::ProductUser;
use crate::domain::participant::ParticipantState;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::format;
use crate::web::i18n::fill;
use crate::web::page::{self, Layout};

/// Contacts shown on the start page (the whole list is one click away).
const RECENT_CONTACTS: i64 = 5;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

pub struct TodayRow {
    pub id: String,
    pub time: String,
    pub title: String,
    /// The participants' names, so that appointments without a title are told apart.
    pub who: String,
    /// "2 im Wartezimmer", or empty.
    pub waiting: String,
}

pub struct ContactRow {
    pub name: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    layout: Layout,
    welcome: String,
    signed_in_as: String,
    today: Vec<TodayRow>,
    contacts: Vec<ContactRow>,
    staff: bool,
}

/// `GET /`: signed-out visitors are sent to sign in, and those with steps left to their step.
async fn show(State(state): State<AppState>, ProductUser(account): ProductUser) -> AppResult<Response> {
    let (lang, now) = (account.language, state.clock.now());
    let t = lang.texts();
    let c = crate::consult::texts::of(lang);
    let mut today = Vec::new();
    for (appointment, participants) in crate::consult::agenda::today(&state.db, &account.id, now).await? {
        let waiting = participants.iter().filter(|p| p.state == ParticipantState::Waiting).count();
        today.push(TodayRow {
            id: appointment.id.clone(),
            time: format::time_of_day(appointment.starts_at),
            title: if appointment.title.is_empty() { c.no_title.to_owned() } else { appointment.title.clone() },
            who: participants.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
            waiting: if waiting == 0 { String::new() } else { fill(t.start_waiting, &[("n", &waiting.to_string())]) },
        });
    }
    let recent = crate::contacts::recent(&state.db, &account.id, RECENT_CONTACTS).await?;
    page::render(
        StatusCode::OK,
        &StartPage {
            layout: Layout::new(&state, lang, t.start_title).signed_in("start", account.is_staff()),
            welcome: fill(t.start_welcome, &[("name", &account.name)]),
            signed_in_as: fill(t.start_signed_in_as, &[("username", account.username.as_deref().unwrap_or_default())]),
            today,
            contacts: recent.into_iter().map(|c| ContactRow { name: c.name, username: c.username }).collect(),
            staff: account.is_staff(),
        },
    )
}
