//! TURN credentials in coturn's REST format (`use-auth-secret`): the username is `<expiry>:<random>`,
//! the password base64(HMAC-SHA1(shared secret, username)). coturn checks both and the expiry itself, so
//! the service hands out short-lived credentials without talking to the TURN server.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};

use crate::clock::Timestamp;

/// Longest validity of one set of credentials.
pub const MAX_LIFETIME: i64 = 12 * 3600;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Credentials {
    pub username: String,
    pub credential: String,
}

/// Credentials valid until `expires_at` (unix seconds); `random` keeps two sets apart.
pub fn credentials(secret: &str, expires_at: Timestamp, random: &str) -> Credentials {
    let username = format!("{expires_at}:{random}");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    Credentials { credential: STANDARD.encode(mac.finalize().into_bytes()), username }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_coturns_rest_format() {
        // Reference value from Python: base64(hmac.new(b"north", b"1800000000:abc", sha1).digest()).
        let c = credentials("north", 1_800_000_000, "abc");
        assert_eq!(c.username, "1800000000:abc");
        assert_eq!(c.credential, "8mE1mCdEjNur0DF8ID/k1yDKnFY=");
        assert_ne!(credentials("south", 1_800_000_000, "abc").credential, c.credential);
    }
}
