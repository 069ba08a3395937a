//! The fuzz targets' bodies (issue 18 point 6): `fuzz/fuzz_targets/*.rs` hand libFuzzer's bytes to these
//! functions (`cargo +nightly fuzz run <target>`, see `docs/security.md`), and the plain test suite replays
//! the committed corpus `fuzz/corpus/<target>/` through them (`tests/it/fuzz_corpus.rs`). Each takes any
//! bytes, must not panic, and asserts what has to hold for every input, so a fuzzer finds wrong answers
//! as well as crashes.
use serde::Deserialize;

use crate::domain::access_code::AccessCode;
use crate::domain::names::PersonName;
use crate::domain::phone;
use crate::web::text::{self, Shown};

/// Every target by its name (the folder of its corpus).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("form", form),
    ("text", text),
    ("phone", phone),
    ("config", config),
    ("token", token),
    ("ws_message", ws_message),
    ("ics", ics),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only by serde: the decoder's refusal is what is fuzzed
struct SomeForm {
    username: String,
    password: String,
    note: Option<String>,
}

/// The strict form decoder: whatever it accepts has each field once, known, and of readable text.
pub fn form(data: &[u8]) {
    if crate::web::form::parse::<SomeForm>(data).is_ok() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(data).expect("accepted bodies decode");
        let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "no field twice");
        assert!(keys.iter().all(|k| ["username", "password", "note"].contains(k)), "{keys:?}");
        for (key, value) in &pairs {
            assert!(text::check(value, Shown::for_field(key)).is_ok());
        }
    }
}

/// The text checks and the name rules: a name that passes has no line break, tab or control character
/// (it reaches calendar files and SMS), and its own text passes again.
pub fn text(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    for shown in [Shown::Displayed, Shown::Secret] {
        if text::check(input, shown).is_ok() {
            assert!(!input.chars().any(crate::domain::text::is_stray_control));
        }
    }
    if let Some(name) = PersonName::parse(input) {
        assert!(!name.as_str().contains(['\r', '\n', '\t']), "{name:?}");
        assert!(!name.as_str().chars().any(char::is_control));
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Some(&name), "parsing is idempotent");
    }
    if let Ok(username) = crate::domain::username::Username::parse(input) {
        assert!(crate::domain::username::unmet(username.as_str()).is_empty());
    }
    let _ = crate::domain::email::EmailAddress::parse(input).map(|e| e.masked());
}

/// Phone numbers: a mobile number comes back in E.164, parses to itself again, and its mask hides it.
pub fn phone(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(e164) = phone::parse_mobile(input) {
        assert!(e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
        assert_eq!(phone::parse_mobile(&e164).as_deref(), Ok(e164.as_str()), "E.164 parses to itself");
        assert_ne!(phone::mask(&e164), e164, "masked");
    }
    if let Ok(callable) = phone::parse_callable(input) {
        let href = phone::tel_href(&callable);
        assert!(href.starts_with("tel:") && !href.contains(char::is_whitespace), "{href}");
    }
    let _ = phone::mask(input);
}

/// Durations and the settings file: a duration is positive seconds; a file either loads or says why.
pub fn config(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(seconds) = crate::config::parse_duration(input) {
        assert!(seconds > 0);
    }
    let dir = std::path::Path::new("/nonexistent-fuzz-data");
    if let Ok(config) = crate::config::Config::from_text(dir, input, |_| None) {
        assert!(config.registration_link_ttl > 0 && config.reauth_window > 0);
        assert!(config.password_policy.min_length <= config.password_policy.max_length);
        assert!(config.editions.contains_key(&config.default_edition));
    }
}

/// Link tokens and access codes: the shape check admits only 43 base64url characters; a code that parses
/// is 10 characters of the alphabet and its grouped form parses to the same code.
pub fn token(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if crate::security::token::looks_valid(input) {
        assert_eq!(input.len(), crate::security::token::TOKEN_LEN);
    }
    if let Some(code) = AccessCode::parse(input) {
        assert_eq!(code.expose().len(), 10, "{code:?}");
        assert_eq!(AccessCode::parse(&code.grouped()).as_ref().map(AccessCode::expose), Some(code.expose()));
        assert!(AccessCode::look_alikes(input).is_empty(), "a code that parses has no look-alikes");
    }
}

/// The WebSocket's messages: only the two known shapes pass, and a signal's payload is relayed as JSON
/// that reads back as the same value. (Found: a 55-digit number came back as another float, until
/// serde_json's `float_roundtrip` made its parsing exact; the input is in the corpus.)
pub fn ws_message(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(crate::consult::ws::ClientMessage::Signal { payload, .. }) =
        serde_json::from_str::<crate::consult::ws::ClientMessage>(input)
    {
        let relayed = payload.to_string();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&relayed).unwrap(), payload);
    }
}

/// The calendar file: whatever the texts, it has exactly its own properties (nothing injected), every
/// line ends in CRLF with no other CR or LF, and no line is longer than 75 octets.
pub fn ics(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1}');
    let mut next = || parts.next().unwrap_or_default().to_owned();
    let (summary, description, location, organizer) = (next(), next(), next(), next());
    let starts_at = 1_796_288_400 + i64::from(data.first().copied().unwrap_or(0)) * 3600;
    for cancelled in [false, true] {
        let ics = crate::notify::ics::write(&crate::notify::ics::Event {
            uid: "p1@sprechstunde",
            starts_at,
            ends_at: starts_at + 1800,
            summary: &summary,
            description: &description,
            url: Some("https://praxis.example/t/abc"),
            organizer: (&organizer, "praxis@praxis.example"),
            location: &location,
            cancelled,
            now: 1_796_200_000,
        });
        assert!(ics.ends_with("\r\n"));
        let mut properties = Vec::new();
        for line in ics.split_terminator("\r\n") {
            assert!(!line.contains(['\r', '\n']), "a bare line break: {line:?}");
            assert!(line.len() <= 75, "{line:?}");
            if !line.starts_with(' ') {
                properties.push(line.split([':', ';']).next().unwrap().to_owned());
            }
        }
        let expected = [
            "BEGIN",
            "VERSION",
            "PRODID",
            "METHOD",
            "BEGIN",
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SEQUENCE",
            "STATUS",
            "SUMMARY",
            "DESCRIPTION",
            "LOCATION",
            "ORGANIZER",
            "URL",
            "BEGIN",
            "ACTION",
            "TRIGGER",
            "DESCRIPTION",
            "END",
            "END",
            "END",
        ];
        assert_eq!(properties, expected, "{ics}");
    }
}
