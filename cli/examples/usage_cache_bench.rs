//! The CLI's usage cache on a million events: how long a sync takes to store them (pages of
//! 1,000, as from the gateway), `codexkey usage` to report from them in the local time zone,
//! `usage events` to list the newest, and an old (schema 1) cache to upgrade. Run by
//! `bench/usage.sh`:
//!
//! ```sh
//! cargo run --release -p codexkey --example usage_cache_bench -- [EVENTS]
//! ```

#![expect(clippy::print_stdout, reason = "a benchmark prints its report")]

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use chrono::{DateTime, Local};
use codexkey::cache::report::CacheFilter;
use codexkey::cache::{Cache, FILE_NAME, schema};
use codexkey_common::Micros;
use codexkey_common::api::{UsageDimension, UsageEvent};

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
const RUNS: usize = 7;
const PAGE: usize = 1_000;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// `n` synthetic events ending at `end`, in id order, as the gateway sends them.
fn events(n: u64, end: i64) -> Vec<UsageEvent> {
    let start = end - DAYS * DAY_MS;
    let step = (DAYS * DAY_MS) / n.max(1) as i64;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let failed = rng.below(100) < 3;
            let input = 500 + rng.below(50_000);
            let output = if failed { 0 } else { 50 + rng.below(4_000) };
            UsageEvent {
                id: i as i64 + 1,
                request_id: format!("req-{i:08}"),
                account_id: 1,
                key_id: Some(1 + rng.below(5) as i64),
                route: "chat.completions".into(),
                provider: Some("openai".into()),
                model: Some(MODELS[rng.below(MODELS.len() as u64) as usize].into()),
                input_tokens: input,
                cached_tokens: 0,
                cache_write_tokens: 0,
                output_tokens: output,
                reasoning_tokens: output / 4,
                images: 0,
                cost_micros: Micros(if failed {
                    0
                } else {
                    (input * 3 + output * 15) as i64 / 10
                }),
                status: if failed { 502 } else { 200 },
                error_code: failed.then(|| "upstream_error".into()),
                settlement: "final_usage".into(),
                uncapped_cost_micros: None,
                latency_ms: Some(200 + rng.below(20_000) as i64),
                ttfb_ms: Some(100),
                client_ip: Some("127.0.0.1".into()),
                user_agent: Some("bench/1.0".into()),
                created_at: DateTime::from_timestamp_millis(
                    start + i as i64 * step + rng.below(step.max(1) as u64) as i64,
                )
                .unwrap_or_default(),
            }
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
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
    let all = events(n, now);
    println!(
        "CLI cache (SQLite, WAL): {n} synthetic events of one account, 5 keys, {} models, over {DAYS} days; local time zone {}",
        MODELS.len(),
        Local::now().format("%:z")
    );

    let mut cache = Cache::open(&dir.path().join(FILE_NAME))?;
    let source = cache.source("http://bench", 1, "bench@codexkey.test", "USD")?;
    let t = Instant::now();
    for page in all.chunks(PAGE) {
        let cursor = page.last().map_or(0, |e| e.id);
        cache.store_page(source.id, page, cursor)?;
    }
    let t_sync = t.elapsed();
    println!(
        "  store {n} events in pages of {PAGE} (a first sync)  {:>9}  ({:.1} µs/event)",
        format!("{:.2} s", t_sync.as_secs_f64()),
        t_sync.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    let t = Instant::now();
    cache.store_page(source.id, &all[all.len().saturating_sub(PAGE)..], now)?;
    println!(
        "  the last page again (a sync that finds nothing new) {:>9}",
        ms(t.elapsed())
    );

    let today = Local::now().date_naive();
    let first = today - chrono::Days::new(DAYS as u64 - 1);
    let local_midnight = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(Local).earliest())
            .map_or(0, |t| t.timestamp_millis())
    };
    let days = CacheFilter {
        from: Some(local_midnight(first)),
        to: Some(local_midnight(today + chrono::Days::new(1))),
        ..CacheFilter::default()
    };
    let to_the_ms = CacheFilter {
        from: Some(now - 12 * 3_600_000 - 1),
        to: Some(now + 1),
        ..CacheFilter::default()
    };
    println!("  queries (median of {RUNS}):");
    let cases: Vec<(&str, &CacheFilter, Vec<UsageDimension>)> = vec![
        (
            "usage --since 30d (by day)",
            &days,
            vec![UsageDimension::Day],
        ),
        (
            "usage --since 30d --by model",
            &days,
            vec![UsageDimension::Model],
        ),
        (
            "usage --since 30d --by key",
            &days,
            vec![UsageDimension::Key],
        ),
        (
            "usage --since 30d --by day,model",
            &days,
            vec![UsageDimension::Day, UsageDimension::Model],
        ),
        (
            "usage --since 30d --by hour",
            &days,
            vec![UsageDimension::Hour],
        ),
        (
            "usage --since 12h --by hour",
            &to_the_ms,
            vec![UsageDimension::Hour],
        ),
    ];
    for (name, f, dims) in cases {
        let mut times = Vec::new();
        let mut groups = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            groups = cache.report(source.id, f, &dims, &Local)?.len();
            times.push(t.elapsed());
        }
        println!("    {name:<48} {:>9}  ({groups} groups)", ms(median(times)));
    }
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        cache.events(source.id, &days, 50)?;
        times.push(t.elapsed());
    }
    println!(
        "    {:<48} {:>9}",
        "usage events (newest 50)",
        ms(median(times))
    );
    // Schema 1 summed raw events: the same by-day report the way it did.
    let raw = rusqlite::Connection::open(cache.path())?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut stmt = raw.prepare_cached(
            "SELECT created_at - created_at % 900000, COUNT(*), SUM(input_tokens), SUM(cached_tokens),
                    SUM(output_tokens), SUM(cost_micros)
             FROM events WHERE source_id = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY 1",
        )?;
        let rows = stmt
            .query_map(rusqlite::params![source.id, days.from, days.to], |r| {
                r.get::<_, i64>(1)
            })?
            .count();
        times.push(t.elapsed());
        assert!(rows > 0);
    }
    println!(
        "    {:<48} {:>9}  (schema 1, without the rollup)",
        "usage --since 30d, summed from raw events",
        ms(median(times))
    );
    drop(raw);

    // Upgrading a schema-1 cache that holds them.
    let old = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&old)?;
        conn.execute_batch(schema::V1)?;
        conn.pragma_update(None, "user_version", 1)?;
        conn.execute(
            "ATTACH ?1 AS cur",
            [cache.path().to_string_lossy().into_owned()],
        )?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO sources (id, gateway, account_id, email) VALUES (1, 'http://bench', 1, 'b@x')",
            [],
        )?;
        tx.execute("INSERT INTO events SELECT * FROM cur.events", [])?;
        tx.commit()?;
        conn.execute_batch("DETACH cur")?;
    }
    let t = Instant::now();
    let upgraded = Cache::open(&old)?;
    println!(
        "  upgrade a schema-1 cache of {n} events to {}    {:>9}  (rollup backfill, once)",
        upgraded.version()?,
        format!("{:.2} s", t.elapsed().as_secs_f64())
    );
    Ok(())
}
