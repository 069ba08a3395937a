//! An account's history as the console shows it: German sentences in Berlin time ("01.12.2026, 20:03 Uhr –
//! Anmeldung mit SMS-Code erfolgreich"), the actor by name, a page at a time.
use std::collections::HashMap;

use sqlx::Row;

use crate::db::Db;
use crate::domain::lang::Lang;
use crate::web::format;

/// Entries per page.
pub const PAGE: i64 = 20;

pub struct Line {
    pub when: String,
    pub what: String,
    pub by: String,
    pub detail: Option<String>,
}

/// What an audit event with this outcome means, in words.
pub fn describe(event: &str, outcome: &str) -> String {
    let text = match (event, outcome) {
        ("login.password", "success") => "Anmeldung mit Passwort erfolgreich",
        ("login.password", "failure") => "Anmeldung mit falschem Passwort",
        ("login.password", "throttled") => "Anmeldung gebremst (zu viele falsche Passwörter)",
        ("login.password", "locked") => "Anmeldung abgelehnt: Account gesperrt",
        ("login.second_factor", "success") => "Anmeldung mit SMS-Code erfolgreich",
        ("login.second_factor", _) => "Falscher SMS-Code eingegeben",
        ("logout", _) => "Abgemeldet",
        ("account.created", _) => "Account angelegt",
        ("account.locked", _) => "Account gesperrt",
        ("account.unlocked", _) => "Account entsperrt",
        ("account.resend", _) => "Registrierungs-E-Mail erneut angefordert",
        ("link.sent", _) => "Registrierungs-E-Mail versendet",
        ("link.revoked", _) => "Älteren Registrierungslink ungültig gemacht",
        ("link.opened", "valid") => "Registrierungslink geöffnet",
        ("link.opened", "expired") => "Abgelaufenen Registrierungslink geöffnet",
        ("link.opened", "already_registered") => "Registrierungslink nach der Registrierung geöffnet",
        ("link.opened", "replaced") => "Ersetzten Registrierungslink geöffnet",
        ("registration.step", _) => "Registrierungsschritt abgeschlossen",
        ("registration.completed", _) => "Registrierung abgeschlossen",
        ("password.changed", _) => "Passwort geändert",
        ("password.reset", _) => "Neues Passwort über „Passwort vergessen?“ festgelegt",
        ("password.reset_requested", "success") => "E-Mail zum Zurücksetzen des Passworts versendet",
        ("password.reset_requested", "capped") => "Keine E-Mail zum Zurücksetzen (schon drei in dieser Stunde)",
        ("password.reset_requested", _) => "E-Mail zum Zurücksetzen des Passworts abgelehnt",
        ("username.reminder", "success") => "Benutzername per E-Mail zugesandt",
        ("username.reminder", _) => "Benutzername nicht zugesandt",
        ("pin.check", "correct") => "Service-PIN geprüft: korrekt",
        ("pin.check", "incorrect") => "Service-PIN geprüft: nicht korrekt",
        ("pin.check", _) => "Service-PIN-Prüfung gesperrt",
        ("pin.set", _) => "Service-PIN festgelegt",
        ("pin.renewed", _) => "Service-PIN erneuert",
        ("two_factor.enabled", _) => "2-Faktor-Authentifizierung aktiviert",
        ("two_factor.disabled", _) => "2-Faktor-Authentifizierung deaktiviert",
        ("two_factor.reset", _) => "2-Faktor-Authentifizierung zurückgesetzt",
        ("phone.changed", _) => "Mobilfunknummer geändert",
        ("email.changed", _) => "E-Mail-Adresse geändert",
        ("name.changed", _) => "Name geändert",
        ("visibility.changed", _) => "Sichtbarkeit in der Kontaktsuche geändert",
        ("sessions.ended", _) => "Andere Sitzungen beendet",
        ("reauth", "success") => "Passwort bestätigt",
        ("reauth", _) => "Passwortbestätigung fehlgeschlagen",
        ("sms.code_sent", "success") => "SMS-Code gesendet",
        ("sms.code_sent", _) => "SMS-Code nicht gesendet (Wartezeit oder Obergrenze)",
        ("message.delivered", _) => "Nachricht zugestellt",
        ("message.failed", _) => "Nachricht nicht zustellbar",
        ("contact.sms", _) => "SMS an einen Kontakt gesendet",
        ("support.change", "refused") => "Änderung durch den Support abgelehnt (ohne PIN-Prüfung)",
        ("support.change", _) => "Änderung durch den Support",
        (other, "success") => return other.to_owned(),
        (other, outcome) => return format!("{other} ({outcome})"),
    };
    text.to_owned()
}

/// Who did it, by name: "Dr. Erika Muster", "Support: Sam Support", "Betrieb (Kommandozeile)".
fn actor_name(actor: &str, names: &HashMap<String, String>) -> String {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| "unbekannt".into());
    match actor.split_once(':') {
        Some(("account", id)) => name(id),
        Some(("support", id)) => format!("Support: {}", name(id)),
        Some(("api-token", _)) => "Admin-API".into(),
        Some(("guest", _)) => "Gast".into(),
        _ => match actor {
            "operator" => "Betrieb (Kommandozeile)".into(),
            "system" => "System".into(),
            "anonymous" => "ohne Anmeldung".into(),
            other => other.into(),
        },
    }
}

/// One page (from 1) of the account's history, newest first, and whether an older page follows.
pub async fn page(db: &Db, account_id: &str, page: i64) -> Result<(Vec<Line>, bool), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, actor, event, outcome, detail FROM audit_log WHERE account_id = $1 \
         ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(account_id)
    .bind(PAGE + 1)
    .bind((page.max(1) - 1) * PAGE)
    .fetch_all(&db.pool)
    .await?;
    let more = rows.len() as i64 > PAGE;
    let mut ids: Vec<String> = Vec::new();
    for row in &rows {
        let actor: String = row.try_get("actor")?;
        if let Some((_, id)) = actor.split_once(':') {
            ids.push(id.to_owned());
        }
    }
    let mut names = HashMap::new();
    ids.sort();
    ids.dedup();
    for id in ids {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1").bind(&id).fetch_optional(&db.pool).await?;
        if let Some(name) = name {
            names.insert(id, name);
        }
    }
    let mut lines = Vec::new();
    for row in rows.iter().take(PAGE as usize) {
        let (event, outcome): (String, String) = (row.try_get("event")?, row.try_get("outcome")?);
        lines.push(Line {
            when: format::date_time(row.try_get("at")?, Lang::De),
            what: describe(&event, &outcome),
            by: actor_name(&row.try_get::<String, _>("actor")?, &names),
            detail: row.try_get("detail")?,
        });
    }
    Ok((lines, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_sentences() {
        assert_eq!(describe("login.second_factor", "success"), "Anmeldung mit SMS-Code erfolgreich");
        assert_eq!(describe("pin.check", "incorrect"), "Service-PIN geprüft: nicht korrekt");
        assert_eq!(describe("appointment.created", "failure"), "appointment.created (failure)");
    }

    #[test]
    fn actors_by_name() {
        let names = HashMap::from([("a1".to_owned(), "Sam Support".to_owned())]);
        assert_eq!(actor_name("support:a1", &names), "Support: Sam Support");
        assert_eq!(actor_name("account:zz", &names), "unbekannt");
        assert_eq!(actor_name("operator", &names), "Betrieb (Kommandozeile)");
    }
}
