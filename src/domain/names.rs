//! Who an account is: its id and the person's name as stored and shown.

crate::domain::text::text_newtype! {
    /// Trimmed, 1 to 200 characters, no control, invisible or direction-changing characters (so that it
    /// displays as what it is, in every list it appears in).
    PersonName
}

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Option<PersonName> {
        let name = input.trim();
        // A name is one line: a line break or tab inside it (ordinary in a note) would start a new line in
        // a calendar file or an SMS ("Dr. Carl\rATTENDEE:…").
        let readable = !name.chars().any(|c| {
            matches!(c, '\r' | '\n' | '\t')
                || crate::domain::text::is_stray_control(c)
                || crate::domain::text::is_invisible(c)
        });
        (readable && !name.is_empty() && name.chars().count() <= Self::MAX_CHARS).then(|| PersonName(name.to_owned()))
    }
}

crate::domain::text::text_newtype! {
    /// An account's id (random, from `security::token::new_id`).
    AccountId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_readable() {
        assert_eq!(PersonName::parse("  Dr. Jürgen Müller ").unwrap(), "Dr. Jürgen Müller");
        assert!(PersonName::parse("   ").is_none());
        assert!(PersonName::parse(&"a".repeat(201)).is_none());
        assert!(PersonName::parse("Anna\u{202E}rellüM").is_none(), "no direction override");
        assert!(PersonName::parse("Anna\0").is_none());
        for broken in ["Dr. Carl\rATTENDEE:mailto:x@example.org", "Dr. Carl\nMüller", "Dr.\tCarl"] {
            assert!(PersonName::parse(broken).is_none(), "one line: {broken:?}");
        }
    }

    #[test]
    fn checked_values_only_come_from_parse_and_secrets_stay_out_of_debug() {
        use crate::domain::phone::MobileNumber;
        use crate::domain::service_pin::ServicePin;
        use crate::domain::username::Username;
        assert_eq!(Username::parse(" emuster ").unwrap(), "emuster");
        assert!(Username::parse("1abc").is_err());
        assert_eq!(MobileNumber::parse("0171 1234567").unwrap(), "+491711234567");
        assert!(MobileNumber::parse("030 1234567").is_err(), "landline");
        assert!(!format!("{:?}", MobileNumber::parse("0171 1234567").unwrap()).contains("1234567"));
        let pin = ServicePin::parse("583 021").unwrap();
        assert_eq!(pin.expose(), "583021");
        assert_eq!(format!("{pin:?}"), "ServicePin(***)");
        assert!(ServicePin::parse("123456").is_err());
    }
}
