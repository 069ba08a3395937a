//! A host's day as the start page shows it: today's appointments that are still open, each with its
//! participants.
use crate::clock::Timestamp;
use crate::db::Db;
use crate::domain::names::AccountId;
use crate::web::format;

use super::store::{self, Appointment, Participant};

/// Today's (Berlin time) open appointments of `host` from `now` on, with their participants.
pub async fn today(
    db: &Db,
    host: &AccountId,
    now: Timestamp,
) -> Result<Vec<(Appointment, Vec<Participant>)>, sqlx::Error> {
    let mut day = Vec::new();
    for appointment in store::upcoming(db, host, format::berlin_day_start(now)).await? {
        if !format::same_berlin_day(appointment.starts_at, now) || !appointment.is_open() {
            continue;
        }
        let participants = store::participants(db, &appointment.id).await?;
        day.push((appointment, participants));
    }
    Ok(day)
}
