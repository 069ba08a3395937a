//! A small iCalendar (RFC 5545) writer for invitations: one event, UTC times, escaped text, lines folded
//! at 75 octets, CRLF endings. `PUBLISH` for an invitation, `CANCEL` (same UID) for a cancellation, so
//! calendar programs update the entry they already have; both name the ORGANIZER (RFC 5546 requires it
//! for a cancellation), a LOCATION, and a reminder 15 minutes before.
use crate::clock::Timestamp;
use crate::web::format::ics_utc;

pub struct Event<'a> {
    /// Stable per participant, so a cancellation replaces the invitation in the guest's calendar.
    pub uid: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: &'a str,
    pub description: &'a str,
    pub url: Option<&'a str>,
    /// The practice, by name and the address the invitation comes from.
    pub organizer: (&'a str, &'a str),
    pub location: &'a str,
    pub cancelled: bool,
    pub now: Timestamp,
}

pub fn write(event: &Event) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Sprechstunde//Videosprechstunde//DE".to_owned(),
        format!("METHOD:{}", if event.cancelled { "CANCEL" } else { "PUBLISH" }),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(event.uid)),
        format!("DTSTAMP:{}", ics_utc(event.now)),
        format!("DTSTART:{}", ics_utc(event.starts_at)),
        format!("DTEND:{}", ics_utc(event.ends_at)),
        format!("SEQUENCE:{}", u8::from(event.cancelled)),
        format!("STATUS:{}", if event.cancelled { "CANCELLED" } else { "CONFIRMED" }),
        format!("SUMMARY:{}", escape(event.summary)),
        format!("DESCRIPTION:{}", escape(event.description)),
        format!("LOCATION:{}", escape(event.location)),
        format!("ORGANIZER;CN=\"{}\":mailto:{}", quoted_param(event.organizer.0), event.organizer.1),
    ];
    if let Some(url) = event.url {
        lines.push(format!("URL:{url}"));
    }
    lines.extend(
        ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M"]
            .into_iter()
            .map(str::to_owned)
            .chain([format!("DESCRIPTION:{}", escape(event.summary)), "END:VALARM".to_owned()]),
    );
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|line| fold(line)).collect::<Vec<_>>().join("")
}

fn escape(text: &str) -> String {
    // A lone CR ends a line for some calendar programs too (RFC 5545 only names CRLF).
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace(['\r', '\n'], "\\n")
}

/// A quoted parameter value holds no double quote and no control character (RFC 5545 QSAFE-CHAR): a line
/// break in a practice's name would otherwise start a property of its own (found by fuzzing).
fn quoted_param(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '"' {
                '\''
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Lines longer than 75 octets continue on the next line after a space, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_escapes_and_ends_lines_with_crlf() {
        let description = "Zugangscode: K7QM-2XPD-9F; Link, bitte öffnen:\nhttps://praxis.example/t/abc ".repeat(3);
        let ics = write(&Event {
            uid: "p1@sprechstunde",
            starts_at: 1_796_288_400,
            ends_at: 1_796_290_200,
            summary: "Videosprechstunde bei Dr. Müller",
            description: &description,
            url: Some("https://praxis.example/t/abc"),
            organizer: ("Dr. Müller", "no-reply@praxis.example"),
            location: "Videosprechstunde – Link in der Beschreibung",
            cancelled: false,
            now: 1_796_200_000,
        });
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("DTSTART:20261203T090000Z\r\n"));
        assert!(unfolded.contains("K7QM-2XPD-9F\\; Link\\, bitte öffnen:\\nhttps"));
        assert!(unfolded.contains("METHOD:PUBLISH"));
        assert!(unfolded.contains("\r\nORGANIZER;CN=\"Dr. Müller\":mailto:no-reply@praxis.example\r\n"));
        assert!(unfolded.contains("\r\nLOCATION:Videosprechstunde – Link in der Beschreibung\r\n"));
        assert!(unfolded.contains("BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\n"));
    }

    /// A lone CR in a value (a name that came in before names were one line) starts no property of its own.
    #[test]
    fn a_lone_carriage_return_is_escaped() {
        assert_eq!(escape("Dr. Carl\rATTENDEE:mailto:x@example.org"), "Dr. Carl\\nATTENDEE:mailto:x@example.org");
        assert_eq!(escape("a\r\nb\nc"), "a\\nb\\nc");
    }

    /// Found by the `ics` fuzz target: the organizer's name went into a quoted parameter unescaped.
    #[test]
    fn the_organizers_name_starts_no_property_either() {
        assert_eq!(quoted_param("Praxis\r\nX-INJECTED:1 \"Wolf\""), "Praxis  X-INJECTED:1 'Wolf'");
    }
}
