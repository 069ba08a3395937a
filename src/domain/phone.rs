//! Mobile numbers as people type them (`0171 1234567`, `+49 171 1234567`, `0049 171 …`), normalised to
//! E.164. Germany is the default region; landlines and invalid numbers are refused with a reason.
use phonenumber::{Mode, Type, country};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneProblem {
    Invalid,
    Landline,
}

/// A valid number as typed; "0049 …" is the German way of writing "+49 …".
fn parse_valid(input: &str) -> Result<phonenumber::PhoneNumber, PhoneProblem> {
    let trimmed = input.trim();
    let normalised = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let number = phonenumber::parse(Some(country::Id::DE), &normalised).map_err(|_| PhoneProblem::Invalid)?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneProblem::Invalid);
    }
    Ok(number)
}

/// The number in E.164 (`+491711234567`) if it is a valid mobile number.
pub fn parse_mobile(input: &str) -> Result<String, PhoneProblem> {
    let number = parse_valid(input)?;
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile => Ok(number.format().mode(Mode::E164).to_string()),
        Type::FixedLine => Err(PhoneProblem::Landline),
        _ => Err(PhoneProblem::Invalid),
    }
}

crate::domain::text::text_newtype! {
    /// A mobile number in E.164 (`+491711234567`), checked by [`parse_mobile`].
    MobileNumber, own Debug
}

impl std::fmt::Debug for MobileNumber {
    // Contact data stays out of debug output and logs: masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MobileNumber({})", mask(self.as_str()))
    }
}

impl MobileNumber {
    pub fn parse(input: &str) -> Result<MobileNumber, PhoneProblem> {
        parse_mobile(input).map(MobileNumber)
    }

    pub fn masked(&self) -> String {
        mask(self.as_str())
    }
}

/// Any valid number a patient can call (landline or mobile), written as people read it: German numbers in
/// the national form (`030 12345678`), others internationally (`+43 1 234567`).
pub fn parse_callable(input: &str) -> Result<String, PhoneProblem> {
    let number = parse_valid(input)?;
    let mode = if number.country().id() == Some(country::Id::DE) { Mode::National } else { Mode::International };
    Ok(number.format().mode(mode).to_string())
}

/// The `tel:` address of a number written by [`parse_callable`]: its digits (and a leading `+`).
pub fn tel_href(display: &str) -> String {
    let digits: String = display.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    format!("tel:{digits}")
}

/// `+49 171 ••••567`: enough to recognise one's own number, for pages and logs.
pub fn mask(e164: &str) -> String {
    let visible_end: String = e164.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    let start: String = e164.chars().take(6).collect();
    format!("{start}••••{visible_end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_people_type() {
        for input in ["0171 1234567", "+49 171 1234567", "0049 171 1234567", "0171/1234567", " 01711234567 "] {
            assert_eq!(parse_mobile(input), Ok("+491711234567".into()), "{input}");
        }
        assert_eq!(parse_mobile("+43 664 1234567"), Ok("+436641234567".into()), "Austrian mobile");
    }

    #[test]
    fn a_practice_number_may_be_a_landline_and_reads_as_people_write_it() {
        assert_eq!(parse_callable("03012345678").as_deref(), Ok("030 12345678"));
        assert_eq!(parse_callable("+49 (0)30 1234-5678").as_deref(), Ok("030 12345678"));
        assert_eq!(parse_callable("0171 1234567").as_deref(), Ok("0171 1234567"));
        assert_eq!(parse_callable("0043 1 5354535").as_deref(), Ok("+43 1 5354535"));
        for bad in ["", "12", "030", "Praxis", "+49 30 123456789012345"] {
            assert_eq!(parse_callable(bad), Err(PhoneProblem::Invalid), "{bad}");
        }
        assert_eq!(tel_href("030 12345678"), "tel:03012345678");
        assert_eq!(tel_href("+43 1 5354535"), "tel:+4315354535");
    }

    #[test]
    fn refuses_landlines_and_nonsense() {
        assert_eq!(parse_mobile("030 12345678"), Err(PhoneProblem::Landline));
        assert_eq!(parse_mobile("+49 89 1234567"), Err(PhoneProblem::Landline));
        for bad in ["", "12", "0171", "abc", "+49 171 12345678901234"] {
            assert_eq!(parse_mobile(bad), Err(PhoneProblem::Invalid), "{bad}");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask("+491711234567"), "+49171••••567");
    }
}
