//! Usage reports: what an account spent, on what and when. `GET /api/v1/usage` (grouped sums
//! with totals), `/usage/events` (raw events by a stable cursor), `/usage/summary` (spend today
//! and over 30 days, days of balance left) and `/currencies` (display-currency rates).
//!
//! Who may see what is decided here: a user sees their own account; an admin may name any
//! account, or `all`. Reports read what is durable, after flushing the metering writer, so a
//! request that just finished is in them. The query language is in [`query`]; the SQL in
//! `store::sqlite::reports` and the report engine it runs, `codexkey_report`.

pub mod query;

use chrono::FixedOffset;
use codexkey_common::Micros;
use codexkey_common::api::{
    Currencies, CurrencyRate, Role, UsageDimension, UsageEventPage, UsageGroup, UsageReport,
    UsageSummary, UsageTotals,
};
use codexkey_common::currency::BASE_CURRENCY;
use serde::Deserialize;

use crate::accounts::{self, Caller};
use crate::billing;
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::usage::{EventPageQuery, UsageFilter};
use crate::store::{AccountRecord, Millis};

use self::query::DAY_MS;

/// Events per page by default, and at most.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 5_000;
/// The window of the summary's average.
const SUMMARY_DAYS: i64 = 30;

/// The query string of `/api/v1/usage` and `/api/v1/usage/events` (its OpenAPI parameters are
/// derived from this definition and its comments).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// Inclusive; a date (its midnight in `tz`) or an RFC 3339 time.
    pub from: Option<String>,
    /// Exclusive; a date (its midnight in `tz`) or an RFC 3339 time.
    pub to: Option<String>,
    /// The UTC offset of dates and of day and hour groups; default `Z`.
    pub tz: Option<String>,
    /// `hour`, `day`, `model`, `key`, `account`, comma-separated; default `day`.
    pub group_by: Option<String>,
    pub key: Option<i64>,
    /// A model name, or a pattern with `*`.
    pub model: Option<String>,
    /// `ok`, `error` or a status code.
    pub status: Option<String>,
    /// An email or account id, or `all` (admins; others may name only themselves).
    pub account: Option<String>,
    /// A configured display currency; default the account's own; `USD` or `credits` for none.
    pub currency: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Events: only those with a greater id.
    pub cursor: Option<i64>,
    /// Events per page: 1 to 5,000, default 100.
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
    /// Events: also count every match past the cursor.
    pub count: Option<bool>,
    /// Events: `asc` (default; oldest first, what a sync wants) or `desc` (newest first).
    pub order: Option<String>,
}

/// The output format a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// `?format=` wins; otherwise CSV when the client accepts `text/csv`.
    pub fn pick(param: Option<&str>, accept: Option<&str>) -> Result<Format, ApiError> {
        match param {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::InvalidRequest(format!(
                "`format` is `json` or `csv`, not `{other}`"
            ))),
            None if accept.is_some_and(|a| a.contains("text/csv")) => Ok(Format::Csv),
            None => Ok(Format::Json),
        }
    }
}

/// Which account a request is about: `Some(account)`, or `None` for every account.
async fn scope(
    state: &AppState,
    caller: &Caller,
    account: Option<&str>,
) -> Result<Option<AccountRecord>, ApiError> {
    let Some(name) = account.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(Some(caller.account.clone()));
    };
    let me = &caller.account;
    if me.role != Role::Admin {
        // Compared without a lookup, so a user cannot learn which other accounts exist.
        let is_me = name.eq_ignore_ascii_case(&me.email) || name == me.id.to_string();
        return if is_me {
            Ok(Some(me.clone()))
        } else {
            Err(ApiError::Forbidden(
                "only admins may report on another account or on `all`",
            ))
        };
    }
    if name == "all" {
        return Ok(None);
    }
    accounts::find(state, name).await.map(Some)
}

/// The display currency of a report: `?currency=` if given (it must be configured), else the
/// account's own preference when the gateway has a rate for it, else none (credits).
fn display_currency(
    state: &AppState,
    param: Option<&str>,
    account: Option<&AccountRecord>,
) -> Result<Option<CurrencyRate>, ApiError> {
    let rate_of = |code: &str| {
        state.config.currencies.get(code).map(|c| CurrencyRate {
            code: code.to_owned(),
            rate: c.rate,
            date: c.date,
        })
    };
    match param.map(str::trim) {
        Some(c) if c.eq_ignore_ascii_case(BASE_CURRENCY) || c.eq_ignore_ascii_case("credits") => {
            Ok(None)
        }
        Some(c) => rate_of(&c.to_ascii_uppercase()).map(Some).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "this gateway has no rate for `{c}`; see `GET /api/v1/currencies`"
            ))
        }),
        None => Ok(account.and_then(|a| rate_of(&a.currency))),
    }
}

/// The filter a request describes, for the account in scope.
fn filter(
    p: &UsageParams,
    account: Option<&AccountRecord>,
    range: Option<(Millis, Millis)>,
) -> Result<UsageFilter, ApiError> {
    Ok(UsageFilter {
        scope: account.map(|a| a.id),
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        key_id: p.key,
        model: p
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        status: p.status.as_deref().map(query::status).transpose()?,
    })
}

fn convert(rate: Option<&CurrencyRate>, credits: Micros) -> Option<Micros> {
    rate.and_then(|r| r.rate.convert(credits))
}

/// `GET /api/v1/usage`.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    p: &UsageParams,
) -> Result<UsageReport, ApiError> {
    let tz = query::parse_tz(p.tz.as_deref().unwrap_or("Z"))?;
    let group_by = query::group_by(p.group_by.as_deref())?;
    let (from, to) = query::range(p.from.as_deref(), p.to.as_deref(), tz, now_ms())?;
    if group_by.contains(&UsageDimension::Hour) && to - from > query::MAX_HOURLY_RANGE_DAYS * DAY_MS
    {
        return Err(ApiError::InvalidRequest(format!(
            "an hourly report covers at most {} days; narrow `from` and `to` or group by `day`",
            query::MAX_HOURLY_RANGE_DAYS
        )));
    }
    let account = scope(state, caller, p.account.as_deref()).await?;
    let currency = display_currency(state, p.currency.as_deref(), account.as_ref())?;
    let f = filter(p, account.as_ref(), Some((from, to)))?;
    state.meter.flush().await;
    let records = state
        .store
        .usage_report(f, group_by.clone(), i64::from(tz.local_minus_utc()) * 1000)
        .await?;
    let mut totals = UsageTotals::default();
    let groups = records
        .into_iter()
        .map(|r| {
            totals.add(&r.totals);
            let start = r.period_start.map(|ms| to_utc(ms).with_timezone(&tz));
            UsageGroup {
                day: start
                    .filter(|_| group_by.contains(&UsageDimension::Day))
                    .map(|t| t.date_naive()),
                hour: start.filter(|_| group_by.contains(&UsageDimension::Hour)),
                account_id: r.account_id,
                email: r.email,
                key_id: r.key_id,
                key_prefix: r.key_prefix,
                key_name: r.key_name,
                model: r.model,
                totals: UsageTotals {
                    cost_display_micros: convert(currency.as_ref(), r.totals.cost_micros),
                    ..r.totals
                },
            }
        })
        .collect();
    totals.cost_display_micros = convert(currency.as_ref(), totals.cost_micros);
    Ok(UsageReport {
        from: to_utc(from),
        to: to_utc(to),
        tz: query::tz_label(tz),
        group_by,
        account: account.map(|a| a.email),
        currency,
        groups,
        totals,
    })
}

/// `GET /api/v1/usage/events`: without `from`/`to`, every event past the cursor.
pub async fn events(
    state: &AppState,
    caller: &Caller,
    p: &UsageParams,
) -> Result<UsageEventPage, ApiError> {
    if p.group_by.is_some() || p.currency.is_some() {
        return Err(ApiError::InvalidRequest(
            "`group_by` and `currency` belong to `/api/v1/usage`, not to events".into(),
        ));
    }
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::InvalidRequest(format!(
            "`limit` must be between 1 and {MAX_PAGE}"
        )));
    }
    if p.cursor.is_some_and(|c| c < 0) {
        return Err(ApiError::InvalidRequest(
            "`cursor` is an event id from a previous page (0 or more)".into(),
        ));
    }
    let newest_first = match p.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::InvalidRequest(format!(
                "`order` is `asc` or `desc`, not `{other}`"
            )));
        }
    };
    let tz = query::parse_tz(p.tz.as_deref().unwrap_or("Z"))?;
    let from = p
        .from
        .as_deref()
        .map(|s| query::parse_instant("from", s, tz))
        .transpose()?;
    let to =
        p.to.as_deref()
            .map(|s| query::parse_instant("to", s, tz))
            .transpose()?;
    let account = scope(state, caller, p.account.as_deref()).await?;
    let mut f = filter(p, account.as_ref(), None)?;
    f.from = from;
    f.to = to;
    state.meter.flush().await;
    let page = EventPageQuery {
        cursor: p.cursor,
        limit,
        count: p.count.unwrap_or(false),
        newest_first,
    };
    let (events, has_more, remaining) = state.store.usage_events(f, page).await?;
    Ok(UsageEventPage {
        next_cursor: events.last().map_or(p.cursor.unwrap_or(0), |e| e.id),
        events,
        has_more,
        remaining,
    })
}

/// `GET /api/v1/usage/summary`: balance and spend of the caller's own account.
///
/// The daily average is the last 30 days' spend over the days observed: 30, or since the
/// account's first request in that window when that is more recent, but never under one day
/// (so an hour of heavy use is not read as a day's). Days left = available balance ÷ that
/// average, rounded down; 0 when nothing is available; absent without spend.
pub async fn summary(
    state: &AppState,
    caller: &Caller,
    tz: Option<&str>,
) -> Result<UsageSummary, ApiError> {
    let tz: FixedOffset = query::parse_tz(tz.unwrap_or("Z"))?;
    state.meter.flush().await;
    let balance = billing::balance(state, caller).await?;
    let account_id = caller.account.id;
    let now = now_ms();
    let spent = |from: Millis| {
        let f = UsageFilter {
            scope: Some(account_id),
            from: Some(from),
            to: Some(now + 1),
            ..UsageFilter::default()
        };
        async move {
            let groups = state.store.usage_report(f, Vec::new(), 0).await?;
            Ok::<_, ApiError>(Micros(
                groups.iter().map(|g| g.totals.cost_micros.0).sum::<i64>(),
            ))
        }
    };
    let today = query::day_of(now, tz);
    let today_start = query::midnight(today, tz);
    let window_start = now - SUMMARY_DAYS * DAY_MS;
    let spent_today = spent(today_start).await?;
    let spent_30d = spent(window_start).await?;
    let first = state.store.first_usage_at(account_id, window_start).await?;
    let (daily, days_left) = outlook(
        spent_30d,
        balance.available_micros,
        first.map_or(SUMMARY_DAYS * DAY_MS, |f| now - f),
    );
    let currency_rate = state
        .config
        .currencies
        .get(&balance.currency)
        .map(|c| c.rate_of(&balance.currency));
    Ok(UsageSummary {
        balance,
        tz: query::tz_label(tz),
        spent_today_micros: spent_today,
        spent_30d_micros: spent_30d,
        daily_average_micros: daily,
        days_left,
        currency_rate,
    })
}

/// The daily average and the days left: `spent` over `since_first` (the time since the first
/// request in the window, held between one day and [`SUMMARY_DAYS`]), rounded down; days left
/// is `available` over that average, rounded down, 0 when nothing is available, `None`
/// without spend. Integer arithmetic throughout.
fn outlook(spent: Micros, available: Micros, since_first: Millis) -> (Micros, Option<i64>) {
    let observed = i128::from(since_first.clamp(DAY_MS, SUMMARY_DAYS * DAY_MS));
    let spent = i128::from(spent.0.max(0));
    let daily = spent * i128::from(DAY_MS) / observed;
    let days_left = (spent > 0).then(|| {
        let available = i128::from(available.0.max(0));
        i64::try_from(available * observed / (spent * i128::from(DAY_MS))).unwrap_or(i64::MAX)
    });
    (Micros(i64::try_from(daily).unwrap_or(i64::MAX)), days_left)
}

/// `GET /api/v1/currencies`: public, like prices.
pub fn currencies(state: &AppState) -> Currencies {
    Currencies {
        base: BASE_CURRENCY.to_owned(),
        rates: state
            .config
            .currencies
            .iter()
            .map(|(code, c)| CurrencyRate {
                code: code.clone(),
                rate: c.rate,
                date: c.date,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Format::pick(None, None).unwrap(), Format::Json);
        assert_eq!(Format::pick(Some("csv"), None).unwrap(), Format::Csv);
        assert_eq!(
            Format::pick(None, Some("text/csv, */*")).unwrap(),
            Format::Csv
        );
        assert_eq!(
            Format::pick(Some("json"), Some("text/csv")).unwrap(),
            Format::Json
        );
        assert!(Format::pick(Some("xml"), None).is_err());
    }

    #[test]
    fn outlooks() {
        let day = DAY_MS;
        let m = Micros;
        // (spent in 30 days, available, time since the first request) -> (daily, days left)
        let cases = [
            ((3_000_000, 10_000_000, 30 * day), (100_000, Some(100))),
            ((3_000_000, 10_000_000, 90 * day), (100_000, Some(100))), // the window is 30 days
            ((3_000_000, 10_000_000, 10 * day), (300_000, Some(33))),
            ((3_000_000, 10_000_000, 3_600_000), (3_000_000, Some(3))), // never under a day
            ((1_000_000, 2_999_999, 3 * day), (333_333, Some(8))),
            ((7, 0, day), (7, Some(0))),
            ((7, -5, day), (7, Some(0))),
            ((0, 10_000_000, day), (0, None)),
        ];
        for ((spent, available, since), (daily, left)) in cases {
            assert_eq!(
                outlook(m(spent), m(available), since),
                (m(daily), left),
                "{spent} {available} {since}"
            );
        }
    }
}
