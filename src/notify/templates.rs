//! Message templates (compiled into the binary): `templates/email/<name>.{txt,html}`, German and English
//! side by side in each file.
use askama::Template;

use crate::accounts::Account;
use crate::config::Config;
use crate::web::format;
use crate::web::i18n::Lang;

pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
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
    })
}
