//! Text from outside is checked once, at the edge (form fields, query strings, JSON bodies, paths), before any
//! handler or the database sees it: no control characters (a NUL byte breaks PostgreSQL), no invisible or
//! direction-changing characters (U+202E makes "Anna" display as someone else), and no over-long values
//! (a 50,000-character search is no search). Rules of a field's own (name length, note ≤ 160) come later,
//! in the domain; this is the floor for all of them.

use crate::domain::text::{is_invisible, is_stray_control};

/// The longest value any single field may carry.
pub const MAX_CHARS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("enthält Steuerzeichen")]
    Control,
    #[error("enthält unsichtbare oder die Schreibrichtung ändernde Zeichen")]
    Invisible,
    #[error("ist länger als {max} Zeichen")]
    TooLong { max: usize },
}

/// How a field is read by people: secrets are never displayed, so invisible characters do no harm there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Displayed,
    Secret,
}

impl Shown {
    /// Password fields (`password`, `password_repeat`, `current_password`, …) are secrets.
    pub fn for_field(name: &str) -> Shown {
        if name.contains("password") { Shown::Secret } else { Shown::Displayed }
    }
}

pub fn check(value: &str, shown: Shown) -> Result<(), TextProblem> {
    // Line breaks and tabs are ordinary typing (a note in a text area).
    if value.chars().any(is_stray_control) {
        return Err(TextProblem::Control);
    }
    if shown == Shown::Displayed && value.chars().any(is_invisible) {
        return Err(TextProblem::Invisible);
    }
    if value.chars().count() > MAX_CHARS {
        return Err(TextProblem::TooLong { max: MAX_CHARS });
    }
    Ok(())
}

/// Every string (and key) of a JSON document; `Err` names where the first problem sits.
pub fn check_json(value: &serde_json::Value) -> Result<(), (String, TextProblem)> {
    fn walk(value: &serde_json::Value, at: &str) -> Result<(), (String, TextProblem)> {
        match value {
            serde_json::Value::String(text) => check(text, Shown::for_field(at)).map_err(|p| (at.to_owned(), p)),
            serde_json::Value::Array(items) => items.iter().try_for_each(|item| walk(item, at)),
            serde_json::Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
                check(key, Shown::Displayed).map_err(|p| (key.clone(), p))?;
                walk(item, key)
            }),
            _ => Ok(()),
        }
    }
    walk(value, "")
}

/// `%XX` decoded (as paths and query strings carry it); invalid escapes stay as they are.
fn percent_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, ..) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request's path and query string, decoded, as a handler would see them.
pub fn check_uri(uri: &axum::http::Uri) -> Result<(), TextProblem> {
    check(&percent_decoded(uri.path()), Shown::Displayed)?;
    uri.query().map_or(Ok(()), |query| check(&percent_decoded(query), Shown::Displayed).map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_passes() {
        for text in ["Dr. Jürgen Müller-Lüdenscheidt", "Zeile 1\r\nZeile 2\tEnde", "Ærøskøbing – „Zitat“ 😀", ""]
        {
            assert_eq!(check(text, Shown::Displayed), Ok(()), "{text:?}");
        }
        assert_eq!(check(&"x".repeat(MAX_CHARS), Shown::Displayed), Ok(()));
    }

    #[test]
    fn control_invisible_and_long_text_is_refused() {
        assert_eq!(check("emuster\0", Shown::Displayed), Err(TextProblem::Control));
        assert_eq!(check("a\u{1b}[31m", Shown::Secret), Err(TextProblem::Control));
        assert_eq!(check("a\u{7f}", Shown::Displayed), Err(TextProblem::Control));
        assert_eq!(check("a\u{85}", Shown::Displayed), Err(TextProblem::Control), "C1 controls too");
        assert_eq!(check("Anna \u{202E}rellüM", Shown::Displayed), Err(TextProblem::Invisible));
        assert_eq!(check("An\u{200B}na", Shown::Displayed), Err(TextProblem::Invisible));
        assert_eq!(check("\u{2067}x", Shown::Displayed), Err(TextProblem::Invisible));
        assert_eq!(check("\u{FEFF}Anna", Shown::Displayed), Err(TextProblem::Invisible));
        assert_eq!(check("geheim\u{200B}", Shown::Secret), Ok(()), "secrets are never displayed");
        assert_eq!(check(&"ü".repeat(MAX_CHARS + 1), Shown::Displayed), Err(TextProblem::TooLong { max: MAX_CHARS }));
        assert_eq!(Shown::for_field("current_password"), Shown::Secret);
        assert_eq!(Shown::for_field("name"), Shown::Displayed);
    }

    #[test]
    fn json_and_uris_are_checked_throughout() {
        let ok = serde_json::json!({"name": "Dr. Jürgen Müller", "tags": ["a", "b"], "n": 1});
        assert_eq!(check_json(&ok), Ok(()));
        let nul = serde_json::json!({"email": "a@b.de", "name": "Anna\u{0}"});
        assert_eq!(check_json(&nul), Err(("name".into(), TextProblem::Control)));
        let nested = serde_json::json!({"list": [{"x": "\u{202e}"}]});
        assert_eq!(check_json(&nested), Err(("x".into(), TextProblem::Invisible)));
        let uri = |text: &str| text.parse::<axum::http::Uri>().unwrap();
        assert_eq!(check_uri(&uri("/support/konten/abc?q=m%C3%BCller")), Ok(()));
        assert_eq!(check_uri(&uri("/support/konten/abc%00")), Err(TextProblem::Control));
        assert_eq!(check_uri(&uri("/kontakte/suche?q=%E2%80%AEanna")), Err(TextProblem::Invisible));
        assert_eq!(check_uri(&uri("/x?q=100%25")), Ok(()));
    }
}
