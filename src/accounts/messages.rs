//! The e-mails an account gets (registration, change notices, recovery): one shape for all — a greeting,
//! paragraphs, an optional button, the support contact, a closing — in `templates/email/account.{txt,html}`,
//! with every text from `accounts::message_texts` in the account's language.
use askama::Template;

use crate::accounts::Account;
use crate::accounts::message_texts::{self, Texts};
use crate::config::Config;
use crate::notify::RenderedMail;
use crate::security::audit::AuditEvent;
use crate::web::format;
use crate::web::i18n::{around, fill};

/// Who to ask, in every account e-mail.
struct Support<'a> {
    name: &'a str,
    email: &'a str,
    phone: &'a str,
}

struct AccountMail<'a> {
    t: &'static Texts,
    lang: &'static str,
    subject: &'static str,
    greeting: String,
    before: Vec<String>,
    /// Its address and label.
    button: Option<(&'a str, &'static str)>,
    after: Vec<String>,
    /// The paragraph that names the support contact: the text before it and after it.
    support_line: (&'static str, &'static str),
    support: Support<'a>,
    closing: Vec<String>,
}

#[derive(Template)]
#[template(path = "email/account.txt")]
struct AccountText<'a> {
    m: &'a AccountMail<'a>,
}

#[derive(Template)]
#[template(path = "email/account.html")]
struct AccountHtml<'a> {
    m: &'a AccountMail<'a>,
}

/// The parts every account e-mail has; the caller fills in the paragraphs.
fn mail<'a>(config: &'a Config, account: &Account, subject: fn(&Texts) -> &'static str) -> AccountMail<'a> {
    let t = message_texts::of(account.language);
    AccountMail {
        t,
        lang: account.language.code(),
        subject: subject(t),
        greeting: fill(t.greeting, &[("name", &account.name)]),
        before: Vec::new(),
        button: None,
        after: Vec::new(),
        support_line: around(t.questions, "support"),
        support: Support { name: &config.support.name, email: &config.support.email, phone: &config.support.phone },
        closing: Vec::new(),
    }
}

fn render(m: &AccountMail<'_>) -> Result<RenderedMail, askama::Error> {
    Ok(RenderedMail {
        subject: m.subject.to_owned(),
        text: AccountText { m }.render()?,
        html: AccountHtml { m }.render()?,
        calendar: None,
    })
}

pub fn registration(config: &Config, account: &Account, url: &str, now: i64) -> Result<RenderedMail, askama::Error> {
    let mut m = mail(config, account, |t| t.registration_subject);
    let t = m.t;
    let validity = format::duration(config.registration_link_ttl, account.language);
    // The latest the link ends: its time runs from the hand-over to the mail server, which is at or after
    // the moment this mail is written.
    let until = format::date_time(now + config.registration_link_ttl, account.language);
    m.before = vec![t.registration_intro.to_owned()];
    m.button = Some((url, t.registration_button));
    m.after = vec![
        fill(t.registration_validity, &[("validity", &validity), ("until", &until)]),
        t.registration_phone.to_owned(),
    ];
    m.support_line = around(t.registration_expired, "support");
    m.closing = vec![t.registration_unexpected.to_owned()];
    render(&m)
}

/// What changed on an account; each change is confirmed by e-mail to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Password,
    TwoFactorOn,
    TwoFactorOff,
    Phone,
    ServicePin,
    Name,
    Email,
    TwoFactorReset,
    /// A new password through "Passwort vergessen?".
    PasswordReset,
}

impl Change {
    fn describe(self, t: &'static Texts) -> &'static str {
        match self {
            Change::Password => t.changed_password,
            Change::TwoFactorOn => t.changed_two_factor_on,
            Change::TwoFactorOff => t.changed_two_factor_off,
            Change::Phone => t.changed_phone,
            Change::ServicePin => t.changed_pin,
            Change::Name => t.changed_name,
            Change::Email => t.changed_email,
            Change::TwoFactorReset => t.changed_two_factor_reset,
            Change::PasswordReset => t.changed_password_reset,
        }
    }

    /// Name in the audit log.
    pub fn event(self) -> AuditEvent {
        match self {
            Change::Password => AuditEvent::PasswordChanged,
            Change::TwoFactorOn => AuditEvent::TwoFactorEnabled,
            Change::TwoFactorOff => AuditEvent::TwoFactorDisabled,
            Change::Phone => AuditEvent::PhoneChanged,
            Change::ServicePin => AuditEvent::PinRenewed,
            Change::Name => AuditEvent::NameChanged,
            Change::Email => AuditEvent::EmailChanged,
            Change::TwoFactorReset => AuditEvent::TwoFactorReset,
            Change::PasswordReset => AuditEvent::PasswordReset,
        }
    }
}

pub fn change_notice(
    config: &Config,
    account: &Account,
    change: Change,
    now: i64,
) -> Result<RenderedMail, askama::Error> {
    let mut m = mail(config, account, |t| t.notice_subject);
    let when = format::date_time(now, account.language);
    m.before = vec![format!("{} ({when})", change.describe(m.t))];
    m.support_line = around(m.t.notice_if_not_you, "support");
    render(&m)
}

/// The link to set a new password, with the moment it stops working.
pub fn password_reset(
    config: &Config,
    account: &Account,
    url: &str,
    expires_at: i64,
) -> Result<RenderedMail, askama::Error> {
    let mut m = mail(config, account, |t| t.reset_subject);
    let t = m.t;
    let until = format::date_time(expires_at, account.language);
    m.before = vec![t.reset_requested.to_owned(), fill(t.reset_link, &[("until", &until)])];
    m.button = Some((url, t.reset_button));
    m.after = vec![t.reset_two_factor.to_owned(), t.reset_ignore.to_owned()];
    render(&m)
}

/// "Benutzername vergessen?": the username, and where to go with it.
pub fn username_reminder(config: &Config, account: &Account) -> Result<RenderedMail, askama::Error> {
    let mut m = mail(config, account, |t| t.username_subject);
    let t = m.t;
    let username = account.username.as_deref().unwrap_or_default();
    let login = format!("{}/anmelden", config.public_url);
    m.before = vec![t.username_requested.to_owned(), fill(t.username_is, &[("username", username)])];
    m.after = vec![fill(t.username_sign_in, &[("login", &login)]), t.username_ignore.to_owned()];
    render(&m)
}
