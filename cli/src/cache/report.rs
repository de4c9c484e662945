//! Reports and event lists from the cache, in the local time zone.
//!
//! The SQL sums the rollup for the whole quarter hours inside the range and the raw events
//! for the partial quarter hours at its ends, per quarter hour when a time dimension is asked
//! for; each quarter hour then lands on its local day or hour here, in Rust. That is exact in
//! any time zone, daylight saving included, because every UTC offset is a multiple of 15
//! minutes. Every value is bound; only fixed fragments are assembled.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, TimeZone, Timelike as _};
use codexkey_common::api::{UsageDimension, UsageEvent, UsageGroup, UsageTotals};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::{Cache, micros};

pub use codexkey_common::rollup::BUCKET_MS;
use codexkey_common::rollup::split_range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// 2xx.
    Ok,
    /// Anything else.
    Error,
    Code(u16),
}

/// Which cached events a report or a list covers.
#[derive(Debug, Clone, Default)]
pub struct CacheFilter {
    /// Inclusive, Unix ms.
    pub from: Option<i64>,
    /// Exclusive, Unix ms.
    pub to: Option<i64>,
    pub key_id: Option<i64>,
    /// A name, or a pattern where `*` matches any run of characters.
    pub model: Option<String>,
    pub status: Option<StatusFilter>,
}

fn conditions(f: &CacheFilter, sql: &mut String, args: &mut Vec<Value>) {
    if let Some(k) = f.key_id {
        sql.push_str(" AND key_id = ?");
        args.push(Value::Integer(k));
    }
    if let Some(m) = &f.model {
        if m.contains('*') {
            sql.push_str(" AND model GLOB ?");
            args.push(Value::Text(m.replace('[', "[[]").replace('?', "[?]")));
        } else {
            sql.push_str(" AND model = ?");
            args.push(Value::Text(m.clone()));
        }
    }
    match f.status {
        None => {}
        Some(StatusFilter::Ok) => sql.push_str(" AND status BETWEEN 200 AND 299"),
        Some(StatusFilter::Error) => sql.push_str(" AND status NOT BETWEEN 200 AND 299"),
        Some(StatusFilter::Code(c)) => {
            sql.push_str(" AND status = ?");
            args.push(Value::Integer(i64::from(c)));
        }
    }
}

/// A group's place in the order of the report's dimensions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Int(i64),
    Text(String),
}

impl Cache {
    /// The source's usage over `f`, grouped by `dims` in that order, days and hours taken in
    /// `tz`. Costs are credits; display conversion is the caller's.
    pub fn report<Tz: TimeZone>(
        &self,
        source_id: i64,
        f: &CacheFilter,
        dims: &[UsageDimension],
        tz: &Tz,
    ) -> Result<Vec<UsageGroup>> {
        let from = f.from.unwrap_or(0).max(0);
        let to = f.to.unwrap_or(i64::MAX / 2);
        let (whole, edges) = split_range(from, to);
        let time = dims
            .iter()
            .find(|d| matches!(d, UsageDimension::Day | UsageDimension::Hour))
            .copied();
        let by_key = dims.contains(&UsageDimension::Key);
        let by_model = dims.contains(&UsageDimension::Model);
        let mut sql = String::from("SELECT ");
        sql.push_str(if time.is_some() { "bucket, " } else { "NULL, " });
        sql.push_str(if by_key { "key_id, " } else { "NULL, " });
        sql.push_str(if by_model { "model, " } else { "NULL, " });
        sql.push_str(
            "SUM(requests), SUM(CASE WHEN status BETWEEN 200 AND 299 THEN 0 ELSE requests END), \
             SUM(input_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(output_tokens), \
             SUM(reasoning_tokens), SUM(images), SUM(cost_micros) FROM (",
        );
        let mut args = Vec::new();
        let mut parts = 0;
        if let Some((a, b)) = whole {
            sql.push_str(
                "SELECT bucket, key_id, model, status, requests, input_tokens, cached_tokens, \
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros \
                 FROM rollup WHERE source_id = ? AND bucket >= ? AND bucket < ?",
            );
            args.extend([
                Value::Integer(source_id),
                Value::Integer(a),
                Value::Integer(b),
            ]);
            conditions(f, &mut sql, &mut args);
            parts += 1;
        }
        for (a, b) in edges {
            if parts > 0 {
                sql.push_str(" UNION ALL ");
            }
            sql.push_str(
                "SELECT created_at - created_at % 900000 AS bucket, COALESCE(key_id, 0) AS key_id, \
                 COALESCE(model, '') AS model, status, 1 AS requests, input_tokens, cached_tokens, \
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros \
                 FROM events WHERE source_id = ? AND created_at >= ? AND created_at < ?",
            );
            args.extend([
                Value::Integer(source_id),
                Value::Integer(a),
                Value::Integer(b),
            ]);
            conditions(f, &mut sql, &mut args);
            parts += 1;
        }
        if parts == 0 {
            return Ok(Vec::new());
        }
        sql.push(')');
        let group: Vec<&str> = [
            time.map(|_| "bucket"),
            by_key.then_some("key_id"),
            by_model.then_some("model"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !group.is_empty() {
            sql.push_str(" GROUP BY ");
            sql.push_str(&group.join(", "));
        }
        sql.push_str(" HAVING COUNT(*) > 0");

        let keys: BTreeMap<i64, super::CachedKey> = self
            .keys(source_id)?
            .into_iter()
            .map(|k| (k.id, k))
            .collect();
        let mut groups: BTreeMap<Vec<Part>, UsageGroup> = BTreeMap::new();
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let bucket: Option<i64> = r.get(0)?;
            let key: Option<i64> = r.get(1)?;
            let model: Option<String> = r.get(2)?;
            let count = |i: usize| -> rusqlite::Result<u64> {
                Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
            };
            let totals = UsageTotals {
                requests: count(3)?,
                errors: count(4)?,
                input_tokens: count(5)?,
                cached_tokens: count(6)?,
                cache_write_tokens: count(7)?,
                output_tokens: count(8)?,
                reasoning_tokens: count(9)?,
                images: count(10)?,
                cost_micros: micros(r.get(11)?),
                cost_display_micros: None,
            };
            // The local period this quarter hour belongs to.
            let local = bucket.and_then(DateTime::from_timestamp_millis).map(|t| {
                let t = t.with_timezone(tz).fixed_offset();
                match time {
                    Some(UsageDimension::Hour) => t
                        .with_minute(0)
                        .and_then(|t| t.with_second(0))
                        .and_then(|t| t.with_nanosecond(0))
                        .unwrap_or(t),
                    _ => t,
                }
            });
            let mut group = UsageGroup {
                day: local
                    .filter(|_| time == Some(UsageDimension::Day))
                    .map(|t| t.date_naive()),
                hour: local.filter(|_| time == Some(UsageDimension::Hour)),
                key_id: key.filter(|k| *k != 0),
                model,
                ..UsageGroup::default()
            };
            if let Some(k) = group.key_id.and_then(|id| keys.get(&id)) {
                group.key_prefix = Some(k.prefix.clone());
                group.key_name = k.name.clone();
            }
            let sort: Vec<Part> = dims
                .iter()
                .map(|d| match d {
                    UsageDimension::Day => Part::Text(opt(group.day)),
                    UsageDimension::Hour => {
                        Part::Int(group.hour.map_or(0, |h| h.timestamp_millis()))
                    }
                    UsageDimension::Key => Part::Int(key.unwrap_or(-1)),
                    UsageDimension::Model => Part::Text(group.model.clone().unwrap_or_default()),
                    UsageDimension::Account => Part::Int(0),
                })
                .collect();
            groups
                .entry(sort)
                .or_insert_with(|| group)
                .totals
                .add(&totals);
        }
        Ok(groups.into_values().collect())
    }

    /// The source's newest `limit` events `f` matches, newest first.
    pub fn events(&self, source_id: i64, f: &CacheFilter, limit: u32) -> Result<Vec<UsageEvent>> {
        let account_id = self.source_by_id(source_id)?.account_id;
        let mut sql = String::from(
            "SELECT id, request_id, key_id, route, provider, model, input_tokens, cached_tokens, \
             cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, error_code, \
             settlement, latency_ms, ttfb_ms, client_ip, user_agent, created_at \
             FROM events WHERE source_id = ?",
        );
        let mut args = vec![Value::Integer(source_id)];
        // `+created_at` keeps SQLite from reading the whole range by time and sorting it: the
        // newest events come first by id, and the range only filters them.
        if let Some(from) = f.from {
            sql.push_str(" AND +created_at >= ?");
            args.push(Value::Integer(from));
        }
        if let Some(to) = f.to {
            sql.push_str(" AND +created_at < ?");
            args.push(Value::Integer(to));
        }
        conditions(f, &mut sql, &mut args);
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(Value::Integer(i64::from(limit)));
        let mut stmt = self.conn.prepare(&sql)?;
        let events = stmt
            .query_map(params_from_iter(args), |r| {
                let count =
                    |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
                Ok(UsageEvent {
                    id: r.get(0)?,
                    request_id: r.get(1)?,
                    account_id,
                    key_id: r.get(2)?,
                    route: r.get(3)?,
                    provider: r.get(4)?,
                    model: r.get(5)?,
                    input_tokens: count(6)?,
                    cached_tokens: count(7)?,
                    cache_write_tokens: count(8)?,
                    output_tokens: count(9)?,
                    reasoning_tokens: count(10)?,
                    images: count(11)?,
                    cost_micros: micros(r.get(12)?),
                    status: u16::try_from(r.get::<_, i64>(13)?).unwrap_or(0),
                    error_code: r.get(14)?,
                    settlement: r.get(15)?,
                    latency_ms: r.get(16)?,
                    ttfb_ms: r.get(17)?,
                    client_ip: r.get(18)?,
                    user_agent: r.get(19)?,
                    created_at: DateTime::from_timestamp_millis(r.get(20)?)
                        .unwrap_or(DateTime::UNIX_EPOCH),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events)
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::super::tests::event;
    use super::super::{Cache, FILE_NAME};
    use super::*;
    use chrono::FixedOffset;

    const DAY: i64 = 86_400_000;
    const HOUR: i64 = 3_600_000;

    fn cache_with(events: &[UsageEvent]) -> (tempfile::TempDir, Cache, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join(FILE_NAME)).unwrap();
        let s = cache.source("http://gw", 1, "a@x", "USD").unwrap();
        let keys: Vec<codexkey_common::api::ApiKey> = serde_json::from_value(serde_json::json!([
            {"id": 1, "prefix": "ck-one", "name": "laptop", "status": "active", "created_at": "2026-01-01T00:00:00Z",
             "last_used_at": null, "expires_at": null, "revoked_at": null, "allowed_models": null,
             "budget_micros": null, "spent_micros": 0, "rpm_limit": null}
        ]))
        .unwrap();
        cache.set_keys(s.id, &keys).unwrap();
        let last = events.last().map_or(0, |e| e.id);
        cache.store_page(s.id, events, last).unwrap();
        (dir, cache, s.id)
    }

    fn costs(groups: &[UsageGroup]) -> Vec<(String, u64, i64)> {
        groups
            .iter()
            .map(|g| {
                let label = g
                    .day
                    .map(|d| d.to_string())
                    .or(g.hour.map(|h| h.to_rfc3339()))
                    .or(g.model.clone())
                    .or(g.key_id.map(|k| k.to_string()))
                    .unwrap_or_default();
                (label, g.totals.requests, g.totals.cost_micros.0)
            })
            .collect()
    }

    #[test]
    fn days_and_hours_in_the_local_zone() {
        let (_d, cache, s) = cache_with(&[
            event(1, 10, "a", 1, 200, 1),
            event(2, 21 * HOUR + 1, "a", 1, 200, 2),
            event(3, DAY + 5, "b", 1, 502, 4),
            event(4, DAY + 22 * HOUR, "b", 2, 200, 8),
        ]);
        let utc = FixedOffset::east_opt(0).unwrap();
        let msk = FixedOffset::east_opt(3 * 3600).unwrap();
        let f = CacheFilter {
            from: Some(0),
            to: Some(2 * DAY),
            ..CacheFilter::default()
        };
        let day = [UsageDimension::Day];
        assert_eq!(
            costs(&cache.report(s, &f, &day, &utc).unwrap()),
            vec![("1970-01-01".into(), 2, 3), ("1970-01-02".into(), 2, 12)]
        );
        // At +03:00, 21:00Z and 22:00Z are already the next day.
        assert_eq!(
            costs(&cache.report(s, &f, &day, &msk).unwrap()),
            vec![
                ("1970-01-01".into(), 1, 1),
                ("1970-01-02".into(), 2, 6),
                ("1970-01-03".into(), 1, 8)
            ]
        );
        let hours = cache.report(s, &f, &[UsageDimension::Hour], &msk).unwrap();
        assert_eq!(costs(&hours)[1], ("1970-01-02T00:00:00+03:00".into(), 1, 2));
        let by_model = cache.report(s, &f, &[UsageDimension::Model], &utc).unwrap();
        assert_eq!(
            costs(&by_model),
            vec![("a".into(), 2, 3), ("b".into(), 2, 12)]
        );
        assert_eq!(by_model[1].totals.errors, 1);
        let by_key = cache.report(s, &f, &[UsageDimension::Key], &utc).unwrap();
        assert_eq!(
            by_key
                .iter()
                .map(|g| (g.key_id, g.key_name.clone(), g.totals.cost_micros.0))
                .collect::<Vec<_>>(),
            vec![(Some(1), Some("laptop".into()), 7), (Some(2), None, 8)]
        );
        // Unaligned bounds read the partial quarter hours from the events.
        let f = CacheFilter {
            from: Some(11),
            to: Some(DAY + 22 * HOUR + 1),
            status: Some(StatusFilter::Ok),
            ..CacheFilter::default()
        };
        assert_eq!(
            costs(&cache.report(s, &f, &[], &utc).unwrap()),
            vec![(String::new(), 2, 10)]
        );
        let none = CacheFilter {
            model: Some("c*".into()),
            ..f
        };
        assert!(cache.report(s, &none, &[], &utc).unwrap().is_empty());
    }

    #[test]
    fn events_newest_first() {
        let (_d, cache, s) = cache_with(&[
            event(1, 10, "a", 1, 200, 1),
            event(2, 20, "b", 1, 200, 2),
            event(3, 30, "a", 1, 429, 0),
        ]);
        let all = cache.events(s, &CacheFilter::default(), 10).unwrap();
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 2, 1]);
        assert_eq!(all[2], event(1, 10, "a", 1, 200, 1));
        let f = CacheFilter {
            model: Some("a".into()),
            ..CacheFilter::default()
        };
        assert_eq!(
            cache
                .events(s, &f, 1)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            vec![3]
        );
    }
}
