//! E-mail addresses: parsed once (and accepted by the mail library), compared lower-case, masked in logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, PartialEq, Eq)]
pub struct InvalidEmail;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let email = input.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let shape_ok = email.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !shape_ok || email.parse::<lettre::Address>().is_err() {
            return Err(InvalidEmail);
        }
        Ok(EmailAddress(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// `e***@p***.de`: enough for an operator to tell messages apart, never the whole address.
pub fn mask(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let tld = domain.rsplit_once('.').map(|(_, tld)| tld).unwrap_or_default();
    format!("{}***@{}***.{tld}", first(local), first(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let email = EmailAddress::parse("  Erika.Muster@Praxis-Beispiel.DE ").unwrap();
        assert_eq!(email.as_str(), "erika.muster@praxis-beispiel.de");
        assert_eq!(email.masked(), "e***@p***.de");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "erika", "erika@", "@x.de", "erika@x", "er ika@x.de", "erika@x..de", "a@b@c.de"] {
            assert_eq!(EmailAddress::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }
}
