//! The key under which link tokens, access codes and SMS codes are hashed (HMAC-SHA-256), so that a copy of
//! the database alone does not let anyone search the 49-bit access codes or the 8-digit SMS codes offline.
//!
//! The stored value is `HMAC(key, SHA-256(purpose ":" secret))`: the inner hash is exactly what earlier
//! versions stored, so a database of theirs is taken over by hashing each stored value once more under the
//! key (`adopt`), without knowing a single token. A fingerprint of the key is kept in the database, so an
//! instance started with another key refuses to start instead of refusing every link.
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::hmac;

use crate::config::{Config, Secret};
use crate::db::Db;

/// Bytes of a generated key; a configured key must have at least as many.
pub const KEY_BYTES: usize = 32;
const KEY_FILE: &str = "token.key";

/// What a keyed hash is for; each has its own inner prefix, so one kind never passes for another.
#[derive(Clone, Copy, Debug)]
pub enum Keyed {
    RegistrationLink,
    ApiToken,
    InvitationLink,
    AccessCode,
    PasswordReset,
    /// A guest's link for another browser (see `migrations/0020_handover.sql`).
    Handover,
    /// `<code row id>:<code>`.
    SmsCode,
}

impl Keyed {
    fn prefix(self) -> &'static str {
        match self {
            Keyed::RegistrationLink => "registration-link",
            Keyed::ApiToken => "api-token",
            Keyed::InvitationLink => "invitation-link",
            Keyed::AccessCode => "access-code",
            Keyed::PasswordReset => "password-reset",
            Keyed::Handover => "handover",
            Keyed::SmsCode => "sms-code",
        }
    }
}

/// Every column that holds a keyed hash: (table, its primary key, column).
const KEYED_COLUMNS: &[(&str, &str, &str)] = &[
    ("registration_links", "id", "token_hash"),
    ("api_tokens", "id", "token_hash"),
    ("participants", "id", "link_hash"),
    ("participants", "id", "code_hash"),
    ("password_resets", "id", "token_hash"),
    ("guest_sessions", "id_hash", "handover_hash"),
    ("sms_codes", "id", "code_hash"),
];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "SPRECHSTUNDE_TOKEN_KEY (token_key) fehlt: mit PostgreSQL müssen alle Instanzen denselben Schlüssel haben. \
         Einen erzeugen: `openssl rand -base64 32` / missing: every instance on PostgreSQL needs the same key"
    )]
    MissingForPostgres,
    #[error(
        "SPRECHSTUNDE_TOKEN_KEY (token_key) muss Base64 von mindestens {KEY_BYTES} Bytes sein (`openssl rand -base64 32`)"
    )]
    Malformed,
    #[error("der Schlüssel in {0} ist unlesbar oder zu kurz: {1}")]
    File(PathBuf, String),
    #[error(
        "SPRECHSTUNDE_TOKEN_KEY passt nicht zu dem Schlüssel, mit dem diese Datenbank ihre Links und Codes speichert \
         / the key does not match the one this database was keyed with"
    )]
    Mismatch,
    #[error("Datenbank: {0}")]
    Db(#[from] sqlx::Error),
}

#[derive(Clone)]
pub struct TokenKey(hmac::Key);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

impl TokenKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() < KEY_BYTES {
            return Err(KeyError::Malformed);
        }
        Ok(TokenKey(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// A key as written in the settings: standard or URL-safe Base64, at least 32 bytes.
    pub fn from_setting(secret: &Secret) -> Result<Self, KeyError> {
        let text = secret.expose().trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| KeyError::Malformed)?;
        Self::from_bytes(&bytes)
    }

    /// The configured key; without one, on SQLite the data folder's (made on first start), on PostgreSQL
    /// none: instances that share a database must share the key, so it has to be given to each.
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        if let Some(secret) = &config.token_key {
            return Self::from_setting(secret);
        }
        if !config.database_url.starts_with("sqlite:") {
            return Err(KeyError::MissingForPostgres);
        }
        Self::from_file(&config.data_dir.join(KEY_FILE))
    }

    fn from_file(path: &Path) -> Result<Self, KeyError> {
        let fail = |e: &dyn std::fmt::Display| KeyError::File(path.to_owned(), e.to_string());
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_setting(&Secret::new(text)).map_err(|e| fail(&e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let encoded = STANDARD.encode(super::token::random_bytes::<KEY_BYTES>());
                match write_private(path, &format!("{encoded}\n")) {
                    // Another process made it a moment ago: its key is the one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Self::from_file(path),
                    written => written.map_err(|e| fail(&e))?,
                }
                tracing::info!(file = %path.display(), "Schlüssel für Links und Codes erzeugt: sichern Sie ihn, aber getrennt von den Datenbank-Sicherungen");
                Self::from_setting(&Secret::new(encoded))
            }
            Err(e) => Err(fail(&e)),
        }
    }

    /// The stored form of a secret of the given kind.
    pub fn hash(&self, kind: Keyed, secret: &str) -> String {
        self.rekey(&super::token::sha256_hex(kind.prefix(), secret))
    }

    /// An unkeyed hash of an earlier version, hashed under the key.
    fn rekey(&self, unkeyed: &str) -> String {
        hex(hmac::sign(&self.0, unkeyed.as_bytes()).as_ref())
    }

    fn fingerprint(&self) -> String {
        self.rekey("sprechstunde token key fingerprint")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Created readable by the owner only, and never over an existing file (a second instance starting at the
/// same moment must not replace the key the first one already used).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Binds the database to `key`: the first time, every stored unkeyed hash is hashed under it (in one
/// transaction, so simultaneous starts do it once); afterwards a different key is refused.
pub async fn adopt(db: &Db, key: &TokenKey) -> Result<(), KeyError> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query("INSERT INTO token_key (id, fingerprint) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(key.fingerprint())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        let stored: String =
            sqlx::query_scalar("SELECT fingerprint FROM token_key WHERE id = 1").fetch_one(&mut *tx).await?;
        return if stored == key.fingerprint() { Ok(()) } else { Err(KeyError::Mismatch) };
    }
    let mut rekeyed = 0u64;
    for (table, id, column) in KEYED_COLUMNS {
        let select = format!("SELECT {id}, {column} FROM {table} WHERE {column} IS NOT NULL");
        // By primary key: not every hash column has an index.
        let update = format!("UPDATE {table} SET {column} = $1 WHERE {id} = $2");
        let old: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(select)).fetch_all(&mut *tx).await?;
        for (row, value) in old {
            sqlx::query(sqlx::AssertSqlSafe(update.as_str()))
                .bind(key.rekey(&value))
                .bind(&row)
                .execute(&mut *tx)
                .await?;
            rekeyed += 1;
        }
    }
    tx.commit().await?;
    if rekeyed > 0 {
        tracing::info!(rekeyed, "gespeicherte Link- und Code-Hashes unter dem Schlüssel neu berechnet");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_need_the_key() {
        let one = TokenKey::from_bytes(&[1; 32]).unwrap();
        let other = TokenKey::from_bytes(&[2; 32]).unwrap();
        let code = "ABCDE12345";
        let unkeyed = super::super::token::sha256_hex("access-code", code);
        assert_eq!(one.hash(Keyed::AccessCode, code), one.hash(Keyed::AccessCode, code));
        assert_ne!(one.hash(Keyed::AccessCode, code), other.hash(Keyed::AccessCode, code), "another key, another hash");
        assert_ne!(one.hash(Keyed::AccessCode, code), unkeyed, "not the plain SHA-256 any more");
        assert_ne!(one.hash(Keyed::AccessCode, code), one.hash(Keyed::InvitationLink, code), "per purpose");
        // The migration path: an earlier version's stored value, hashed under the key, is today's value.
        assert_eq!(one.rekey(&unkeyed), one.hash(Keyed::AccessCode, code));
        assert_eq!(one.hash(Keyed::AccessCode, code).len(), 64);
    }

    #[test]
    fn settings_take_base64_of_at_least_32_bytes() {
        let ok = STANDARD.encode([7u8; 32]);
        assert!(TokenKey::from_setting(&Secret::new(&ok)).is_ok());
        assert!(TokenKey::from_setting(&Secret::new(URL_SAFE_NO_PAD.encode([7u8; 48]))).is_ok());
        assert!(matches!(TokenKey::from_setting(&Secret::new(STANDARD.encode([7u8; 31]))), Err(KeyError::Malformed)));
        assert!(matches!(TokenKey::from_setting(&Secret::new("geheim")), Err(KeyError::Malformed)));
        assert_eq!(format!("{:?}", TokenKey::from_setting(&Secret::new(ok)).unwrap()), "TokenKey(***)");
    }

    #[test]
    fn a_generated_key_file_is_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(KEY_FILE);
        let first = TokenKey::from_file(&path).unwrap();
        let second = TokenKey::from_file(&path).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint(), "the same key on the next start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
