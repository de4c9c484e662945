//! Retention: request metadata (client addresses, user agents) and raw usage events are kept
//! only as long as `[retention]` says, and so are a deleted account's billing records; all are
//! purged by a background task every `retention.interval_secs`, or at once when an admin asks.
//!
//! Raw events go without their sums: the usage rollup keeps those, and the ledger is never
//! touched, so reports of old periods and balances still add up. A deleted account's records
//! (ledger, orders, refunds, referrals, usage events and sums) go whole once
//! `retention.deleted_account_days` have passed since its deletion: its row stays as a
//! tombstone with a zero balance and no entries, so the ledger check still passes and no other
//! row points at nothing. Reports of periods that include it no longer count its usage.

use codexkey_common::api::PurgeReport;
use serde_json::json;

use crate::clock::{Millis, now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::NewAudit;

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
    let accounts_before = cut(r.deleted_account_days);
    // Settlements still queued would otherwise land after the purge with old timestamps.
    state.meter.flush().await;
    let mut report = PurgeReport {
        events_anonymised: 0,
        sessions_anonymised: 0,
        events_deleted: 0,
        metadata_before: metadata_before.map(to_utc),
        events_before: events_before.map(to_utc),
        accounts_purged: 0,
        accounts_deleted_before: accounts_before.map(to_utc),
    };
    if metadata_before.is_some() || events_before.is_some() {
        // A deleted event's metadata goes with it: the metadata cut-off is at least the
        // events'.
        let metadata_cut = match (metadata_before, events_before) {
            (Some(m), Some(e)) => m.max(e),
            (Some(m), None) => m,
            (None, Some(e)) => e,
            (None, None) => 0,
        };
        let done = state.store.purge(metadata_cut, events_before).await?;
        report.events_anonymised = done.events_anonymised;
        report.sessions_anonymised = done.sessions_anonymised;
        report.events_deleted = done.events_deleted;
    }
    if let Some(before) = accounts_before {
        report.accounts_purged = purge_accounts(state, before, now).await?;
    }
    Ok(report)
}

/// Purges the accounts deleted before `before`; how many.
async fn purge_accounts(state: &AppState, before: Millis, now: Millis) -> Result<u64, ApiError> {
    let days = state.config.retention.deleted_account_days;
    let purged = state
        .store
        .purge_deleted_accounts(
            before,
            NewAudit {
                actor_id: None,
                action: "account.purged",
                target: None,
                detail: json!({ "retention_days": days }),
                created_at: now,
            },
        )
        .await?;
    Ok(purged)
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
                Ok(r)
                    if r.events_anonymised
                        + r.sessions_anonymised
                        + r.events_deleted
                        + r.accounts_purged
                        > 0 =>
                {
                    tracing::info!(
                        events_anonymised = r.events_anonymised,
                        sessions_anonymised = r.sessions_anonymised,
                        events_deleted = r.events_deleted,
                        accounts_purged = r.accounts_purged,
                        "retention purge"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the retention purge failed"),
            }
        }
    })
}
