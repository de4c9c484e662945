//! What the usage-report methods of [`Store`](super::Store) take and give: a filter over usage
//! events, and grouped sums. The query language of `/api/v1/usage` (dates, time zones, who may
//! see what) is parsed by `crate::usage`; here everything is already resolved to ids and Unix
//! milliseconds.

use codexkey_common::api::UsageTotals;

use crate::clock::Millis;

pub use codexkey_common::rollup::BUCKET_MS;

/// Which statuses an event may have to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// 2xx.
    Ok,
    /// Anything else, 0 (interrupted by a crash) included.
    Error,
    /// Exactly this status.
    Code(u16),
}

/// Which usage events a report or a page covers. Every present field must match.
#[derive(Debug, Clone, Default)]
pub struct UsageFilter {
    /// `None`: every account (admins).
    pub account_id: Option<i64>,
    /// Inclusive; `None`: from the first event.
    pub from: Option<Millis>,
    /// Exclusive; `None`: to the last event.
    pub to: Option<Millis>,
    pub key_id: Option<i64>,
    /// A model name, or a pattern where `*` matches any run of characters (case-sensitive).
    pub model: Option<String>,
    pub status: Option<StatusFilter>,
}

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

/// Which page of events [`Store::usage_events`](super::Store::usage_events) returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPageQuery {
    /// Oldest first: events with a greater id (from the first when `None`). Newest first:
    /// events with a smaller id (from the last when `None`).
    pub cursor: Option<i64>,
    pub limit: u32,
    /// Also count every match past the cursor.
    pub count: bool,
    pub newest_first: bool,
}
