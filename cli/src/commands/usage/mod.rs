//! `codexkey usage [events|sync]`: what you spent, on what and when.
//!
//! Local-first: each run syncs the local cache (`crate::cache`) from the gateway by cursor,
//! then answers from the cache, in the local time zone. `--offline` skips the gateway and says
//! how old the cache is. `--account` (admins) asks the gateway directly instead, since the
//! cache holds only your own events. `--json` prints a `UsageReport` (or events), `--csv` its
//! CSV; both are the gateway's own formats.

mod range;
mod render;
mod sync_cmd;

use sync_cmd::{open_synced, sync_command};

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, Local};
use codexkey_common::api::{
    CurrencyRate, UsageDimension, UsageEvent, UsageReport, UsageTotals, events_csv,
};
use codexkey_common::currency::BASE_CURRENCY;

use crate::args::{UsageArgs, UsageBy, UsageCommand, UsageEventsArgs, UsageFilterArgs};
use crate::cache::report::{CacheFilter, StatusFilter};
use crate::cache::{Cache, Source};
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

/// Events an admin's `usage events --account` asks for per request.
const SERVER_PAGE: u32 = 1_000;

pub async fn run(ctx: &Ctx, args: UsageArgs) -> Result<ExitCode> {
    match args.command {
        Some(UsageCommand::Events(a)) => events(ctx, a).await,
        Some(UsageCommand::Sync) => sync_command(ctx).await,
        None => report(ctx, args).await,
    }
}

fn dimension(b: UsageBy) -> UsageDimension {
    match b {
        UsageBy::Day => UsageDimension::Day,
        UsageBy::Hour => UsageDimension::Hour,
        UsageBy::Model => UsageDimension::Model,
        UsageBy::Key => UsageDimension::Key,
        UsageBy::Account => UsageDimension::Account,
    }
}

fn status_filter(s: &str) -> Result<StatusFilter> {
    Ok(match s {
        "ok" => StatusFilter::Ok,
        "error" => StatusFilter::Error,
        code => StatusFilter::Code(
            code.parse::<u16>()
                .ok()
                .filter(|c| *c == 0 || (100..=599).contains(c))
                .ok_or_else(|| {
                    UserError::new(
                        format!("`--status {s}` is not a status"),
                        "use `ok`, `error` or a status code such as `429`",
                    )
                })?,
        ),
    })
}

fn check_output(ctx: &Ctx, f: &UsageFilterArgs) -> Result<()> {
    if ctx.json && f.csv {
        return Err(UserError::new(
            "`--json` and `--csv` ask for two formats",
            "pick one of them",
        )
        .into());
    }
    Ok(())
}

// ---- syncing ---------------------------------------------------------------------------------

/// A key named by id, name or prefix, among the cached keys of the source.
fn resolve_key(cache: &Cache, source: &Source, key: &str) -> Result<i64> {
    let keys = cache.keys(source.id)?;
    let found = keys
        .iter()
        .find(|k| k.id.to_string() == key)
        .or_else(|| keys.iter().find(|k| k.name.as_deref() == Some(key)))
        .or_else(|| keys.iter().find(|k| k.prefix == key));
    match (found, key.parse::<i64>()) {
        (Some(k), _) => Ok(k.id),
        // A key deleted since still has its events.
        (None, Ok(id)) => Ok(id),
        (None, Err(_)) => Err(UserError::new(
            format!("no key is named `{key}`"),
            "name a key by its id, name or prefix, as `codexkey keys list` shows them",
        )
        .into()),
    }
}

fn cache_filter(
    cache: &Cache,
    source: &Source,
    f: &UsageFilterArgs,
    range: Option<(i64, i64)>,
) -> Result<CacheFilter> {
    Ok(CacheFilter {
        scope: Some(source.id),
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        key_id: f
            .key
            .as_deref()
            .map(|k| resolve_key(cache, source, k))
            .transpose()?,
        model: f.model.clone(),
        status: f.status.as_deref().map(status_filter).transpose()?,
    })
}

/// The display currency: `--currency` (which needs a rate), else the account's when the
/// gateway has a rate for it, else none.
fn currency(
    wanted: Option<&str>,
    account_currency: &str,
    rates: &[CurrencyRate],
) -> Result<Option<CurrencyRate>> {
    let find = |code: &str| rates.iter().find(|r| r.code.eq_ignore_ascii_case(code));
    match wanted {
        Some(c) if c.eq_ignore_ascii_case(BASE_CURRENCY) || c.eq_ignore_ascii_case("credits") => {
            Ok(None)
        }
        Some(c) => find(c).cloned().map(Some).ok_or_else(|| {
            UserError::new(
                format!("the gateway has no rate for `{c}`"),
                if rates.is_empty() {
                    "this gateway configures no display currency; costs are in credits (USD)".into()
                } else {
                    format!(
                        "use one of {}, or `USD` for credits",
                        rates
                            .iter()
                            .map(|r| format!("`{}`", r.code))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )
            .into()
        }),
        None => Ok(find(account_currency).cloned()),
    }
}

fn currency_note(c: &CurrencyRate) -> String {
    format!(
        "costs in {} at {} per credit (1 credit = 1 USD), the gateway's rate of {}",
        c.code, c.rate, c.date
    )
}

// ---- `codexkey usage` ------------------------------------------------------------------------

async fn report(ctx: &Ctx, args: UsageArgs) -> Result<ExitCode> {
    let f = &args.filter;
    check_output(ctx, f)?;
    let mut dims: Vec<UsageDimension> = Vec::new();
    for b in &args.by {
        let d = dimension(*b);
        if !dims.contains(&d) {
            dims.push(d);
        }
    }
    if dims.contains(&UsageDimension::Day) && dims.contains(&UsageDimension::Hour) {
        return Err(
            UserError::new("`--by day,hour` asks for two time groupings", "pick one").into(),
        );
    }
    let now = Local::now();
    let (from, to) = range::resolve(f.since.as_deref(), f.from.as_deref(), f.to.as_deref(), &now)?;
    let report = match &f.account {
        Some(account) => server_report(ctx, &args, &dims, account, (from, to), &now).await?,
        None => {
            if dims.contains(&UsageDimension::Account) {
                return Err(UserError::new(
                    "`--by account` needs `--account all`",
                    "your own usage is one account; admins see every account with `--account all`",
                )
                .into());
            }
            let (cache, source, _) = open_synced(ctx, f.offline).await?;
            let filter = cache_filter(&cache, &source, f, Some((from, to)))?;
            let rate = currency(
                args.currency.as_deref(),
                &source.currency,
                &cache.currencies(source.id)?,
            )?;
            if rate.is_none()
                && args.currency.is_none()
                && !source.currency.eq_ignore_ascii_case(BASE_CURRENCY)
                && !ctx.json
                && !f.csv
            {
                output::notice(&format!(
                    "the gateway has no rate for your display currency {}; costs are in credits (USD)",
                    source.currency
                ));
            }
            let mut groups = cache.report(source.id, &filter, &dims, &Local)?;
            let mut totals = UsageTotals::default();
            for g in &mut groups {
                totals.add(&g.totals);
                g.totals.cost_display_micros = rate
                    .as_ref()
                    .and_then(|r| r.rate.convert(g.totals.cost_micros));
            }
            totals.cost_display_micros = rate
                .as_ref()
                .and_then(|r| r.rate.convert(totals.cost_micros));
            UsageReport {
                from: DateTime::from_timestamp_millis(from).unwrap_or_default(),
                to: DateTime::from_timestamp_millis(to).unwrap_or_default(),
                tz: "local".into(),
                group_by: dims.clone(),
                account: Some(source.email.clone()),
                currency: rate,
                groups,
                totals,
            }
        }
    };
    if ctx.json {
        output::json(&report)?;
    } else if f.csv {
        output::write(&report.to_csv())?;
    } else {
        print_report(&report, !args.no_chart)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &UsageReport, chart: bool) -> Result<()> {
    if report.groups.is_empty() {
        output::notice("no usage in this range");
        return Ok(());
    }
    let mut text = format!("{}\n", render::report_table(report));
    if chart && report.group_by == [UsageDimension::Day] {
        // The gateway's reports name a fixed offset; the cache's are local.
        let drawn = match report.tz.parse::<FixedOffset>() {
            Ok(tz) => render::day_chart(report, &tz),
            Err(_) => render::day_chart(report, &Local),
        };
        match drawn {
            Some(c) => {
                text.push('\n');
                text.push_str(&c);
            }
            None => output::notice(&format!(
                "the chart is drawn for ranges up to {} days",
                render::CHART_MAX_DAYS
            )),
        }
    }
    output::write(&text)?;
    if let Some(c) = &report.currency {
        output::notice(&currency_note(c));
    }
    Ok(())
}

/// An admin's report on another account (or every account), straight from the gateway.
async fn server_report(
    ctx: &Ctx,
    args: &UsageArgs,
    dims: &[UsageDimension],
    account: &str,
    (from, to): (i64, i64),
    now: &DateTime<Local>,
) -> Result<UsageReport> {
    let f = &args.filter;
    let key = match &f.key {
        Some(k) => Some(k.parse::<i64>().map_err(|_| {
            UserError::new(
                "with `--account`, name the key by its id",
                "`codexkey usage --account … --by key --json` shows key ids",
            )
        })?),
        None => None,
    };
    let mut q = vec![
        ("account", account.to_owned()),
        ("from", rfc3339(from)),
        ("to", rfc3339(to)),
        ("tz", range::offset_label(now)),
        (
            "group_by",
            dims.iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ];
    if let Some(k) = key {
        q.push(("key", k.to_string()));
    }
    if let Some(m) = &f.model {
        q.push(("model", m.clone()));
    }
    if let Some(s) = &f.status {
        status_filter(s)?;
        q.push(("status", s.clone()));
    }
    if let Some(c) = &args.currency {
        q.push(("currency", c.clone()));
    }
    Ok(ctx.authed().await?.usage_report(&q).await?)
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---- `codexkey usage events` -----------------------------------------------------------------

async fn events(ctx: &Ctx, args: UsageEventsArgs) -> Result<ExitCode> {
    let f = &args.filter;
    check_output(ctx, f)?;
    if !(1..=100_000).contains(&args.limit) {
        return Err(UserError::new(
            "`--limit` must be between 1 and 100000",
            "pick a smaller number",
        )
        .into());
    }
    let now = Local::now();
    let range = Some(range::resolve(
        f.since.as_deref(),
        f.from.as_deref(),
        f.to.as_deref(),
        &now,
    )?);
    let (events, keys) = match &f.account {
        Some(account) => (
            server_events(ctx, f, account, range, args.limit).await?,
            Vec::new(),
        ),
        None => {
            let (cache, source, _) = open_synced(ctx, f.offline).await?;
            let filter = cache_filter(&cache, &source, f, range)?;
            (
                cache.events(source.id, &filter, args.limit)?,
                cache.keys(source.id)?,
            )
        }
    };
    if ctx.json {
        output::json(&events)?;
    } else if f.csv {
        output::write(&events_csv(&events))?;
    } else if events.is_empty() {
        output::notice("no usage events match");
    } else {
        output::write(&format!("{}\n", render::events_table(&events, &keys)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The newest `limit` events of another account (admins), page by page from the gateway.
async fn server_events(
    ctx: &Ctx,
    f: &UsageFilterArgs,
    account: &str,
    range: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<UsageEvent>> {
    let client = ctx.authed().await?;
    let mut base = vec![
        ("account", account.to_owned()),
        ("order", "desc".to_owned()),
    ];
    if let Some((from, to)) = range {
        base.push(("from", rfc3339(from)));
        base.push(("to", rfc3339(to)));
    }
    if let Some(k) = &f.key {
        k.parse::<i64>().map_err(|_| {
            UserError::new(
                "with `--account`, name the key by its id",
                "`codexkey usage --account … --by key --json` shows key ids",
            )
        })?;
        base.push(("key", k.clone()));
    }
    if let Some(m) = &f.model {
        base.push(("model", m.clone()));
    }
    if let Some(s) = &f.status {
        base.push(("status", s.clone()));
    }
    let mut out: Vec<UsageEvent> = Vec::new();
    let mut cursor: Option<i64> = None;
    while out.len() < limit as usize {
        let mut q = base.clone();
        q.push((
            "limit",
            (limit as usize - out.len())
                .min(SERVER_PAGE as usize)
                .to_string(),
        ));
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        let page = client.usage_events(&q).await?;
        let more = page.has_more;
        cursor = Some(page.next_cursor);
        out.extend(page.events);
        if !more {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn currencies_follow_the_flag_then_the_account() {
        let rates: Vec<CurrencyRate> = vec![CurrencyRate {
            code: "RUB".into(),
            rate: "92.5".parse().unwrap(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        }];
        assert_eq!(currency(None, "RUB", &rates).unwrap().unwrap().code, "RUB");
        assert!(currency(None, "USD", &rates).unwrap().is_none());
        assert!(
            currency(None, "EUR", &rates).unwrap().is_none(),
            "no rate: credits"
        );
        assert!(currency(Some("usd"), "RUB", &rates).unwrap().is_none());
        assert_eq!(
            currency(Some("rub"), "USD", &rates).unwrap().unwrap().code,
            "RUB"
        );
        let err = currency(Some("EUR"), "USD", &rates).unwrap_err();
        assert!(err.to_string().contains("no rate for `EUR`"), "{err}");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_filter("ok").unwrap(), StatusFilter::Ok);
        assert_eq!(status_filter("429").unwrap(), StatusFilter::Code(429));
        assert!(status_filter("999").is_err());
    }
}
