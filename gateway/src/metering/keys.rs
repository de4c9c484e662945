//! The data plane's view of API keys, kept in memory so that a request costs no database
//! round-trip to authenticate: resolved by secret hash on first use, then served from the
//! cache until the key or its account changes.
//!
//! Every change to a key or an account (rotate, revoke, expiry, budget, allow-list, rate
//! limit, suspension) commits to the store first and then calls [`KeyCache::invalidate_key`]
//! or [`KeyCache::invalidate_account`], so the very next request reads the new state. Other
//! replicas on the same PostgreSQL database make the same calls when the change's
//! notification reaches them (`crate::changes`). A
//! generation counter closes the race where a request loads a key from the store just before
//! a change commits and caches it just after the invalidation ran.
//!
//! Each key's live counters (spend and holds against its budget, the token bucket of its
//! requests-per-minute limit, its tokens of the minute) are kept by key id, apart from the cached settings: reloading a
//! key's settings must not forget spend still queued for the database or holds in flight.

use codexkey_common::Micros;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use codexkey_common::api::AccountStatus;
use codexkey_common::glob;
use codexkey_common::key::{hash_secret, looks_like_api_key};

use super::limits::{Count, Limits, window};
use crate::clock::now_ms;
use crate::proxy::error::ProxyError;
use crate::store::{Millis, Store};

#[derive(Debug)]
pub struct KeyEntry {
    pub id: i64,
    pub account_id: i64,
    pub expires_at: Option<Millis>,
    pub revoked: bool,
    pub suspended: bool,
    pub allowed_models: Option<Box<[String]>>,
    pub budget: Option<Micros>,
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
    /// Where the RPM and TPM limits are counted (Redis or memory).
    pub limits: Arc<Limits>,
    /// Shared by every cached generation of this key's settings.
    pub counters: Arc<Mutex<KeyCounters>>,
}

#[derive(Debug)]
pub struct KeyCounters {
    /// Lifetime spend, as settled.
    pub spent: Micros,
    /// Holds of this key's requests in flight.
    pub held: Micros,
    /// Requests left in the RPM bucket (fractional: it refills continuously).
    tokens: f64,
    /// The limit the bucket was filled for; a changed limit starts a bucket of its own size.
    bucket_for: Option<u32>,
    refilled: Instant,
    /// This replica's count of tokens in the window `tpm_minute` (TPM without Redis).
    tpm_used: u64,
    tpm_minute: i64,
}

impl KeyEntry {
    pub fn allows_model(&self, model: &str) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|list| list.iter().any(|m| glob::matches(m, model)))
    }

    /// Counts one request against the RPM limit (shared in Redis, else this replica's bucket),
    /// or says how long until one is allowed.
    pub async fn take_rpm(&self) -> Result<(), ProxyError> {
        let Some(rpm) = self.rpm else { return Ok(()) };
        match self.limits.take_request(self.id, rpm).await {
            Some(Count::Within) => Ok(()),
            Some(Count::Over { retry_after_secs }) => Err(ProxyError::RateLimited {
                rpm,
                retry_after_secs,
            }),
            None => self.take_rpm_here(rpm),
        }
    }

    /// Refuses the request when the key's tokens of this minute are at or above its TPM limit.
    pub async fn check_tpm(&self) -> Result<(), ProxyError> {
        let Some(tpm) = self.tpm else { return Ok(()) };
        let over = match self.limits.check_tokens(self.id, tpm).await {
            Some(Count::Within) => None,
            Some(Count::Over { retry_after_secs }) => Some(retry_after_secs),
            None => {
                let (minute, left) = window(now_ms());
                let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
                (c.tpm_minute == minute && c.tpm_used >= tpm).then_some(left)
            }
        };
        match over {
            None => Ok(()),
            Some(retry_after_secs) => Err(ProxyError::TokensLimited {
                tpm,
                retry_after_secs,
            }),
        }
    }

    /// Counts a settled request's tokens towards the TPM limit: in this replica's window
    /// always (what it falls back on when Redis is down), and in Redis when configured.
    pub fn add_tokens(&self, tokens: u64) {
        if self.tpm.is_none() || tokens == 0 {
            return;
        }
        let (minute, _) = window(now_ms());
        {
            let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
            if c.tpm_minute != minute {
                c.tpm_minute = minute;
                c.tpm_used = 0;
            }
            c.tpm_used = c.tpm_used.saturating_add(tokens);
        }
        self.limits.add_tokens(self.id, tokens);
    }

    /// Takes one request from this replica's RPM bucket, or says how long until one is free.
    fn take_rpm_here(&self, rpm: u32) -> Result<(), ProxyError> {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if c.bucket_for != Some(rpm) {
            // Newly limited, or the limit changed: a full bucket of the new size, never more
            // than was left of the old one.
            c.tokens = match c.bucket_for {
                Some(_) => c.tokens.min(f64::from(rpm)),
                None => f64::from(rpm),
            };
            c.bucket_for = Some(rpm);
        }
        let per_sec = f64::from(rpm) / 60.0;
        c.tokens =
            (c.tokens + now.duration_since(c.refilled).as_secs_f64() * per_sec).min(f64::from(rpm));
        c.refilled = now;
        if c.tokens >= 1.0 {
            c.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - c.tokens) / per_sec).ceil() as u64;
            Err(ProxyError::RateLimited {
                rpm,
                retry_after_secs: wait.max(1),
            })
        }
    }
}

/// Keys by secret hash, and their live counters by key id.
#[derive(Default)]
pub struct KeyCache {
    limits: Arc<Limits>,
    by_hash: RwLock<HashMap<String, Arc<KeyEntry>>>,
    counters: Mutex<HashMap<i64, Arc<Mutex<KeyCounters>>>>,
    /// Bumped by every invalidation, under the `by_hash` write lock.
    generation: AtomicU64,
    /// One read of a key from the store at a time (sharded by hash): requests arriving
    /// together with a key not cached yet (the first burst after start-up, or after a change)
    /// wait for one read instead of each taking a database connection.
    loading: [tokio::sync::Mutex<()>; LOAD_SHARDS],
}

const LOAD_SHARDS: usize = 16;

impl KeyCache {
    /// A cache whose keys count their RPM and TPM limits in `limits`.
    pub fn new(limits: Limits) -> KeyCache {
        KeyCache {
            limits: Arc::new(limits),
            ..KeyCache::default()
        }
    }

    /// Whether the RPM and TPM limits are counted across replicas.
    pub fn limits_shared(&self) -> bool {
        self.limits.shared()
    }

    /// Resolves the presented secret to a usable key, or the precise refusal.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        secret: &str,
    ) -> Result<Arc<KeyEntry>, ProxyError> {
        if !looks_like_api_key(secret) {
            return Err(ProxyError::InvalidKey);
        }
        let hash = hash_secret(secret);
        let entry = match self.cached(&hash) {
            Some(e) => e,
            None => self.load(store, hash).await?,
        };
        if entry.revoked {
            return Err(ProxyError::RevokedKey);
        }
        if entry.suspended {
            return Err(ProxyError::AccountSuspended);
        }
        if entry.expires_at.is_some_and(|e| e <= now_ms()) {
            return Err(ProxyError::ExpiredKey);
        }
        Ok(entry)
    }

    fn cached(&self, hash: &str) -> Option<Arc<KeyEntry>> {
        self.by_hash
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned()
    }

    /// Reads a key from the store and caches it, unless a change was invalidated while it was
    /// being read: that read may predate the change, so it is used for this request only.
    async fn load(&self, store: &dyn Store, hash: String) -> Result<Arc<KeyEntry>, ProxyError> {
        let shard = hash.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        }) % LOAD_SHARDS;
        let _loading = self.loading[shard].lock().await;
        // Another request may have read it while this one waited.
        if let Some(entry) = self.cached(&hash) {
            return Ok(entry);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let (key, account) = store
            .key_by_hash(&hash)
            .await
            .map_err(|e| ProxyError::Internal(e.to_string()))?
            .ok_or(ProxyError::InvalidKey)?;
        let counters = self.counters_of(key.id, key.spent);
        let entry = Arc::new(KeyEntry {
            id: key.id,
            account_id: key.account_id,
            expires_at: key.expires_at,
            revoked: key.revoked_at.is_some(),
            suspended: account.status == AccountStatus::Suspended,
            allowed_models: key.allowed_models.map(Vec::into_boxed_slice),
            budget: key.budget,
            rpm: key.rpm_limit,
            tpm: key.tpm_limit,
            limits: self.limits.clone(),
            counters,
        });
        let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return Ok(entry);
        }
        // Another request may have loaded it meanwhile; either copy is current.
        Ok(map.entry(hash).or_insert(entry).clone())
    }

    /// The live counters of a key, created from its stored spend on its first use.
    fn counters_of(&self, key_id: i64, stored_spend: Micros) -> Arc<Mutex<KeyCounters>> {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key_id)
            .or_insert_with(|| {
                Arc::new(Mutex::new(KeyCounters {
                    spent: stored_spend,
                    held: Micros::ZERO,
                    tokens: 0.0,
                    bucket_for: None,
                    refilled: Instant::now(),
                    tpm_used: 0,
                    tpm_minute: 0,
                }))
            })
            .clone()
    }

    /// A key's spend as the data plane knows it: ahead of the stored one by the charges still
    /// queued for the database. `None` for a key no request has used since start-up.
    pub fn live_spend(&self, key_id: i64) -> Option<Micros> {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let key = counters.get(&key_id)?;
        Some(key.lock().unwrap_or_else(|p| p.into_inner()).spent)
    }

    /// Forgets a key's cached settings (any change to the key): the next request reloads them.
    pub fn invalidate_key(&self, key_id: i64) {
        self.invalidate(|e| e.id == key_id);
    }

    /// Forgets the cached settings of every key of an account (any change to the account).
    pub fn invalidate_account(&self, account_id: i64) {
        self.invalidate(|e| e.account_id == account_id);
    }

    /// Forgets every cached key's settings (changes may have been missed); live counters stay.
    pub fn invalidate_all(&self) {
        self.invalidate(|_| true);
    }

    fn invalidate(&self, stale: impl Fn(&KeyEntry) -> bool) {
        let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, e| !stale(e));
    }

    /// A rotated key's replacement carries on its spend and holds in flight: rotation replaces
    /// the secret, not the budget. The counters move to the replacement; the old key keeps its
    /// stored spend.
    pub fn rotated(&self, old_id: i64, new_id: i64) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = counters.remove(&old_id) {
            counters.insert(new_id, c);
        }
        drop(counters);
        self.invalidate_key(old_id);
    }
}
