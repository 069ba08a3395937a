//! Every setting, declared once: its key in the TOML file, its type, its environment variable, its default
//! and the rule it must keep. `settings!` makes of each group a raw struct (what the file and the
//! environment gave), a struct of values (defaults applied, rules checked) and one row of [`SETTINGS`],
//! against which README.md and `sprechstunde.example.toml` are checked by a test.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

use super::{ConfigError, Secret, parse_duration};

/// One setting as an operator sees it.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// `section.key` in the TOML file (`key` at the top level).
    pub key: &'static str,
    pub env: &'static str,
    /// The default as written in the file; `None` when there is none or it is derived from others.
    pub default: Option<&'static str>,
}

/// A duration written as `14d`, `36h`, `90m`, `90s` or plain seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds(pub i64);

impl FromStr for Seconds {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        parse_duration(text).map(Seconds)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

impl Seconds {
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0.unsigned_abs())
    }
}

/// A list: an array in the file, comma-separated in the environment.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct List(pub Vec<String>);

impl FromStr for List {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(List(text.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect()))
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(text))
    }
}

/// A value from the environment variable `name` (trimmed); `key` names the setting and the variable.
fn from_env<T: FromStr>(
    slot: &mut Option<T>,
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    key: &'static str,
) -> Result<(), ConfigError>
where
    T::Err: std::fmt::Display,
{
    if let Some(value) = env(name) {
        *slot = Some(value.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { key, message: e.to_string() })?);
    }
    Ok(())
}

/// A default as written in the declaration; a test parses every one of them.
fn default<T: FromStr>(text: &'static str, key: &'static str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| ConfigError::Invalid { key, message: format!("Vorgabe „{text}“: {e}") })
}

macro_rules! settings {
    ($(
        $(#[$meta:meta])*
        $raw:ident => $values:ident in $prefix:literal $(with { $($part:ident : $part_ty:ty),* $(,)? })? {
            $( $field:ident : $ty:ty = $env:literal $(, default $default:literal)? $(, rule $rule:expr, $says:literal)? ; )*
        }
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Default, Deserialize)]
            #[serde(deny_unknown_fields)]
            pub(super) struct $raw {
                $( pub(super) $field: Option<$ty>, )*
                $($( #[serde(default)] pub(super) $part: $part_ty, )*)?
            }

            /// Defaults applied, rules kept.
            #[derive(Debug)]
            pub(super) struct $values {
                $( pub(super) $field: settings!(@type $ty $(, $default)?), )*
            }

            impl $raw {
                pub(super) fn env_overrides(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
                    $( from_env(&mut self.$field, env, $env, concat!($prefix, stringify!($field), " (", $env, ")"))?; )*
                    Ok(())
                }

                /// Takes the settings out (the parts stay); a value given that breaks its rule is refused.
                pub(super) fn values(&mut self) -> Result<$values, ConfigError> {
                    Ok($values { $( $field: {
                        let key = concat!($prefix, stringify!($field));
                        $(
                            let keeps: fn(&$ty) -> bool = $rule;
                            if self.$field.as_ref().is_some_and(|given| !keeps(given)) {
                                return Err(ConfigError::Invalid { key, message: $says.into() });
                            }
                        )?
                        settings!(@value self.$field.take(), key $(, $default)?)
                    }, )* })
                }
            }
        )*

        /// Every setting, in the order of the file.
        pub const SETTINGS: &[Setting] = &[$($(
            Setting { key: concat!($prefix, stringify!($field)), env: $env, default: settings!(@default $($default)?) },
        )*)*];
    };
    (@type $ty:ty, $default:literal) => { $ty };
    (@type $ty:ty) => { Option<$ty> };
    (@value $slot:expr, $key:ident, $default:literal) => {
        match $slot { Some(value) => value, None => default($default, $key)? }
    };
    (@value $slot:expr, $key:ident) => {{
        let _ = $key; // named only where a default or a rule can fail
        $slot
    }};
    (@default $default:literal) => { Some($default) };
    (@default) => { None };
}

settings! {
    /// The file: its top level and its sections (`[editions.NAME]` is read in `resolve_editions`).
    RawConfig => Top in "" with {
        editions: std::collections::BTreeMap<String, super::RawEdition>,
        sms: RawSms,
        mail: RawMail,
        support: RawSupport,
        password: RawPassword,
        http: RawHttp,
        appointments: RawAppointments,
        ice: RawIce,
    } {
        listen: SocketAddr = "SPRECHSTUNDE_LISTEN", default "127.0.0.1:8080";
        // Default: `http://` and the listen address.
        public_url: String = "SPRECHSTUNDE_PUBLIC_URL",
            rule |url| url.starts_with("http://") || url.starts_with("https://"),
            "muss mit http:// oder https:// beginnen";
        data_dir: PathBuf = "SPRECHSTUNDE_DATA_DIR", default "data";
        // Default: `sprechstunde.db` in the data folder.
        database_url: String = "SPRECHSTUNDE_DATABASE_URL";
        // Default on SQLite: `token.key` in the data folder, made on first start. Required on PostgreSQL.
        token_key: Secret = "SPRECHSTUNDE_TOKEN_KEY";
        registration_link_ttl: Seconds = "SPRECHSTUNDE_REGISTRATION_LINK_TTL", default "14d";
        reauth_window: Seconds = "SPRECHSTUNDE_REAUTH_WINDOW", default "10m";
        log_format: String = "SPRECHSTUNDE_LOG_FORMAT", default "pretty",
            rule |format| ["pretty", "json"].contains(&format.as_str()), "erlaubt sind pretty und json";
        default_edition: String = "SPRECHSTUNDE_DEFAULT_EDITION", default "standard";
    }

    RawSms => Sms in "sms." {
        transport: String = "SPRECHSTUNDE_SMS_TRANSPORT", default "file",
            rule |t| ["file", "http", "twilio"].contains(&t.as_str()), "erlaubt sind file, http und twilio";
        timeout: Seconds = "SPRECHSTUNDE_SMS_TIMEOUT", default "15s";
        codes_per_address_per_hour: i64 = "SPRECHSTUNDE_SMS_CODES_PER_ADDRESS_PER_HOUR", default "10",
            rule |n| (1..=10_000).contains(n), "erlaubt sind 1 bis 10000";
        http_url: String = "SPRECHSTUNDE_SMS_HTTP_URL";
        http_token: Secret = "SPRECHSTUNDE_SMS_HTTP_TOKEN";
        twilio_base_url: String = "SPRECHSTUNDE_SMS_TWILIO_BASE_URL", default "https://api.twilio.com";
        twilio_account_sid: String = "SPRECHSTUNDE_SMS_TWILIO_ACCOUNT_SID";
        twilio_auth_token: Secret = "SPRECHSTUNDE_SMS_TWILIO_AUTH_TOKEN";
        twilio_from: String = "SPRECHSTUNDE_SMS_TWILIO_FROM";
    }

    RawMail => Mail in "mail." {
        // Default: `smtp` when a host is set, else `file`.
        transport: String = "SPRECHSTUNDE_MAIL_TRANSPORT",
            rule |t| ["file", "smtp"].contains(&t.as_str()), "erlaubt sind file und smtp";
        from: String = "SPRECHSTUNDE_MAIL_FROM", default "Sprechstunde <no-reply@localhost>",
            rule |from| from.parse::<lettre::message::Mailbox>().is_ok(), "ist keine gültige Absenderadresse";
        smtp_host: String = "SPRECHSTUNDE_SMTP_HOST";
        // Default: by the TLS mode (465, 587, 25).
        smtp_port: u16 = "SPRECHSTUNDE_SMTP_PORT";
        smtp_tls: String = "SPRECHSTUNDE_SMTP_TLS", default "starttls",
            rule |t| ["none", "starttls", "tls"].contains(&t.as_str()), "erlaubt sind none, starttls und tls";
        smtp_user: String = "SPRECHSTUNDE_SMTP_USER";
        smtp_password: Secret = "SPRECHSTUNDE_SMTP_PASSWORD";
    }

    RawSupport => Support in "support." {
        name: String = "SPRECHSTUNDE_SUPPORT_NAME", default "Sprechstunde-Support";
        email: String = "SPRECHSTUNDE_SUPPORT_EMAIL", default "support@localhost";
        phone: String = "SPRECHSTUNDE_SUPPORT_PHONE";
    }

    RawPassword => Password in "password." {
        min_length: usize = "SPRECHSTUNDE_PASSWORD_MIN_LENGTH", default "12",
            rule |n| *n >= 8, "muss mindestens 8 und höchstens max_length sein";
        max_length: usize = "SPRECHSTUNDE_PASSWORD_MAX_LENGTH", default "128",
            rule |n| *n >= 64, "muss mindestens 64 sein (lange Passwörter müssen möglich sein)";
        require_lowercase: bool = "SPRECHSTUNDE_PASSWORD_REQUIRE_LOWERCASE", default "false";
        require_uppercase: bool = "SPRECHSTUNDE_PASSWORD_REQUIRE_UPPERCASE", default "false";
        require_digit: bool = "SPRECHSTUNDE_PASSWORD_REQUIRE_DIGIT", default "false";
        require_symbol: bool = "SPRECHSTUNDE_PASSWORD_REQUIRE_SYMBOL", default "false";
    }

    RawHttp => Http in "http." {
        request_timeout: Seconds = "SPRECHSTUNDE_HTTP_REQUEST_TIMEOUT", default "30s";
        header_timeout: Seconds = "SPRECHSTUNDE_HTTP_HEADER_TIMEOUT", default "10s";
        trusted_proxies: List = "SPRECHSTUNDE_HTTP_TRUSTED_PROXIES", default "";
        forwarded_header: String = "SPRECHSTUNDE_HTTP_FORWARDED_HEADER", default "x-forwarded-for";
        tls_cert_file: PathBuf = "SPRECHSTUNDE_HTTP_TLS_CERT_FILE";
        tls_key_file: PathBuf = "SPRECHSTUNDE_HTTP_TLS_KEY_FILE";
    }

    RawAppointments => Appointments in "appointments." {
        open_before: Seconds = "SPRECHSTUNDE_APPOINTMENTS_OPEN_BEFORE", default "30m";
        open_after: Seconds = "SPRECHSTUNDE_APPOINTMENTS_OPEN_AFTER", default "2h";
        retention_days: i64 = "SPRECHSTUNDE_APPOINTMENTS_RETENTION_DAYS", default "30",
            rule |days| (1..=super::MAX_RETENTION_DAYS).contains(days),
            "muss zwischen 1 und 90 Tagen liegen (KBV Anlage 31b: höchstens 3 Monate)";
    }

    RawIce => Ice in "ice." {
        stun_urls: List = "SPRECHSTUNDE_ICE_STUN_URLS", default "",
            rule |urls| urls.0.iter().all(|u| u.starts_with("stun:") || u.starts_with("stuns:")),
            "jede Adresse beginnt mit stun: (oder stuns:)";
        turn_urls: List = "SPRECHSTUNDE_ICE_TURN_URLS", default "",
            rule |urls| urls.0.iter().all(|u| u.starts_with("turn:") || u.starts_with("turns:")),
            "jede Adresse beginnt mit turn: oder turns:";
        turn_secret: Secret = "SPRECHSTUNDE_ICE_TURN_SECRET";
        relay_only: bool = "SPRECHSTUNDE_ICE_RELAY_ONLY", default "false";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_every_name_is_unique() {
        let values = (
            RawConfig::default().values(),
            RawSms::default().values(),
            RawMail::default().values(),
            RawSupport::default().values(),
            RawPassword::default().values(),
            RawHttp::default().values(),
            RawAppointments::default().values(),
            RawIce::default().values(),
        );
        assert!(format!("{values:?}").matches("Ok(").count() == 8, "{values:?}");
        let mut envs: Vec<_> = SETTINGS.iter().map(|s| s.env).collect();
        let mut keys: Vec<_> = SETTINGS.iter().map(|s| s.key).collect();
        envs.sort_unstable();
        envs.dedup();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!((envs.len(), keys.len()), (SETTINGS.len(), SETTINGS.len()));
        assert!(SETTINGS.iter().all(|s| s.env.starts_with("SPRECHSTUNDE_")));
    }
}
