//! Messages to people: the outbox table, the mail and SMS transports, calendar files, the delivery worker.
//! What a message says is written by the feature that sends it (`accounts::messages`, `consult::messages`).
pub mod ics;
pub mod mail;
pub mod outbox;
pub mod sms;
pub mod worker;

/// A message ready for the outbox: subject, plain text and HTML.
#[derive(Clone)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An iCalendar file sent along (`text/calendar`), for invitations.
    pub calendar: Option<String>,
}
