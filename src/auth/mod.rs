//! Passwords (policy and hashing) and the login/logout pages (sessions and the login throttle are in `accounts`).
pub mod code_page;
pub mod login;
pub mod phone_setup;
pub mod recovery;
pub(crate) mod recovery_texts;
pub mod sms_code;
