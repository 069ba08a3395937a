//! Data minimisation: participants' names, addresses and numbers and the appointment's details are
//! deleted `appointments.retention_days` after the appointment ended (default 30, at most 90: the KBV's
//! Anlage 31b allows three months). The audit log keeps only participant ids.

use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::state::AppState;

/// Deletes what is due now; returns (appointments, participants) deleted.
pub async fn run_once(state: &AppState) -> Result<(u64, u64), sqlx::Error> {
    let now = state.clock.now();
    crate::consult::store::purge_fresh_views(&state.db, now).await?;
    let (appointments, participants) =
        crate::consult::store::purge_ended(&state.db, now - state.config.appointments.retention_days * 86_400).await?;
    if appointments > 0 {
        let entry = Entry::new(AuditEvent::AppointmentPurged, "success", Actor::System, None)
            .detail(format!("{appointments} Termine, {participants} Teilnehmende"));
        audit::record(&state.db.pool, entry, now).await?;
        tracing::info!(appointments, participants, "Abgelaufene Termindaten gelöscht");
    }
    Ok((appointments, participants))
}
