//! Appointments, participants and guest sessions in the database. Every state change of a participant
//! is one conditional UPDATE from the state it was decided on (see `domain::participant`).
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::clock::Timestamp;
use crate::db::{Db, Tx, decode_enum};
use crate::domain::appointment::Window;
use crate::domain::names::AccountId;
use crate::domain::participant::ParticipantState;
use crate::domain::practice::PracticeContact;
use crate::notify::outbox;
use crate::security::audit;

crate::domain::text::stored_enum! {
    pub enum AppointmentStatus {
        Planned = "planned",
        Cancelled = "cancelled",
    }
}

#[derive(Clone, Debug)]
pub struct Appointment {
    pub id: String,
    pub host_id: AccountId,
    pub starts_at: Timestamp,
    pub duration_minutes: i64,
    pub title: String,
    pub title_for_guests: bool,
    pub notice: String,
    pub status: AppointmentStatus,
    /// The host's display name (from the account).
    pub host_name: String,
    /// Whom the guests contact: the host's practice.
    pub practice: PracticeContact,
    /// When the host ended the consultation for everyone ("Sprechstunde beenden").
    pub finished_at: Option<Timestamp>,
}

impl Appointment {
    pub fn ends_at(&self) -> Timestamp {
        self.starts_at + self.duration_minutes * 60
    }

    /// Planned and not ended: the room and the invitations are open (within the window).
    pub fn is_open(&self) -> bool {
        self.status == AppointmentStatus::Planned && self.finished_at.is_none()
    }

    pub fn window(&self, settings: &crate::config::AppointmentSettings) -> Window {
        Window::of(self.starts_at, self.duration_minutes, settings.open_before, settings.open_after)
    }
}

#[derive(Clone, Debug)]
pub struct Participant {
    pub id: String,
    pub appointment_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub state: ParticipantState,
    pub state_since: Timestamp,
}

const APPOINTMENT_COLUMNS: &str = "a.id, a.host_id, a.starts_at, a.duration_minutes, a.title, a.title_for_guests, \
     a.notice, a.status, a.finished_at, h.name AS host_name, h.practice AS practice_name, h.practice_phone, \
     h.practice_email";
const PARTICIPANT_COLUMNS: &str = "p.id, p.appointment_id, p.name, p.email, p.phone, p.state, p.state_since";

fn appointment(row: &AnyRow) -> Result<Appointment, sqlx::Error> {
    Ok(Appointment {
        id: row.try_get("id")?,
        host_id: row.try_get("host_id")?,
        starts_at: row.try_get("starts_at")?,
        duration_minutes: row.try_get("duration_minutes")?,
        title: row.try_get("title")?,
        title_for_guests: row.try_get::<i64, _>("title_for_guests")? == 1,
        notice: row.try_get("notice")?,
        status: decode_enum(row, "status", AppointmentStatus::parse)?,
        practice: PracticeContact::of(
            &row.try_get::<String, _>("host_name")?,
            row.try_get("practice_name")?,
            row.try_get("practice_phone")?,
            row.try_get("practice_email")?,
        ),
        host_name: row.try_get("host_name")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn participant(row: &AnyRow) -> Result<Participant, sqlx::Error> {
    Ok(Participant {
        id: row.try_get("id")?,
        appointment_id: row.try_get("appointment_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        state: decode_enum(row, "state", ParticipantState::parse)?,
        state_since: row.try_get("state_since")?,
    })
}

pub struct Planned<'a> {
    pub starts_at: Timestamp,
    pub duration_minutes: i64,
    pub title: &'a str,
    pub title_for_guests: bool,
}

pub async fn insert_appointment(
    tx: &mut Tx,
    host: &AccountId,
    plan: &Planned<'_>,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let id = crate::security::token::new_id();
    sqlx::query(
        "INSERT INTO appointments (id, host_id, starts_at, duration_minutes, title, title_for_guests, notice, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '', 'planned', $7, $7)",
    )
    .bind(&id)
    .bind(host)
    .bind(plan.starts_at)
    .bind(plan.duration_minutes)
    .bind(plan.title)
    .bind(i64::from(plan.title_for_guests))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Changes time, duration and title of a planned appointment of this host; `false` if there is none.
pub async fn update_appointment(
    tx: &mut Tx,
    host: &AccountId,
    id: &str,
    plan: &Planned<'_>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE appointments SET starts_at = $1, duration_minutes = $2, title = $3, title_for_guests = $4, \
         updated_at = $5 WHERE id = $6 AND host_id = $7 AND status = 'planned'",
    )
    .bind(plan.starts_at)
    .bind(plan.duration_minutes)
    .bind(plan.title)
    .bind(i64::from(plan.title_for_guests))
    .bind(now)
    .bind(id)
    .bind(host)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The appointment, if it belongs to this host (a host sees only their own).
pub async fn find_for_host(db: &Db, host: &AccountId, id: &str) -> Result<Option<Appointment>, sqlx::Error> {
    let sql = format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN accounts h ON h.id = a.host_id \
         WHERE a.id = $1 AND a.host_id = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(host)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(appointment)
        .transpose()
}

pub async fn find(db: &Db, id: &str) -> Result<Option<Appointment>, sqlx::Error> {
    let sql =
        format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN accounts h ON h.id = a.host_id WHERE a.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?.as_ref().map(appointment).transpose()
}

/// The host's planned appointments that end at or after `from`, soonest first.
pub async fn upcoming(db: &Db, host: &AccountId, from: Timestamp) -> Result<Vec<Appointment>, sqlx::Error> {
    let sql = format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN accounts h ON h.id = a.host_id \
         WHERE a.host_id = $1 AND a.status = 'planned' AND a.starts_at + a.duration_minutes * 60 >= $2 \
         ORDER BY a.starts_at, a.id LIMIT 200"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(host)
        .bind(from)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(appointment)
        .collect()
}

pub async fn set_notice(tx: &mut Tx, id: &str, notice: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE appointments SET notice = $1, updated_at = $2 WHERE id = $3")
        .bind(notice)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Cancels a planned appointment; `false` if it was cancelled already.
pub async fn cancel(tx: &mut Tx, id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE appointments SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'planned'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// "Sprechstunde beenden": the appointment ends for everyone; whoever is in the room has left, whoever
/// still waits was never let in. `false` if it was not open.
pub async fn finish(tx: &mut Tx, id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE appointments SET finished_at = $1, updated_at = $1 WHERE id = $2 AND status = 'planned' \
         AND finished_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    // Those still waiting stay "waiting": their page tells them the practice ended without letting them in.
    sqlx::query(
        "UPDATE participants SET state = 'left', state_since = $1 WHERE appointment_id = $2 AND state = 'admitted'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// How many guests are in the room now.
pub async fn admitted_count(tx: &mut Tx, appointment_id: &str) -> Result<usize, sqlx::Error> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM participants WHERE appointment_id = $1 AND state = 'admitted'")
            .bind(appointment_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

pub async fn participants(db: &Db, appointment_id: &str) -> Result<Vec<Participant>, sqlx::Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM participants p WHERE p.appointment_id = $1 AND (p.state <> 'revoked' \
         OR EXISTS (SELECT 1 FROM appointments a WHERE a.id = p.appointment_id AND a.status = 'cancelled')) \
         ORDER BY p.created_at, p.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(participant)
        .collect()
}

/// Participants who still hold an invitation (for a cancellation), inside the transaction.
pub async fn active_participants(tx: &mut Tx, appointment_id: &str) -> Result<Vec<Participant>, sqlx::Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM participants p WHERE p.appointment_id = $1 \
         AND p.state NOT IN ('revoked', 'declined') ORDER BY p.created_at, p.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(participant)
        .collect()
}

pub async fn participant_of(db: &Db, appointment_id: &str, id: &str) -> Result<Option<Participant>, sqlx::Error> {
    let sql = format!("SELECT {PARTICIPANT_COLUMNS} FROM participants p WHERE p.id = $1 AND p.appointment_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(appointment_id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(participant)
        .transpose()
}

pub struct NewParticipant<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// Only hashes of link and code are stored.
pub struct AccessHashes {
    pub link: String,
    pub code: String,
}

pub async fn insert_participant(
    tx: &mut Tx,
    appointment_id: &str,
    new: &NewParticipant<'_>,
    hashes: &AccessHashes,
    now: Timestamp,
) -> Result<String, sqlx::Error> {
    let id = crate::security::token::new_id();
    sqlx::query(
        "INSERT INTO participants (id, appointment_id, name, email, phone, link_hash, code_hash, state, state_since, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'invited', $8, $8)",
    )
    .bind(&id)
    .bind(appointment_id)
    .bind(new.name)
    .bind(new.email)
    .bind(new.phone)
    .bind(&hashes.link)
    .bind(&hashes.code)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// New link and code for a participant who still holds an invitation; the old ones stop working, and
/// so do the guest's open sessions and undelivered messages. Whoever comes in with the new ones checks in
/// and is admitted afresh.
pub async fn replace_access(tx: &mut Tx, id: &str, hashes: &AccessHashes, now: Timestamp) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE participants SET link_hash = $1, code_hash = $2, state = 'invited', state_since = $3, consent_at = NULL \
         WHERE id = $4 AND state NOT IN ('revoked', 'declined')",
    )
    .bind(&hashes.link)
    .bind(&hashes.code)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    end_guest_sessions(tx, id).await?;
    // Invitations not yet delivered carry a link that no longer works: they are not sent.
    outbox::cancel_pending_for_participant(tx, id).await?;
    Ok(result.rows_affected() == 1)
}

/// The participant's link and code stop working for good. Removed: they are forgotten (an unknown link).
/// Cancelled: they stay known, so the guest is told the appointment was cancelled.
pub async fn revoke(tx: &mut Tx, id: &str, now: Timestamp, forget_access: bool) -> Result<(), sqlx::Error> {
    let sql = if forget_access {
        "UPDATE participants SET link_hash = NULL, code_hash = NULL, state = 'revoked', state_since = $1 WHERE id = $2"
    } else {
        "UPDATE participants SET state = 'revoked', state_since = $1 WHERE id = $2"
    };
    sqlx::query(sql).bind(now).bind(id).execute(&mut **tx).await?;
    if forget_access {
        // Invitations not yet delivered carry a link that no longer works: they are not sent.
        outbox::cancel_pending_for_participant(tx, id).await?;
    }
    end_guest_sessions(tx, id).await
}

async fn end_guest_sessions(tx: &mut Tx, participant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM guest_sessions WHERE participant_id = $1")
        .bind(participant_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// `from → to` if the participant is still in `from`; `false` if someone else changed it first.
pub async fn transition<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    from: ParticipantState,
    to: ParticipantState,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    if from == to {
        return Ok(true);
    }
    let result = sqlx::query("UPDATE participants SET state = $1, state_since = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(executor)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Check-in: the name as the guest gave it, and when they agreed to the terms.
pub async fn check_in(tx: &mut Tx, id: &str, name: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE participants SET name = $1, consent_at = $2 WHERE id = $3")
        .bind(name)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The participant (with their appointment) whose link or code has this hash.
pub async fn find_by_access(
    db: &Db,
    column: AccessColumn,
    hash: &str,
) -> Result<Option<(Participant, Appointment)>, sqlx::Error> {
    let column = match column {
        AccessColumn::Link => "link_hash",
        AccessColumn::Code => "code_hash",
    };
    let sql = format!("SELECT {PARTICIPANT_COLUMNS} FROM participants p WHERE p.{column} = $1");
    let Some(found) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(&db.pool).await? else {
        return Ok(None);
    };
    let found = participant(&found)?;
    Ok(find(db, &found.appointment_id).await?.map(|appointment| (found, appointment)))
}

#[derive(Clone, Copy, Debug)]
pub enum AccessColumn {
    Link,
    Code,
}

crate::domain::text::stored_enum! {
    /// A guest session's device, besides the participant's own (stored as NULL): one opened while the
    /// participant already waits or is in the room elsewhere knocks first; the host lets it in (the other
    /// device is replaced) or declines it.
    pub enum OtherDevice {
        Knocking = "waiting",
        Declined = "declined",
        Replaced = "replaced",
    }
}

async fn insert_guest_session<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    (id_hash, participant_id): (&str, &str),
    (now, expires_at): (Timestamp, Timestamp),
    knocking: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO guest_sessions (id_hash, participant_id, created_at, expires_at, device_state) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(participant_id)
    .bind(now)
    .bind(expires_at)
    .bind(knocking.then_some(OtherDevice::Knocking.as_str()))
    .execute(executor)
    .await
    .map(|_| ())
}

/// A new guest session; `knocking`: another device of someone already waiting or in the room.
pub async fn create_guest_session(
    db: &Db,
    id_hash: &str,
    participant_id: &str,
    (now, expires_at): (Timestamp, Timestamp),
    knocking: bool,
) -> Result<(), sqlx::Error> {
    insert_guest_session(&db.pool, (id_hash, participant_id), (now, expires_at), knocking).await?;
    // Each opening of the link starts a session (a phone and a laptop, a mail scanner): the newest few of
    // each kind stay. Counted apart, so that knocking devices can never push out the participant's own.
    for kind in ["device_state IS NULL", "device_state IS NOT NULL"] {
        let sql = format!(
            "DELETE FROM guest_sessions WHERE participant_id = $1 AND {kind} AND id_hash NOT IN \
             (SELECT id_hash FROM guest_sessions WHERE participant_id = $1 AND {kind} \
              ORDER BY created_at DESC, id_hash LIMIT $2)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(participant_id).bind(GUEST_SESSIONS_KEPT).execute(&db.pool).await?;
    }
    Ok(())
}

/// At check-in the session that checks in becomes the participant's only own device: browsers (or mail
/// scanners) that opened the link before are replaced, so they can never ride along into the room.
pub async fn make_only_device(tx: &mut Tx, participant_id: &str, session_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE guest_sessions SET device_state = 'replaced' WHERE participant_id = $1 AND device_state IS NULL \
         AND id_hash <> $2",
    )
    .bind(participant_id)
    .bind(session_hash)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// A link for another browser, made by the participant's own session `session_hash` (see
/// `migrations/0020_handover.sql`); it replaces the one that session made before. `false` if the session
/// is not the participant's own device.
pub async fn keep_handover(
    db: &Db,
    session_hash: &str,
    handover_hash: &str,
    expires_at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE guest_sessions SET handover_hash = $1, handover_expires_at = $2 \
         WHERE id_hash = $3 AND device_state IS NULL",
    )
    .bind(handover_hash)
    .bind(expires_at)
    .bind(session_hash)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session that made the handover link `handover_hash`, if the link is still good.
pub async fn handover_session(db: &Db, handover_hash: &str, now: Timestamp) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id_hash FROM guest_sessions WHERE handover_hash = $1 AND handover_expires_at > $2 \
         AND device_state IS NULL AND expires_at > $2",
    )
    .bind(handover_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get(0)).transpose()
}

/// The new browser's session `new_hash` takes the place of `from`, the session that made the handover
/// link: `from` becomes a replaced device and the link is spent. `false` if someone was quicker.
pub async fn take_handover(
    db: &Db,
    (from, handover_hash): (&str, &str),
    (new_hash, participant_id): (&str, &str),
    (now, expires_at): (Timestamp, Timestamp),
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let spent = sqlx::query(
        "UPDATE guest_sessions SET device_state = 'replaced', handover_hash = NULL, handover_expires_at = NULL \
         WHERE id_hash = $1 AND handover_hash = $2 AND device_state IS NULL",
    )
    .bind(from)
    .bind(handover_hash)
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() != 1 {
        return Ok(false);
    }
    insert_guest_session(&mut *tx, (new_hash, participant_id), (now, expires_at), false).await?;
    tx.commit().await?;
    Ok(true)
}

/// A knocking device as the host sees it: not the session's hash, but a short name derived from it.
fn knock_id(id_hash: &str) -> String {
    crate::security::token::hash(crate::security::token::Purpose::Knock, id_hash)[..16].to_owned()
}

/// Sessions kept per participant.
pub const GUEST_SESSIONS_KEPT: i64 = 5;

/// A live guest session: its participant, appointment, and whether it is another device than theirs.
pub struct GuestSession {
    pub participant: Participant,
    pub appointment: Appointment,
    pub other_device: Option<OtherDevice>,
}

/// The participant and appointment of a live guest session.
pub async fn guest_session(db: &Db, id_hash: &str, now: Timestamp) -> Result<Option<GuestSession>, sqlx::Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS}, s.device_state FROM guest_sessions s JOIN participants p ON p.id = s.participant_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2"
    );
    let Some(found) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).bind(now).fetch_optional(&db.pool).await?
    else {
        return Ok(None);
    };
    let device: Option<String> = found.try_get("device_state")?;
    let other_device = match device {
        Some(text) => Some(
            OtherDevice::parse(&text)
                .ok_or_else(|| sqlx::Error::Decode(format!("unbekannter Wert „{text}“ in device_state").into()))?,
        ),
        None => None,
    };
    let participant = participant(&found)?;
    Ok(find(db, &participant.appointment_id).await?.map(|appointment| GuestSession {
        participant,
        appointment,
        other_device,
    }))
}

/// Whether the participant has a live session on their own device (not a knocking or replaced one).
pub async fn has_own_session(db: &Db, participant_id: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let found = sqlx::query(
        "SELECT 1 FROM guest_sessions WHERE participant_id = $1 AND expires_at > $2 AND device_state IS NULL LIMIT 1",
    )
    .bind(participant_id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}

/// Per participant of the appointment with another device knocking: the newest knock, as
/// (participant id, knock id).
pub async fn knocking_devices(
    db: &Db,
    appointment_id: &str,
    now: Timestamp,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.participant_id, s.id_hash FROM guest_sessions s JOIN participants p ON p.id = s.participant_id \
         WHERE p.appointment_id = $1 AND s.device_state = 'waiting' AND s.expires_at > $2 \
         ORDER BY s.created_at, s.id_hash",
    )
    .bind(appointment_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    let mut newest: Vec<(String, String)> = Vec::new();
    for row in rows {
        let (participant, id_hash): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        newest.retain(|(p, _)| *p != participant);
        newest.push((participant, knock_id(&id_hash)));
    }
    Ok(newest)
}

/// The live knocking session of the participant that the host saw as `knock`.
async fn knocking_session(
    tx: &mut Tx,
    participant_id: &str,
    knock: &str,
    now: Timestamp,
) -> Result<Option<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id_hash FROM guest_sessions WHERE participant_id = $1 AND device_state = 'waiting' AND expires_at > $2",
    )
    .bind(participant_id)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    for row in rows {
        let id_hash: String = row.try_get(0)?;
        if knock_id(&id_hash) == knock {
            return Ok(Some(id_hash));
        }
    }
    Ok(None)
}

/// The device the host saw knocking comes in and replaces the participant's own; other knocking devices
/// are declined. `false` if that device no longer knocks.
pub async fn admit_device(tx: &mut Tx, participant_id: &str, knock: &str, now: Timestamp) -> Result<bool, sqlx::Error> {
    let Some(session) = knocking_session(tx, participant_id, knock, now).await? else { return Ok(false) };
    sqlx::query(
        "UPDATE guest_sessions SET device_state = CASE WHEN id_hash = $2 THEN NULL \
         WHEN device_state = 'waiting' THEN 'declined' ELSE 'replaced' END \
         WHERE participant_id = $1 AND (device_state IS NULL OR device_state = 'waiting')",
    )
    .bind(participant_id)
    .bind(&session)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// The device the host saw knocking stays out; `false` if it no longer knocks.
pub async fn decline_device(
    tx: &mut Tx,
    participant_id: &str,
    knock: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let Some(session) = knocking_session(tx, participant_id, knock, now).await? else { return Ok(false) };
    sqlx::query("UPDATE guest_sessions SET device_state = 'declined' WHERE id_hash = $1")
        .bind(&session)
        .execute(&mut **tx)
        .await
        .map(|_| true)
}

/// One-time views whose ten minutes are over (the hourly tidy-up; a new view also clears them).
pub async fn purge_fresh_views(db: &Db, now: Timestamp) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM fresh_views WHERE expires_at <= $1").bind(now).execute(&db.pool).await?;
    Ok(done.rows_affected())
}

/// A one-time view of fresh access details, sealed (see `migrations/0018_fresh_views.sql`); expired views
/// go first.
pub async fn keep_fresh_view(
    db: &Db,
    (id_hash, session_hash, appointment_id): (&str, &str, &str),
    sealed: &str,
    (now, expires_at): (Timestamp, Timestamp),
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM fresh_views WHERE expires_at <= $1").bind(now).execute(&db.pool).await?;
    sqlx::query(
        "INSERT INTO fresh_views (id_hash, session_hash, appointment_id, sealed, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(session_hash)
    .bind(appointment_id)
    .bind(sealed)
    .bind(expires_at)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// The sealed view, taken (deleted) if it is this session's, for this appointment, and not expired.
pub async fn take_fresh_view(
    db: &Db,
    (id_hash, session_hash, appointment_id): (&str, &str, &str),
    now: Timestamp,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM fresh_views WHERE id_hash = $1 AND session_hash = $2 AND appointment_id = $3 AND expires_at > $4 \
         RETURNING sealed",
    )
    .bind(id_hash)
    .bind(session_hash)
    .bind(appointment_id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| row.try_get(0)).transpose()
}

/// Data minimisation: everything about appointments that ended before `ended_before` — participants'
/// names, addresses and numbers, their sessions and messages, and the appointment itself. Returns how
/// many appointments were deleted; audit entries (which name participants by id only) stay.
pub async fn purge_ended(db: &Db, ended_before: Timestamp) -> Result<(u64, u64), sqlx::Error> {
    let mut tx = db.begin().await?;
    let old = "SELECT id FROM appointments WHERE starts_at + duration_minutes * 60 < $1";
    let in_old = format!("SELECT id FROM participants WHERE appointment_id IN ({old})");
    let ids: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(in_old.clone())).bind(ended_before).fetch_all(&mut *tx).await?;
    for id in &ids {
        // The addresses guests came from are personal data too; the audit entries stay, without them.
        audit::forget_client_addr(&mut tx, &format!("participant:{id}")).await?;
        outbox::forget_participant(&mut tx, id).await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM guest_sessions WHERE participant_id IN ({in_old})")))
        .bind(ended_before)
        .execute(&mut *tx)
        .await?;
    let participants =
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM participants WHERE appointment_id IN ({old})")))
            .bind(ended_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let appointments = sqlx::query("DELETE FROM appointments WHERE starts_at + duration_minutes * 60 < $1")
        .bind(ended_before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((appointments, participants))
}

/// Invitation SMS a host queued since `since` (for the caps).
pub async fn invitation_sms_since(tx: &mut Tx, host: &AccountId, since: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE account_id = $1 AND channel = 'sms' AND participant_id IS NOT NULL \
         AND created_at >= $2",
    )
    .bind(host)
    .bind(since)
    .fetch_one(&mut **tx)
    .await
}
