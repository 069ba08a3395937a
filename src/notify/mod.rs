//! Messages to people: the outbox table, the mail transports, message templates, the delivery worker.
pub mod ics;
pub mod mail;
pub mod outbox;
pub mod sms;
pub mod templates;
pub mod worker;
