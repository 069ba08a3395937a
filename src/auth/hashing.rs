//! Argon2id (m = 19 MiB, t = 2, p = 1) for passwords and PINs, run on the blocking pool with a bounded
//! number in flight so that a burst of logins cannot starve the async threads or the memory.
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters"),
    )
}

pub fn hash_blocking(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&crate::security::token::random_bytes::<16>())
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    argon2()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hash: {e}")))
}

pub fn verify_blocking(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| argon2().verify_password(secret.as_bytes(), &parsed).is_ok())
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Verified against when a username does not exist, so both cases take the same time.
    dummy: Arc<OnceLock<String>>,
}

impl Hasher {
    pub fn new(max_in_flight: usize) -> Self {
        Hasher { permits: Arc::new(Semaphore::new(max_in_flight.max(1))), dummy: Arc::new(OnceLock::new()) }
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(|_| AppError::Internal("hasher closed".into()))?;
        tokio::task::spawn_blocking(job).await.map_err(|e| AppError::Internal(format!("hash task: {e}")))
    }

    pub async fn hash(&self, secret: String) -> Result<String, AppError> {
        self.run(move || hash_blocking(&secret)).await?
    }

    /// Checks `secret` against `hash`; with no hash (unknown user) it does the same work and fails.
    pub async fn verify(&self, secret: String, hash: Option<String>) -> Result<bool, AppError> {
        let dummy = self.dummy.clone();
        self.run(move || match hash {
            Some(hash) => verify_blocking(&secret, &hash),
            None => {
                let dummy = dummy.get_or_init(|| hash_blocking("dummy password").unwrap_or_default());
                std::hint::black_box(verify_blocking(&secret, dummy));
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_the_agreed_parameters() {
        let hash = hash_blocking("Leuchtturm am Deich").unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!((params.m_cost(), params.t_cost(), params.p_cost()), (19 * 1024, 2, 1));
        assert!(verify_blocking("Leuchtturm am Deich", &hash));
        assert!(!verify_blocking("Leuchtturm am Teich", &hash));
        assert!(!verify_blocking("x", "kein hash"));
    }
}
