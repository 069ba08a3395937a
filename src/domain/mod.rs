//! Pure rules of the product, without I/O: the registration wizard as a state machine, the password policy,
//! the rules for usernames, Service-PINs and mobile numbers, appointments, access codes and a participant's
//! way into a consultation. Settings, stores and features all build on them, so they depend on nothing but the standard
//! library (and each other).
pub mod access_code;
pub mod appointment;
pub mod device;
pub mod email;
pub mod lang;
pub mod names;
pub mod participant;
pub mod password_policy;
pub mod phone;
pub mod practice;
pub mod search_terms;
pub mod service_pin;
pub(crate) mod text;
pub mod username;
pub mod wizard;
