//! A copy of an account's data for its owner (`GET /api/v1/account/export`): one zip archive
//! with the profile, the keys (metadata only: never a secret or its hash), the ledger, the
//! usage events, the top-up orders, their refunds, the referrals (who referred the account;
//! whom it referred, with the commissions each earned) and each commission, each as JSON and as
//! CSV, and a `README.txt` saying what is where.
//!
//! Built in memory from the API's own types (so the export shows exactly what the API shows),
//! read page by page from the store. Nothing here knows the archive's readers; the CLI writes
//! it to a private file.

use std::io::{Cursor, Write as _};

use chrono::{DateTime, Utc};
use codexkey_common::Micros;
use codexkey_common::api::UsageEvent;
use serde::Serialize;
use serde_json::Value;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::accounts::{Caller, to_api};
use crate::billing;
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::usage::{EventPageQuery, UsageFilter};
use crate::store::{OrderFilter, RefundFilter};

/// Rows read from the store per page.
const PAGE: u32 = 500;
/// Orders listed at most (an account has a handful; pending ones are capped by the config).
const MAX_ORDERS: u32 = 100_000;

const README: &str = "codexkey account export\n\n\
profile.json       the account: email, role, status, language, currency, when created\n\
keys.json/.csv     API keys: prefix, name, limits, status, spend (never a secret or its hash)\n\
ledger.json/.csv   every ledger entry (money in micro-credits; 1 credit = 1,000,000)\n\
usage.json/.csv    every usage event kept: tokens, cost, status, latency, client address and\n\
                   user agent (events older than the gateway's retention are gone)\n\
orders.json/.csv   top-up orders\n\
refunds.json/.csv  refunds of those orders (asked for here or made at the payment provider)\n\
referrals.json/.csv  referral links: `referred_you` (the account whose code you registered\n\
                   with) and `you_referred` (each account registered with your code, with the\n\
                   top-ups that earned you a commission, what they earned and what was taken\n\
                   back); other people's addresses are shown pseudonymised, like a***@example.com\n\
commissions.json/.csv  each commission you earned on a referee's paid top-up (`earned`) or gave\n\
                   back when it was refunded (`taken_back`; `due_micros` is what the rule asked,\n\
                   `amount_micros` what your balance gave); each is also a `referral_commission`\n\
                   entry in the ledger\n\n\
JSON files hold the API's own objects; CSV files the same rows, nested values as JSON text.\n";

/// The archive's bytes: a zip of JSON and CSV files.
pub async fn export(state: &AppState, caller: &Caller) -> Result<Vec<u8>, ApiError> {
    let id = caller.account.id;
    let account = state
        .store
        .account_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such account".into()))?;
    let now = now_ms();
    let keys: Vec<_> = state
        .store
        .keys(id)
        .await?
        .iter()
        .map(|k| crate::keys::to_api(k, now))
        .collect();
    let mut ledger = Vec::new();
    let mut before = None;
    loop {
        let page = state.store.ledger(id, before, PAGE).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let full = page.len() == PAGE as usize;
        ledger.extend(page.iter().map(billing::entry_to_api));
        if !full {
            break;
        }
    }
    ledger.reverse();
    let mut usage: Vec<UsageEvent> = Vec::new();
    let mut cursor = None;
    loop {
        let (events, more, _) = state
            .store
            .usage_events(
                UsageFilter {
                    scope: Some(id),
                    ..UsageFilter::default()
                },
                EventPageQuery {
                    cursor,
                    limit: PAGE,
                    count: false,
                    newest_first: false,
                },
            )
            .await?;
        cursor = events.last().map(|e| e.id).or(cursor);
        usage.extend(events);
        if !more {
            break;
        }
    }
    let orders: Vec<_> = state
        .store
        .orders(
            OrderFilter {
                account_id: Some(id),
                oldest_first: true,
                ..OrderFilter::default()
            },
            MAX_ORDERS,
        )
        .await?
        .iter()
        .map(billing::orders::to_api)
        .collect();

    let refunds: Vec<_> = state
        .store
        .refunds(
            RefundFilter {
                account_id: Some(id),
                ..RefundFilter::default()
            },
            MAX_ORDERS,
        )
        .await?
        .iter()
        .rev()
        .map(billing::refunds::to_api)
        .collect();
    let referrals = referrals(state, id).await?;
    let commissions: Vec<_> = state
        .store
        .commissions(id)
        .await?
        .iter()
        .map(|c| CommissionRow {
            kind: if c.earned { "earned" } else { "taken_back" },
            referee: billing::referrals::pseudonymise(&c.referee_email),
            amount_micros: c.amount,
            due_micros: c.due,
            created_at: to_utc(c.created_at),
        })
        .collect();

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut file = |name: &str, bytes: &[u8]| -> Result<(), ApiError> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o600);
        zip.start_file(name, options).map_err(ApiError::internal)?;
        zip.write_all(bytes).map_err(ApiError::internal)
    };
    file("README.txt", README.as_bytes())?;
    file("profile.json", &json_bytes(&to_api(&account))?)?;
    for (name, rows) in [
        ("keys", to_values(&keys)?),
        ("ledger", to_values(&ledger)?),
        ("usage", to_values(&usage)?),
        ("orders", to_values(&orders)?),
        ("refunds", to_values(&refunds)?),
        ("referrals", to_values(&referrals)?),
        ("commissions", to_values(&commissions)?),
    ] {
        file(&format!("{name}.json"), &json_bytes(&rows)?)?;
        file(&format!("{name}.csv"), csv(&rows).as_bytes())?;
    }
    let bytes = zip.finish().map_err(ApiError::internal)?.into_inner();
    Ok(bytes)
}

/// One referral link of the account, as referee or as referrer.
#[derive(Serialize)]
struct ReferralRow {
    /// `referred_you` or `you_referred`.
    relation: &'static str,
    /// The other account, pseudonymised (`a***@example.com`).
    email: String,
    linked_at: DateTime<Utc>,
    /// For `you_referred`: the paid top-ups that earned a commission, what they earned and
    /// what of it was taken back (refunds).
    topups: Option<u32>,
    earned_micros: Option<Micros>,
    taken_back_micros: Option<Micros>,
}

/// One commission the account earned as a referrer, or gave back.
#[derive(Serialize)]
struct CommissionRow {
    /// `earned` or `taken_back`.
    kind: &'static str,
    /// The referee whose top-up it was, pseudonymised.
    referee: String,
    amount_micros: Micros,
    due_micros: Micros,
    created_at: DateTime<Utc>,
}

async fn referrals(state: &AppState, id: i64) -> Result<Vec<ReferralRow>, ApiError> {
    let mut rows = Vec::new();
    if let Some((referrer, linked_at)) = state.store.referrer_of(id).await? {
        let email = state
            .store
            .account_by_id(referrer)
            .await?
            .map_or_else(String::new, |a| a.email);
        rows.push(ReferralRow {
            relation: "referred_you",
            email: billing::referrals::pseudonymise(&email),
            linked_at: to_utc(linked_at),
            topups: None,
            earned_micros: None,
            taken_back_micros: None,
        });
    }
    for r in state.store.referees(id).await? {
        rows.push(ReferralRow {
            relation: "you_referred",
            email: billing::referrals::pseudonymise(&r.email),
            linked_at: to_utc(r.linked_at),
            topups: Some(r.topups),
            earned_micros: Some(r.earned),
            taken_back_micros: Some(r.taken_back),
        });
    }
    Ok(rows)
}

fn json_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ApiError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(ApiError::internal)?;
    out.push(b'\n');
    Ok(out)
}

fn to_values<T: Serialize>(rows: &[T]) -> Result<Vec<Value>, ApiError> {
    rows.iter()
        .map(|r| serde_json::to_value(r).map_err(ApiError::internal))
        .collect()
}

/// RFC 4180 CSV of JSON objects: the columns are the keys of every row, in the order the
/// objects keep them (alphabetical); strings as they are, nulls empty, nested values as JSON
/// text.
pub fn csv(rows: &[Value]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for k in map.keys() {
                if !columns.contains(&k.as_str()) {
                    columns.push(k);
                }
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(columns.iter().map(|c| field(c)).collect(), &mut out);
    for row in rows {
        let cells = columns
            .iter()
            .map(|c| match row.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => field(s),
                Some(other) => field(&other.to_string()),
            })
            .collect();
        line(cells, &mut out);
    }
    out
}

/// Quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so spreadsheets do not run it as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::csv;

    #[test]
    fn csv_quotes_nests_and_defuses_formulas() {
        let rows = vec![
            json!({ "a": 1, "b": "x,y", "c": null }),
            json!({ "a": -2, "b": "say \"hi\"", "d": ["m1", "m2"], "e": "=SUM(A1)" }),
        ];
        assert_eq!(
            csv(&rows),
            "a,b,c,d,e\r\n1,\"x,y\",,,\r\n-2,\"say \"\"hi\"\"\",,\"[\"\"m1\"\",\"\"m2\"\"]\",'=SUM(A1)\r\n"
        );
        assert_eq!(csv(&[]), "\r\n");
    }
}
