//! The e-mails an account gets (registration, change notices, recovery), compiled into the binary:
//! `templates/email/<name>.{txt,html}`, German and English side by side in each file.
use askama::Template;

use crate::accounts::Account;
use crate::config::Config;
use crate::domain::lang::Lang;
use crate::notify::RenderedMail;
use crate::security::audit::AuditEvent;
use crate::web::format;

struct Registration<'a> {
    en: bool,
    name: &'a str,
    url: &'a str,
    validity: String,
    /// The latest the link ends ("15.12.2026, 18:30 Uhr"): its time runs from the hand-over to the mail
    /// server, which is at or after the moment this mail is written.
    until: String,
    support_name: &'a str,
    support_email: &'a str,
    support_phone: &'a str,
}

#[derive(Template)]
#[template(path = "email/registration.txt")]
struct RegistrationText<'a> {
    m: &'a Registration<'a>,
}

#[derive(Template)]
#[template(path = "email/registration.html")]
struct RegistrationHtml<'a> {
    m: &'a Registration<'a>,
}

pub fn registration(config: &Config, account: &Account, url: &str, now: i64) -> Result<RenderedMail, askama::Error> {
    let m = Registration {
        en: account.language == Lang::En,
        name: &account.name,
        url,
        validity: format::duration(config.registration_link_ttl, account.language),
        until: format::date_time(now + config.registration_link_ttl, account.language),
        support_name: &config.support.name,
        support_email: &config.support.email,
        support_phone: &config.support.phone,
    };
    let subject = match account.language {
        Lang::De => "Ihre Registrierung für die Videosprechstunde",
        Lang::En => "Your registration for the video consultation service",
    };
    Ok(RenderedMail {
        subject: subject.to_owned(),
        text: RegistrationText { m: &m }.render()?,
        html: RegistrationHtml { m: &m }.render()?,
        calendar: None,
    })
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
    fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Change::Password, Lang::De) => "Ihr Passwort wurde geändert.",
            (Change::Password, Lang::En) => "Your password was changed.",
            (Change::TwoFactorOn, Lang::De) => "Die 2-Faktor-Authentifizierung per SMS wurde aktiviert.",
            (Change::TwoFactorOn, Lang::En) => "Two-factor authentication by SMS was turned on.",
            (Change::TwoFactorOff, Lang::De) => "Die 2-Faktor-Authentifizierung per SMS wurde deaktiviert.",
            (Change::TwoFactorOff, Lang::En) => "Two-factor authentication by SMS was turned off.",
            (Change::Phone, Lang::De) => "Ihre Mobilfunknummer wurde geändert.",
            (Change::Phone, Lang::En) => "Your mobile number was changed.",
            (Change::ServicePin, Lang::De) => "Ihre Service-PIN wurde erneuert.",
            (Change::ServicePin, Lang::En) => "Your service PIN was renewed.",
            (Change::Name, Lang::De) => "Ihr Name wurde vom Support geändert.",
            (Change::Name, Lang::En) => "Your name was changed by support.",
            (Change::Email, Lang::De) => "Ihre E-Mail-Adresse wurde vom Support geändert.",
            (Change::Email, Lang::En) => "Your e-mail address was changed by support.",
            (Change::TwoFactorReset, Lang::De) => "Die 2-Faktor-Authentifizierung wurde vom Support zurückgesetzt.",
            (Change::TwoFactorReset, Lang::En) => "Two-factor authentication was reset by support.",
            (Change::PasswordReset, Lang::De) => {
                "Ihr Passwort wurde über „Passwort vergessen?“ neu festgelegt. Alle Anmeldungen auf anderen Geräten wurden beendet."
            }
            (Change::PasswordReset, Lang::En) => {
                "Your password was set anew through “Forgot your password?”. All sign-ins on other devices were ended."
            }
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

struct Notice<'a> {
    en: bool,
    name: &'a str,
    what: &'static str,
    when: String,
    support_name: &'a str,
    support_email: &'a str,
    support_phone: &'a str,
}

#[derive(Template)]
#[template(path = "email/change_notice.txt")]
struct NoticeText<'a> {
    m: &'a Notice<'a>,
}

#[derive(Template)]
#[template(path = "email/change_notice.html")]
struct NoticeHtml<'a> {
    m: &'a Notice<'a>,
}

pub fn change_notice(
    config: &Config,
    account: &Account,
    change: Change,
    now: i64,
) -> Result<RenderedMail, askama::Error> {
    let m = Notice {
        en: account.language == Lang::En,
        name: &account.name,
        what: change.describe(account.language),
        when: format::date_time(now, account.language),
        support_name: &config.support.name,
        support_email: &config.support.email,
        support_phone: &config.support.phone,
    };
    let subject = match account.language {
        Lang::De => "Änderung an Ihrem Sprechstunde-Account",
        Lang::En => "A change to your Sprechstunde account",
    };
    Ok(RenderedMail {
        subject: subject.to_owned(),
        text: NoticeText { m: &m }.render()?,
        html: NoticeHtml { m: &m }.render()?,
        calendar: None,
    })
}

/// A mail that helps someone back into their account: paragraphs before an optional button and after it.
struct Recovery<'a> {
    subject: &'a str,
    en: bool,
    name: &'a str,
    before: Vec<String>,
    button: Option<(&'a str, &'static str)>,
    after: Vec<String>,
    support_name: &'a str,
    support_email: &'a str,
    support_phone: &'a str,
}

#[derive(Template)]
#[template(path = "email/recovery.txt")]
struct RecoveryText<'a> {
    m: &'a Recovery<'a>,
}

#[derive(Template)]
#[template(path = "email/recovery.html")]
struct RecoveryHtml<'a> {
    m: &'a Recovery<'a>,
}

/// Renders a recovery mail to `account`: paragraphs, an optional button (link and label), more paragraphs.
fn recovery(
    config: &Config,
    account: &Account,
    subject: &str,
    (before, button, after): (Vec<String>, Option<(&str, &'static str)>, Vec<String>),
) -> Result<RenderedMail, askama::Error> {
    let m = Recovery {
        subject,
        en: account.language == Lang::En,
        name: &account.name,
        before,
        button,
        after,
        support_name: &config.support.name,
        support_email: &config.support.email,
        support_phone: &config.support.phone,
    };
    Ok(RenderedMail {
        subject: subject.to_owned(),
        text: RecoveryText { m: &m }.render()?,
        html: RecoveryHtml { m: &m }.render()?,
        calendar: None,
    })
}

/// The link to set a new password, with the moment it stops working.
pub fn password_reset(
    config: &Config,
    account: &Account,
    url: &str,
    expires_at: i64,
) -> Result<RenderedMail, askama::Error> {
    let until = format::date_time(expires_at, account.language);
    let (subject, before, button, after) = match account.language {
        Lang::De => (
            "Neues Passwort für Ihren Sprechstunde-Account",
            vec![
                "Sie (oder jemand anderes) haben ein neues Passwort für Ihren Sprechstunde-Account angefordert.".to_owned(),
                format!("Mit diesem Link legen Sie ein neues Passwort fest. Er ist 1 Stunde gültig (bis {until}) und funktioniert nur einmal."),
            ],
            "Neues Passwort festlegen",
            vec![
                "Ist die 2-Faktor-Authentifizierung eingeschaltet, schicken wir Ihnen dabei zusätzlich einen SMS-Code.".to_owned(),
                "Wenn Sie kein neues Passwort angefordert haben, ignorieren Sie diese E-Mail einfach: Ihr bisheriges Passwort gilt weiter.".to_owned(),
            ],
        ),
        Lang::En => (
            "A new password for your Sprechstunde account",
            vec![
                "You (or someone else) asked for a new password for your Sprechstunde account.".to_owned(),
                format!("Use this link to choose a new password. It is valid for 1 hour (until {until}) and works only once."),
            ],
            "Choose a new password",
            vec![
                "If two-factor authentication is on, we will also send you an SMS code.".to_owned(),
                "If you did not ask for a new password, simply ignore this e-mail: your current password stays valid.".to_owned(),
            ],
        ),
    };
    recovery(config, account, subject, (before, Some((url, button)), after))
}

/// "Benutzername vergessen?": the username, and where to go with it.
pub fn username_reminder(config: &Config, account: &Account) -> Result<RenderedMail, askama::Error> {
    let username = account.username.as_deref().unwrap_or_default();
    let login = format!("{}/anmelden", config.public_url);
    let (subject, before, after) = match account.language {
        Lang::De => (
            "Ihr Benutzername für die Sprechstunde",
            vec![
                "Sie (oder jemand anderes) haben Ihren Benutzernamen für die Sprechstunde angefordert.".to_owned(),
                format!("Ihr Benutzername lautet: {username}"),
            ],
            vec![
                format!(
                    "Sie melden sich an unter {login}. Passwort vergessen? Dort finden Sie auch „Passwort vergessen?“."
                ),
                "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail einfach.".to_owned(),
            ],
        ),
        Lang::En => (
            "Your username for Sprechstunde",
            vec![
                "You (or someone else) asked for your Sprechstunde username.".to_owned(),
                format!("Your username is: {username}"),
            ],
            vec![
                format!("Sign in at {login}. Forgot your password too? Use “Forgot your password?” there."),
                "If you did not ask for this, simply ignore this e-mail.".to_owned(),
            ],
        ),
    };
    recovery(config, account, subject, (before, None, after))
}
