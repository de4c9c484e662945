//! Usage reports, raw usage events and display currencies: the types of `/api/v1/usage…` and
//! `/api/v1/currencies`, and their CSV form. The CLI prints these same documents for `--json`
//! and the same CSV for `--csv`, whether it computed them from its local cache or asked the
//! gateway, so a script sees one format.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ledger::{Balance, CurrencyRate};
use crate::Micros;

/// What a usage report groups by. Several may be combined (`day,model`), with at most one of
/// `hour` and `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UsageDimension {
    /// Calendar hours in the report's time zone.
    Hour,
    /// Calendar days in the report's time zone.
    Day,
    /// Accounts (for admins reporting on every account).
    Account,
    /// API keys.
    Key,
    /// Models, as the client named them.
    Model,
}

impl UsageDimension {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Account => "account",
            Self::Key => "key",
            Self::Model => "model",
        }
    }

    pub fn parse(s: &str) -> Option<UsageDimension> {
        Some(match s {
            "hour" => Self::Hour,
            "day" => Self::Day,
            "account" => Self::Account,
            "key" => Self::Key,
            "model" => Self::Model,
            _ => return None,
        })
    }
}

/// Sums over a set of usage events. Token buckets are disjoint (see `Usage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageTotals {
    pub requests: u64,
    /// Requests whose status was not 2xx (upstream errors, refusals, interrupted requests).
    pub errors: u64,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub images: u64,
    pub cost_micros: Micros,
    /// `cost_micros` in the report's display currency (millionths of it), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_display_micros: Option<Micros>,
}

impl UsageTotals {
    /// Adds `other`'s counts and cost (not its display cost: convert totals, never sum them).
    pub fn add(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
        self.images += other.images;
        self.cost_micros = Micros(self.cost_micros.0.saturating_add(other.cost_micros.0));
    }
}

/// One group of a report: the values of its dimensions (only those grouped by are present),
/// and its totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageGroup {
    /// With `day`: the calendar day in the report's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
    /// With `hour`: the start of the hour, with the report's UTC offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// With `model`: the model name (empty for requests refused before a model was known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

/// `GET /api/v1/currencies`: the display currencies this gateway knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Currencies {
    /// What credits are denominated in (`USD`): its rate is 1 and it is not listed.
    pub base: String,
    pub rates: Vec<CurrencyRate>,
}

/// `GET /api/v1/usage`: usage over `[from, to)`, grouped, with totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    /// Inclusive.
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    /// The UTC offset of day and hour groups (`+03:00`), or `local` for the CLI's own reports
    /// (the system time zone, daylight saving included).
    pub tz: String,
    pub group_by: Vec<UsageDimension>,
    /// The account reported on (its email); absent when an admin reports on every account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The display currency of `cost_display_micros`, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<CurrencyRate>,
    /// Ordered by the dimensions, in `group_by` order; only groups with usage.
    pub groups: Vec<UsageGroup>,
    pub totals: UsageTotals,
}

/// One usage event, as the API and the CLI's cache show it: metadata, never a prompt or a
/// completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEvent {
    /// Increases with every event the gateway records: the sync cursor.
    pub id: i64,
    pub request_id: String,
    pub account_id: i64,
    pub key_id: Option<i64>,
    pub route: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub images: u64,
    pub cost_micros: Micros,
    /// The HTTP status the client got; 0 when the gateway was interrupted.
    pub status: u16,
    pub error_code: Option<String>,
    /// Which documented rule produced the charge (`final_usage`, `stream_cut`, …).
    pub settlement: String,
    /// With `capped_at_hold`: what upstream's usage came to before it was capped at the hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncapped_cost_micros: Option<Micros>,
    pub latency_ms: Option<i64>,
    pub ttfb_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/usage/events`: a page of events in increasing `id` (decreasing with
/// `order=desc`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEventPage {
    pub events: Vec<UsageEvent>,
    /// Pass back as `?cursor=` for the events past this page. It is the last event's id (the
    /// cursor sent, or 0, when the page is empty), so it is also where a later sync resumes.
    pub next_cursor: i64,
    /// Whether more events matched than this page holds.
    pub has_more: bool,
    /// With `?count=true`: how many events match past the cursor, this page included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
}

/// `GET /api/v1/usage/summary`: the balance, what was spent today and over the last 30 days,
/// and how long the available balance lasts at that rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageSummary {
    #[serde(flatten)]
    pub balance: Balance,
    /// The UTC offset "today" was taken in.
    pub tz: String,
    /// Since midnight in `tz`.
    pub spent_today_micros: Micros,
    /// Over the last 30 × 24 hours.
    pub spent_30d_micros: Micros,
    /// `spent_30d_micros` per day over the days observed: 30, or fewer when the account's
    /// first request in that window was more recent (but at least one). Rounded down.
    pub daily_average_micros: Micros,
    /// Whole days the available balance lasts at `daily_average_micros`; absent without spend.
    pub days_left: Option<i64>,
    /// The rate of the account's display currency, when the gateway has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<CurrencyRate>,
}

/// `GET /api/v1/requests/{request_id}`: how one of the caller's own data-plane requests was
/// settled, authenticated by the API key that made it (or another key of the same account).
/// `codexkey proxy` asks for it after each request, so its lines show the ledger's figure
/// rather than a local estimate, whatever the client asked for and whatever prices did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestOutcome {
    pub request_id: String,
    pub route: String,
    pub model: Option<String>,
    /// The HTTP status the client got; 0 when the gateway was interrupted.
    pub status: u16,
    /// Which documented rule produced the charge (`final_usage`, `disconnect_drained`, …).
    pub settlement: String,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    pub images: u64,
    /// What the ledger charged for it.
    pub cost_micros: Micros,
}

impl From<UsageEvent> for RequestOutcome {
    fn from(e: UsageEvent) -> RequestOutcome {
        RequestOutcome {
            request_id: e.request_id,
            route: e.route,
            model: e.model,
            status: e.status,
            settlement: e.settlement,
            input_tokens: e.input_tokens,
            cached_tokens: e.cached_tokens,
            cache_write_tokens: e.cache_write_tokens,
            output_tokens: e.output_tokens,
            reasoning_tokens: e.reasoning_tokens,
            images: e.images,
            cost_micros: e.cost_micros,
        }
    }
}

// ---- CSV ----------------------------------------------------------------------------------

/// Appends one CSV field (RFC 4180 quoting).
pub(super) fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// A text field that a client or user chose (a model name, a user agent, a key name). One that
/// starts like a spreadsheet formula gets a leading `'`, so opening the export cannot run it.
pub(super) fn text(out: &mut String, value: Option<&str>) {
    let v = value.unwrap_or("");
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field(out, &format!("'{v}"));
    } else {
        field(out, v);
    }
}

pub(super) fn row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&f);
    }
    out.push_str("\r\n");
}

fn cell(value: &str) -> String {
    let mut s = String::new();
    field(&mut s, value);
    s
}

pub(super) fn text_cell(value: Option<&str>) -> String {
    let mut s = String::new();
    text(&mut s, value);
    s
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl UsageReport {
    /// The groups as CSV (RFC 4180, CRLF line ends, a header line): the dimensions in
    /// `group_by` order, then the totals; costs as exact decimal credits (`cost_credits`) and,
    /// with a display currency, in it (`cost_RUB`). No totals line: every line is one group.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = Vec::new();
        for d in &self.group_by {
            match d {
                UsageDimension::Hour => header.push("hour".into()),
                UsageDimension::Day => header.push("day".into()),
                UsageDimension::Account => {
                    header.extend(["account_id".into(), "email".into()]);
                }
                UsageDimension::Key => {
                    header.extend(["key_id".into(), "key_prefix".into(), "key_name".into()]);
                }
                UsageDimension::Model => header.push("model".into()),
            }
        }
        header.extend(
            [
                "requests",
                "errors",
                "input_tokens",
                "cached_tokens",
                "cache_write_tokens",
                "output_tokens",
                "reasoning_tokens",
                "images",
                "cost_credits",
            ]
            .map(String::from),
        );
        if let Some(c) = &self.currency {
            header.push(format!("cost_{}", c.code));
        }
        row(&mut out, header);
        for g in &self.groups {
            let mut fields: Vec<String> = Vec::new();
            for d in &self.group_by {
                match d {
                    UsageDimension::Hour => fields.push(opt_num(g.hour.map(|h| h.to_rfc3339()))),
                    UsageDimension::Day => fields.push(opt_num(g.day)),
                    UsageDimension::Account => {
                        fields.push(opt_num(g.account_id));
                        fields.push(text_cell(g.email.as_deref()));
                    }
                    UsageDimension::Key => {
                        fields.push(opt_num(g.key_id));
                        fields.push(text_cell(g.key_prefix.as_deref()));
                        fields.push(text_cell(g.key_name.as_deref()));
                    }
                    UsageDimension::Model => fields.push(text_cell(g.model.as_deref())),
                }
            }
            let t = &g.totals;
            fields.extend([
                t.requests.to_string(),
                t.errors.to_string(),
                t.input_tokens.to_string(),
                t.cached_tokens.to_string(),
                t.cache_write_tokens.to_string(),
                t.output_tokens.to_string(),
                t.reasoning_tokens.to_string(),
                t.images.to_string(),
                t.cost_micros.to_string(),
            ]);
            if self.currency.is_some() {
                fields.push(opt_num(t.cost_display_micros));
            }
            row(&mut out, fields);
        }
        out
    }
}

/// Events as CSV (RFC 4180, CRLF line ends, a header line); times in RFC 3339 UTC, the cost as
/// exact decimal credits.
pub fn events_csv(events: &[UsageEvent]) -> String {
    let mut out = String::new();
    row(
        &mut out,
        [
            "id",
            "created_at",
            "request_id",
            "account_id",
            "key_id",
            "route",
            "provider",
            "model",
            "status",
            "error_code",
            "settlement",
            "input_tokens",
            "cached_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
            "images",
            "cost_credits",
            "latency_ms",
            "ttfb_ms",
            "client_ip",
            "user_agent",
        ]
        .map(String::from),
    );
    for e in events {
        row(
            &mut out,
            [
                e.id.to_string(),
                cell(
                    &e.created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ),
                text_cell(Some(&e.request_id)),
                e.account_id.to_string(),
                opt_num(e.key_id),
                text_cell(Some(&e.route)),
                text_cell(e.provider.as_deref()),
                text_cell(e.model.as_deref()),
                e.status.to_string(),
                text_cell(e.error_code.as_deref()),
                text_cell(Some(&e.settlement)),
                e.input_tokens.to_string(),
                e.cached_tokens.to_string(),
                e.cache_write_tokens.to_string(),
                e.output_tokens.to_string(),
                e.reasoning_tokens.to_string(),
                e.images.to_string(),
                e.cost_micros.to_string(),
                opt_num(e.latency_ms),
                opt_num(e.ttfb_ms),
                text_cell(e.client_ip.as_deref()),
                text_cell(e.user_agent.as_deref()),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut s = String::new();
        field(&mut s, "a,b");
        s.push('|');
        field(&mut s, "say \"hi\"");
        s.push('|');
        text(&mut s, Some("=HYPERLINK(\"x\")"));
        s.push('|');
        text(&mut s, Some("curl/8.5"));
        s.push('|');
        text(&mut s, None);
        assert_eq!(
            s,
            "\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"|curl/8.5|"
        );
    }

    #[test]
    fn report_csv_has_dimensions_then_totals() {
        let report = UsageReport {
            from: DateTime::UNIX_EPOCH,
            to: DateTime::UNIX_EPOCH,
            tz: "+00:00".into(),
            group_by: vec![UsageDimension::Day, UsageDimension::Key],
            account: Some("a@b.c".into()),
            currency: Some(CurrencyRate {
                code: "RUB".into(),
                rate: "90".parse().unwrap_or_else(|e| panic!("{e}")),
                date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            }),
            groups: vec![UsageGroup {
                day: NaiveDate::from_ymd_opt(2026, 11, 21),
                key_id: Some(7),
                key_prefix: Some("ck-AbCd1234".into()),
                key_name: Some("laptop, work".into()),
                totals: UsageTotals {
                    requests: 2,
                    errors: 1,
                    input_tokens: 10,
                    output_tokens: 5,
                    cost_micros: Micros(9_200),
                    cost_display_micros: Some(Micros(828_000)),
                    ..UsageTotals::default()
                },
                ..UsageGroup::default()
            }],
            totals: UsageTotals::default(),
        };
        assert_eq!(
            report.to_csv(),
            "day,key_id,key_prefix,key_name,requests,errors,input_tokens,cached_tokens,cache_write_tokens,output_tokens,reasoning_tokens,images,cost_credits,cost_RUB\r\n\
             2026-11-21,7,ck-AbCd1234,\"laptop, work\",2,1,10,0,0,5,0,0,0.0092,0.828\r\n"
        );
    }
}
