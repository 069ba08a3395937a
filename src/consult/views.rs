//! The parts of pages that change live: the host's participant list and the guest's status. Rendered
//! by the same templates for the page and for the WebSocket, so both always look the same.
use askama::Template;

use crate::consult::store::{self, Appointment, Participant};
use crate::consult::texts::{self, Texts};
use crate::domain::participant::ParticipantState;
use crate::state::AppState;
use crate::web::format;
use crate::web::i18n::{Lang, fill};

pub struct Line {
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub label: String,
    pub reachable: bool,
    pub can_admit: bool,
    pub can_decline: bool,
    pub can_send_back: bool,
}

#[derive(Template)]
#[template(path = "consult/participants.html")]
pub struct ParticipantList {
    pub c: &'static Texts,
    pub appointment_id: String,
    pub lines: Vec<Line>,
    pub planned: bool,
}

impl ParticipantList {
    /// Ids of those waiting now (the page compares them to sound a new arrival).
    pub fn waiting(&self) -> Vec<&str> {
        self.in_state(ParticipantState::Waiting)
    }

    /// Ids of those in the room now.
    pub fn admitted(&self) -> Vec<&str> {
        self.in_state(ParticipantState::Admitted)
    }

    fn in_state(&self, state: ParticipantState) -> Vec<&str> {
        self.lines.iter().filter(|l| l.state == state.as_str()).map(|l| l.id.as_str()).collect()
    }
}

pub fn state_label(c: &Texts, participant: &Participant) -> String {
    match participant.state {
        ParticipantState::Invited => c.state_invited.to_owned(),
        ParticipantState::LinkOpened => c.state_link_opened.to_owned(),
        ParticipantState::Waiting => fill(c.state_waiting, &[("time", &format::time_of_day(participant.state_since))]),
        ParticipantState::Admitted => c.state_admitted.to_owned(),
        ParticipantState::Declined => c.state_declined.to_owned(),
        ParticipantState::Left => c.state_left.to_owned(),
        ParticipantState::Revoked => c.state_revoked.to_owned(),
    }
}

pub async fn participant_list(
    state: &AppState,
    appointment: &Appointment,
    lang: Lang,
) -> Result<ParticipantList, sqlx::Error> {
    let c = texts::of(lang);
    let lines = store::participants(&state.db, &appointment.id)
        .await?
        .into_iter()
        .map(|p| Line {
            label: state_label(c, &p),
            state: p.state.as_str(),
            reachable: p.email.is_some() || p.phone.is_some(),
            can_admit: p.state == ParticipantState::Waiting,
            can_decline: matches!(p.state, ParticipantState::Waiting | ParticipantState::LinkOpened),
            can_send_back: p.state == ParticipantState::Admitted,
            id: p.id,
            name: p.name,
        })
        .collect();
    Ok(ParticipantList {
        c,
        appointment_id: appointment.id.clone(),
        lines,
        planned: appointment.status == store::AppointmentStatus::Planned,
    })
}

#[derive(Template)]
#[template(path = "consult/guest_status.html")]
pub struct GuestStatus {
    pub c: &'static Texts,
    pub state: &'static str,
    pub host: String,
    pub when: String,
    pub notice: String,
    pub admitted_next: String,
    /// Only if the host chose to show it to participants.
    pub title: Option<String>,
}

pub fn guest_status(participant: Option<&Participant>, appointment: &Appointment, lang: Lang) -> GuestStatus {
    let c = texts::of(lang);
    GuestStatus {
        c,
        // No participant: the invitation was revoked or replaced while the page was open.
        state: participant.map_or("ended", |p| p.state.as_str()),
        host: appointment.host_name.clone(),
        when: format::date_time(appointment.starts_at, lang),
        notice: appointment.notice.clone(),
        admitted_next: fill(c.admitted_next, &[("host", &appointment.host_name)]),
        title: (appointment.title_for_guests && !appointment.title.is_empty()).then(|| appointment.title.clone()),
    }
}
