//! The data plane's view of API keys, kept in memory so that a request costs no database
//! round-trip to authenticate: resolved by secret hash on first use, then served from the
//! cache until revoked, rotated or its account changes.
//!
//! Each key carries its live counters: spend and holds against its budget, and a token bucket
//! for its requests-per-minute limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use codexkey_common::api::AccountStatus;
use codexkey_common::key::{hash_secret, looks_like_api_key};

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
    pub budget: Option<i64>,
    pub rpm: Option<u32>,
    pub counters: Mutex<KeyCounters>,
}

#[derive(Debug)]
pub struct KeyCounters {
    /// Lifetime spend, as settled.
    pub spent: i64,
    /// Holds of this key's requests in flight.
    pub held: i64,
    /// Requests left in the RPM bucket (fractional: it refills continuously).
    tokens: f64,
    refilled: Instant,
}

impl KeyEntry {
    pub fn allows_model(&self, model: &str) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|list| list.iter().any(|m| m == model))
    }

    /// Takes one request from the RPM bucket, or says how long until one is free.
    pub fn take_rpm(&self) -> Result<(), ProxyError> {
        let Some(rpm) = self.rpm else { return Ok(()) };
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
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

/// Keys by secret hash, plus an index by key id for invalidation.
#[derive(Default)]
pub struct KeyCache {
    by_hash: RwLock<HashMap<String, Arc<KeyEntry>>>,
}

impl KeyCache {
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
        let cached = self
            .by_hash
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
            .cloned();
        let entry = match cached {
            Some(e) => e,
            None => {
                let (key, account) = store
                    .key_by_hash(&hash)
                    .await
                    .map_err(|e| ProxyError::Internal(e.to_string()))?
                    .ok_or(ProxyError::InvalidKey)?;
                let entry = Arc::new(KeyEntry {
                    id: key.id,
                    account_id: key.account_id,
                    expires_at: key.expires_at,
                    revoked: key.revoked_at.is_some(),
                    suspended: account.status == AccountStatus::Suspended,
                    allowed_models: key.allowed_models.map(Vec::into_boxed_slice),
                    budget: key.budget.map(|b| b.0),
                    rpm: key.rpm_limit,
                    counters: Mutex::new(KeyCounters {
                        spent: key.spent.0,
                        held: 0,
                        tokens: key.rpm_limit.map_or(0.0, f64::from),
                        refilled: Instant::now(),
                    }),
                });
                // Another request may have loaded it meanwhile; keep the first, whose counters
                // may already be in use.
                self.by_hash
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(hash)
                    .or_insert(entry)
                    .clone()
            }
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

    /// Forgets a key (revoked, rotated): the next request reloads it from the store.
    pub fn invalidate_key(&self, key_id: i64) {
        self.by_hash
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, e| e.id != key_id);
    }

    /// Forgets every key of an account (suspended or reactivated).
    pub fn invalidate_account(&self, account_id: i64) {
        self.by_hash
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, e| e.account_id != account_id);
    }
}
