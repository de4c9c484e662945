//! Adding newly stored events to the rollup: one upsert per (scope, quarter hour, key, model,
//! status) of a batch, so a thousand requests of one key and model cost one statement.
//!
//! Whoever inserts events must call [`roll_up`] in the same transaction, or reports miss them.
//! Updates and deletes are each schema's business (triggers in its migrations): an insert
//! trigger would make SQLite open a statement journal for every row, several times the cost.

use std::collections::HashMap;

use codexkey_common::Micros;
use codexkey_common::rollup::BUCKET_MS;
use rusqlite::{Connection, params};

use crate::schema::Schema;

/// What the rollup keeps of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupEvent<'a> {
    /// The value of [`Schema::scope`].
    pub scope: i64,
    /// Unix ms.
    pub created_at: i64,
    pub key_id: Option<i64>,
    pub model: Option<&'a str>,
    pub status: u16,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub images: u64,
    pub cost: Micros,
}

/// Adds `events`, just inserted into the events table in the transaction `tx`, to the rollup.
pub fn roll_up<'a>(
    tx: &Connection,
    s: &Schema,
    events: impl IntoIterator<Item = RollupEvent<'a>>,
) -> rusqlite::Result<()> {
    /// requests, input, cached, cache writes, output, reasoning, images, cost
    type Sums = [i64; 8];
    let mut groups: HashMap<(i64, i64, i64, &str, u16), Sums> = HashMap::new();
    for e in events {
        let key = (
            e.scope,
            // As SQL's `%`: the bucket of a time before 1970 rounds toward zero too.
            e.created_at - e.created_at % BUCKET_MS,
            e.key_id.unwrap_or(0),
            e.model.unwrap_or(""),
            e.status,
        );
        let sums = groups.entry(key).or_default();
        let add = [
            1,
            e.input_tokens as i64,
            e.cached_tokens as i64,
            e.cache_write_tokens as i64,
            e.output_tokens as i64,
            e.reasoning_tokens as i64,
            e.images as i64,
            e.cost.0,
        ];
        for (a, b) in sums.iter_mut().zip(add) {
            *a += b;
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let (rollup, scope) = (s.rollup, s.scope);
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO {rollup} ({scope}, bucket, key_id, model, status, requests, input_tokens,
             cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT ({scope}, bucket, key_id, model, status) DO UPDATE SET
             requests           = requests + excluded.requests,
             input_tokens       = input_tokens + excluded.input_tokens,
             cached_tokens      = cached_tokens + excluded.cached_tokens,
             cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
             output_tokens      = output_tokens + excluded.output_tokens,
             reasoning_tokens   = reasoning_tokens + excluded.reasoning_tokens,
             images             = images + excluded.images,
             cost_micros        = cost_micros + excluded.cost_micros"
    ))?;
    for ((scope, bucket, key, model, status), s) in groups {
        stmt.execute(params![
            scope, bucket, key, model, status, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use crate::testing::db;

    /// Every column of every group, from `sql`.
    fn groups(c: &rusqlite::Connection, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| (0..13).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_rollup_holds_the_sums_of_the_events() {
        let q = super::BUCKET_MS;
        let c = db(&[
            (1, 10, Some(1), Some("gpt"), 200, 100),
            (1, 20, Some(1), Some("gpt"), 200, 200),
            (1, 30, Some(1), Some("gpt"), 502, 0),
            (1, q + 1, Some(1), Some("claude"), 200, 300),
            (1, q + 2, None, None, 0, 7),
            (2, 2 * q, Some(2), Some("gpt"), 200, 400),
            (2, 2 * q + 5, Some(2), Some("gpt"), 200, 1),
        ]);
        let rollup = groups(
            &c,
            "SELECT owner, bucket, key_id, model, status, requests, input_tokens, cached_tokens,
                    cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros
             FROM ev_rollup ORDER BY 1, 2, 3, 4, 5",
        );
        let raw = groups(
            &c,
            "SELECT owner, created_at - created_at % 900000, COALESCE(key_id, 0), COALESCE(model, ''),
                    status, COUNT(*), SUM(input_tokens), SUM(cached_tokens), SUM(cache_write_tokens),
                    SUM(output_tokens), SUM(reasoning_tokens), SUM(images), SUM(cost_micros)
             FROM ev GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        );
        assert_eq!(rollup, raw);
        assert_eq!(rollup.len(), 5);
    }
}
