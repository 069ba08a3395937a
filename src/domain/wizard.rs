//! The registration wizard as a pure state machine. Step 1 (credentials) always comes first and the closing
//! step last; in between, the account's edition decides which steps come in which order. The list is copied
//! onto the account when it is created, so later configuration changes never reshuffle a started wizard.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Credentials,
    ServicePin,
    TwoFactor,
    ContactVisibility,
    Complete,
}

impl Step {
    /// The steps an edition may choose from.
    pub const OPTIONAL: [Step; 3] = [Step::ServicePin, Step::TwoFactor, Step::ContactVisibility];

    /// Name in settings and in the database.
    pub fn key(self) -> &'static str {
        match self {
            Step::Credentials => "credentials",
            Step::ServicePin => "service_pin",
            Step::TwoFactor => "two_factor",
            Step::ContactVisibility => "contact_visibility",
            Step::Complete => "complete",
        }
    }

    pub fn parse(key: &str) -> Option<Step> {
        [Step::Credentials, Step::ServicePin, Step::TwoFactor, Step::ContactVisibility, Step::Complete]
            .into_iter()
            .find(|s| s.key() == key)
    }

    /// Where the step's page lives.
    pub fn path(self) -> &'static str {
        match self {
            Step::Credentials => "/registrierung",
            Step::ServicePin => "/registrierung/service-pin",
            Step::TwoFactor => "/registrierung/zwei-faktor",
            Step::ContactVisibility => "/registrierung/sichtbarkeit",
            Step::Complete => "/registrierung/abgeschlossen",
        }
    }
}

/// The steps between credentials and completion, comma-separated as stored.
pub fn parse_list(text: &str) -> Vec<Step> {
    text.split(',').filter_map(|k| Step::parse(k.trim())).filter(|s| Step::OPTIONAL.contains(s)).collect()
}

pub fn format_list(steps: &[Step]) -> String {
    steps.iter().map(|s| s.key()).collect::<Vec<_>>().join(",")
}

/// One account's wizard: its steps and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub middle: Vec<Step>,
    pub done: Vec<Step>,
}

impl Plan {
    pub fn all(&self) -> Vec<Step> {
        let mut all = vec![Step::Credentials];
        all.extend(&self.middle);
        all.push(Step::Complete);
        all
    }

    /// The first step not yet done (credentials count as done once the account has a password).
    pub fn next(&self, credentials_set: bool) -> Step {
        if !credentials_set {
            return Step::Credentials;
        }
        self.middle.iter().copied().find(|s| !self.done.contains(s)).unwrap_or(Step::Complete)
    }

    /// "Schritt n von m", 1-based.
    pub fn position(&self, step: Step) -> (usize, usize) {
        let all = self.all();
        let index = all.iter().position(|s| *s == step).unwrap_or(0);
        (index + 1, all.len())
    }

    pub fn with_done(&self, step: Step) -> Plan {
        let mut plan = self.clone();
        if !plan.done.contains(&step) {
            plan.done.push(step);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_follows_the_seed() {
        let plan = Plan { middle: parse_list("service_pin,two_factor,contact_visibility"), done: vec![] };
        assert_eq!(plan.next(false), Step::Credentials);
        assert_eq!(plan.next(true), Step::ServicePin);
        assert_eq!(plan.position(Step::ServicePin), (2, 5));
        assert_eq!(plan.position(Step::Complete), (5, 5));
        let plan = plan.with_done(Step::ServicePin).with_done(Step::TwoFactor);
        assert_eq!(plan.next(true), Step::ContactVisibility);
        assert_eq!(plan.with_done(Step::ContactVisibility).next(true), Step::Complete);
    }

    #[test]
    fn editions_reorder_and_omit_steps() {
        let plan = Plan { middle: parse_list("contact_visibility,service_pin"), done: vec![] };
        assert_eq!(plan.next(true), Step::ContactVisibility);
        assert_eq!(plan.position(Step::ServicePin), (3, 4));
        assert_eq!(plan.with_done(Step::ContactVisibility).next(true), Step::ServicePin);
        let empty = Plan { middle: vec![], done: vec![] };
        assert_eq!(empty.next(true), Step::Complete);
        assert_eq!(empty.position(Step::Complete), (2, 2));
    }

    #[test]
    fn stored_lists_round_trip_and_ignore_unknown_keys() {
        let steps = vec![Step::TwoFactor, Step::ServicePin];
        assert_eq!(parse_list(&format_list(&steps)), steps);
        assert_eq!(parse_list("two_factor,credentials,bogus,"), vec![Step::TwoFactor]);
        assert_eq!(parse_list(""), vec![]);
    }
}
