//! Password hashing (argon2id, PHC strings) and the password policy.
//!
//! Hashing is CPU-heavy and memory-hard by design, so each hash runs on a thread of its own,
//! never on a reactor thread. Its own thread, rather than a pooled one, because the allocator
//! hands a thread's freed memory back to the system only when that thread next allocates or
//! ends: an idle pooled thread kept each hash's 7 MiB resident for as long as it idled. The
//! strength check runs the same way: zxcvbn spends milliseconds of CPU and, for a password of
//! words and digits, several MiB of short-lived memory, which a reactor thread kept for good
//! (measured: 8 MiB more resident after one registration, for the life of the process).

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

use crate::config::AuthConfig;
use crate::error::ApiError;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 1024;
const MIN_DISTINCT: usize = 5;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// Hashes running at once: one per CPU. More would not finish sooner (each is CPU-bound)
    /// and each holds its memory cost, so a burst of logins queues instead of taking memory.
    running: Arc<Semaphore>,
    /// A hash of a random password, verified against when an email is unknown so that a login
    /// for a missing account costs as much as one for an existing account.
    decoy: String,
}

impl Passwords {
    pub fn new(auth: &AuthConfig) -> Result<Passwords, String> {
        let params = Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| e.to_string())?;
        let decoy_password = codexkey_common::key::random_base62(24).map_err(|e| e.to_string())?;
        let decoy = {
            let params = params.clone();
            std::thread::Builder::new()
                .name("argon2".into())
                .spawn(move || hash_with(&params, &decoy_password))
                .map_err(|e| e.to_string())?
                .join()
                .map_err(|_| "password hashing panicked".to_owned())??
        };
        let running = Arc::new(Semaphore::new(crate::system::default_workers()));
        Ok(Passwords {
            params,
            running,
            decoy,
        })
    }

    /// [`check_policy`], on a thread of its own (see the module's note on memory).
    pub async fn check(&self, password: &str, email: &str) -> Result<(), ApiError> {
        let (password, email) = (password.to_owned(), email.to_owned());
        self.on_own_thread(move || check_policy(&password, &email))
            .await?
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.on_own_thread(move || hash_with(&params, &password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Checks `password` against `hash`, or against the decoy when there is no account.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let found = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.clone());
        let ok = self
            .on_own_thread(move || {
                // Verification reads the cost parameters from the PHC string itself.
                Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await?;
        Ok(ok && found)
    }
}

impl Passwords {
    /// Runs `f` on a new thread that ends with it (see the module's note on memory), once one
    /// of the hashing slots is free.
    async fn on_own_thread<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let slot = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                let _ = tx.send(f());
                drop(slot);
            })
            .map_err(ApiError::internal)?;
        rx.await
            .map_err(|_| ApiError::Internal("password hashing failed".into()))
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, String> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// The least zxcvbn score accepted (0–4): 3 is "safely unguessable: moderate protection from
/// offline slow-hash scenarios", which argon2id storage is.
const MIN_SCORE: u8 = 3;

/// The password policy: long enough, not trivially repetitive or equal to the email, and not
/// easy to guess (zxcvbn: common passwords, keyboard walks, dictionary words with digits,
/// dates and l33t substitutions, with the email's parts as known words).
pub fn check_policy(password: &str, email: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    let weak = |why: &str| {
        Err(ApiError::WeakPassword(format!(
            "the password is too weak: {why}"
        )))
    };
    if len < MIN_LEN {
        return weak(&format!("use at least {MIN_LEN} characters"));
    }
    if len > MAX_LEN {
        return weak(&format!("use at most {MAX_LEN} characters"));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT {
        return weak(&format!("use at least {MIN_DISTINCT} different characters"));
    }
    if password.eq_ignore_ascii_case(email)
        || password.eq_ignore_ascii_case(email.split('@').next().unwrap_or(""))
    {
        return weak("it must not be your email address");
    }
    let known: Vec<&str> = email
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &known);
    if u8::from(estimate.score()) < MIN_SCORE {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string().trim_end_matches('.').to_lowercase())
            .unwrap_or_else(|| "it is easy to guess".into());
        return weak(&format!(
            "{why}; use a longer passphrase of several unrelated words"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_policy;

    #[test]
    fn policy() {
        assert!(check_policy("short", "a@b.c").is_err());
        assert!(check_policy("aaaaaaaaaaaaaa", "a@b.c").is_err());
        assert!(check_policy("ababababab12", "a@b.c").is_err());
        assert!(check_policy("somebody.long@x.io", "somebody.long@x.io").is_err());
        assert!(check_policy("a long and unusual passphrase", "a@b.c").is_ok());
        assert!(check_policy(&"x1y2z3".repeat(200), "a@b.c").is_err());
        for guessable in ["password12", "qwertyuiop", "Password123", "iloveyou2024"] {
            assert!(check_policy(guessable, "a@b.c").is_err(), "{guessable}");
        }
        // The email's own words count as known.
        assert!(check_policy("longname2024", "somebody.longname@x.io").is_err());
    }
}
