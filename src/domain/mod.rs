//! Pure rules of the product, without I/O: the registration wizard as a state machine and the password
//! policy. Settings, stores and features all build on them, so they depend on nothing but the standard
//! library (and each other).
pub mod password_policy;
pub mod wizard;
