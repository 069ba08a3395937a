//! The password rules in words: the list a form shows (step 1, "Passwort ändern", a new password after a
//! reset) and what is wrong when one is not met. The rules themselves are data in
//! `domain::password_policy`.
use crate::domain::password_policy::{PasswordContext, PasswordPolicy, Rule};
use crate::web::i18n::{Texts, fill};

/// One requirement as the page lists it; `data` drives the live check in `static/step1.js`.
pub struct RuleView {
    pub id: &'static str,
    pub data: String,
    pub text: String,
}

/// The password rules as the page lists them.
pub fn password_rule_views(policy: &PasswordPolicy, t: &Texts) -> Vec<RuleView> {
    policy
        .rules()
        .into_iter()
        .map(|rule| RuleView {
            id: rule.id(),
            data: policy.value(rule).map(|v| v.to_string()).unwrap_or_default(),
            text: with_value(policy, rule, texts(rule, t).0),
        })
        .collect()
}

/// Every unmet password rule as a message saying what is wrong.
pub fn unmet_password_rules(
    policy: &PasswordPolicy,
    password: &str,
    repeat: &str,
    context: &PasswordContext,
    t: &Texts,
) -> Vec<String> {
    policy.unmet(password, repeat, context).into_iter().map(|rule| with_value(policy, rule, texts(rule, t).1)).collect()
}

/// A rule as the list states it, and what is wrong when it is not met, said positively (the list's
/// "Kein häufig verwendetes Passwort" would read "Nicht erfüllt: Kein …", a double negative).
fn texts(rule: Rule, t: &Texts) -> (&str, &str) {
    match rule {
        Rule::MinLength => (t.rule_min_length, t.problem_min_length),
        Rule::MaxLength => (t.rule_max_length, t.problem_max_length),
        Rule::NotCommon => (t.rule_not_common, t.problem_not_common),
        Rule::NotContext => (t.rule_not_context, t.problem_not_context),
        Rule::Lowercase => (t.rule_lowercase, t.problem_lowercase),
        Rule::Uppercase => (t.rule_uppercase, t.problem_uppercase),
        Rule::Digit => (t.rule_digit, t.problem_digit),
        Rule::Symbol => (t.rule_symbol, t.problem_symbol),
        Rule::Matches => (t.rule_matches, t.problem_matches),
    }
}

fn with_value(policy: &PasswordPolicy, rule: Rule, text: &str) -> String {
    fill(text, &[("n", &policy.value(rule).map(|v| v.to_string()).unwrap_or_default())])
}
