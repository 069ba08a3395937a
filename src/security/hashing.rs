//! Argon2id (m = 19 MiB, t = 2, p = 1) for passwords and PINs, on a fixed set of threads (one per core).
//! Each thread allocates Argon2's 19 MiB of working memory once and reuses it for every hash: on the
//! blocking pool every new thread's allocator arena kept its own 19 MiB, and after a few dozen logins the
//! process held hundreds of megabytes. Jobs queue for a free thread, so a burst of logins cannot starve the
//! async threads or the memory either.
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::password_hash::{Output, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::AppError;

fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters")
}

/// Argon2's working memory, grown once to the size the parameters need.
type Blocks = Vec<Block>;

fn compute(
    secret: &str,
    (algorithm, version, params): (Algorithm, Version, Params),
    salt: Salt<'_>,
    blocks: &mut Blocks,
) -> argon2::password_hash::Result<Output> {
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer)?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(length, |out| {
        Ok(argon2.hash_password_into_with_memory(secret.as_bytes(), salt, out, &mut blocks[..needed])?)
    })
}

pub fn hash_with(secret: &str, blocks: &mut Blocks) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&crate::security::token::random_bytes::<16>())
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    let params = params();
    let output = compute(secret, (Algorithm::Argon2id, Version::V0x13, params.clone()), salt.as_salt(), blocks)
        .map_err(|e| AppError::Internal(format!("hash: {e}")))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e| AppError::Internal(format!("hash params: {e}")))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Recomputes with the parameters stored in `hash` (older hashes keep working) and compares in constant time.
pub fn verify_with(secret: &str, hash: &str, blocks: &mut Blocks) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let settings = (|| {
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed.version.map_or(Some(Version::default()), |v| Version::try_from(v).ok())?;
        Some((algorithm, version, Params::try_from(&parsed).ok()?))
    })();
    let (Some(settings), Some(salt), Some(expected)) = (settings, parsed.salt, parsed.hash) else { return false };
    compute(secret, settings, salt, blocks).is_ok_and(|computed| computed == expected)
}

type Job = Box<dyn FnOnce(&mut Blocks) + Send>;

/// Hashes waiting for a thread at most; beyond that a request is answered "too many requests" at once
/// instead of queueing work nobody may wait for.
const QUEUE: usize = 256;

#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::SyncSender<Job>,
    /// Verified against when a username does not exist, so both cases take the same time.
    dummy: Arc<OnceLock<String>>,
}

impl Hasher {
    /// Starts `threads` hashing threads; they end when the last clone of the `Hasher` is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    let mut blocks = Blocks::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                        let Ok(job) = job else { break };
                        // A failing job must not take the thread (and its memory) with it.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut blocks)));
                    }
                })
                .expect("hashing thread can be started");
        }
        let hasher = Hasher { jobs, dummy: Arc::new(OnceLock::new()) };
        // Made now, so that even the first unknown username costs one hash, like a known one.
        let dummy = hasher.dummy.clone();
        let _ = hasher.jobs.try_send(Box::new(move |blocks| {
            dummy.get_or_init(|| hash_with("dummy password", blocks).unwrap_or_default());
        }));
        hasher
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce(&mut Blocks) -> T + Send + 'static) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let queued = self.jobs.try_send(Box::new(move |blocks| {
            // The request gave up (the client hung up) while this waited: nobody needs the result.
            if !answer.is_closed() {
                let _ = answer.send(job(blocks));
            }
        }));
        match queued {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => return Err(AppError::TooManyRequests { retry_after: 1 }),
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(AppError::Internal("hashing threads stopped".into()));
            }
        }
        answered.await.map_err(|_| AppError::Internal("hash job failed".into()))
    }

    pub async fn hash(&self, secret: String) -> Result<String, AppError> {
        self.run(move |blocks| hash_with(&secret, blocks)).await?
    }

    /// Checks `secret` against `hash`; with no hash (unknown user) it does the same work and fails.
    pub async fn verify(&self, secret: String, hash: Option<String>) -> Result<bool, AppError> {
        let dummy = self.dummy.clone();
        self.run(move |blocks| match hash {
            Some(hash) => verify_with(&secret, &hash, blocks),
            None => {
                let dummy = dummy.get_or_init(|| hash_with("dummy password", blocks).unwrap_or_default());
                std::hint::black_box(verify_with(&secret, dummy, blocks));
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher;

    use super::*;

    #[test]
    fn argon2id_with_the_agreed_parameters() {
        let mut blocks = Blocks::new();
        let hash = hash_with("Leuchtturm am Deich", &mut blocks).unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!((params.m_cost(), params.t_cost(), params.p_cost()), (19 * 1024, 2, 1));
        assert!(verify_with("Leuchtturm am Deich", &hash, &mut blocks));
        assert!(!verify_with("Leuchtturm am Teich", &hash, &mut blocks));
        assert!(!verify_with("x", "kein hash", &mut blocks));
    }

    #[test]
    fn hashes_of_the_crate_and_of_other_parameters_verify() {
        let mut blocks = Blocks::new();
        let salt = SaltString::encode_b64(b"sechzehn bytes!!").unwrap();
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 3, 1, None).unwrap());
        let stored = small.hash_password(b"Leuchtturm am Deich", &salt).unwrap().to_string();
        assert!(verify_with("Leuchtturm am Deich", &stored, &mut blocks));
        assert!(!verify_with("Leuchtturm am Deich!", &stored, &mut blocks));
        // Our own hashes are the crate's format: it verifies them as well.
        use argon2::PasswordVerifier;
        let ours = hash_with("Leuchtturm am Deich", &mut blocks).unwrap();
        assert!(Argon2::default().verify_password(b"Leuchtturm am Deich", &PasswordHash::new(&ours).unwrap()).is_ok());
    }

    #[tokio::test]
    async fn the_threads_answer_in_parallel_and_survive_a_failing_job() {
        let hasher = Hasher::new(2);
        let failed = hasher.run(|_| -> () { panic!("job fails") }).await;
        assert!(failed.is_err());
        let hashes = futures_join(&hasher).await;
        assert!(hashes.iter().all(|ok| *ok));
    }

    async fn futures_join(hasher: &Hasher) -> Vec<bool> {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    let hash = hasher.hash("Leuchtturm am Deich".into()).await.unwrap();
                    hasher.verify("Leuchtturm am Deich".into(), Some(hash)).await.unwrap()
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    }
}
