//! The task that keeps one PostgreSQL connection listening for [`super::CHANNEL`] and applies
//! what arrives, for as long as the gateway runs.
//!
//! When the connection ends (the server restarted, the backend was terminated, the network
//! dropped), it connects again with a backoff (100 ms doubling to 5 s) and, once listening
//! again, reloads every cache: changes committed meanwhile were announced to nobody. The same
//! holds at start-up, where a change may land between loading the caches and the first
//! `LISTEN`. A reload that fails (the database did not answer it, a stored upstream cannot be
//! opened) is logged and tried again every second while notifications keep being applied:
//! key and account changes, which never fail, are not held up behind it.

use std::time::Duration;

use super::{CHANNEL, Change, apply};
use crate::config::Database;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::postgres::{Listening, Target};

/// The first wait before connecting again, doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often an idle connection is asked to answer, and how long it may take: a connection that
/// silently stopped delivering is found within these instead of waiting for TCP keep-alive.
const PING_EVERY: Duration = Duration::from_secs(15);
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a reload that failed is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Starts the listener when the store is PostgreSQL; `None` on SQLite.
pub fn spawn(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let Database::Postgres { url, .. } = &state.config.database else {
        return None;
    };
    // The store opened this URL already, so it parses; should it not, the store's error said
    // so first and this only adds why replicas would drift.
    let target = match Target::parse(url.expose()) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for changes from other replicas");
            return None;
        }
    };
    Some(tokio::spawn(run(state.clone(), target)))
}

/// Listens, applies, and reconnects, until the task is aborted.
async fn run(state: AppState, target: Target) {
    let mut backoff = FIRST_BACKOFF;
    let mut listened = false;
    loop {
        match target.listen(CHANNEL).await {
            Ok(mut listening) => {
                if listened {
                    tracing::info!(
                        server = target.shown(),
                        "listening for changes again; reloading every cache"
                    );
                }
                listened = true;
                backoff = FIRST_BACKOFF;
                let _counted = Counted::new();
                let owed = attempt(&state, Change::Everything).await;
                let why = follow(&state, &mut listening, owed).await;
                tracing::warn!(
                    server = target.shown(),
                    error = %why,
                    retry_in_ms = backoff.as_millis() as u64,
                    "stopped receiving changes from other replicas; reconnecting"
                );
            }
            Err(e) => tracing::warn!(
                server = target.shown(),
                error = %e,
                retry_in_ms = backoff.as_millis() as u64,
                "cannot listen for changes from other replicas; retrying"
            ),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Counts a listening connection in the metrics for as long as it lives, the task's abort
/// included.
struct Counted;

impl Counted {
    fn new() -> Counted {
        crate::metrics::get().changes_listening(true);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        crate::metrics::get().changes_listening(false);
    }
}

/// Applies `change`; on failure logs why and returns it, to be tried again.
async fn attempt(state: &AppState, change: Change) -> Option<Change> {
    match apply(state, change).await {
        Ok(()) => None,
        Err(e) => {
            tracing::error!(
                %change,
                error = %e,
                retry_in_ms = RETRY_EVERY.as_millis() as u64,
                "cannot apply a change from another replica; this replica serves what it had"
            );
            Some(change)
        }
    }
}

/// Applies each notification as it arrives, and retries what failed (`owed`) every
/// [`RETRY_EVERY`]; returns why the connection stopped.
async fn follow(
    state: &AppState,
    listening: &mut Listening,
    mut owed: Option<Change>,
) -> StoreError {
    let mut pings = tokio::time::interval(PING_EVERY);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    pings.tick().await;
    let mut retries = tokio::time::interval(RETRY_EVERY);
    retries.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    retries.tick().await;
    loop {
        let payload = tokio::select! {
            payload = listening.next() => payload,
            _ = retries.tick(), if owed.is_some() => {
                if let Some(change) = owed.take() {
                    owed = attempt(state, change).await;
                }
                continue;
            }
            _ = pings.tick() => {
                match tokio::time::timeout(PING_TIMEOUT, listening.ping()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => return e,
                    Err(_) => return StoreError::Backend(format!(
                        "the server did not answer within {} s", PING_TIMEOUT.as_secs()
                    )),
                }
            }
        };
        let payload = match payload {
            Ok(p) => p,
            Err(e) => return e,
        };
        let change = Change::parse(&payload).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "reloading every cache");
            Change::Everything
        });
        tracing::debug!(%change, "a change from the database");
        if let Some(failed) = attempt(state, change).await {
            // One reload still owed, or two different ones: the two, or everything.
            owed = Some(match owed {
                None => failed,
                Some(o) if o == failed => failed,
                Some(_) => Change::Everything,
            });
        }
    }
}
