//! The cache's quarter-hour rollup, kept in step with its events: a leaf, so storing events
//! (in `cache`) and reading reports (in `cache::report`) both build on it.

use std::collections::BTreeMap;

use anyhow::Result;
use codexkey_common::api::UsageEvent;
use codexkey_common::rollup::BUCKET_MS;

/// Adds newly stored `events` of the source to the rollup, one upsert per (quarter hour, key,
/// model, status); run in the transaction that stored them.
pub(super) fn roll_up(
    tx: &rusqlite::Connection,
    source_id: i64,
    events: Vec<&UsageEvent>,
) -> Result<()> {
    /// requests, input, cached, cache writes, output, reasoning, images, cost
    type Sums = [i64; 8];
    let mut groups: BTreeMap<(i64, i64, &str, u16), Sums> = BTreeMap::new();
    for e in events {
        let at = e.created_at.timestamp_millis();
        let key = (
            at - at % BUCKET_MS,
            e.key_id.unwrap_or(0),
            e.model.as_deref().unwrap_or(""),
            e.status,
        );
        let s = groups.entry(key).or_default();
        let add = [
            1,
            e.input_tokens as i64,
            e.cached_tokens as i64,
            e.cache_write_tokens as i64,
            e.output_tokens as i64,
            e.reasoning_tokens as i64,
            e.images as i64,
            e.cost_micros.0,
        ];
        for (a, b) in s.iter_mut().zip(add) {
            *a += b;
        }
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO rollup (source_id, bucket, key_id, model, status, requests, input_tokens,
             cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (source_id, bucket, key_id, model, status) DO UPDATE SET
             requests           = requests + excluded.requests,
             input_tokens       = input_tokens + excluded.input_tokens,
             cached_tokens      = cached_tokens + excluded.cached_tokens,
             cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
             output_tokens      = output_tokens + excluded.output_tokens,
             reasoning_tokens   = reasoning_tokens + excluded.reasoning_tokens,
             images             = images + excluded.images,
             cost_micros        = cost_micros + excluded.cost_micros",
    )?;
    for ((bucket, key, model, status), s) in groups {
        stmt.execute(rusqlite::params![
            source_id, bucket, key, model, status, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
        ])?;
    }
    Ok(())
}
