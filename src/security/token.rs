//! Secret tokens: 32 bytes from the OS RNG, base64url without padding; only their hash is stored (SHA-256
//! for session ids, which live hours and are worthless once expired; HMAC under the database's key for
//! links and codes, see `token_key`).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Length of an encoded 32-byte token.
pub const TOKEN_LEN: usize = 43;

/// A fresh secret token (for links and session ids).
pub fn generate() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A random identifier for database rows (not secret, but unguessable anyway).
pub fn new_id() -> String {
    random_bytes::<16>().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator is available");
    bytes
}

/// The stored form of a token. Tokens of different purposes are hashed with a purpose prefix, so a token of
/// one kind (say, a session id) can never be accepted as another (a registration link).
pub fn hash(purpose: Purpose, token: &str) -> String {
    sha256_hex(purpose.as_str(), token)
}

pub(super) fn sha256_hex(prefix: &str, token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prefix.as_bytes());
    hasher.update(b":");
    hasher.update(token.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Cheap shape check before any database lookup.
pub fn looks_valid(token: &str) -> bool {
    token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    Session,
    GuestSession,
    /// A one-time view of fresh access details after a redirect.
    FreshView,
    /// The name under which the host sees a knocking device (derived from its session's hash).
    Knock,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Session => "session",
            Purpose::GuestSession => "guest-session",
            Purpose::FreshView => "fresh-view",
            Purpose::Knock => "knock",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tokens_are_32_random_bytes_base64url() {
        let tokens: HashSet<String> = (0..1000).map(|_| generate()).collect();
        assert_eq!(tokens.len(), 1000, "no repeats");
        for t in &tokens {
            assert_eq!(t.len(), TOKEN_LEN);
            assert!(looks_valid(t));
            assert_eq!(URL_SAFE_NO_PAD.decode(t).unwrap().len(), 32);
        }
    }

    #[test]
    fn shape_check_rejects_other_strings() {
        assert!(!looks_valid("abc"));
        assert!(!looks_valid(&"a".repeat(44)));
        assert!(!looks_valid(&format!("{}=", "a".repeat(42))));
        assert!(!looks_valid(&format!("{}/", "a".repeat(42))));
    }

    #[test]
    fn hashes_are_per_purpose() {
        let t = generate();
        assert_eq!(hash(Purpose::Session, &t), hash(Purpose::Session, &t));
        assert_ne!(hash(Purpose::Session, &t), hash(Purpose::GuestSession, &t));
        assert_eq!(hash(Purpose::Session, &t).len(), 64);
        assert!(!hash(Purpose::Session, &t).contains(&t));
    }
}
