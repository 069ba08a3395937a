//! Passwords (policy and hashing), sessions, login throttling, and the login/logout pages.
pub mod code_page;
pub mod login;
pub mod phone_setup;
pub mod recovery;
pub(crate) mod recovery_texts;
pub mod session;
pub mod sms_code;
pub mod throttle;
