//! Shared web machinery: page layout and rendering, i18n, static assets, form and cookie helpers.
pub mod assets;
pub mod cookies;
pub mod form;
pub mod format;
pub mod i18n;
pub mod language;
pub mod page;
pub mod password_rules;
pub mod pdf;
pub mod problem;
pub mod text;
