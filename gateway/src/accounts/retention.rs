//! Retention: request metadata (client addresses, user agents) and raw usage events are kept
//! only as long as `[retention]` says, then purged by a background task every
//! `retention.interval_secs`, or at once when an admin asks. Raw events go without their sums:
//! the usage rollup keeps those, and the ledger is never touched, so reports of old periods
//! and balances still add up.

use codexkey_common::api::PurgeReport;

use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs one purge with the configured cut-offs, as of now.
pub async fn purge(state: &AppState) -> Result<PurgeReport, ApiError> {
    let r = &state.config.retention;
    let now = now_ms();
    let cut = |days: u64| {
        (days > 0).then(|| {
            now.saturating_sub(
                i64::try_from(days)
                    .unwrap_or(i64::MAX / DAY_MS)
                    .saturating_mul(DAY_MS),
            )
        })
    };
    let metadata_before = cut(r.request_metadata_days);
    let events_before = cut(r.usage_event_days);
    if metadata_before.is_none() && events_before.is_none() {
        return Ok(PurgeReport {
            events_anonymised: 0,
            sessions_anonymised: 0,
            events_deleted: 0,
            metadata_before: None,
            events_before: None,
        });
    }
    // A deleted event's metadata goes with it: the metadata cut-off is at least the events'.
    let metadata_cut = match (metadata_before, events_before) {
        (Some(m), Some(e)) => m.max(e),
        (Some(m), None) => m,
        (None, Some(e)) => e,
        (None, None) => 0,
    };
    // Settlements still queued would otherwise land after the purge with old timestamps.
    state.meter.flush().await;
    let done = state.store.purge(metadata_cut, events_before).await?;
    Ok(PurgeReport {
        events_anonymised: done.events_anonymised,
        sessions_anonymised: done.sessions_anonymised,
        events_deleted: done.events_deleted,
        metadata_before: metadata_before.map(to_utc),
        events_before: events_before.map(to_utc),
    })
}

/// The background purge, every `retention.interval_secs` from start-up on.
pub fn spawn(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let every = state.config.retention.interval;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match purge(&state).await {
                Ok(r) if r.events_anonymised + r.sessions_anonymised + r.events_deleted > 0 => {
                    tracing::info!(
                        events_anonymised = r.events_anonymised,
                        sessions_anonymised = r.sessions_anonymised,
                        events_deleted = r.events_deleted,
                        "retention purge"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the retention purge failed"),
            }
        }
    })
}
