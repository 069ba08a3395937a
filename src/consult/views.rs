//! The parts of pages that change live: the host's participant list and the guest's status. Rendered
//! by the same templates for the page and for the WebSocket, so both always look the same.
use askama::Template;

use crate::consult::store::{self, Appointment, OtherDevice, Participant};
use crate::consult::texts::{self, Texts};
use crate::domain::participant::ParticipantState;
use crate::domain::practice::PracticeContact;
use crate::notify::outbox::{self, Channel, Delivery, DeliveryState};
use crate::state::AppState;
use crate::web::format;
use crate::web::i18n::{Lang, fill};

pub struct Line {
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub label: String,
    pub reachable: bool,
    /// What went out to this person and where it stands: (channel, state for the page's styles, text).
    pub deliveries: Vec<(&'static str, &'static str, String)>,
    /// Another device of this person knocks (a second browser with their link or code): its knock id.
    pub other_device: Option<String>,
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
    /// Who waits now, each as the key the page compares to sound a new arrival: a participant's id, or
    /// `<id>:device` for another device of theirs.
    pub fn waiting(&self) -> Vec<String> {
        let people = self.lines.iter().filter(|l| l.state == ParticipantState::Waiting.as_str()).map(|l| l.id.clone());
        let devices = self.lines.iter().filter(|l| l.other_device.is_some()).map(|l| format!("{}:device", l.id));
        people.chain(devices).collect()
    }
}

/// Over the host's video: who is waiting, with Einlassen and Ablehnen, so the host never has to scroll
/// for them (and never leaves the call).
#[derive(Template)]
#[template(path = "consult/waiting_banner.html")]
pub struct WaitingBanner {
    pub c: &'static Texts,
    pub appointment_id: String,
    pub waiting: Vec<Knock>,
}

/// One line of the banner: someone waiting, or (with its knock id) another device of someone.
pub struct Knock {
    pub id: String,
    pub key: String,
    pub label: String,
    pub device: Option<String>,
}

impl ParticipantList {
    pub fn banner(&self) -> WaitingBanner {
        let c = self.c;
        let people = self.lines.iter().filter(|l| l.can_admit && self.planned).map(|l| Knock {
            id: l.id.clone(),
            key: l.id.clone(),
            label: fill(c.notify_title, &[("name", &l.name)]),
            device: None,
        });
        let devices = self.lines.iter().filter(|l| l.other_device.is_some()).map(|l| Knock {
            id: l.id.clone(),
            key: format!("{}:device", l.id),
            label: format!("{} – {}", l.name, c.state_other_device),
            device: l.other_device.clone(),
        });
        WaitingBanner { c, appointment_id: self.appointment_id.clone(), waiting: people.chain(devices).collect() }
    }
}

/// How the host is addressed in the room and in signalling (guests by their participant id).
pub const HOST: &str = "host";

/// Someone in the video room: the host (id `host`, as addressed in signalling) or an admitted guest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub id: String,
    pub name: String,
}

/// Who is in the room, by name, as both sides' pages list it; `members` tells the page whom to connect to.
#[derive(Template)]
#[template(path = "consult/roster.html")]
pub struct Roster {
    pub c: &'static Texts,
    pub members: Vec<Member>,
    /// The viewer's own id (marked "Sie").
    pub me: String,
}

impl Roster {
    /// The host and every admitted participant.
    pub fn of(appointment: &Appointment, participants: &[Participant], me: &str, lang: Lang) -> Roster {
        let host = Member { id: HOST.to_owned(), name: appointment.host_name.clone() };
        let guests = participants
            .iter()
            .filter(|p| p.state == ParticipantState::Admitted)
            .map(|p| Member { id: p.id.clone(), name: p.name.clone() });
        Roster { c: texts::of(lang), members: std::iter::once(host).chain(guests).collect(), me: me.to_owned() }
    }

    /// Nobody's room: a guest who is not (or no longer) admitted sees no one.
    pub fn empty(me: &str, lang: Lang) -> Roster {
        Roster { c: texts::of(lang), members: Vec::new(), me: me.to_owned() }
    }
}

/// The participant's state in the host's words; on a cancelled appointment everyone was told.
pub fn state_label(c: &Texts, participant: &Participant, appointment: &Appointment) -> String {
    match participant.state {
        ParticipantState::Revoked if appointment.status == store::AppointmentStatus::Cancelled => {
            c.state_cancelled.to_owned()
        }
        ParticipantState::Waiting if !appointment.is_open() => c.state_not_admitted.to_owned(),
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
    let participants = store::participants(&state.db, &appointment.id).await?;
    Ok(participant_lines(appointment, participants, &Facts::read(state, appointment).await?, lang))
}

/// What the host's list shows besides the participants: their invitations' deliveries, and who has
/// another device knocking.
pub struct Facts {
    pub deliveries: Vec<Delivery>,
    /// (participant id, knock id) of the newest knocking device per participant.
    pub knocking: Vec<(String, String)>,
}

impl Facts {
    pub async fn read(state: &AppState, appointment: &Appointment) -> Result<Facts, sqlx::Error> {
        Ok(Facts {
            deliveries: outbox::deliveries(&state.db, &appointment.id).await?,
            knocking: store::knocking_devices(&state.db, &appointment.id, state.clock.now()).await?,
        })
    }
}

/// Per channel the person has an address for: the latest invitation's state, or that none went out; for
/// someone with neither address nor number, that link and code must be passed on by the host.
fn delivery_lines(c: &Texts, p: &Participant, deliveries: &[Delivery]) -> Vec<(&'static str, &'static str, String)> {
    let mut lines = Vec::new();
    for (channel, has, word, delivered) in [
        (Channel::Email, p.email.is_some(), c.channel_email, c.delivery_delivered_email),
        (Channel::Sms, p.phone.is_some(), c.channel_sms, c.delivery_delivered_sms),
    ] {
        if !has {
            continue;
        }
        let found = deliveries.iter().find(|d| d.participant_id == p.id && d.channel == channel);
        let (state, text) = match found.map(|d| d.state) {
            None => ("none", c.delivery_none),
            Some(DeliveryState::Sending) => ("sending", c.delivery_sending),
            Some(DeliveryState::Retrying) => ("retrying", c.delivery_retrying),
            Some(DeliveryState::Delivered) => ("delivered", delivered),
            Some(DeliveryState::Failed) => ("failed", c.delivery_failed),
        };
        lines.push((channel.as_str(), state, format!("{word}: {text}")));
    }
    if lines.is_empty() {
        lines.push(("none", "unsent", c.delivery_unreachable.to_owned()));
    }
    lines
}

/// The host's list from participants (and their invitations' deliveries) already read.
pub fn participant_lines(
    appointment: &Appointment,
    participants: Vec<Participant>,
    facts: &Facts,
    lang: Lang,
) -> ParticipantList {
    let c = texts::of(lang);
    let lines = participants
        .into_iter()
        .map(|p| Line {
            label: state_label(c, &p, appointment),
            state: p.state.as_str(),
            reachable: p.email.is_some() || p.phone.is_some(),
            deliveries: delivery_lines(c, &p, &facts.deliveries),
            other_device: facts
                .knocking
                .iter()
                .find(|(id, _)| *id == p.id)
                .filter(|_| appointment.is_open())
                .filter(|_| matches!(p.state, ParticipantState::Waiting | ParticipantState::Admitted))
                .map(|(_, knock)| knock.clone()),
            can_admit: p.state == ParticipantState::Waiting,
            can_decline: matches!(p.state, ParticipantState::Waiting | ParticipantState::LinkOpened),
            can_send_back: p.state == ParticipantState::Admitted,
            id: p.id,
            name: p.name,
        })
        .collect();
    ParticipantList { c, appointment_id: appointment.id.clone(), lines, planned: appointment.is_open() }
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
    /// "Wieder eintreten" after leaving: only while the invitation still works.
    pub can_rejoin: bool,
    pub unadmitted_text: String,
    /// Named once the consultation is over or refused: whom to call now.
    pub practice: PracticeContact,
    pub t: &'static crate::web::i18n::Texts,
}

impl GuestStatus {
    /// Once nothing more happens on this page (refused, ended, left for good), it says whom to call.
    pub fn names_practice(&self) -> bool {
        let goes_on = matches!(self.state, "waiting" | "admitted" | "other_device");
        !(goes_on || self.state == "left" && self.can_rejoin)
    }

    /// The page's heading: the waiting room only while waiting in it.
    pub fn title(&self) -> &'static str {
        if self.state == ParticipantState::Waiting.as_str() { self.c.waiting_title } else { self.c.room_title }
    }
}

/// The guest's status panel; `window_open`: the invitation works now (for "Wieder eintreten").
pub fn guest_status(
    participant: Option<&Participant>,
    other_device: Option<OtherDevice>,
    appointment: &Appointment,
    lang: Lang,
    window_open: bool,
) -> GuestStatus {
    let c = texts::of(lang);
    let checked_in =
        participant.is_some_and(|p| matches!(p.state, ParticipantState::Waiting | ParticipantState::Admitted));
    GuestStatus {
        c,
        can_rejoin: window_open && appointment.is_open(),
        // No participant: the invitation was revoked or replaced while the page was open.
        state: match participant {
            _ if other_device == Some(OtherDevice::Declined) => "device_declined",
            _ if other_device == Some(OtherDevice::Replaced) => "device_replaced",
            _ if other_device == Some(OtherDevice::Knocking) && checked_in && appointment.finished_at.is_none() => {
                "other_device"
            }
            Some(p) if appointment.finished_at.is_some() && p.state == ParticipantState::Waiting => {
                "finished_unadmitted"
            }
            _ if appointment.finished_at.is_some() => "finished",
            Some(p) => p.state.as_str(),
            None => "ended",
        },
        host: appointment.host_name.clone(),
        when: format::date_time(appointment.starts_at, lang),
        notice: appointment.notice.clone(),
        admitted_next: fill(c.admitted_next, &[("host", &appointment.host_name)]),
        unadmitted_text: fill(c.finished_unadmitted_text, &[("host", &appointment.host_name)]),
        title: (appointment.title_for_guests && !appointment.title.is_empty()).then(|| appointment.title.clone()),
        practice: appointment.practice.clone(),
        t: lang.texts(),
    }
}
