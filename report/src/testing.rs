//! A store of the engine's own for its tests: the two tables under other names, filled the
//! way both real stores fill them (insert the events, roll them up in the same transaction).
#![expect(clippy::unwrap_used)]

use codexkey_common::Micros;
use rusqlite::{Connection, params};

use crate::rollup::{RollupEvent, roll_up};
use crate::schema::Schema;

/// The account is not stored with an event here: it is worked out from the owner.
pub const S: Schema = Schema {
    events: "ev",
    rollup: "ev_rollup",
    scope: "owner",
    account: "owner * 10",
    uncapped_cost: "NULL",
};

/// `(owner, created_at, key, model, status, cost)`; the event's id is its place plus one.
pub type Ev<'a> = (i64, i64, Option<i64>, Option<&'a str>, u16, i64);

pub fn db(events: &[Ev<'_>]) -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE ev (
             id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, request_id TEXT NOT NULL,
             key_id INTEGER, route TEXT NOT NULL, provider TEXT, model TEXT,
             input_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
             cache_write_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
             reasoning_tokens INTEGER NOT NULL, images INTEGER NOT NULL, cost_micros INTEGER NOT NULL,
             status INTEGER NOT NULL, error_code TEXT, settlement TEXT NOT NULL, latency_ms INTEGER,
             ttfb_ms INTEGER, client_ip TEXT, user_agent TEXT, created_at INTEGER NOT NULL);
         CREATE TABLE ev_rollup (
             owner INTEGER NOT NULL, bucket INTEGER NOT NULL, key_id INTEGER NOT NULL,
             model TEXT NOT NULL, status INTEGER NOT NULL, requests INTEGER NOT NULL,
             input_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
             cache_write_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
             reasoning_tokens INTEGER NOT NULL, images INTEGER NOT NULL, cost_micros INTEGER NOT NULL,
             PRIMARY KEY (owner, bucket, key_id, model, status)) WITHOUT ROWID;",
    )
    .unwrap();
    let tx = c.transaction().unwrap();
    for (i, &(owner, at, key, model, status, cost)) in events.iter().enumerate() {
        let n = i as i64 + 1;
        tx.execute(
            "INSERT INTO ev (id, owner, request_id, key_id, route, model, input_tokens, cached_tokens,
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status,
                 settlement, created_at)
             VALUES (?1, ?2, ?3, ?4, 'chat', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'final_usage', ?14)",
            params![
                n,
                owner,
                format!("req-{n}"),
                key,
                model,
                n * 10,
                n,
                n % 3,
                n * 2,
                n % 2,
                n % 5,
                cost,
                status,
                at
            ],
        )
        .unwrap();
    }
    roll_up(
        &tx,
        &S,
        events
            .iter()
            .enumerate()
            .map(|(i, &(owner, at, key, model, status, cost))| {
                let n = i as u64 + 1;
                RollupEvent {
                    scope: owner,
                    created_at: at,
                    key_id: key,
                    model,
                    status,
                    input_tokens: n * 10,
                    cached_tokens: n,
                    cache_write_tokens: n % 3,
                    output_tokens: n * 2,
                    reasoning_tokens: n % 2,
                    images: n % 5,
                    cost: Micros(cost),
                }
            }),
    )
    .unwrap();
    tx.commit().unwrap();
    c
}
