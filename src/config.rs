//! Typed settings: built-in defaults < TOML file (`--config`) < `SPRECHSTUNDE_*` environment variables.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::password_policy::PasswordPolicy;
use crate::domain::wizard::Step;
use crate::security::client_addr::{ForwardedHeader, IpRange};

mod settings;
use settings::RawConfig;
pub use settings::{SETTINGS, Setting};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Konfigurationsdatei {path} kann nicht gelesen werden: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("Konfigurationsdatei {path} ist ungültig: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("Einstellung {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// A secret setting: never printed by `Debug`.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (only for a relay on the same host or in tests).
    None,
    StartTls,
    /// Implicit TLS (SMTPS, usually port 465).
    Tls,
}

#[derive(Clone, Debug)]
pub enum MailTransport {
    /// Development: each message is written as an .eml file under `data/outbox/mail/`.
    File {
        dir: PathBuf,
    },
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        user: Option<String>,
        password: Option<Secret>,
    },
}

#[derive(Clone, Debug)]
pub struct SupportContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Clone, Debug)]
pub enum SmsTransport {
    /// Development: one file per message under `data/outbox/sms/`; the text is also logged.
    File { dir: PathBuf },
    /// A generic JSON webhook: `POST url` with `{"to": "+49…", "text": "…"}` and an optional bearer token.
    Http { url: String, token: Option<Secret> },
    /// A Twilio-compatible Messages API (`{base_url}/2010-04-01/Accounts/{sid}/Messages.json`).
    Twilio { base_url: String, account_sid: String, auth_token: Secret, from: String },
}

/// A product edition: which wizard steps follow step 1, in which order, and whether 2FA may wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edition {
    pub steps: Vec<Step>,
    pub two_factor_required: bool,
}

impl Edition {
    /// The seed's order: Service-PIN, SMS two-factor (optional), visibility in contact search.
    pub fn standard() -> Self {
        Edition { steps: Step::OPTIONAL.to_vec(), two_factor_required: false }
    }
}

/// Limits and addressing of the HTTP server.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// A request (reading its body included) that takes longer is answered with the "took too long" page.
    pub request_timeout: std::time::Duration,
    /// How long a client may take to send a request's headers, and how long a kept-alive connection may
    /// sit idle before the next request; then the connection is closed.
    pub header_timeout: std::time::Duration,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client (default: none).
    pub trusted_proxies: Vec<IpRange>,
    /// Which header those proxies write (only that one is read).
    pub forwarded_header: ForwardedHeader,
    /// Terminate TLS in `serve` itself (small installations without a reverse proxy).
    pub tls: Option<TlsFiles>,
}

#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM: the certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// Scheme, host and port under which people reach the service; every link in a message is built from it.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Base64 key (≥ 32 bytes) under which link tokens and codes are hashed; see `security::token_key`.
    pub token_key: Option<Secret>,
    /// Seconds a registration link stays valid after the mail was handed to the mail server.
    pub registration_link_ttl: i64,
    /// Seconds a password confirmation counts as recent for changes to credentials and contact data.
    pub reauth_window: i64,
    pub mail_from: String,
    pub mail: MailTransport,
    pub sms: SmsTransport,
    /// How long an SMS gateway may take to answer before the attempt counts as failed (and is retried).
    pub sms_timeout: std::time::Duration,
    /// SMS codes per client address and hour before a password was confirmed (registration, profile); a
    /// day allows three times as many. Login codes count against the account instead.
    pub sms_codes_per_address_per_hour: i64,
    pub editions: BTreeMap<String, Edition>,
    pub default_edition: String,
    pub support: SupportContact,
    pub password_policy: PasswordPolicy,
    pub log_format: LogFormat,
    pub http: HttpSettings,
    pub appointments: AppointmentSettings,
    pub ice: IceSettings,
}

/// How browsers find a way to each other (STUN) or through a relay (TURN, coturn's `use-auth-secret`).
#[derive(Clone, Debug, Default)]
pub struct IceSettings {
    /// `stun:host:port` URLs.
    pub stun_urls: Vec<String>,
    /// `turn:host:3478?transport=udp`, `turns:host:443?transport=tcp`, …
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`; required with TURN URLs.
    pub turn_secret: Option<Secret>,
    /// Only relayed candidates (`iceTransportPolicy: 'relay'`): neither side learns the other's address.
    pub relay_only: bool,
}

/// When invitations work, and how long participants' data is kept.
#[derive(Clone, Debug)]
pub struct AppointmentSettings {
    /// Seconds before the start from which links and codes work.
    pub open_before: i64,
    /// Seconds after the planned end until which they work.
    pub open_after: i64,
    /// Days after an appointment after which its participants' data and metadata are deleted (1–90).
    pub retention_days: i64,
}

/// The KBV's Anlage 31b allows at most three months.
pub const MAX_RETENTION_DAYS: i64 = 90;

impl Config {
    /// Defaults < file < environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env = |key: &str| std::env::var(key).ok();
        match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                Self::from_text(path, &text, env)
            }
            None => RawConfig::default().under(env),
        }
    }

    /// The settings of a file's text (`path` only names it in messages) under an environment.
    pub fn from_text(path: &Path, text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })?;
        raw.under(env)
    }

    /// Everything at its default, with the data folder given (tests and examples).
    pub fn defaults_in(data_dir: &Path) -> Self {
        RawConfig { data_dir: Some(data_dir.to_owned()), ..RawConfig::default() }
            .resolve()
            .expect("the defaults are valid")
    }

    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Whether browsers will let the pages use camera and microphone: only in a secure context, which is
    /// https or a page on this machine (localhost, 127.0.0.0/8, ::1).
    pub fn is_secure_context(&self) -> bool {
        let origin = self.public_origin();
        let host = origin.split("://").nth(1).unwrap_or_default();
        let host = host.strip_prefix('[').map_or_else(
            || host.rsplit_once(':').map_or(host, |(h, _)| h),
            |v6| v6.split(']').next().unwrap_or_default(),
        );
        self.is_https()
            || host == "localhost"
            || host.ends_with(".localhost")
            || host.starts_with("127.")
            || host == "::1"
    }

    /// The bare address of `mail_from` (`Name <a@b>` → `a@b`), e.g. for a calendar file's ORGANIZER.
    pub fn mail_sender_address(&self) -> String {
        match self.mail_from.parse::<lettre::message::Mailbox>() {
            Ok(mailbox) => mailbox.email.to_string(),
            Err(_) => self.mail_from.trim().to_owned(),
        }
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        match self.public_url[after_scheme..].find('/') {
            Some(i) => &self.public_url[..after_scheme + i],
            None => &self.public_url,
        }
    }

    /// Links with tokens may appear in logs only while mail goes to local files (development).
    pub fn may_log_links(&self) -> bool {
        matches!(self.mail, MailTransport::File { .. })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    steps: Vec<String>,
    two_factor: Option<String>,
}

impl RawConfig {
    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let env = &env;
        self.env_overrides(env)?;
        self.sms.env_overrides(env)?;
        self.mail.env_overrides(env)?;
        self.support.env_overrides(env)?;
        self.password.env_overrides(env)?;
        self.http.env_overrides(env)?;
        self.appointments.env_overrides(env)?;
        self.ice.env_overrides(env)
    }

    /// The file's values with the environment's on top, resolved.
    fn under(mut self, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        self.apply_env(env)?;
        self.resolve()
    }

    fn resolve(mut self) -> Result<Config, ConfigError> {
        let top = self.values()?;
        let public_url = top.public_url.unwrap_or_else(|| format!("http://{}", top.listen));
        let data_dir = top.data_dir;
        let database_url = resolve_database_url(top.database_url, &data_dir);
        let log_format = if top.log_format == "json" { LogFormat::Json } else { LogFormat::Pretty };
        let sms_settings = self.sms.values()?;
        let mail_settings = self.mail.values()?;
        let mail = resolve_mail(&mail_settings, &data_dir)?;
        let editions = resolve_editions(std::mem::take(&mut self.editions))?;
        if !editions.contains_key(&top.default_edition) {
            return Err(ConfigError::Invalid {
                key: "default_edition",
                message: format!("„{}“ ist keine definierte Ausführung", top.default_edition),
            });
        }
        let support = self.support.values()?;
        let p = self.password.values()?;
        if p.min_length > p.max_length {
            return Err(ConfigError::Invalid {
                key: "password.min_length",
                message: "muss mindestens 8 und höchstens max_length sein".into(),
            });
        }
        let appointments = self.appointments.values()?;
        Ok(Config {
            ice: resolve_ice(self.ice.values()?)?,
            http: resolve_http(self.http.values()?)?,
            appointments: AppointmentSettings {
                open_before: appointments.open_before.0,
                open_after: appointments.open_after.0,
                retention_days: appointments.retention_days,
            },
            listen: top.listen,
            public_url: public_url.trim_end_matches('/').to_owned(),
            registration_link_ttl: top.registration_link_ttl.0,
            reauth_window: top.reauth_window.0,
            mail_from: mail_settings.from.clone(),
            mail,
            sms_timeout: sms_settings.timeout.duration(),
            sms_codes_per_address_per_hour: sms_settings.codes_per_address_per_hour,
            sms: resolve_sms(sms_settings, &data_dir)?,
            editions,
            default_edition: top.default_edition,
            support: SupportContact {
                name: support.name,
                email: support.email,
                phone: support.phone.unwrap_or_default(),
            },
            password_policy: PasswordPolicy {
                min_length: p.min_length,
                max_length: p.max_length,
                require_lowercase: p.require_lowercase,
                require_uppercase: p.require_uppercase,
                require_digit: p.require_digit,
                require_symbol: p.require_symbol,
            },
            log_format,
            data_dir,
            database_url,
            token_key: top.token_key,
        })
    }
}

fn resolve_ice(ice: settings::Ice) -> Result<IceSettings, ConfigError> {
    let ice = IceSettings {
        stun_urls: ice.stun_urls.0,
        turn_urls: ice.turn_urls.0,
        turn_secret: ice.turn_secret.filter(|s| !s.expose().is_empty()),
        relay_only: ice.relay_only,
    };
    let invalid = |key, message: &str| Err(ConfigError::Invalid { key, message: message.to_owned() });
    if !ice.turn_urls.is_empty() && ice.turn_secret.is_none() {
        return invalid("ice.turn_secret", "TURN-Adressen brauchen das gemeinsame Geheimnis (static-auth-secret)");
    }
    if ice.relay_only && ice.turn_urls.is_empty() {
        return invalid("ice.relay_only", "nur über TURN geht es nur mit TURN-Adressen");
    }
    Ok(ice)
}

fn resolve_http(http: settings::Http) -> Result<HttpSettings, ConfigError> {
    let trusted_proxies = http
        .trusted_proxies
        .0
        .iter()
        .map(|entry| entry.parse().map_err(|message| ConfigError::Invalid { key: "http.trusted_proxies", message }))
        .collect::<Result<_, _>>()?;
    let forwarded_header = ForwardedHeader::parse(&http.forwarded_header).ok_or_else(|| ConfigError::Invalid {
        key: "http.forwarded_header",
        message: format!("„{}“: erlaubt sind x-forwarded-for und forwarded", http.forwarded_header),
    })?;
    let tls = match (http.tls_cert_file, http.tls_key_file) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => {
            return Err(ConfigError::Invalid {
                key: "http.tls_cert_file",
                message: "tls_cert_file und tls_key_file gehören zusammen".into(),
            });
        }
    };
    Ok(HttpSettings {
        request_timeout: http.request_timeout.duration(),
        header_timeout: http.header_timeout.duration(),
        trusted_proxies,
        forwarded_header,
        tls,
    })
}

fn resolve_database_url(url: Option<String>, data_dir: &Path) -> String {
    match url {
        Some(url) if url.contains("://") || url.starts_with("sqlite:") => url,
        // A bare file name or path means an SQLite file; relative paths live in the data folder.
        Some(path) => sqlite_url(&data_dir.join(path)),
        None => sqlite_url(&data_dir.join("sprechstunde.db")),
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn resolve_mail(mail: &settings::Mail, data_dir: &Path) -> Result<MailTransport, ConfigError> {
    let transport = mail.transport.as_deref().unwrap_or(if mail.smtp_host.is_some() { "smtp" } else { "file" });
    if transport == "file" {
        return Ok(MailTransport::File { dir: data_dir.join("outbox").join("mail") });
    }
    let host = mail.smtp_host.clone().ok_or(ConfigError::Invalid {
        key: "mail.smtp_host",
        message: "fehlt (für mail.transport = smtp nötig)".into(),
    })?;
    let tls = match mail.smtp_tls.as_str() {
        "none" => SmtpTls::None,
        "tls" => SmtpTls::Tls,
        _ => SmtpTls::StartTls,
    };
    let port = mail.smtp_port.unwrap_or(match tls {
        SmtpTls::Tls => 465,
        SmtpTls::StartTls => 587,
        SmtpTls::None => 25,
    });
    Ok(MailTransport::Smtp { host, port, tls, user: mail.smtp_user.clone(), password: mail.smtp_password.clone() })
}

fn resolve_editions(raw: BTreeMap<String, RawEdition>) -> Result<BTreeMap<String, Edition>, ConfigError> {
    let mut editions = BTreeMap::from([
        ("standard".to_owned(), Edition::standard()),
        // Support staff always sign in with password and SMS code.
        ("support".to_owned(), Edition { steps: vec![Step::ServicePin, Step::TwoFactor], two_factor_required: true }),
    ]);
    for (name, edition) in raw {
        let invalid = |message: String| ConfigError::Invalid { key: "editions", message: format!("{name}: {message}") };
        let mut steps = Vec::new();
        for key in &edition.steps {
            let step = Step::parse(key).filter(|s| Step::OPTIONAL.contains(s)).ok_or_else(|| {
                invalid(format!("unbekannter Schritt „{key}“ (erlaubt: service_pin, two_factor, contact_visibility)"))
            })?;
            if steps.contains(&step) {
                return Err(invalid(format!("Schritt „{key}“ doppelt")));
            }
            steps.push(step);
        }
        let two_factor_required = match edition.two_factor.as_deref().unwrap_or("optional") {
            "optional" => false,
            "required" => true,
            other => return Err(invalid(format!("two_factor „{other}“: erlaubt sind optional und required"))),
        };
        if two_factor_required && !steps.contains(&Step::TwoFactor) {
            return Err(invalid("two_factor = required verlangt den Schritt two_factor".into()));
        }
        editions.insert(name, Edition { steps, two_factor_required });
    }
    Ok(editions)
}

fn resolve_sms(sms: settings::Sms, data_dir: &Path) -> Result<SmsTransport, ConfigError> {
    let missing = |key: &'static str| ConfigError::Invalid { key, message: "fehlt für diesen SMS-Versand".into() };
    match sms.transport.as_str() {
        "http" => Ok(SmsTransport::Http { url: sms.http_url.ok_or(missing("sms.http_url"))?, token: sms.http_token }),
        "twilio" => Ok(SmsTransport::Twilio {
            base_url: sms.twilio_base_url.trim_end_matches('/').to_owned(),
            account_sid: sms.twilio_account_sid.ok_or(missing("sms.twilio_account_sid"))?,
            auth_token: sms.twilio_auth_token.ok_or(missing("sms.twilio_auth_token"))?,
            from: sms.twilio_from.ok_or(missing("sms.twilio_from"))?,
        }),
        _ => Ok(SmsTransport::File { dir: data_dir.join("outbox").join("sms") }),
    }
}

/// Parses durations such as `14d`, `36h`, `90m`, `90s` (or plain seconds) into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&text[..i], text[i..].trim()),
        None => (text, "s"),
    };
    let value: i64 = number.parse().map_err(|_| format!("„{text}“ ist keine Dauer (Beispiele: 14d, 36h, 90m, 90s)"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("„{text}“: Einheit muss d, h, m oder s sein")),
    };
    match value.checked_mul(factor) {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(format!("„{text}“ muss größer als 0 sein")),
    }
}

#[cfg(test)]
mod tests {
    use super::settings::{RawAppointments, RawIce};
    use super::*;

    #[test]
    fn the_password_defaults_are_the_policy_defaults() {
        assert_eq!(RawConfig::default().resolve().unwrap().password_policy, PasswordPolicy::default());
    }

    #[test]
    fn turn_needs_its_secret_and_relay_only_needs_turn() {
        let with = |ice: RawIce| RawConfig { ice, ..Default::default() }.resolve();
        let urls = |u: &str| Some(settings::List(vec![u.to_owned()]));
        assert!(with(RawIce { turn_urls: urls("turn:turn.example:3478"), ..Default::default() }).is_err());
        assert!(with(RawIce { relay_only: Some(true), ..Default::default() }).is_err());
        assert!(with(RawIce { stun_urls: urls("https://stun.example"), ..Default::default() }).is_err());
        let ok = with(RawIce {
            turn_urls: urls("turns:turn.example:443?transport=tcp"),
            turn_secret: Some(Secret::new("s")),
            relay_only: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert!(ok.ice.relay_only && format!("{:?}", ok.ice).contains("Secret(***)"));
    }

    #[test]
    fn retention_is_at_most_three_months() {
        let with = |days| {
            RawConfig {
                appointments: RawAppointments { retention_days: Some(days), ..Default::default() },
                ..Default::default()
            }
            .resolve()
        };
        assert_eq!(with(90).unwrap().appointments.retention_days, 90);
        assert!(with(91).is_err());
        assert!(with(0).is_err());
        let defaults = RawConfig::default().resolve().unwrap().appointments;
        assert_eq!((defaults.open_before, defaults.open_after, defaults.retention_days), (1800, 7200, 30));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400));
        assert_eq!(parse_duration("36h"), Ok(36 * 3600));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("14w").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut raw: RawConfig = toml::from_str(
            "listen = \"127.0.0.1:9000\"\nregistration_link_ttl = \"36h\"\n[mail]\nsmtp_host = \"mail.example\"\n",
        )
        .unwrap();
        raw.apply_env(|key| match key {
            "SPRECHSTUNDE_REGISTRATION_LINK_TTL" => Some("90s".into()),
            "SPRECHSTUNDE_SMTP_PASSWORD" => Some("geheim".into()),
            _ => None,
        })
        .unwrap();
        let config = raw.resolve().unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.public_url, "http://127.0.0.1:9000");
        assert_eq!(config.registration_link_ttl, 90);
        assert!(config.database_url.ends_with("data/sprechstunde.db?mode=rwc"));
        match &config.mail {
            MailTransport::Smtp { host, port, tls, password, .. } => {
                assert_eq!(host, "mail.example");
                assert_eq!(*port, 587);
                assert_eq!(*tls, SmtpTls::StartTls);
                assert_eq!(password.as_ref().unwrap().expose(), "geheim");
            }
            other => panic!("expected SMTP, got {other:?}"),
        }
        assert!(!format!("{config:?}").contains("geheim"), "secrets never in Debug output");
    }

    #[test]
    fn invalid_settings_are_named() {
        let mut raw = RawConfig::default();
        let err = raw.apply_env(|key| (key == "SPRECHSTUNDE_LISTEN").then(|| "nicht-da".into())).unwrap_err();
        assert!(err.to_string().contains("SPRECHSTUNDE_LISTEN"));
        let raw = toml::from_str::<RawConfig>("registration_link_ttl = \"zwei Wochen\"");
        assert!(raw.unwrap_err().to_string().contains("registration_link_ttl"));
        assert!(toml::from_str::<RawConfig>("unbekannt = 1").is_err());
    }

    #[test]
    fn http_settings() {
        let defaults = RawConfig::default().resolve().unwrap().http;
        assert_eq!((defaults.request_timeout.as_secs(), defaults.header_timeout.as_secs()), (30, 10));
        assert!(defaults.trusted_proxies.is_empty() && defaults.tls.is_none(), "no proxy trusted by default");
        let mut raw: RawConfig = toml::from_str("[http]\ntrusted_proxies = [\"10.0.0.0/8\"]\n").unwrap();
        raw.apply_env(|key| (key == "SPRECHSTUNDE_HTTP_TRUSTED_PROXIES").then(|| "127.0.0.1, fd00::/8".into()))
            .unwrap();
        let http = raw.resolve().unwrap().http;
        assert_eq!(http.trusted_proxies, vec!["127.0.0.1".parse().unwrap(), "fd00::/8".parse().unwrap()]);
        let bad: RawConfig = toml::from_str("[http]\ntrusted_proxies = [\"proxy.intern\"]\n").unwrap();
        assert!(bad.resolve().unwrap_err().to_string().contains("http.trusted_proxies"));
        let half: RawConfig = toml::from_str("[http]\ntls_cert_file = \"cert.pem\"\n").unwrap();
        assert!(half.resolve().unwrap_err().to_string().contains("tls_key_file"));
        assert!(toml::from_str::<RawConfig>("[http]\nrequest_timeout = \"0s\"\n").is_err(), "0s is no timeout");
    }

    #[test]
    fn editions_are_checked() {
        let raw: RawConfig = toml::from_str(
            "default_edition = \"kompakt\"\n[editions.kompakt]\nsteps = [\"contact_visibility\", \"service_pin\"]\n\
             [editions.klinik]\nsteps = [\"two_factor\"]\ntwo_factor = \"required\"\n",
        )
        .unwrap();
        let config = raw.resolve().unwrap();
        assert_eq!(config.default_edition, "kompakt");
        assert_eq!(config.editions["kompakt"].steps, vec![Step::ContactVisibility, Step::ServicePin]);
        assert!(config.editions["klinik"].two_factor_required);
        assert_eq!(config.editions["standard"], Edition::standard(), "the built-in edition stays");
        for bad in [
            "[editions.x]\nsteps = [\"kaffee\"]",
            "[editions.x]\nsteps = [\"service_pin\", \"service_pin\"]",
            "[editions.x]\nsteps = [\"service_pin\"]\ntwo_factor = \"required\"",
            "default_edition = \"fehlt\"",
        ] {
            let raw: RawConfig = toml::from_str(bad).unwrap();
            assert!(raw.resolve().is_err(), "{bad}");
        }
    }

    #[test]
    fn sms_transports() {
        let raw: RawConfig =
            toml::from_str("[sms]\ntransport = \"twilio\"\ntwilio_account_sid = \"AC1\"\ntwilio_from = \"+4930\"\n")
                .unwrap();
        assert!(raw.resolve().unwrap_err().to_string().contains("twilio_auth_token"));
        let config = Config::defaults_in(Path::new("/tmp/d"));
        assert!(matches!(config.sms, SmsTransport::File { ref dir } if dir.ends_with("outbox/sms")));
    }

    #[test]
    fn public_origin_strips_path() {
        let mut config = Config::defaults_in(Path::new("/tmp/x"));
        config.public_url = "https://praxis.example:8443/app".into();
        assert_eq!(config.public_origin(), "https://praxis.example:8443");
        assert!(config.is_https());
    }

    #[test]
    fn camera_needs_https_except_on_this_machine() {
        let mut config = Config::defaults_in(Path::new("/tmp/x"));
        for (url, secure) in [
            ("https://praxis.example", true),
            ("http://praxis.example:8080", false),
            ("http://192.168.1.20:8080", false),
            ("http://127.0.0.1:8080", true),
            ("http://localhost:8080/app", true),
            ("http://[::1]:8080", true),
            ("http://[2001:db8::1]:8080", false),
        ] {
            config.public_url = url.into();
            assert_eq!(config.is_secure_context(), secure, "{url}");
        }
    }
}
