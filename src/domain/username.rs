//! Username rules, as data for the page and as checks for the server.

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsernameRule {
    Length,
    Charset,
    Start,
}

impl UsernameRule {
    pub const ALL: [UsernameRule; 3] = [UsernameRule::Length, UsernameRule::Charset, UsernameRule::Start];

    pub fn id(self) -> &'static str {
        match self {
            UsernameRule::Length => "length",
            UsernameRule::Charset => "charset",
            UsernameRule::Start => "start",
        }
    }

    /// The same rule as a JavaScript regular expression, for the live checkmarks.
    pub fn pattern(self) -> String {
        match self {
            UsernameRule::Length => format!("^.{{{MIN_LEN},{MAX_LEN}}}$"),
            UsernameRule::Charset => "^[A-Za-z0-9._-]+$".into(),
            UsernameRule::Start => "^[A-Za-z]".into(),
        }
    }

    fn is_met(self, username: &str) -> bool {
        match self {
            UsernameRule::Length => (MIN_LEN..=MAX_LEN).contains(&username.chars().count()),
            UsernameRule::Charset => {
                !username.is_empty() && username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            }
            UsernameRule::Start => username.chars().next().is_some_and(|c| c.is_ascii_alphabetic()),
        }
    }
}

pub fn unmet(username: &str) -> Vec<UsernameRule> {
    UsernameRule::ALL.into_iter().filter(|r| !r.is_met(username)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(unmet("emuster").is_empty());
        assert!(unmet("Erika.Muster-2").is_empty());
        assert_eq!(unmet("em"), vec![UsernameRule::Length]);
        assert_eq!(unmet(&"e".repeat(33)), vec![UsernameRule::Length]);
        assert_eq!(unmet("erika muster"), vec![UsernameRule::Charset]);
        assert_eq!(unmet("müller"), vec![UsernameRule::Charset]);
        assert_eq!(unmet("1erika"), vec![UsernameRule::Start]);
        assert_eq!(unmet(""), UsernameRule::ALL.to_vec());
    }
}

crate::domain::text::text_newtype! {
    /// A username that meets every [`UsernameRule`].
    Username
}

impl Username {
    /// The trimmed input if it meets every rule; otherwise the rules it breaks.
    pub fn parse(input: &str) -> Result<Username, Vec<UsernameRule>> {
        let username = input.trim();
        let broken = unmet(username);
        if broken.is_empty() { Ok(Username(username.to_owned())) } else { Err(broken) }
    }

    /// Usernames are unique regardless of case.
    pub fn normalized(&self) -> String {
        self.as_str().to_lowercase()
    }
}
