//! The keys' per-minute limits: requests (RPM) and tokens (TPM).
//!
//! With `redis_url`, every replica counts in the same Redis: one fixed one-minute window per key
//! and limit, `<prefix>:rpm:<key id>:<minute>` and `<prefix>:tpm:<key id>:<minute>`, changed
//! only by `INCR`/`INCRBY` with `EXPIRE` in one `MULTI`. A fixed window was chosen over a sliding
//! one because it is one atomic increment per request with nothing to read back or trim, and TPM
//! is defined on "the tokens of the current minute" anyway; the price is that a client may fit
//! up to twice a limit around the turn of a minute.
//!
//! Redis holds nothing that may not be lost. When it cannot be reached (or answers late), the
//! request is counted in this replica's memory instead, exactly as without Redis, a warning is
//! logged at most once a minute, and Redis is left alone for a few seconds so an outage does
//! not cost every request a failed round-trip. A request is never refused because Redis is
//! down, and balances never depend on it.
//!
//! Without Redis, RPM is this replica's token bucket (`KeyEntry::take_rpm_here`) and TPM its
//! own fixed window per key.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::clock::now_ms;
use crate::config::Config;
use crate::store::Millis;

/// The length of a counting window.
pub const WINDOW_MS: Millis = 60_000;
/// A window's keys outlive it by a minute, so a replica whose clock is a little behind still
/// finds the count it adds to.
const KEY_TTL_SECS: i64 = 120;
/// The most a request waits on Redis before it is counted in memory instead.
const REDIS_WAIT: Duration = Duration::from_millis(500);
/// How long Redis is left alone after it failed.
const BACKOFF_MS: Millis = 5_000;
/// How often an outage is logged again.
const WARN_EVERY_MS: Millis = 60_000;

/// The window `now` falls in (minutes since the epoch), and the whole seconds until the next
/// one starts (at least 1): what a refused request is told to wait.
pub fn window(now: Millis) -> (i64, u64) {
    let minute = now.div_euclid(WINDOW_MS);
    let left_ms = WINDOW_MS - now.rem_euclid(WINDOW_MS);
    // `left_ms` is 1 to 60_000: whole seconds rounded up are 1 to 60.
    (minute, ((left_ms + 999) / 1000).unsigned_abs())
}

/// The Redis key of one key's count of `kind` (`rpm` or `tpm`) in one window.
pub fn window_key(prefix: &str, kind: &str, key_id: i64, minute: i64) -> String {
    format!("{prefix}:{kind}:{key_id}:{minute}")
}

/// Where the limits are counted: Redis when configured, else (and while it is down) memory.
#[derive(Default)]
pub struct Limits {
    redis: Option<Shared>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("shared", &self.shared())
            .finish()
    }
}

struct Shared {
    conn: ConnectionManager,
    prefix: String,
    /// Until when (ms) Redis is not tried after a failure.
    skip_until: AtomicI64,
    /// When an outage was last logged (ms).
    warned_at: AtomicI64,
}

/// Redis's verdict on a request or a key's tokens (the methods return `None` when Redis could
/// not say: the caller counts in memory instead).
pub enum Count {
    Within,
    Over { retry_after_secs: u64 },
}

impl Limits {
    /// Counting in Redis when `redis_url` is set. Connects lazily: a Redis that is down at start
    /// is tried again when requests come.
    pub fn from_config(config: &Config) -> Result<Limits, String> {
        let Some(url) = &config.redis else {
            return Ok(Limits::default());
        };
        let client = redis::Client::open(url.url.expose().as_str())
            .map_err(|_| format!("`redis_url` {} is not a Redis URL", url.shown))?;
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_WAIT))
            .set_response_timeout(Some(REDIS_WAIT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, settings)
            .map_err(|e| format!("cannot set up the Redis connection: {e}"))?;
        Ok(Limits {
            redis: Some(Shared {
                conn,
                prefix: config.redis_prefix.clone(),
                skip_until: AtomicI64::new(0),
                warned_at: AtomicI64::new(Millis::MIN),
            }),
        })
    }

    /// Whether the limits are shared between replicas.
    pub fn shared(&self) -> bool {
        self.redis.is_some()
    }

    /// Counts one request against `rpm` in Redis; `None`: count it in memory.
    pub async fn take_request(&self, key_id: i64, rpm: u32) -> Option<Count> {
        let redis = self.redis.as_ref()?;
        let now = now_ms();
        let (minute, left) = window(now);
        let k = window_key(&redis.prefix, "rpm", key_id, minute);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .incr(&k, 1u64)
            .expire(&k, KEY_TTL_SECS)
            .ignore();
        let (count,): (u64,) = redis.run(now, pipe).await?;
        Some(if count > u64::from(rpm) {
            Count::Over {
                retry_after_secs: left,
            }
        } else {
            Count::Within
        })
    }

    /// Whether the key's tokens of this minute in Redis are below `tpm`; `None`: ask memory.
    pub async fn check_tokens(&self, key_id: i64, tpm: u64) -> Option<Count> {
        let redis = self.redis.as_ref()?;
        let now = now_ms();
        let (minute, left) = window(now);
        let mut pipe = redis::pipe();
        pipe.get(window_key(&redis.prefix, "tpm", key_id, minute));
        let (used,): (Option<u64>,) = redis.run(now, pipe).await?;
        Some(if used.unwrap_or(0) >= tpm {
            Count::Over {
                retry_after_secs: left,
            }
        } else {
            Count::Within
        })
    }

    /// Adds a settled request's tokens to the key's count in Redis, in the background:
    /// settlement does not wait on it. Tokens lost to an outage are not counted again.
    pub fn add_tokens(&self, key_id: i64, tokens: u64) {
        let Some(redis) = &self.redis else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let now = now_ms();
        let (minute, _) = window(now);
        let k = window_key(&redis.prefix, "tpm", key_id, minute);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .incr(&k, tokens)
            .ignore()
            .expire(&k, KEY_TTL_SECS)
            .ignore();
        let mut conn = redis.conn.clone();
        runtime.spawn(async move {
            if let Ok(Err(e)) =
                tokio::time::timeout(REDIS_WAIT, pipe.query_async::<()>(&mut conn)).await
            {
                tracing::debug!(error = %e, "could not add tokens to the shared TPM count");
            }
        });
    }
}

impl Shared {
    /// Runs `pipe`, or says why not (logged at most once a minute) and returns `None`.
    async fn run<T: redis::FromRedisValue>(&self, now: Millis, pipe: redis::Pipeline) -> Option<T> {
        if now < self.skip_until.load(Ordering::Relaxed) {
            return None;
        }
        let mut conn = self.conn.clone();
        let error = match tokio::time::timeout(REDIS_WAIT, pipe.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => return Some(v),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", REDIS_WAIT.as_millis()),
        };
        self.skip_until.store(now + BACKOFF_MS, Ordering::Relaxed);
        let warned = self.warned_at.load(Ordering::Relaxed);
        if now.saturating_sub(warned) >= WARN_EVERY_MS
            && self
                .warned_at
                .compare_exchange(warned, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                %error,
                "Redis is unreachable: RPM and TPM limits are counted per replica until it answers"
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_minutes() {
        // 2026-01-01T00:00:00Z is minute 29_453_760.
        let start = 1_767_225_600_000;
        assert_eq!(window(start), (29_453_760, 60));
        assert_eq!(window(start + 1), (29_453_760, 60));
        assert_eq!(window(start + 59_000), (29_453_760, 1));
        assert_eq!(window(start + 59_001), (29_453_760, 1));
        assert_eq!(window(start + 59_999), (29_453_760, 1));
        assert_eq!(window(start + 60_000), (29_453_761, 60));
        assert_eq!(window(start + 61_500), (29_453_761, 59));
    }

    #[test]
    fn windows_before_the_epoch_are_whole_minutes_too() {
        assert_eq!(window(0), (0, 60));
        assert_eq!(window(-1), (-1, 1));
        assert_eq!(window(-60_000), (-1, 60));
    }

    #[test]
    fn window_keys_name_prefix_kind_key_and_minute() {
        assert_eq!(window_key("ck", "rpm", 7, 29_453_760), "ck:rpm:7:29453760");
        assert_eq!(window_key("t1", "tpm", 12, 5), "t1:tpm:12:5");
    }
}
