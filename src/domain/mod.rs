//! Pure rules of the product, without I/O: the registration wizard as a state machine, the password policy,
//! the rules for usernames, Service-PINs and mobile numbers. Settings, stores and features all build on them, so they depend on nothing but the standard
//! library (and each other).
pub mod names;
pub mod password_policy;
pub mod phone;
pub mod service_pin;
pub(crate) mod text;
pub mod username;
pub mod wizard;
