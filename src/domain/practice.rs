//! How patients reach the practice behind an appointment: named on guest pages, in invitations and as
//! their sender; the operator's support stays on account pages.
use crate::domain::phone;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PracticeContact {
    /// The practice's name, or the host's own name when the profile gives none.
    pub name: String,
    /// As people read it (`030 12345678`), see [`phone::parse_callable`].
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl PracticeContact {
    /// From the host's profile: an empty practice name falls back to the host's name.
    pub fn of(host_name: &str, practice: Option<String>, phone: Option<String>, email: Option<String>) -> Self {
        let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        PracticeContact {
            name: given(practice).unwrap_or_else(|| host_name.to_owned()),
            phone: given(phone),
            email: given(email),
        }
    }

    pub fn tel_href(&self) -> Option<String> {
        self.phone.as_deref().map(phone::tel_href)
    }

    /// The invitation's sender name: "Praxis Dr. Muster über Sprechstunde".
    pub fn sender_name(&self, service: &str) -> String {
        // Mail headers take one line; a name is never long enough to need more.
        let name: String = self.name.chars().filter(|c| !c.is_control()).collect();
        format!("{name} über {service}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_practice_name_the_host_is_the_contact() {
        let bare = PracticeContact::of("Dr. Eva Muster", None, Some(" ".into()), None);
        assert_eq!(bare.name, "Dr. Eva Muster");
        assert_eq!((bare.phone, bare.email), (None, None));
        let full = PracticeContact::of(
            "Dr. Eva Muster",
            Some("Praxis Dr. Muster".into()),
            Some("030 12345678".into()),
            Some("praxis@example.de".into()),
        );
        assert_eq!((full.phone.as_deref(), full.email.as_deref()), (Some("030 12345678"), Some("praxis@example.de")));
        assert_eq!(full.tel_href().as_deref(), Some("tel:03012345678"));
        assert_eq!(full.sender_name("Sprechstunde"), "Praxis Dr. Muster über Sprechstunde");
    }

    #[test]
    fn a_sender_name_stays_on_one_line() {
        let sly = PracticeContact::of("x", Some("Praxis\r\nBcc: evil@example.org".into()), None, None);
        assert!(!sly.sender_name("Sprechstunde").contains('\n'));
    }
}
