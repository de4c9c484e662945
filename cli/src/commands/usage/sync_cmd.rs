//! Keeping the local usage cache in step with the gateway: the gateway as a source of event
//! pages, the progress bar of long syncs, the sync before every report, and `codexkey usage
//! sync` itself.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};
use codexkey_common::api::UsageEventPage;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::render;
use crate::cache::sync::{self, EventSource, PAGE_SIZE, Progress};
use crate::cache::{Cache, Source};
use crate::client::{Client, ClientError};
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

/// A sync of at least this many events draws a progress bar (on a terminal, without `--json`).
const PROGRESS_MIN_EVENTS: u64 = 1_000;

/// The gateway as a source of event pages.
struct Gateway<'a>(&'a Client);

impl EventSource for Gateway<'_> {
    async fn page(&self, cursor: i64, limit: u32, count: bool) -> Result<UsageEventPage> {
        let mut q = vec![("cursor", cursor.to_string()), ("limit", limit.to_string())];
        if count {
            q.push(("count", "true".into()));
        }
        Ok(self.0.usage_events(&q).await?)
    }
}

/// An indicatif bar on stderr, for syncs of many events on a terminal.
struct Bar {
    enabled: bool,
    bar: Option<ProgressBar>,
}

impl Progress for Bar {
    fn start(&mut self, total: u64) {
        if !self.enabled || total < PROGRESS_MIN_EVENTS {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "syncing usage {bar:40} {human_pos}/{human_len} events, {eta} left",
        ) {
            bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
        }
        self.bar = Some(bar);
    }

    fn advance(&mut self, events: u64) {
        if let Some(b) = &self.bar {
            b.inc(events);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// "3 hours ago, at 2026-11-22 09:14".
pub(super) fn when(at: i64) -> String {
    let t = DateTime::from_timestamp_millis(at).unwrap_or(DateTime::UNIX_EPOCH);
    format!("{}, at {}", render::age(t, Utc::now()), output::time(t))
}

/// How old a source's data is, for people.
pub(super) fn freshness(s: &Source) -> String {
    match s.synced_at {
        Some(at) => format!("synced {}", when(at)),
        None => "from a sync that did not finish".into(),
    }
}

/// The cache, synced with the gateway unless `offline`, and the source to read. A gateway that
/// cannot be reached is an error whose hint offers `--offline` when the cache has data.
pub(super) async fn open_synced(
    ctx: &Ctx,
    offline: bool,
) -> Result<(Cache, Source, sync::SyncOutcome)> {
    let mut cache = Cache::open_default()?;
    if offline {
        let source = cache.latest_source(&ctx.gateway)?.ok_or_else(|| {
            UserError::new(
                format!("no usage of {} is cached on this machine", ctx.gateway),
                "run `codexkey usage` once while the gateway is reachable",
            )
        })?;
        output::notice(&format!(
            "offline: usage of {} cached from {}, {}",
            source.email,
            ctx.gateway,
            freshness(&source)
        ));
        return Ok((cache, source, sync::SyncOutcome::default()));
    }
    let client = ctx.authed().await?;
    let fetched = tokio::try_join!(client.account(), client.keys(), client.currencies());
    let (account, keys, currencies) = match fetched {
        Ok(v) => v,
        Err(e) => return Err(unreachable_hint(e, &cache, &ctx.gateway)),
    };
    let source = cache.source(&ctx.gateway, account.id, &account.email, &account.currency)?;
    cache.set_keys(source.id, &keys)?;
    cache.set_currencies(source.id, &currencies.rates)?;
    let mut bar = Bar {
        enabled: !ctx.json && std::io::stderr().is_terminal(),
        bar: None,
    };
    let synced = sync::sync(
        &mut cache,
        source.id,
        &Gateway(&client),
        PAGE_SIZE,
        Utc::now().timestamp_millis(),
        &mut bar,
    )
    .await;
    drop(bar);
    let outcome = match synced {
        Ok(o) => o,
        Err(e) => {
            return Err(match e.downcast::<ClientError>() {
                Ok(c) => unreachable_hint(c, &cache, &ctx.gateway),
                Err(e) => e.context("the usage cache could not be synced; it keeps what it has"),
            });
        }
    };
    let source = cache.source_by_id(source.id)?;
    Ok((cache, source, outcome))
}

/// A client error, with the `--offline` hint when the gateway is unreachable and the cache has
/// something to show.
fn unreachable_hint(e: ClientError, cache: &Cache, gateway: &str) -> anyhow::Error {
    if !matches!(e, ClientError::Unreachable { .. }) {
        return e.into();
    }
    match cache.latest_source(gateway) {
        Ok(Some(s)) => anyhow::Error::new(e).context(UserError::new(
            "the usage could not be synced",
            format!(
                "`--offline` shows the usage cached on this machine ({})",
                freshness(&s)
            ),
        )),
        _ => e.into(),
    }
}

/// What `usage sync --json` prints.
#[derive(Debug, Serialize)]
struct SyncReport {
    gateway: String,
    account: String,
    /// Events this sync added.
    new_events: u64,
    /// Events the cache holds for this gateway and account.
    cached_events: u64,
    cursor: i64,
    synced_at: Option<DateTime<Utc>>,
    cache: String,
}

pub(super) async fn sync_command(ctx: &Ctx) -> Result<ExitCode> {
    let (cache, source, outcome) = open_synced(ctx, false).await?;
    let r = SyncReport {
        gateway: source.gateway.clone(),
        account: source.email.clone(),
        new_events: outcome.new,
        cached_events: cache.count(source.id)?,
        cursor: source.cursor,
        synced_at: source.synced_at.and_then(DateTime::from_timestamp_millis),
        cache: cache.path().display().to_string(),
    };
    if ctx.json {
        output::json(&r)?;
    } else {
        output::notice(&format!(
            "synced {} new events; {} cached for {} in {}",
            render::count(r.new_events),
            render::count(r.cached_events),
            r.account,
            r.cache
        ));
    }
    Ok(ExitCode::SUCCESS)
}
