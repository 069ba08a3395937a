//! Access codes for guests who got no link (or cannot click one): 10 characters from an alphabet without
//! look-alikes (no 0/O, no 1/I/L), shown in groups (`K7QM-2XPD-9F`), accepted in any case, with or
//! without dashes and spaces. 31^10 ≈ 8·10^14 codes (49 bits); entry is rate-limited and only valid
//! within the appointment's window, so guessing one is out of reach.

/// The characters a code is made of: digits 2–9 and the letters without I, L and O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const LEN: usize = 10;
/// What people type for characters that codes never contain (they were left out for looking alike).
const LOOK_ALIKES: &str = "0O1IL";

/// A well-formed code in its normal form (upper case, no separators). A secret: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode(String);

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessCode(***)")
    }
}

impl AccessCode {
    /// A new code from random bytes (`next_byte` is the OS RNG in the service). Bytes ≥ 248 are skipped,
    /// so every character is equally likely (248 = 8 · 31).
    pub fn generate(mut next_byte: impl FnMut() -> u8) -> AccessCode {
        let mut code = String::with_capacity(LEN);
        while code.len() < LEN {
            let byte = next_byte();
            if byte < 248 {
                code.push(ALPHABET[(byte % 31) as usize] as char);
            }
        }
        AccessCode(code)
    }

    /// What a person typed: case, dashes, spaces and dots do not matter. `None` if it cannot be a code.
    pub fn parse(input: &str) -> Option<AccessCode> {
        let code: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '.' | '\u{a0}' | '–'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(AccessCode(code))
    }

    /// The normal form, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The characters of `input` that no code contains (0, O, 1, I, L), each once, in the order typed: the
    /// person read a look-alike, and is told which.
    pub fn look_alikes(input: &str) -> Vec<char> {
        let mut found = Vec::new();
        for c in input.chars().map(|c| c.to_ascii_uppercase()) {
            if LOOK_ALIKES.contains(c) && !found.contains(&c) {
                found.push(c);
            }
        }
        found
    }

    /// `K7QM-2XPD-9F`: groups of four are easy to read out on the phone.
    pub fn grouped(&self) -> String {
        let c = &self.0;
        format!("{}-{}-{}", &c[..4], &c[4..8], &c[8..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_only_the_alphabet_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        let mut counter = 0u8;
        for _ in 0..200 {
            let code = AccessCode::generate(|| {
                counter = counter.wrapping_add(97);
                counter
            });
            assert_eq!(code.expose().len(), LEN);
            assert!(!code.expose().contains(['0', 'O', '1', 'I', 'L']));
            assert_eq!(AccessCode::parse(&code.grouped()), Some(code.clone()));
            seen.insert(code.expose().to_owned());
        }
        assert!(seen.len() > 1);
    }

    #[test]
    fn entry_ignores_case_dashes_and_spaces() {
        let code = AccessCode::parse("K7QM-2XPD-9F").unwrap();
        assert_eq!(code.grouped(), "K7QM-2XPD-9F");
        assert_eq!(AccessCode::parse("k7qm2xpd9f"), Some(code.clone()));
        assert_eq!(AccessCode::parse(" k7qm 2xpd 9f "), Some(code.clone()));
        assert_eq!(AccessCode::parse("K7QM–2XPD–9F"), Some(code.clone()), "typographic dash");
    }

    #[test]
    fn look_alikes_are_named() {
        assert_eq!(AccessCode::look_alikes("k7qm-2xpd-9f"), Vec::<char>::new());
        assert_eq!(AccessCode::look_alikes("K7QM-2XPD-9O"), vec!['O']);
        assert_eq!(AccessCode::look_alikes("l0o1-i0"), vec!['L', '0', 'O', '1', 'I']);
    }

    #[test]
    fn look_alikes_and_wrong_lengths_are_not_codes() {
        assert_eq!(AccessCode::parse("K7QM-2XPD-9O"), None, "O is not in the alphabet");
        assert_eq!(AccessCode::parse("K7QM-2XPD-91"), None);
        assert_eq!(AccessCode::parse("K7QM-2XPD-9"), None);
        assert_eq!(AccessCode::parse("K7QM-2XPD-9FF"), None);
        assert_eq!(AccessCode::parse(""), None);
        assert_eq!(format!("{:?}", AccessCode::parse("K7QM2XPD9F").unwrap()), "AccessCode(***)");
    }

    #[test]
    fn biased_bytes_are_skipped() {
        let mut bytes = [255u8, 248, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9].into_iter();
        let code = AccessCode::generate(|| bytes.next().unwrap());
        assert_eq!(code.expose(), "23456789AB");
    }
}
