//! Every change to an appointment and its participants — by the host or the guest — is one transaction
//! covering the change, the messages to guests (outbox) and the audit entry; afterwards every page
//! showing the appointment is told (`live`). Audit entries name participants by id only.
use crate::accounts::Account;
use crate::clock::Timestamp;
use crate::consult::messages::{self, Access};
use crate::consult::store::{self, AccessHashes, Appointment, NewParticipant, Participant, Planned};
use crate::db::Tx;
use crate::domain::access_code::AccessCode;
use crate::domain::participant::{Action, ParticipantState};
use crate::notify::outbox;
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::token;
use crate::security::token_key::Keyed;
use crate::state::AppState;

/// Invitation SMS per host: (window in seconds, most messages). A busy practice day fits; a loop does not.
const SMS_CAPS: [(i64, i64); 2] = [(3600, 60), (86_400, 200)];

#[derive(Debug, thiserror::Error)]
pub enum ConsultError {
    #[error("Datenbankfehler: {0}")]
    Database(#[from] sqlx::Error),
    #[error("Vorlagenfehler: {0}")]
    Template(#[from] askama::Error),
    /// The host reached the SMS caps; nothing was changed.
    #[error("SMS-Obergrenze erreicht")]
    SmsCapped,
    /// Someone else changed the participant first (another host tab, the guest).
    #[error("Zustand hat sich geändert")]
    Changed,
    /// The room holds [`ROOM_MAX`] people already; nobody more is let in.
    #[error("Raum voll")]
    RoomFull,
}

/// People in one video room, the host included: a full mesh of peer connections, each browser sending its
/// video to every other, is as much as a home uplink or a phone manages (larger rooms: docs/video-room.md).
pub const ROOM_MAX: usize = 4;

impl From<ConsultError> for crate::error::AppError {
    fn from(error: ConsultError) -> Self {
        match error {
            ConsultError::Database(error) => error.into(),
            ConsultError::Template(error) => error.into(),
            other => crate::error::AppError::Internal(other.to_string()),
        }
    }
}

/// How the host wants the invitation delivered (besides copying or reading it out).
#[derive(Clone, Copy, Debug, Default)]
pub struct Delivery {
    pub email: bool,
    pub sms: bool,
}

/// A new link and code; only their hashes are stored.
fn fresh_access(state: &AppState) -> (Access, AccessHashes) {
    let raw = token::generate();
    let mut bytes = token::random_bytes::<64>().into_iter();
    let code = AccessCode::generate(|| bytes.next().unwrap_or_else(|| token::random_bytes::<1>()[0]));
    let hashes = AccessHashes {
        link: state.token_key.hash(Keyed::InvitationLink, &raw),
        code: state.token_key.hash(Keyed::AccessCode, code.expose()),
    };
    (Access { url: format!("{}/t/{raw}", state.config.public_url), code }, hashes)
}

fn entry<'a>(event: AuditEvent, host: &'a Account, what: String) -> Entry<'a> {
    Entry::new(event, "success", Actor::Account(host.id.clone()), Some(&host.id)).detail(what)
}

/// Opens a transaction that holds the host's SMS lock when an SMS may be queued, so the caps hold.
async fn begin(state: &AppState, host: &Account, delivery: Delivery) -> Result<Tx, sqlx::Error> {
    if delivery.sms {
        state.db.begin_serialized(&[&format!("invite-sms:{}", host.id)], state.clock.now()).await
    } else {
        state.db.begin().await
    }
}

struct Recipient<'a> {
    id: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
}

/// Queues the invitation as asked (only to the addresses the participant has).
async fn queue(
    tx: &mut Tx,
    state: &AppState,
    (host, appointment): (&Account, &Appointment),
    to: &Recipient<'_>,
    (access, delivery): (&Access, Delivery),
    now: Timestamp,
) -> Result<(), ConsultError> {
    if let (true, Some(email)) = (delivery.email, to.email) {
        let mail = messages::invitation_mail(&state.config, appointment, to.id, to.name, access, now)?;
        let email = outbox::OutgoingEmail {
            account_id: Some(host.id.to_string()),
            link_id: None,
            participant_id: Some(to.id.to_owned()),
            topic: Some(appointment.id.clone()),
            to: email.to_owned(),
            mail,
            action_url: Some(access.url.clone()),
            sender: Some(messages::sender(appointment)),
        };
        outbox::enqueue_email(tx, email, now).await?;
        audit::record(&mut **tx, entry(AuditEvent::InvitationSent, host, format!("participant:{} email", to.id)), now)
            .await?;
    }
    if let (true, Some(phone)) = (delivery.sms, to.phone) {
        for (window, most) in SMS_CAPS {
            if store::invitation_sms_since(tx, &host.id, now - window).await? >= most {
                return Err(ConsultError::SmsCapped);
            }
        }
        let text = messages::invitation_sms(appointment, access);
        let about = outbox::About { participant_id: to.id, topic: &appointment.id };
        outbox::enqueue_sms_for(tx, Some(&host.id), Some(about), phone, &text, now).await?;
        audit::record(&mut **tx, entry(AuditEvent::InvitationSent, host, format!("participant:{} sms", to.id)), now)
            .await?;
    }
    Ok(())
}

async fn finish(state: &AppState, tx: Tx, appointment_id: &str) -> Result<(), ConsultError> {
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    state.live.announce(&state.db, appointment_id).await;
    Ok(())
}

/// "Termin anlegen": returns the new appointment's id.
pub async fn create(state: &AppState, host: &Account, plan: &Planned<'_>) -> Result<String, ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let id = store::insert_appointment(&mut tx, &host.id, plan, now).await?;
    audit::record(&mut *tx, entry(AuditEvent::AppointmentCreated, host, format!("appointment:{id}")), now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Date, time, duration and title of a planned appointment; `false` if it is not (or no longer) planned.
pub async fn update(state: &AppState, host: &Account, id: &str, plan: &Planned<'_>) -> Result<bool, ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::update_appointment(&mut tx, &host.id, id, plan, now).await? {
        return Ok(false);
    }
    audit::record(&mut *tx, entry(AuditEvent::AppointmentChanged, host, format!("appointment:{id}")), now).await?;
    finish(state, tx, id).await?;
    Ok(true)
}

/// The status message shown in the waiting room (empty: none).
pub async fn set_notice(state: &AppState, host: &Account, id: &str, notice: &str) -> Result<(), ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::set_notice(&mut tx, id, notice, now).await?;
    audit::record(&mut *tx, entry(AuditEvent::WaitingRoomNotice, host, format!("appointment:{id}")), now).await?;
    finish(state, tx, id).await
}

/// "Teilnehmer hinzufügen": the participant with a fresh link and code, sent as asked.
pub async fn add(
    state: &AppState,
    host: &Account,
    appointment: &Appointment,
    new: &NewParticipant<'_>,
    delivery: Delivery,
) -> Result<(String, Access), ConsultError> {
    let now = state.clock.now();
    let (access, hashes) = fresh_access(state);
    let mut tx = begin(state, host, delivery).await?;
    let id = store::insert_participant(&mut tx, &appointment.id, new, &hashes, now).await?;
    let to = Recipient { id: &id, name: new.name, email: new.email, phone: new.phone };
    queue(&mut tx, state, (host, appointment), &to, (&access, delivery), now).await?;
    audit::record(&mut *tx, entry(AuditEvent::ParticipantAdded, host, format!("participant:{id}")), now).await?;
    finish(state, tx, &appointment.id).await?;
    Ok((id, access))
}

/// "Neu erstellen" (and "Einladung senden", which sends the new ones): the old link and code stop working.
pub async fn renew(
    state: &AppState,
    host: &Account,
    appointment: &Appointment,
    participant: &Participant,
    delivery: Delivery,
) -> Result<Access, ConsultError> {
    let now = state.clock.now();
    let (access, hashes) = fresh_access(state);
    let mut tx = begin(state, host, delivery).await?;
    if !store::replace_access(&mut tx, &participant.id, &hashes, now).await? {
        return Err(ConsultError::Changed);
    }
    let to = Recipient {
        id: &participant.id,
        name: &participant.name,
        email: participant.email.as_deref(),
        phone: participant.phone.as_deref(),
    };
    queue(&mut tx, state, (host, appointment), &to, (&access, delivery), now).await?;
    let what = format!("participant:{}", participant.id);
    audit::record(&mut *tx, entry(AuditEvent::ParticipantRenewed, host, what), now).await?;
    finish(state, tx, &appointment.id).await?;
    Ok(access)
}

/// "Entfernen": link and code stop working, the guest's sessions end.
pub async fn remove(
    state: &AppState,
    host: &Account,
    appointment: &Appointment,
    participant: &Participant,
) -> Result<(), ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::revoke(&mut tx, &participant.id, now, true).await?;
    let what = format!("participant:{}", participant.id);
    audit::record(&mut *tx, entry(AuditEvent::ParticipantRemoved, host, what), now).await?;
    finish(state, tx, &appointment.id).await
}

/// "Absagen": every invitation stops working; participants with an address are told (with a calendar
/// cancellation by e-mail).
pub async fn cancel(state: &AppState, host: &Account, appointment: &Appointment) -> Result<(), ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_serialized(&[&format!("invite-sms:{}", host.id)], now).await?;
    if !store::cancel(&mut tx, &appointment.id, now).await? {
        return Err(ConsultError::Changed);
    }
    for participant in store::active_participants(&mut tx, &appointment.id).await? {
        store::revoke(&mut tx, &participant.id, now, false).await?;
        if let Some(email) = &participant.email {
            let mail =
                messages::cancellation_mail(&state.config, appointment, &participant.id, &participant.name, now)?;
            let email = outbox::OutgoingEmail {
                account_id: Some(host.id.to_string()),
                link_id: None,
                participant_id: Some(participant.id.clone()),
                topic: Some(appointment.id.clone()),
                to: email.clone(),
                mail,
                action_url: None,
                sender: Some(messages::sender(appointment)),
            };
            outbox::enqueue_email(&mut tx, email, now).await?;
        }
        if let Some(phone) = &participant.phone {
            let text = messages::cancellation_sms(appointment);
            let about = outbox::About { participant_id: &participant.id, topic: &appointment.id };
            outbox::enqueue_sms_for(&mut tx, Some(&host.id), Some(about), phone, &text, now).await?;
        }
    }
    audit::record(
        &mut *tx,
        entry(AuditEvent::AppointmentCancelled, host, format!("appointment:{}", appointment.id)),
        now,
    )
    .await?;
    finish(state, tx, &appointment.id).await
}

/// "Sprechstunde beenden": the consultation ends for everyone at once — every guest's page leaves the room,
/// and links and codes stop working.
pub async fn end_consultation(state: &AppState, host: &Account, appointment: &Appointment) -> Result<(), ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::finish(&mut tx, &appointment.id, now).await? {
        return Err(ConsultError::Changed);
    }
    let what = format!("appointment:{}", appointment.id);
    audit::record(&mut *tx, entry(AuditEvent::AppointmentEnded, host, what), now).await?;
    finish(state, tx, &appointment.id).await
}

/// A participant's next state after `action`, stored only if nobody changed it in between.
pub async fn step(
    state: &AppState,
    actor: Actor,
    account_id: Option<&str>,
    participant: &Participant,
    action: Action,
) -> Result<ParticipantState, ConsultError> {
    let next = participant.state.after(action).ok_or(ConsultError::Changed)?;
    if next == participant.state {
        return Ok(next);
    }
    let now = state.clock.now();
    // Admissions to one room are taken one at a time, so two at once cannot both take the last place.
    let mut tx = if action == Action::Admit {
        state.db.begin_serialized(&[&format!("room:{}", participant.appointment_id)], now).await?
    } else {
        state.db.begin().await?
    };
    if action == Action::Admit && store::admitted_count(&mut tx, &participant.appointment_id).await? + 1 >= ROOM_MAX {
        return Err(ConsultError::RoomFull);
    }
    if !store::transition(&mut *tx, &participant.id, participant.state, next, now).await? {
        return Err(ConsultError::Changed);
    }
    if let Some(event) = event_of(action) {
        let entry = Entry::new(event, "success", actor, account_id).detail(format!("participant:{}", participant.id));
        audit::record(&mut *tx, entry, now).await?;
    }
    finish(state, tx, &participant.appointment_id).await?;
    Ok(next)
}

/// "Zweites Gerät einlassen" (`admit`): exactly the device the host saw knocking takes the participant's
/// place (their other device leaves the consultation); someone still waiting is admitted with it, within
/// the room's cap. "Zweites Gerät ablehnen": that device stays out; the participant's own one is untouched.
pub async fn decide_device(
    state: &AppState,
    host: &Account,
    participant: &Participant,
    knock: &str,
    admit: bool,
) -> Result<(), ConsultError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_serialized(&[&format!("room:{}", participant.appointment_id)], now).await?;
    if admit && participant.state == ParticipantState::Waiting {
        if store::admitted_count(&mut tx, &participant.appointment_id).await? + 1 >= ROOM_MAX {
            return Err(ConsultError::RoomFull);
        }
        let admitted = ParticipantState::Admitted;
        if !store::transition(&mut *tx, &participant.id, participant.state, admitted, now).await? {
            return Err(ConsultError::Changed);
        }
    } else if admit && participant.state != ParticipantState::Admitted {
        return Err(ConsultError::Changed);
    }
    let decided = if admit {
        store::admit_device(&mut tx, &participant.id, knock, now).await?
    } else {
        store::decline_device(&mut tx, &participant.id, knock, now).await?
    };
    if !decided {
        return Err(ConsultError::Changed);
    }
    let event = if admit { AuditEvent::GuestAdmitted } else { AuditEvent::GuestDeclined };
    let what = format!("participant:{} other device", participant.id);
    audit::record(&mut *tx, entry(event, host, what), now).await?;
    finish(state, tx, &participant.appointment_id).await
}

/// Check-in: the name as the guest gave it, their consent, and into the waiting room (or, for an admitted
/// guest coming back, straight in again).
pub async fn check_in(
    state: &AppState,
    participant: &Participant,
    session_hash: &str,
    name: &str,
) -> Result<ParticipantState, ConsultError> {
    let next = participant.state.after(Action::CheckIn).ok_or(ConsultError::Changed)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::transition(&mut *tx, &participant.id, participant.state, next, now).await? {
        return Err(ConsultError::Changed);
    }
    store::check_in(&mut tx, &participant.id, name, now).await?;
    store::make_only_device(&mut tx, &participant.id, session_hash).await?;
    let entry = Entry::new(AuditEvent::GuestCheckin, "success", Actor::Guest(participant.id.clone()), None)
        .detail(format!("participant:{}", participant.id));
    audit::record(&mut *tx, entry, now).await?;
    finish(state, tx, &participant.appointment_id).await?;
    Ok(next)
}

fn event_of(action: Action) -> Option<AuditEvent> {
    match action {
        // Coming in is audited where it happens (link or code, with the outcome).
        Action::Open => None,
        Action::CheckIn => None,
        Action::Admit => Some(AuditEvent::GuestAdmitted),
        Action::Decline => Some(AuditEvent::GuestDeclined),
        Action::SendBack => Some(AuditEvent::GuestSentBack),
        Action::Leave => Some(AuditEvent::GuestLeft),
        Action::Revoke => None,
    }
}
