//! Reports and event lists from the cache, in the local time zone, answered by the report
//! engine ([`codexkey_report`]) over the cache's `events` and `rollup`, scoped by source. What
//! is the cache's own: the names of keys, from the keys it keeps, and the shape of its groups.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::TimeZone;
use codexkey_common::api::{UsageDimension, UsageEvent, UsageGroup};
use codexkey_report::{EventPageQuery, Filter, Period};

use super::Cache;
use super::rollup::SCHEMA;

pub use codexkey_common::rollup::BUCKET_MS;
/// Which cached events a report or a list covers; [`Cache::report`] and [`Cache::events`]
/// scope it to their source.
pub use codexkey_report::Filter as CacheFilter;
pub use codexkey_report::StatusFilter;

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
        let f = Filter {
            scope: Some(source_id),
            ..f.clone()
        };
        let groups = codexkey_report::report::report(&self.conn, &SCHEMA, &f, dims, tz)?;
        let keys: BTreeMap<i64, super::CachedKey> = self
            .keys(source_id)?
            .into_iter()
            .map(|k| (k.id, k))
            .collect();
        Ok(groups
            .into_iter()
            .map(|g| {
                let key = g.key_id.and_then(|id| keys.get(&id));
                UsageGroup {
                    day: match g.period {
                        Some(Period::Day(d)) => Some(d),
                        _ => None,
                    },
                    hour: match g.period {
                        Some(Period::Hour(h)) => Some(h),
                        _ => None,
                    },
                    key_id: g.key_id,
                    key_prefix: key.map(|k| k.prefix.clone()),
                    key_name: key.and_then(|k| k.name.clone()),
                    model: g.model,
                    totals: g.totals,
                    ..UsageGroup::default()
                }
            })
            .collect())
    }

    /// The source's newest `limit` events `f` matches, newest first.
    pub fn events(&self, source_id: i64, f: &CacheFilter, limit: u32) -> Result<Vec<UsageEvent>> {
        let f = Filter {
            scope: Some(source_id),
            ..f.clone()
        };
        let page = EventPageQuery {
            cursor: None,
            limit,
            count: false,
            newest_first: true,
        };
        Ok(codexkey_report::events::events(&self.conn, &SCHEMA, &f, page)?.events)
    }
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
