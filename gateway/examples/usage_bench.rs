//! Usage reports on a million events: how long the gateway's SQLite store takes to write them
//! (with and without the rollup of migration 0003), to migrate a database that already holds
//! them, and to answer reports and event pages over them. Run by `bench/usage.sh`:
//!
//! ```sh
//! cargo run --release -p codexkey-gateway --example usage_bench -- [EVENTS]
//! ```
//!
//! The events are synthetic (one account, 5 keys, 8 models, 3% errors, spread over 30 days) and
//! written with plain SQL in batches of 10,000, as the metering writer batches them; the
//! queries go through the `Store` trait, as the API's do.

#![expect(clippy::print_stdout, reason = "a benchmark prints its report")]

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use codexkey_common::api::UsageDimension;
use codexkey_common::settlement::Settlement;
use codexkey_common::{Micros, Usage};
use codexkey_gateway::store::sqlite::{SqliteStore, reports};
use codexkey_gateway::store::usage::{EventPageQuery, StatusFilter, UsageFilter};
use codexkey_gateway::store::{
    MeterOp, MeteringStore, SettledRequest, UsageEventRecord, UsageStore,
};
use rusqlite::{Connection, params};

const DAY_MS: i64 = 86_400_000;
const DAYS: i64 = 30;
const MODELS: [&str; 8] = [
    "gpt-5.5",
    "gpt-4o-mini",
    "claude-opus-4-8",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gemini-2.5-pro",
    "gpt-6.1-sol",
    "grok-4",
];
const KEYS: i64 = 5;
/// How often each timed query runs; the median is reported.
const RUNS: usize = 7;

/// xorshift64*: deterministic events without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The account and its keys.
fn accounts(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
             VALUES (1, 'bench@codexkey.test', 'x', 1000000000000, 0, 0);",
    )?;
    for k in 1..=KEYS {
        conn.execute(
            "INSERT INTO api_keys (id, account_id, prefix, secret_hash, name, created_at)
             VALUES (?1, 1, ?2, ?3, ?4, 0)",
            params![
                k,
                format!("ck-bench{k}"),
                format!("hash{k}"),
                format!("key {k}")
            ],
        )?;
    }
    Ok(())
}

/// `n` synthetic settled requests spread evenly over the `DAYS` days before `end`.
fn events(n: u64, end: i64, seed: u64) -> Vec<UsageEventRecord> {
    let start = end - DAYS * DAY_MS;
    let step = (DAYS * DAY_MS) / n.max(1) as i64;
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let failed = rng.below(100) < 3;
            let input = 500 + rng.below(50_000);
            let cached = input * rng.below(80) / 100;
            let output = if failed { 0 } else { 50 + rng.below(4_000) };
            UsageEventRecord {
                request_id: format!("req-{seed:x}-{i:08}"),
                account_id: 1,
                key_id: Some(1 + rng.below(KEYS as u64) as i64),
                route: "chat.completions",
                provider: Some("openai".into()),
                model: Some(MODELS[rng.below(MODELS.len() as u64) as usize].into()),
                usage: Usage {
                    input_tokens: input - cached,
                    cached_tokens: cached,
                    output_tokens: output,
                    reasoning_tokens: output / 4,
                    ..Usage::default()
                },
                cost: Micros(if failed {
                    0
                } else {
                    (input * 3 + output * 15) as i64 / 10
                }),
                status: if failed { 502 } else { 200 },
                error_code: failed.then(|| "upstream_error".into()),
                latency_ms: Some(200 + rng.below(20_000) as i64),
                ttfb_ms: Some(100 + rng.below(2_000) as i64),
                client_ip: Some("127.0.0.1".into()),
                user_agent: Some("bench/1.0".into()),
                price_snapshot: None,
                settlement: if failed {
                    Settlement::UpstreamError
                } else {
                    Settlement::FinalUsage
                },
                uncapped_cost: None,
                created_at: start + i as i64 * step + rng.below(step.max(1) as u64) as i64,
            }
        })
        .collect()
}

/// Inserts `events` with plain SQL, `batch` per transaction, rolling each batch up when
/// `roll_up` (as the metering writer does).
fn insert(
    conn: &mut Connection,
    events: &[UsageEventRecord],
    batch: usize,
    roll_up: bool,
) -> Result<()> {
    for chunk in events.chunks(batch) {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage_events (request_id, account_id, key_id, route, provider, model,
                     input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                     images, cost_micros, status, error_code, latency_ms, ttfb_ms, client_ip,
                     user_agent, settlement, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, 0, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?;
            for e in chunk {
                stmt.execute(params![
                    e.request_id,
                    e.account_id,
                    e.key_id,
                    e.route,
                    e.provider,
                    e.model,
                    e.usage.input_tokens as i64,
                    e.usage.cached_tokens as i64,
                    e.usage.output_tokens as i64,
                    e.usage.reasoning_tokens as i64,
                    e.cost.0,
                    e.status,
                    e.error_code,
                    e.latency_ms,
                    e.ttfb_ms,
                    e.client_ip,
                    e.user_agent,
                    e.settlement.as_str(),
                    e.created_at,
                ])?;
            }
        }
        if roll_up {
            reports::roll_up(&tx, chunk)?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Migrations 0001 and 0002 only: the schema before usage reports.
fn schema_v2(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
         INSERT INTO schema_migrations VALUES (1, 'init', 0), (2, 'metering', 0);",
    )?;
    conn.execute_batch(include_str!("../migrations/sqlite/0001_init.sql"))?;
    conn.execute_batch(include_str!("../migrations/sqlite/0002_metering.sql"))?;
    Ok(conn)
}

fn main() -> Result<()> {
    let n: u64 = match std::env::args().nth(1) {
        Some(a) => a
            .replace('_', "")
            .parse()
            .context("EVENTS must be a number")?,
        None => 1_000_000,
    };
    let dir = tempfile::tempdir()?;
    let now = chrono::Utc::now().timestamp_millis();
    println!(
        "gateway store (SQLite, WAL): {n} synthetic events of one account, {KEYS} keys, {} models, over {DAYS} days",
        MODELS.len()
    );

    let all = events(n, now, 0x9E37_79B9_7F4A_7C15);
    let per = |d: Duration, count: usize| d.as_secs_f64() * 1e6 / count.max(1) as f64;

    // The schema before this change, filled, then migrated.
    let before = dir.path().join("before.db");
    let mut conn = schema_v2(&before)?;
    accounts(&conn)?;
    let ((), t_plain) = timed(|| insert(&mut conn, &all, 10_000, false))?;
    drop(conn);
    let (store, t_migrate) = timed(|| Ok(SqliteStore::open(&before)?))?;
    drop(store);
    // The schema of 0003, filled with the rollup kept up to date.
    let after = dir.path().join("after.db");
    drop(SqliteStore::open(&after)?);
    let mut conn = Connection::open(&after)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    accounts(&conn)?;
    let ((), t_rollup) = timed(|| insert(&mut conn, &all, 10_000, true))?;
    println!("  writing usage events (plain SQL, as the metering writer's transactions):");
    println!(
        "    {n} events, 10,000 per transaction, schema before 0003  {:>9}  ({:.1} µs/event)",
        secs(t_plain),
        per(t_plain, all.len())
    );
    println!(
        "    {n} events, 10,000 per transaction, with the rollup     {:>9}  ({:.1} µs/event)",
        secs(t_rollup),
        per(t_rollup, all.len())
    );
    // An idle writer commits every request alone: the rollup's worst case, one upsert each.
    // Interleaved in rounds, so that machine noise falls on both sides alike.
    let (rounds, per_round) = (10, 2_000);
    let (mut t_one_plain, mut t_one_rollup) = (Duration::ZERO, Duration::ZERO);
    for r in 0..rounds {
        let plain = events(per_round, now, 100 + 2 * r);
        let rolled = events(per_round, now, 101 + 2 * r);
        t_one_plain += timed(|| insert(&mut conn, &plain, 1, false))?.1;
        t_one_rollup += timed(|| insert(&mut conn, &rolled, 1, true))?.1;
    }
    let extra = (rounds * per_round) as usize;
    println!(
        "    {extra} more, one per transaction, without / with the rollup  {:.1} / {:.1} µs/event",
        per(t_one_plain, extra),
        per(t_one_rollup, extra)
    );
    println!(
        "  migration 0003 on a database already holding {n} events  {:>9}  (rollup backfill and two indexes, once)",
        secs(t_migrate)
    );
    let rollup_rows: i64 = conn.query_row("SELECT COUNT(*) FROM usage_rollup", [], |r| r.get(0))?;
    println!("  rollup rows: {rollup_rows}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = SqliteStore::open(&after)?;
    let month = UsageFilter {
        scope: Some(1),
        from: Some(now - DAYS * DAY_MS),
        to: Some(now + 1),
        ..UsageFilter::default()
    };
    // Day bounds in UTC, as `codexkey usage --since 30d` asks (whole quarter hours).
    let aligned = UsageFilter {
        from: Some((now - DAYS * DAY_MS) / DAY_MS * DAY_MS),
        to: Some((now / DAY_MS + 1) * DAY_MS),
        ..month.clone()
    };
    let report = |f: UsageFilter, dims: Vec<UsageDimension>| {
        let mut times = Vec::new();
        let mut groups = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = rt.block_on(store.usage_report(f.clone(), dims.clone(), 3 * 3_600_000))?;
            times.push(t.elapsed());
            groups = r.len();
        }
        Ok::<_, anyhow::Error>((median(times), groups))
    };
    // The real write path: `Store::apply_metering` settles (hold removal, ledger charge, key
    // spend and last use, the event, the rollup) on the metering writer's thread.
    for batch in [1usize, 64] {
        let settles = events(10_000, now, 3 + batch as u64);
        let t = Instant::now();
        for chunk in settles.chunks(batch) {
            let ops = chunk
                .iter()
                .map(|e| MeterOp::Settle(Box::new(SettledRequest::new(e.clone(), None))))
                .collect();
            rt.block_on(store.apply_metering(ops))
                .map_err(|(e, _)| anyhow::anyhow!("{e}"))?;
        }
        println!(
            "  Store::apply_metering, {batch:>2} settlement(s) per batch             {:.1} µs per request",
            per(t.elapsed(), settles.len())
        );
    }
    println!("  queries (median of {RUNS}), through the Store trait:");
    let cases: Vec<(&str, UsageFilter, Vec<UsageDimension>)> = vec![
        (
            "report, 30 days by day, day bounds",
            aligned.clone(),
            vec![UsageDimension::Day],
        ),
        (
            "report, 30 days by day, to the millisecond",
            month.clone(),
            vec![UsageDimension::Day],
        ),
        (
            "report, 30 days by model",
            aligned.clone(),
            vec![UsageDimension::Model],
        ),
        (
            "report, 30 days by key",
            aligned.clone(),
            vec![UsageDimension::Key],
        ),
        (
            "report, 30 days by day and model",
            aligned.clone(),
            vec![UsageDimension::Day, UsageDimension::Model],
        ),
        (
            "report, 30 days by hour",
            aligned.clone(),
            vec![UsageDimension::Hour],
        ),
        (
            "report, one model, errors only, by day",
            UsageFilter {
                model: Some("claude-*".into()),
                status: Some(StatusFilter::Error),
                ..aligned.clone()
            },
            vec![UsageDimension::Day],
        ),
        (
            "report, every account, by account",
            UsageFilter {
                scope: None,
                ..aligned.clone()
            },
            vec![UsageDimension::Account],
        ),
    ];
    for (name, f, dims) in cases {
        let (t, groups) = report(f, dims)?;
        println!("    {name:<46} {:>9}  ({groups} groups)", ms(t));
    }
    let page = |cursor: Option<i64>, count: bool| {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            rt.block_on(store.usage_events(
                UsageFilter {
                    scope: Some(1),
                    ..UsageFilter::default()
                },
                EventPageQuery {
                    cursor,
                    limit: 1000,
                    count,
                    newest_first: false,
                },
            ))?;
            times.push(t.elapsed());
        }
        Ok::<_, anyhow::Error>(median(times))
    };
    println!(
        "    {:<46} {:>9}",
        "events, first page of 1,000 with the count",
        ms(page(None, true)?)
    );
    println!(
        "    {:<46} {:>9}",
        "events, a page of 1,000 from the middle",
        ms(page(Some(n as i64 / 2), false)?)
    );
    // What a report costs without the rollup: the same sums straight from the events.
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut stmt = conn.prepare_cached(
            "SELECT (created_at + 10800000) / 86400000, COUNT(*), SUM(input_tokens), SUM(cached_tokens),
                    SUM(output_tokens), SUM(cost_micros)
             FROM usage_events WHERE account_id = 1 AND created_at >= ?1 AND created_at < ?2 GROUP BY 1",
        )?;
        let rows = stmt
            .query_map(params![aligned.from, aligned.to], |r| r.get::<_, i64>(1))?
            .count();
        times.push(t.elapsed());
        assert!(rows > 0);
    }
    println!(
        "    {:<46} {:>9}  (for comparison)",
        "same by-day report summed from raw events",
        ms(median(times))
    );
    Ok(())
}
