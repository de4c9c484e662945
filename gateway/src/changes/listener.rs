//! The task that keeps one PostgreSQL connection listening for [`super::CHANNEL`] and applies
//! what arrives, for as long as the gateway runs.
//!
//! When the connection ends (the server restarted, the backend was terminated, the network
//! dropped), it connects again with a backoff (100 ms doubling to 5 s) and, once listening
//! again, reloads every cache: changes committed meanwhile were announced to nobody. The same
//! holds at start-up, where a change may land between loading the caches and the first
//! `LISTEN`. A change that cannot be applied (the database did not answer the reload) is
//! treated like a lost connection: reconnect, then reload everything.

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
                let why = match apply(&state, Change::Everything).await {
                    Ok(()) => follow(&state, &mut listening).await,
                    Err(e) => StoreError::Backend(format!("cannot reload the caches: {e}")),
                };
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

/// Applies each notification as it arrives; returns why it stopped.
async fn follow(state: &AppState, listening: &mut Listening) -> StoreError {
    let mut pings = tokio::time::interval(PING_EVERY);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    pings.tick().await;
    loop {
        let payload = tokio::select! {
            payload = listening.next() => payload,
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
        if let Err(e) = apply(state, change).await {
            return StoreError::Backend(format!("cannot apply `{change}`: {e}"));
        }
    }
}
