//! Integration tests: one binary, the real server on port 0, each test against SQLite and PostgreSQL.
mod hardening;
mod harness;
mod recorder;

mod api;
mod appointments;
mod audit;
mod browser;
mod contacts;
mod edge;
mod foundations;
mod language;
mod links;
mod login;
mod mail;
mod migrations;
mod operations;
mod profile;
mod recovery;
mod room;
mod security;
mod sms;
mod start;
mod step1;
mod support;
mod two_factor;
mod wizard;
