//! What the usage-report methods of [`Store`](super::Store) take and give: a filter over usage
//! events, and grouped sums. The query language of `/api/v1/usage` (dates, time zones, who may
//! see what) is parsed by `crate::usage`; here everything is already resolved to ids and Unix
//! milliseconds. The filter and the page are the report engine's ([`codexkey_report`]), which
//! the CLI's cache shares.

use codexkey_common::api::UsageTotals;

use crate::clock::Millis;

pub use codexkey_common::rollup::BUCKET_MS;

/// Which usage events a report or a page covers: its scope is an account (`None`: every
/// account, for admins).
pub use codexkey_report::Filter as UsageFilter;
pub use codexkey_report::{EventPageQuery, StatusFilter};

/// One group of a report, as [`Store::usage_report`](super::Store::usage_report) returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageGroupRecord {
    /// With a time dimension: the start of the hour or day (Unix ms).
    pub period_start: Option<Millis>,
    pub account_id: Option<i64>,
    pub email: Option<String>,
    /// With the key dimension: `None` for events without a key.
    pub key_id: Option<i64>,
    pub key_prefix: Option<String>,
    pub key_name: Option<String>,
    /// With the model dimension: the model (`""` for events without one).
    pub model: Option<String>,
    /// Without a display cost: the store knows credits only.
    pub totals: UsageTotals,
}

/// The fixed UTC offset of `tz_offset_ms`, as reports take days and hours in it; `None` for
/// none (beyond a day either way).
pub(crate) fn fixed_offset(tz_offset_ms: i64) -> Option<chrono::FixedOffset> {
    i32::try_from(tz_offset_ms / 1000)
        .ok()
        .and_then(chrono::FixedOffset::east_opt)
}

/// Where a group's local day or hour starts, in Unix ms, for a report at `tz_offset_ms`.
pub(crate) fn period_start(p: codexkey_report::Period, tz_offset_ms: i64) -> Millis {
    match p {
        codexkey_report::Period::Day(d) => {
            d.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
                - tz_offset_ms
        }
        codexkey_report::Period::Hour(h) => h.timestamp_millis(),
    }
}
