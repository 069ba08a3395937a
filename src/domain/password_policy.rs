//! The password rules exist once, here, as data. The server checks them; the page lists them and its small
//! script evaluates the same list live (`static/step1.js`), so the checkmarks can never disagree with the server.
use std::collections::HashSet;
use std::sync::LazyLock;

/// About 30,000 common passwords (zxcvbn's frequency list, MIT) plus German ones, lower-case, one per line.
pub const COMMON_PASSWORDS: &str = include_str!("../../assets/common-passwords.txt");

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| COMMON_PASSWORDS.lines().collect());

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

impl Default for PasswordPolicy {
    /// NIST / ASVS: length, not common, not derived from the person; no composition rules.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            max_length: 128,
            require_lowercase: false,
            require_uppercase: false,
            require_digit: false,
            require_symbol: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    MinLength,
    MaxLength,
    NotCommon,
    NotContext,
    Lowercase,
    Uppercase,
    Digit,
    Symbol,
    Matches,
}

impl Rule {
    /// Stable id used by the page's script (`data-rule`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::MinLength => "min_length",
            Rule::MaxLength => "max_length",
            Rule::NotCommon => "not_common",
            Rule::NotContext => "not_context",
            Rule::Lowercase => "lowercase",
            Rule::Uppercase => "uppercase",
            Rule::Digit => "digit",
            Rule::Symbol => "symbol",
            Rule::Matches => "matches",
        }
    }
}

/// What a password must not contain: the person's username, name parts and e-mail address.
#[derive(Clone, Debug, Default)]
pub struct PasswordContext {
    words: Vec<String>,
}

const TITLES: &[&str] = &["dr", "prof", "med", "dent", "dipl", "herr", "frau"];

impl PasswordContext {
    /// Words from the account itself; the username is added separately because it is typed on the same form.
    pub fn new(name: &str, email: &str) -> Self {
        let email = email.to_lowercase();
        let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
        let local = local.to_owned();
        // The domain's main label as a whole ("praxis-beispiel"), not its pieces, so "praxis" stays usable.
        let domain_label = domain.rsplit_once('.').map_or(domain, |(rest, _)| rest).to_owned();
        let mut words: Vec<String> = name
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .chain(local.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| w.chars().count() >= 3 && !TITLES.contains(w))
            .map(str::to_owned)
            .collect();
        if local.chars().count() >= 3 {
            words.push(local);
        }
        if domain_label.chars().count() >= 4 {
            words.push(domain_label);
        }
        words.push(email);
        words.sort();
        words.dedup();
        PasswordContext { words }
    }

    pub fn with_username(mut self, username: &str) -> Self {
        let username = username.trim().to_lowercase();
        if username.chars().count() >= 3 {
            self.words.push(username);
        }
        self
    }

    /// Space-separated, for the page's live check (the username is read from its field there).
    pub fn words_for_page(&self) -> String {
        self.words.join(" ")
    }

    fn found_in(&self, password: &str) -> bool {
        let lower = password.to_lowercase();
        self.words.iter().any(|w| lower.contains(w.as_str()))
    }
}

impl PasswordPolicy {
    /// The rules in display order: only the composition rules an operator switched on.
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = vec![Rule::MinLength, Rule::MaxLength, Rule::NotCommon, Rule::NotContext];
        for (on, rule) in [
            (self.require_lowercase, Rule::Lowercase),
            (self.require_uppercase, Rule::Uppercase),
            (self.require_digit, Rule::Digit),
            (self.require_symbol, Rule::Symbol),
        ] {
            if on {
                rules.push(rule);
            }
        }
        rules.push(Rule::Matches);
        rules
    }

    /// The number a rule is about, for the page (`data-value`).
    pub fn value(&self, rule: Rule) -> Option<usize> {
        match rule {
            Rule::MinLength => Some(self.min_length),
            Rule::MaxLength => Some(self.max_length),
            _ => None,
        }
    }

    fn is_met(&self, rule: Rule, password: &str, repeat: &str, context: &PasswordContext) -> bool {
        // Length counts characters (code points), not bytes; nothing is ever truncated.
        let length = password.chars().count();
        match rule {
            Rule::MinLength => length >= self.min_length,
            Rule::MaxLength => length <= self.max_length,
            Rule::NotCommon => !password.is_empty() && !COMMON.contains(password.to_lowercase().as_str()),
            Rule::NotContext => !password.is_empty() && !context.found_in(password),
            Rule::Lowercase => password.chars().any(char::is_lowercase),
            Rule::Uppercase => password.chars().any(char::is_uppercase),
            Rule::Digit => password.chars().any(char::is_numeric),
            Rule::Symbol => password.chars().any(|c| !c.is_alphanumeric()),
            Rule::Matches => !password.is_empty() && password == repeat,
        }
    }

    /// Every rule the password does not meet, in display order; empty means accepted.
    pub fn unmet(&self, password: &str, repeat: &str, context: &PasswordContext) -> Vec<Rule> {
        self.rules().into_iter().filter(|rule| !self.is_met(*rule, password, repeat, context)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PasswordContext {
        PasswordContext::new("Dr. Erika Muster", "erika.muster@praxis-beispiel.de").with_username("emuster")
    }

    fn unmet(policy: &PasswordPolicy, pw: &str) -> Vec<Rule> {
        policy.unmet(pw, pw, &ctx())
    }

    #[test]
    fn shipped_list_is_large_enough() {
        assert!(COMMON.len() >= 10_000, "{}", COMMON.len());
        assert!(COMMON.contains("password"));
        assert!(COMMON.contains("passwort123"));
    }

    #[test]
    fn length_counts_code_points() {
        let policy = PasswordPolicy::default();
        assert_eq!(unmet(&policy, "Kaffeetasse"), vec![Rule::MinLength], "11 characters");
        assert!(unmet(&policy, "Kaffeetasse7").is_empty(), "12 characters");
        // 11 characters but more than 12 bytes: still too short.
        assert_eq!(unmet(&policy, "äöüäöüäöüäö"), vec![Rule::MinLength]);
        assert!(unmet(&policy, &"x7Gq".repeat(32)).is_empty(), "128 accepted");
        assert_eq!(unmet(&policy, &"x7Gq".repeat(33)), vec![Rule::MaxLength]);
    }

    #[test]
    fn common_and_context_passwords() {
        let policy = PasswordPolicy::default();
        let table: &[(&str, Rule)] = &[
            ("1qaz2wsx3edc", Rule::NotCommon),
            ("QWERTY123456", Rule::NotCommon),
            ("passwort1234", Rule::NotCommon),
            ("emuster-rocks-2026", Rule::NotContext),
            ("Erika-2026-Sommer", Rule::NotContext),
            ("MUSTER und Meer 99", Rule::NotContext),
            ("praxis-beispiel-1", Rule::NotContext),
            ("erika.muster@praxis-beispiel.de", Rule::NotContext),
        ];
        for (pw, rule) in table {
            let found = policy.unmet(pw, pw, &ctx().with_username("emuster"));
            assert!(found.contains(rule), "{pw}: expected {rule:?}, got {found:?}");
        }
        assert!(unmet(&policy, "Leuchtturm am Deich").is_empty());
    }

    #[test]
    fn repeat_must_match() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.unmet("Leuchtturm am Deich", "Leuchtturm am Teich", &ctx()), vec![Rule::Matches]);
    }

    #[test]
    fn composition_rules_only_when_switched_on() {
        let policy = PasswordPolicy::default();
        assert!(!policy.rules().contains(&Rule::Digit));
        let strict = PasswordPolicy {
            require_lowercase: true,
            require_uppercase: true,
            require_digit: true,
            require_symbol: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            strict.rules(),
            vec![
                Rule::MinLength,
                Rule::MaxLength,
                Rule::NotCommon,
                Rule::NotContext,
                Rule::Lowercase,
                Rule::Uppercase,
                Rule::Digit,
                Rule::Symbol,
                Rule::Matches
            ]
        );
        assert_eq!(unmet(&strict, "leuchtturmamdeich"), vec![Rule::Uppercase, Rule::Digit, Rule::Symbol]);
        assert!(unmet(&strict, "Leuchtturm am Deich 7").is_empty());
    }

    #[test]
    fn short_address_parts_do_not_block_everything() {
        let context = PasswordContext::new("Li", "a@x.de");
        assert!(PasswordPolicy::default().unmet("Leuchtturm am Deich", "Leuchtturm am Deich", &context).is_empty());
    }

    #[test]
    fn titles_and_short_name_parts_are_not_context() {
        let context = PasswordContext::new("Dr. med. Li Wu", "li@x.de");
        assert!(!context.words_for_page().split(' ').any(|w| w == "dr" || w == "med"));
        assert!(context.words_for_page().contains("li@x.de"));
    }
}
