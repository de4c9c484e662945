//! The cache's usage tables as the report engine ([`codexkey_report`]) names them, and the
//! rollup of newly stored events: a leaf, so storing events (in `cache`) and reading reports
//! (in `cache::report`) both build on it.

use codexkey_common::api::UsageEvent;
use codexkey_report::{RollupEvent, Schema};

/// Events and rollup are scoped by source; the events table has no account column, because
/// a source is one account of one gateway.
pub(super) const SCHEMA: Schema = Schema {
    events: "events",
    rollup: "rollup",
    scope: "source_id",
    account: "(SELECT account_id FROM sources WHERE sources.id = events.source_id)",
    // The cache keeps what reports need, not the anomaly's second figure.
    uncapped_cost: "NULL",
};

/// Adds newly stored `events` of the source to the rollup, one upsert per (quarter hour, key,
/// model, status); run in the transaction that stored them.
pub(super) fn roll_up(
    tx: &rusqlite::Connection,
    source_id: i64,
    events: Vec<&UsageEvent>,
) -> rusqlite::Result<()> {
    let events = events.into_iter().map(|e| RollupEvent {
        scope: source_id,
        created_at: e.created_at.timestamp_millis(),
        key_id: e.key_id,
        model: e.model.as_deref(),
        status: e.status,
        input_tokens: e.input_tokens,
        cached_tokens: e.cached_tokens,
        cache_write_tokens: e.cache_write_tokens,
        output_tokens: e.output_tokens,
        reasoning_tokens: e.reasoning_tokens,
        images: e.images,
        cost: e.cost_micros,
    });
    codexkey_report::rollup::roll_up(tx, &SCHEMA, events)
}
