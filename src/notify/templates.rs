//! Message templates (compiled into the binary): `templates/email/<name>.{txt,html}`, German and English
//! side by side in each file.
use askama::Template;

use crate::accounts::Account;
use crate::config::Config;
use crate::security::audit::AuditEvent;
use crate::web::format;
use crate::web::i18n::Lang;

#[derive(Clone)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An iCalendar file sent along (`text/calendar`), for invitations.
    pub calendar: Option<String>,
}

struct Registration<'a> {
    en: bool,
    name: &'a str,
    url: &'a str,
    validity: String,
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

pub fn registration(config: &Config, account: &Account, url: &str) -> Result<RenderedMail, askama::Error> {
    let m = Registration {
        en: account.language == Lang::En,
        name: &account.name,
        url,
        validity: format::duration(config.registration_link_ttl, account.language),
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
