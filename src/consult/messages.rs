//! What guests receive: the invitation (e-mail with a calendar file, or SMS) and the cancellation.
//! Guests have no account and no language setting: German first, a short English part below.
use askama::Template;

use crate::config::Config;
use crate::consult::store::Appointment;
use crate::domain::access_code::AccessCode;
use crate::domain::lang::Lang;
use crate::domain::practice::PracticeContact;
use crate::notify::RenderedMail;
use crate::notify::ics;
use crate::notify::outbox::Sender;
use crate::web::format;

/// A participant's way in, as it exists only in the host's page and the messages.
pub struct Access {
    pub url: String,
    pub code: AccessCode,
}

struct Invitation<'a> {
    name: &'a str,
    host: &'a str,
    practice: &'a PracticeContact,
    when_de: String,
    when_en: String,
    minutes: i64,
    title: Option<&'a str>,
    url: &'a str,
    entry_url: String,
    code: String,
    opens_before_de: String,
    opens_before_en: String,
}

#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation<'a>,
}

struct Cancellation<'a> {
    name: &'a str,
    host: &'a str,
    practice: &'a PracticeContact,
    when_de: String,
    when_en: String,
}

#[derive(Template)]
#[template(path = "email/cancellation.txt")]
struct CancellationText<'a> {
    m: &'a Cancellation<'a>,
}

#[derive(Template)]
#[template(path = "email/cancellation.html")]
struct CancellationHtml<'a> {
    m: &'a Cancellation<'a>,
}

fn guest_title(appointment: &Appointment) -> Option<&str> {
    (appointment.title_for_guests && !appointment.title.is_empty()).then_some(appointment.title.as_str())
}

/// The calendar file: an invitation with the link, or (without one) the cancellation of the same event.
fn calendar(
    config: &Config,
    appointment: &Appointment,
    participant_id: &str,
    description: &str,
    url: Option<&str>,
    now: i64,
) -> String {
    ics::write(&ics::Event {
        uid: &calendar_uid(config, participant_id),
        starts_at: appointment.starts_at,
        ends_at: appointment.ends_at(),
        summary: &format!("Videosprechstunde bei {}", appointment.host_name),
        description,
        url,
        organizer: (&appointment.practice.name, &config.mail_sender_address()),
        location: "Videosprechstunde – Link in der Beschreibung",
        cancelled: url.is_none(),
        now,
    })
}

pub fn invitation_mail(
    config: &Config,
    appointment: &Appointment,
    participant_id: &str,
    name: &str,
    access: &Access,
    now: i64,
) -> Result<RenderedMail, askama::Error> {
    let m = Invitation {
        name,
        host: &appointment.host_name,
        practice: &appointment.practice,
        when_de: format::date_time(appointment.starts_at, Lang::De),
        when_en: format::date_time(appointment.starts_at, Lang::En),
        minutes: appointment.duration_minutes,
        title: guest_title(appointment),
        url: &access.url,
        entry_url: format!("{}/teilnehmen", config.public_url),
        code: access.code.grouped(),
        opens_before_de: format::duration(config.appointments.open_before, Lang::De),
        opens_before_en: format::duration(config.appointments.open_before, Lang::En),
    };
    let description = format!(
        "Zur Videosprechstunde: {}\nOder {} öffnen und den Zugangscode {} eingeben.",
        access.url, m.entry_url, m.code
    );
    let calendar = calendar(config, appointment, participant_id, &description, Some(&access.url), now);
    Ok(RenderedMail {
        subject: format!("Einladung zur Videosprechstunde am {}", m.when_de),
        text: InvitationText { m: &m }.render()?,
        html: InvitationHtml { m: &m }.render()?,
        calendar: Some(calendar),
    })
}

pub fn invitation_sms(appointment: &Appointment, access: &Access) -> String {
    format!(
        "{}lädt Sie zur Videosprechstunde am {} ein. Link: {} Zugangscode: {}{}",
        sms_sender(appointment),
        format::date_time(appointment.starts_at, Lang::De),
        access.url,
        access.code.grouped(),
        sms_questions(appointment)
    )
}

/// "Praxis Dr. Muster: Dr. Eva Muster " – who writes, as the patient knows them.
fn sms_sender(appointment: &Appointment) -> String {
    let (host, practice) = (&appointment.host_name, &appointment.practice.name);
    if host == practice { format!("{host} ") } else { format!("{practice}: {host} ") }
}

/// " Fragen: Telefon 030 12345678" when the practice gave a number.
fn sms_questions(appointment: &Appointment) -> String {
    appointment.practice.phone.as_ref().map(|phone| format!(" Fragen: Telefon {phone}")).unwrap_or_default()
}

pub fn cancellation_mail(
    config: &Config,
    appointment: &Appointment,
    participant_id: &str,
    name: &str,
    now: i64,
) -> Result<RenderedMail, askama::Error> {
    let m = Cancellation {
        name,
        host: &appointment.host_name,
        practice: &appointment.practice,
        when_de: format::date_time(appointment.starts_at, Lang::De),
        when_en: format::date_time(appointment.starts_at, Lang::En),
    };
    let calendar = calendar(config, appointment, participant_id, "Abgesagt.", None, now);
    Ok(RenderedMail {
        subject: format!("Abgesagt: Videosprechstunde am {}", m.when_de),
        text: CancellationText { m: &m }.render()?,
        html: CancellationHtml { m: &m }.render()?,
        calendar: Some(calendar),
    })
}

pub fn cancellation_sms(appointment: &Appointment) -> String {
    format!(
        "{}hat die Videosprechstunde am {} abgesagt. Ihr Link und Ihr Zugangscode gelten nicht mehr.{}",
        sms_sender(appointment),
        format::date_time(appointment.starts_at, Lang::De),
        sms_questions(appointment)
    )
}

/// Invitations come from the practice "über Sprechstunde"; replies go to the practice when it gave an address.
pub fn sender(appointment: &Appointment) -> Sender {
    Sender {
        name: appointment.practice.sender_name(Lang::De.texts().app_name),
        reply_to: appointment.practice.email.clone(),
    }
}

/// Stable per participant (and service), so the cancellation replaces the invitation in calendars.
fn calendar_uid(config: &Config, participant_id: &str) -> String {
    let host = config.public_origin().split("://").nth(1).unwrap_or("sprechstunde");
    format!("{participant_id}@{host}")
}
