//! Grouped sums of usage over a time range, days and hours taken in any time zone.
//!
//! The SQL sums the rollup for the whole quarter hours inside the range and the raw events for
//! the partial quarter hours at its ends, in one `GROUP BY`, per quarter hour when a time
//! dimension is asked for; each quarter hour then lands on its local day or hour here, in
//! Rust. That is exact in any time zone, daylight saving included, because every UTC offset is
//! a multiple of 15 minutes.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, FixedOffset, NaiveDate, TimeZone, Timelike as _};
use codexkey_common::Micros;
use codexkey_common::api::{UsageDimension, UsageTotals};
use codexkey_common::rollup::split_range;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use crate::filter::{Filter, conditions};
use crate::schema::Schema;

/// 9999-12-31: far enough for any report, small enough that offsets never overflow.
pub const MAX_TIME: i64 = 253_402_214_400_000;

/// The local period of a group with a time dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The calendar day in the report's time zone.
    Day(NaiveDate),
    /// The start of the hour, with the offset the zone had then.
    Hour(DateTime<FixedOffset>),
}

/// One group of a report: the values of the dimensions grouped by, and the sums.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// With a time dimension.
    pub period: Option<Period>,
    /// With the account dimension: the value of [`Schema::scope`].
    pub scope: Option<i64>,
    /// With the key dimension: `None` for events without a key.
    pub key_id: Option<i64>,
    /// With the model dimension: the model (`""` for events without one).
    pub model: Option<String>,
    /// Credits only: display conversion is the caller's.
    pub totals: UsageTotals,
}

/// A group's place in the order of the report's dimensions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Int(i64),
    Text(String),
}

/// requests, errors, input, cached, cache writes, output, reasoning, images, cost
pub type Sums = [i64; 9];

/// The grouped sums of the events `f` matches, by `dims` in that order (and ordered by them),
/// days and hours taken in `tz`.
pub fn report<Tz: TimeZone>(
    c: &Connection,
    s: &Schema,
    f: &Filter,
    dims: &[UsageDimension],
    tz: &Tz,
) -> rusqlite::Result<Vec<Group>> {
    let from = f.from.unwrap_or(0).clamp(0, MAX_TIME);
    let to = f.to.unwrap_or(MAX_TIME).clamp(0, MAX_TIME);
    let (whole, edges) = split_range(from, to);
    if whole.is_none() && edges.is_empty() {
        return Ok(Vec::new());
    }
    let time = dims
        .iter()
        .find(|d| matches!(d, UsageDimension::Day | UsageDimension::Hour))
        .copied();
    let has = |d: UsageDimension| dims.contains(&d);
    let (by_scope, by_key, by_model) = (
        has(UsageDimension::Account),
        has(UsageDimension::Key),
        has(UsageDimension::Model),
    );
    let mut sql = String::from("SELECT ");
    sql.push_str(if time.is_some() { "bucket, " } else { "NULL, " });
    sql.push_str(if by_scope { "scope, " } else { "NULL, " });
    sql.push_str(if by_key { "key_id, " } else { "NULL, " });
    sql.push_str(if by_model { "model, " } else { "NULL, " });
    let sums: Vec<String> = SUM_COLUMNS.iter().map(|c| format!("SUM({c})")).collect();
    sql.push_str(&sums.join(", "));
    sql.push_str(" FROM (");
    let mut args = Vec::new();
    let mut first = true;
    if let Some((a, b)) = whole {
        sql.push_str(&format!(
            "SELECT bucket, {scope} AS scope, key_id, model, status, requests, input_tokens, \
             cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros \
             FROM {rollup} WHERE bucket >= ? AND bucket < ?",
            scope = s.scope,
            rollup = s.rollup
        ));
        args.extend([Value::Integer(a), Value::Integer(b)]);
        conditions(s, f, &mut sql, &mut args);
        first = false;
    }
    for (a, b) in edges {
        if !first {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&format!(
            "SELECT created_at - created_at % 900000 AS bucket, {scope} AS scope, \
             COALESCE(key_id, 0) AS key_id, COALESCE(model, '') AS model, status, 1 AS requests, \
             input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, \
             images, cost_micros FROM {events} WHERE created_at >= ? AND created_at < ?",
            scope = s.scope,
            events = s.events
        ));
        args.extend([Value::Integer(a), Value::Integer(b)]);
        conditions(s, f, &mut sql, &mut args);
        first = false;
    }
    sql.push(')');
    let group: Vec<&str> = [
        time.map(|_| "bucket"),
        by_scope.then_some("scope"),
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

    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut read = Vec::new();
    while let Some(r) = rows.next()? {
        let mut sums = Sums::default();
        for (i, v) in sums.iter_mut().enumerate() {
            *v = r.get::<_, Option<i64>>(4 + i)?.unwrap_or(0);
        }
        read.push(GroupRow {
            bucket: r.get(0)?,
            scope: r.get(1)?,
            key_id: r.get(2)?,
            model: r.get(3)?,
            sums,
        });
    }
    Ok(groups(read, dims, tz))
}

/// One row of a report's grouped query, whatever database ran it: the quarter hour (with a
/// time dimension), the scope, key and model (with theirs), and the sums in the order of
/// [`SUM_COLUMNS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRow {
    pub bucket: Option<i64>,
    pub scope: Option<i64>,
    /// `0` for "no key", as the rollup keeps it.
    pub key_id: Option<i64>,
    pub model: Option<String>,
    pub sums: Sums,
}

/// What a report's grouped query sums, in [`GroupRow::sums`]' order, over rows with the
/// rollup's columns (`requests`, `status`, the token counts, `cost_micros`).
pub const SUM_COLUMNS: [&str; 9] = [
    "requests",
    "CASE WHEN status BETWEEN 200 AND 299 THEN 0 ELSE requests END",
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "images",
    "cost_micros",
];

/// The report's groups from the rows of its grouped query, each quarter hour landed on its
/// local day or hour in `tz` and the groups merged and ordered by `dims`. Backend-neutral:
/// a store that runs the query in another SQL dialect gets exactly the same groups.
pub fn groups<Tz: TimeZone>(
    rows: impl IntoIterator<Item = GroupRow>,
    dims: &[UsageDimension],
    tz: &Tz,
) -> Vec<Group> {
    let time = dims
        .iter()
        .find(|d| matches!(d, UsageDimension::Day | UsageDimension::Hour))
        .copied();
    let mut groups: BTreeMap<Vec<Part>, (Group, Sums)> = BTreeMap::new();
    for GroupRow {
        bucket,
        scope,
        key_id: key,
        model,
        sums,
    } in rows
    {
        let period = bucket
            .and_then(DateTime::from_timestamp_millis)
            .and_then(|t| period(time, t.with_timezone(tz).fixed_offset()));
        let sort: Vec<Part> = dims
            .iter()
            .map(|d| match d {
                UsageDimension::Day | UsageDimension::Hour => Part::Int(match period {
                    Some(Period::Day(d)) => i64::from(d.num_days_from_ce()),
                    Some(Period::Hour(h)) => h.timestamp_millis(),
                    None => 0,
                }),
                UsageDimension::Account => Part::Int(scope.unwrap_or(0)),
                UsageDimension::Key => Part::Int(key.unwrap_or(0)),
                UsageDimension::Model => Part::Text(model.clone().unwrap_or_default()),
            })
            .collect();
        let (_, total) = groups.entry(sort).or_insert_with(|| {
            let group = Group {
                period,
                scope,
                // Key 0 stands for "no key" in the rollup.
                key_id: key.filter(|k| *k != 0),
                model,
                totals: UsageTotals::default(),
            };
            (group, Sums::default())
        });
        for (a, b) in total.iter_mut().zip(sums) {
            *a = a.saturating_add(b);
        }
    }
    groups
        .into_values()
        .map(|(group, s)| {
            let count = |v: i64| v.max(0) as u64;
            Group {
                totals: UsageTotals {
                    requests: count(s[0]),
                    errors: count(s[1]),
                    input_tokens: count(s[2]),
                    cached_tokens: count(s[3]),
                    cache_write_tokens: count(s[4]),
                    output_tokens: count(s[5]),
                    reasoning_tokens: count(s[6]),
                    images: count(s[7]),
                    cost_micros: Micros(s[8]),
                    cost_display_micros: None,
                },
                ..group
            }
        })
        .collect()
}

/// The local day or hour of the quarter hour starting at `t`.
fn period(time: Option<UsageDimension>, t: DateTime<FixedOffset>) -> Option<Period> {
    match time? {
        UsageDimension::Hour => Some(Period::Hour(
            t.with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(t),
        )),
        _ => Some(Period::Day(t.date_naive())),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{S, db};
    use codexkey_common::rollup::BUCKET_MS;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn label(g: &Group) -> String {
        match g.period {
            Some(Period::Day(d)) => d.to_string(),
            Some(Period::Hour(h)) => h.to_rfc3339(),
            None => String::new(),
        }
    }

    /// `(period, requests, errors, cost)` of each group.
    fn sums(groups: &[Group]) -> Vec<(String, u64, u64, i64)> {
        groups
            .iter()
            .map(|g| {
                let t = &g.totals;
                (label(g), t.requests, t.errors, t.cost_micros.0)
            })
            .collect()
    }

    /// Midnight at +03:00 is 21:00Z: the events around it fall on either local day, and the
    /// report's range starts and ends inside a quarter hour, so both of its ends are read from
    /// the raw events and the middle from the rollup.
    #[test]
    fn days_across_midnight_in_a_zone_ahead_of_utc() {
        let q = BUCKET_MS;
        let c = db(&[
            (1, 21 * HOUR - 1, Some(1), Some("gpt"), 200, 1),
            (1, 21 * HOUR + 1, Some(1), Some("gpt"), 200, 2),
            (1, 21 * HOUR + q + 7, Some(2), Some("claude"), 502, 4),
            (1, DAY + 20 * HOUR, None, None, 0, 8),
            (1, DAY + 21 * HOUR + 3, Some(1), Some("gpt"), 200, 16),
            (2, 22 * HOUR, Some(1), Some("gpt"), 200, 32),
            // Outside the range, at either end.
            (1, 21 * HOUR - q + 2, Some(1), Some("gpt"), 200, 64),
            (1, DAY + 21 * HOUR + 5, Some(1), Some("gpt"), 200, 128),
        ]);
        let msk = FixedOffset::east_opt(3 * 3600).unwrap();
        let utc = FixedOffset::east_opt(0).unwrap();
        let (from, to) = (21 * HOUR - q + 3, DAY + 21 * HOUR + 5);
        let (whole, edges) = split_range(from, to);
        assert_eq!(whole, Some((21 * HOUR, DAY + 21 * HOUR)));
        assert_eq!(edges, vec![(from, 21 * HOUR), (DAY + 21 * HOUR, to)]);
        let mine = Filter {
            scope: Some(1),
            from: Some(from),
            to: Some(to),
            ..Filter::default()
        };
        let day = [UsageDimension::Day];
        assert_eq!(
            sums(&report(&c, &S, &mine, &day, &msk).unwrap()),
            vec![
                ("1970-01-01".into(), 1, 0, 1),
                ("1970-01-02".into(), 3, 2, 14),
                ("1970-01-03".into(), 1, 0, 16),
            ]
        );
        assert_eq!(
            sums(&report(&c, &S, &mine, &day, &utc).unwrap()),
            vec![
                ("1970-01-01".into(), 3, 1, 7),
                ("1970-01-02".into(), 2, 1, 24)
            ]
        );
        assert_eq!(
            sums(&report(&c, &S, &mine, &[UsageDimension::Hour], &msk).unwrap()),
            vec![
                ("1970-01-01T23:00:00+03:00".into(), 1, 0, 1),
                ("1970-01-02T00:00:00+03:00".into(), 2, 1, 6),
                ("1970-01-02T23:00:00+03:00".into(), 1, 1, 8),
                ("1970-01-03T00:00:00+03:00".into(), 1, 0, 16),
            ]
        );
        // Half-hour offsets put the hours' starts at half past, UTC.
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let hours = report(&c, &S, &mine, &[UsageDimension::Hour], &india).unwrap();
        assert_eq!(
            sums(&hours)[0],
            ("1970-01-02T02:00:00+05:30".into(), 3, 1, 7)
        );
        // Everyone's, by scope then local day; by key, then model.
        let all = Filter {
            scope: None,
            ..mine.clone()
        };
        let by_scope = report(
            &c,
            &S,
            &all,
            &[UsageDimension::Account, UsageDimension::Day],
            &msk,
        )
        .unwrap();
        assert_eq!(
            by_scope
                .iter()
                .map(|g| (g.scope, label(g), g.totals.cost_micros.0))
                .collect::<Vec<_>>(),
            vec![
                (Some(1), "1970-01-01".into(), 1),
                (Some(1), "1970-01-02".into(), 14),
                (Some(1), "1970-01-03".into(), 16),
                (Some(2), "1970-01-02".into(), 32),
            ]
        );
        let by_key = report(
            &c,
            &S,
            &mine,
            &[UsageDimension::Key, UsageDimension::Model],
            &msk,
        )
        .unwrap();
        assert_eq!(
            by_key
                .iter()
                .map(|g| (g.key_id, g.model.clone(), g.totals.cost_micros.0))
                .collect::<Vec<_>>(),
            vec![
                (None, Some(String::new()), 8),
                (Some(1), Some("gpt".into()), 19),
                (Some(2), Some("claude".into()), 4),
            ]
        );
        assert!(
            by_key
                .iter()
                .all(|g| g.period.is_none() && g.scope.is_none())
        );
    }

    /// A zone that moves its clocks from +01:00 to +02:00 at 1970-01-02T01:00Z (02:00 local).
    #[derive(Debug, Clone, Copy)]
    struct Spring;

    impl Spring {
        const SWITCH: i64 = DAY + HOUR;
        fn at(utc_ms: i64) -> FixedOffset {
            let hours = if utc_ms < Self::SWITCH { 1 } else { 2 };
            FixedOffset::east_opt(hours * 3600).unwrap()
        }
    }

    impl TimeZone for Spring {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            Spring
        }
        fn offset_from_local_date(
            &self,
            local: &NaiveDate,
        ) -> chrono::MappedLocalTime<FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
        }
        fn offset_from_local_datetime(
            &self,
            local: &chrono::NaiveDateTime,
        ) -> chrono::MappedLocalTime<FixedOffset> {
            // Local times from 02:00 to 03:00 on the day of the switch do not exist.
            let ms = local.and_utc().timestamp_millis();
            if ms < Self::SWITCH + HOUR {
                chrono::MappedLocalTime::Single(Self::at(0))
            } else if ms >= Self::SWITCH + 2 * HOUR {
                chrono::MappedLocalTime::Single(Self::at(Self::SWITCH))
            } else {
                chrono::MappedLocalTime::None
            }
        }
        fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
            self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
        }
        fn offset_from_utc_datetime(&self, utc: &chrono::NaiveDateTime) -> FixedOffset {
            Self::at(utc.and_utc().timestamp_millis())
        }
    }

    /// Across a change of offset, each quarter hour takes the offset of its own time: the hour
    /// before the switch and the one after are neighbours, and days still end at local midnight.
    #[test]
    fn days_and_hours_across_a_daylight_saving_change() {
        let c = db(&[
            (1, 22 * HOUR + 50 * 60_000, Some(1), Some("a"), 200, 1),
            (1, DAY + 50 * 60_000, Some(1), Some("a"), 200, 2),
            (1, DAY + HOUR + 5 * 60_000, Some(1), Some("a"), 200, 4),
            (1, DAY + 22 * HOUR + 10 * 60_000, Some(1), Some("a"), 200, 8),
        ]);
        // Unaligned ends: the first and last events come from the raw events.
        let f = Filter {
            scope: Some(1),
            from: Some(22 * HOUR + 50 * 60_000),
            to: Some(DAY + 22 * HOUR + 10 * 60_000 + 1),
            ..Filter::default()
        };
        assert_eq!(
            sums(&report(&c, &S, &f, &[UsageDimension::Hour], &Spring).unwrap()),
            vec![
                ("1970-01-01T23:00:00+01:00".into(), 1, 0, 1),
                ("1970-01-02T01:00:00+01:00".into(), 1, 0, 2),
                ("1970-01-02T03:00:00+02:00".into(), 1, 0, 4),
                ("1970-01-03T00:00:00+02:00".into(), 1, 0, 8),
            ]
        );
        assert_eq!(
            sums(&report(&c, &S, &f, &[UsageDimension::Day], &Spring).unwrap()),
            vec![
                ("1970-01-01".into(), 1, 0, 1),
                ("1970-01-02".into(), 2, 0, 6),
                ("1970-01-03".into(), 1, 0, 8),
            ]
        );
    }

    /// Every range, aligned or not, sums exactly what the raw events hold.
    #[test]
    fn every_range_sums_the_raw_events() {
        let q = BUCKET_MS;
        let c = db(&[
            (1, 10, Some(1), Some("a"), 200, 100),
            (1, q - 1, Some(1), Some("a"), 200, 200),
            (1, q + 5, Some(1), Some("b"), 502, 1),
            (1, DAY - 1, Some(1), Some("b"), 200, 300),
            (1, DAY, Some(1), Some("a"), 200, 400),
            (1, DAY + 3 * q + 7, Some(1), Some("a"), 0, 50),
            (2, 20, Some(2), Some("a"), 200, 1000),
        ]);
        let bounds = [
            0,
            9,
            10,
            11,
            q - 1,
            q,
            q + 5,
            q + 6,
            DAY - 1,
            DAY,
            DAY + 3 * q + 7,
            DAY + 3 * q + 8,
            2 * DAY,
        ];
        let west = FixedOffset::west_opt(5 * 3600).unwrap();
        for &from in &bounds {
            for &to in &bounds {
                let f = Filter {
                    scope: Some(1),
                    from: Some(from),
                    to: Some(to),
                    ..Filter::default()
                };
                let want: i64 = c
                    .query_row(
                        "SELECT COALESCE(SUM(cost_micros), 0) FROM ev
                         WHERE owner = 1 AND created_at >= ?1 AND created_at < ?2",
                        [from, to],
                        |r| r.get(0),
                    )
                    .unwrap();
                for dims in [&[][..], &[UsageDimension::Day], &[UsageDimension::Hour]] {
                    let got: i64 = report(&c, &S, &f, dims, &west)
                        .unwrap()
                        .iter()
                        .map(|g| g.totals.cost_micros.0)
                        .sum();
                    assert_eq!(got, want, "[{from}, {to}) by {dims:?}");
                }
            }
        }
        assert!(
            report(&c, &S, &Filter::default(), &[], &west)
                .unwrap()
                .len()
                == 1
        );
    }
}
