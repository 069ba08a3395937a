//! Passwords (policy and hashing), sessions, login throttling, and the login/logout pages.
pub mod hashing;
pub mod login;
pub mod password_policy;
pub mod session;
pub mod throttle;
