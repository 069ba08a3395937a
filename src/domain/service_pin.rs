//! Service-PIN rules: 6 to 8 digits, no trivial patterns. The person may keep the proposed PIN or choose one.

pub const MIN_LEN: usize = 6;
pub const MAX_LEN: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinProblem {
    Length,
    NotDigits,
    AllSame,
    Sequence,
    Repeating,
}

/// A Service-PIN that passed [`check`]. A secret: it only ever lives in one request, never in `Debug`
/// output, and only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePin(String);

impl std::fmt::Debug for ServicePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServicePin(***)")
    }
}

impl ServicePin {
    /// Spaces people type between digit groups are dropped first.
    pub fn parse(input: &str) -> Result<ServicePin, PinProblem> {
        let pin: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        check(&pin).map(|()| ServicePin(pin))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

pub fn check(pin: &str) -> Result<(), PinProblem> {
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(PinProblem::NotDigits);
    }
    if !(MIN_LEN..=MAX_LEN).contains(&pin.len()) {
        return Err(PinProblem::Length);
    }
    let digits: Vec<i8> = pin.bytes().map(|b| (b - b'0') as i8).collect();
    if digits.iter().all(|d| *d == digits[0]) {
        return Err(PinProblem::AllSame);
    }
    let steps: Vec<i8> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Err(PinProblem::Sequence);
    }
    // A short block repeated: 121212, 123123, 12341234.
    let repeats = (2..=pin.len() / 2).any(|period| {
        pin.len().is_multiple_of(period) && pin.as_bytes().chunks(period).all(|c| c == &pin.as_bytes()[..period])
    });
    if repeats {
        return Err(PinProblem::Repeating);
    }
    Ok(())
}

/// The PIN as people read it aloud or copy it from paper: in two groups ("583 021", "4815 2963").
pub fn grouped(pin: &str) -> String {
    let digits: Vec<char> = pin.chars().collect();
    let split = digits.len().div_ceil(2);
    let (first, second): (String, String) = (digits[..split].iter().collect(), digits[split..].iter().collect());
    if second.is_empty() { first } else { format!("{first} {second}") }
}

/// A random 6-digit PIN that passes [`check`], from a source of random numbers.
pub fn propose(mut random: impl FnMut() -> u32) -> String {
    loop {
        let n = random();
        // Rejection sampling keeps every PIN equally likely.
        if n >= u32::MAX - u32::MAX % 1_000_000 {
            continue;
        }
        let pin = format!("{:06}", n % 1_000_000);
        if check(&pin).is_ok() {
            return pin;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_in_two_groups() {
        assert_eq!(grouped("48152963"), "4815 2963");
        assert_eq!(grouped("583021"), "583 021");
        assert_eq!(grouped("5830217"), "5830 217");
    }

    #[test]
    fn trivial_pins_are_refused_with_a_reason() {
        assert_eq!(check("111111"), Err(PinProblem::AllSame));
        assert_eq!(check("123456"), Err(PinProblem::Sequence));
        assert_eq!(check("87654321"), Err(PinProblem::Sequence));
        assert_eq!(check("121212"), Err(PinProblem::Repeating));
        assert_eq!(check("123123"), Err(PinProblem::Repeating));
        assert_eq!(check("12341234"), Err(PinProblem::Repeating));
        assert_eq!(check("12345"), Err(PinProblem::Length));
        assert_eq!(check("123456789"), Err(PinProblem::Length));
        assert_eq!(check("12a456"), Err(PinProblem::NotDigits));
        assert_eq!(check(""), Err(PinProblem::Length));
        for fine in ["583021", "9071843", "40718265", "123457"] {
            assert_eq!(check(fine), Ok(()), "{fine}");
        }
    }

    #[test]
    fn proposals_are_valid_and_varied() {
        let proposals: std::collections::HashSet<String> =
            (0..200).map(|_| propose(|| u32::from_le_bytes(crate::security::token::random_bytes::<4>()))).collect();
        assert!(proposals.len() > 190);
        assert!(proposals.iter().all(|p| p.len() == 6 && check(p).is_ok()));
    }
}
