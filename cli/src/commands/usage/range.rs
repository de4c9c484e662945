//! `--since`, `--from` and `--to` in the local time zone.
//!
//! - `--since 7d` (or `2w`): whole calendar days, today included: from midnight six days ago.
//!   `--since 12h` (or `30m`): exactly that long before now. `--since DATE|TIME` is `--from`.
//! - `--from` takes a date (`2026-11-01`, its local midnight) or a time (RFC 3339, or local
//!   `2026-11-01T09:30`). Inclusive.
//! - `--to` takes a date, meaning that whole day (up to the next midnight), or a time, exclusive.
//!   Default: the end of today.
//! - Without `--since` and `--from`: the last 7 days.

use anyhow::Result;
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, TimeZone};

use crate::error::UserError;

/// What `--since` means without one.
pub const DEFAULT_SINCE: &str = "7d";

fn usage_error(message: String) -> anyhow::Error {
    UserError::new(
        message,
        "use a duration (`7d`, `2w`, `12h`, `30m`), a date (`2026-11-01`) or a time (`2026-11-01T09:30`)",
    )
    .into()
}

/// Local midnight of `day`; where a daylight-saving change skips midnight, the first instant
/// of the day.
pub fn midnight<Tz: TimeZone>(tz: &Tz, day: NaiveDate) -> i64 {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|h| {
            tz.from_local_datetime(&(start + Duration::hours(h)))
                .earliest()
                .map(|t| t.timestamp_millis())
        })
        .unwrap_or_else(|| start.and_utc().timestamp_millis())
}

enum Point {
    Day(NaiveDate),
    Instant(i64),
}

fn point<Tz: TimeZone>(tz: &Tz, s: &str) -> Option<Point> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Point::Day(d));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(Point::Instant(t.timestamp_millis()));
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, format) {
            return tz
                .from_local_datetime(&n)
                .earliest()
                .map(|t| Point::Instant(t.timestamp_millis()));
        }
    }
    None
}

/// `[from, to)` in Unix ms for these flags at `now`.
pub fn resolve<Tz: TimeZone>(
    since: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    now: &DateTime<Tz>,
) -> Result<(i64, i64)> {
    let tz = now.timezone();
    let today = now.date_naive();
    let day_after = |d: NaiveDate| d.checked_add_days(Days::new(1)).unwrap_or(d);
    let to_ms = match to {
        None => midnight(&tz, day_after(today)),
        Some(t) => match point(&tz, t) {
            Some(Point::Day(d)) => midnight(&tz, day_after(d)),
            Some(Point::Instant(ms)) => ms,
            None => return Err(usage_error(format!("`--to {t}` is not a date or a time"))),
        },
    };
    // `--from`, or a `--since` that names a date or a time rather than a duration.
    let explicit = from.or_else(|| since.filter(|s| point(&tz, s).is_some()));
    let from_ms = if let Some(f) = explicit {
        match point(&tz, f) {
            Some(Point::Day(d)) => midnight(&tz, d),
            Some(Point::Instant(ms)) => ms,
            None => return Err(usage_error(format!("`--from {f}` is not a date or a time"))),
        }
    } else {
        let s = since.unwrap_or(DEFAULT_SINCE).trim();
        let bad = || usage_error(format!("`--since {s}` is not a duration, a date or a time"));
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let now_ms = now.timestamp_millis();
        match unit {
            "m" => now_ms - n * 60_000,
            "h" => now_ms - n * 3_600_000,
            "d" | "w" => {
                let days = if unit == "w" { n * 7 } else { n };
                let first = today
                    .checked_sub_days(Days::new(days.saturating_sub(1) as u64))
                    .ok_or_else(|| usage_error(format!("`--since {s}` goes back too far")))?;
                midnight(&tz, first)
            }
            _ => return Err(bad()),
        }
    };
    if from_ms >= to_ms {
        return Err(UserError::new(
            "the time range is empty: its start is not before its end",
            "check `--since`/`--from` and `--to`",
        )
        .into());
    }
    Ok((from_ms, to_ms))
}

/// The local UTC offset as the gateway's `tz` parameter takes it: `+03:00`.
pub fn offset_label<Tz: TimeZone>(now: &DateTime<Tz>) -> String {
    let secs = now.fixed_offset().offset().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use chrono::FixedOffset;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn at(tz: &FixedOffset, s: &str) -> DateTime<FixedOffset> {
        tz.from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
            .unwrap()
    }

    #[test]
    fn ranges_in_local_days() {
        let msk = FixedOffset::east_opt(3 * 3600).unwrap();
        let now = at(&msk, "2026-11-20 10:30");
        let today = midnight(&msk, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(today, 1_795_122_000_000);
        let r = |since: Option<&str>, from: Option<&str>, to: Option<&str>| {
            resolve(since, from, to, &now).unwrap()
        };
        assert_eq!(r(None, None, None), (today - 6 * DAY, today + DAY));
        assert_eq!(r(Some("7d"), None, None), (today - 6 * DAY, today + DAY));
        assert_eq!(r(Some("1d"), None, None), (today, today + DAY));
        assert_eq!(r(Some("2w"), None, None), (today - 13 * DAY, today + DAY));
        let now_ms = now.timestamp_millis();
        assert_eq!(
            r(Some("12h"), None, None),
            (now_ms - 12 * HOUR, today + DAY)
        );
        assert_eq!(
            r(Some("30m"), None, None),
            (now_ms - 30 * 60_000, today + DAY)
        );
        assert_eq!(
            r(None, Some("2026-11-01"), Some("2026-11-19")),
            (today - 19 * DAY, today)
        );
        assert_eq!(
            r(Some("2026-11-19"), None, None),
            (today - DAY, today + DAY)
        );
        assert_eq!(
            r(None, Some("2026-11-20T09:00"), Some("2026-11-20T10:00:00Z")),
            (today + 9 * HOUR, today + 13 * HOUR)
        );
        for (since, from, to) in [
            (Some("7x"), None, None),
            (Some("0d"), None, None),
            (Some("d"), None, None),
            (None, Some("soon"), None),
            (None, None, Some("later")),
            (None, Some("2026-11-21"), None),
        ] {
            assert!(
                resolve(since, from, to, &now).is_err(),
                "{since:?} {from:?} {to:?}"
            );
        }
        assert_eq!(offset_label(&now), "+03:00");
        let nepal = FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap();
        assert_eq!(offset_label(&at(&nepal, "2026-11-20 10:30")), "+05:45");
    }
}
