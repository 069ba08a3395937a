//! What guests receive: the invitation (e-mail with a calendar file, or SMS) and the cancellation, with
//! their texts from `consult::texts`. Guests have no account and no language setting: German first, a short
//! English part below.
use askama::Template;

use crate::config::Config;
use crate::consult::store::Appointment;
use crate::consult::texts::{DE, EN, Texts};
use crate::domain::access_code::AccessCode;
use crate::domain::lang::Lang;
use crate::domain::practice::PracticeContact;
use crate::notify::RenderedMail;
use crate::notify::ics;
use crate::notify::outbox::Sender;
use crate::web::format;
use crate::web::i18n::{around, fill};

/// A participant's way in, as it exists only in the host's page and the messages.
pub struct Access {
    pub url: String,
    pub code: AccessCode,
}

struct Invitation<'a> {
    de: &'static Texts,
    subject: String,
    greeting: String,
    invites: String,
    when_line: String,
    reason: Option<String>,
    host: &'a str,
    practice: &'a PracticeContact,
    url: &'a str,
    entry_url: String,
    /// "Oder öffnen Sie … und geben Sie diesen Zugangscode ein:" around the entry address.
    or_code: (&'static str, &'static str),
    code: String,
    opens: String,
    summary_en: String,
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
    de: &'static Texts,
    subject: String,
    greeting: String,
    cancelled: String,
    host: &'a str,
    practice: &'a PracticeContact,
    summary_en: String,
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
        summary: &fill(DE.calendar_summary, &[("host", &appointment.host_name)]),
        description,
        url,
        organizer: (&appointment.practice.name, &config.mail_sender_address()),
        location: DE.calendar_location,
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
    let host = appointment.host_name.as_str();
    let (when_de, when_en) =
        (format::date_time(appointment.starts_at, Lang::De), format::date_time(appointment.starts_at, Lang::En));
    let minutes = appointment.duration_minutes.to_string();
    let entry_url = format!("{}/teilnehmen", config.public_url);
    let code = access.code.grouped();
    let before_en = format::duration(config.appointments.open_before, Lang::En);
    let m = Invitation {
        de: &DE,
        subject: fill(DE.invitation_subject, &[("when", &when_de)]),
        greeting: fill(DE.mail_greeting, &[("name", name)]),
        invites: fill(DE.invitation_invites, &[("host", host)]),
        when_line: fill(DE.invitation_when, &[("when", &when_de), ("minutes", &minutes)]),
        reason: guest_title(appointment).map(|title| fill(DE.invitation_reason, &[("title", title)])),
        host,
        practice: &appointment.practice,
        url: &access.url,
        or_code: around(DE.invitation_or_code, "entry_url"),
        opens: fill(DE.invitation_opens, &[("before", &format::duration(config.appointments.open_before, Lang::De))]),
        summary_en: fill(
            EN.invitation_summary,
            &[
                ("host", host),
                ("when", &when_en),
                ("minutes", &minutes),
                ("entry_url", &entry_url),
                ("code", &code),
                ("before", &before_en),
            ],
        ),
        entry_url,
        code,
    };
    let description =
        fill(DE.calendar_description, &[("url", &access.url), ("entry_url", &m.entry_url), ("code", &m.code)]);
    let calendar = calendar(config, appointment, participant_id, &description, Some(&access.url), now);
    Ok(RenderedMail {
        subject: m.subject.clone(),
        text: InvitationText { m: &m }.render()?,
        html: InvitationHtml { m: &m }.render()?,
        calendar: Some(calendar),
    })
}

pub fn invitation_sms(appointment: &Appointment, access: &Access) -> String {
    let when = format::date_time(appointment.starts_at, Lang::De);
    let text = fill(
        DE.invitation_sms,
        &[
            ("sender", &sms_sender(appointment)),
            ("when", &when),
            ("url", &access.url),
            ("code", &access.code.grouped()),
        ],
    );
    text + &sms_questions(appointment)
}

/// "Praxis Dr. Muster: Dr. Eva Muster" – who writes, as the patient knows them.
fn sms_sender(appointment: &Appointment) -> String {
    let (host, practice) = (&appointment.host_name, &appointment.practice.name);
    if host == practice { host.clone() } else { format!("{practice}: {host}") }
}

/// " Fragen: Telefon 030 12345678" when the practice gave a number.
fn sms_questions(appointment: &Appointment) -> String {
    let phone = appointment.practice.phone.as_ref();
    phone.map(|phone| format!(" {}", fill(DE.sms_questions, &[("phone", phone)]))).unwrap_or_default()
}

pub fn cancellation_mail(
    config: &Config,
    appointment: &Appointment,
    participant_id: &str,
    name: &str,
    now: i64,
) -> Result<RenderedMail, askama::Error> {
    let host = appointment.host_name.as_str();
    let (when_de, when_en) =
        (format::date_time(appointment.starts_at, Lang::De), format::date_time(appointment.starts_at, Lang::En));
    let m = Cancellation {
        de: &DE,
        subject: fill(DE.cancellation_subject, &[("when", &when_de)]),
        greeting: fill(DE.mail_greeting, &[("name", name)]),
        cancelled: fill(DE.cancellation_cancelled, &[("host", host), ("when", &when_de)]),
        host,
        practice: &appointment.practice,
        summary_en: format!(
            "{} {}",
            fill(EN.cancellation_cancelled, &[("host", host), ("when", &when_en)]),
            EN.cancellation_void
        ),
    };
    let calendar = calendar(config, appointment, participant_id, DE.calendar_cancelled, None, now);
    Ok(RenderedMail {
        subject: m.subject.clone(),
        text: CancellationText { m: &m }.render()?,
        html: CancellationHtml { m: &m }.render()?,
        calendar: Some(calendar),
    })
}

pub fn cancellation_sms(appointment: &Appointment) -> String {
    let when = format::date_time(appointment.starts_at, Lang::De);
    fill(DE.cancellation_sms, &[("sender", &sms_sender(appointment)), ("when", &when)]) + &sms_questions(appointment)
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
