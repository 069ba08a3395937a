//! Sealing a short-lived secret for storage: ChaCha20-Poly1305 under a key derived (HMAC-SHA256) from a
//! random token that is never stored — only its hash is, to find the row. The database alone cannot open
//! what it holds; whoever has the token (in one redirect's address) can, once.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;

fn key(token: &str) -> LessSafeKey {
    let derive = hmac::Key::new(hmac::HMAC_SHA256, b"sprechstunde sealed view v1");
    let tag = hmac::sign(&derive, token.as_bytes());
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, tag.as_ref()).expect("a 32-byte key"))
}

/// `plain`, sealed under `token` and bound to `context` (which must be given again to open it).
pub fn seal(token: &str, context: &str, plain: &[u8]) -> String {
    let nonce = crate::security::token::random_bytes::<NONCE_LEN>();
    let mut sealed = plain.to_vec();
    key(token)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut sealed)
        .expect("sealing in memory does not fail");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    URL_SAFE_NO_PAD.encode(out)
}

/// What [`seal`] sealed, if `token` and `context` are the same; `None` otherwise (or if it was altered).
pub fn open(token: &str, context: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = body.to_vec();
    let plain = key(token).open_in_place(nonce, Aad::from(context.as_bytes()), &mut body).ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_same_token_and_context() {
        let sealed = seal("token-a", "session-1", b"R6MT-A9W6-U5");
        assert!(!sealed.contains("R6MT"), "not in clear");
        assert_eq!(open("token-a", "session-1", &sealed).as_deref(), Some(&b"R6MT-A9W6-U5"[..]));
        assert_eq!(open("token-b", "session-1", &sealed), None, "another token");
        assert_eq!(open("token-a", "session-2", &sealed), None, "another session");
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(open("token-a", "session-1", std::str::from_utf8(&altered).unwrap()), None, "altered");
        assert_eq!(open("token-a", "session-1", "kurz"), None);
    }
}
