//! The query language of `/api/v1/usage…`: time zones, dates, dimensions and filters as the
//! query string spells them, parsed into what the store takes. Who may see which account is
//! decided in the parent module, not here.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone as _};
use codexkey_common::api::UsageDimension;

use crate::error::ApiError;
use crate::store::Millis;
use crate::store::usage::{BUCKET_MS, StatusFilter};

pub const DAY_MS: i64 = 86_400_000;
/// Longest range a report may cover.
pub const MAX_RANGE_DAYS: i64 = 3_660;
/// Longest range an hourly report may cover (2,208 groups per key and model at most).
pub const MAX_HOURLY_RANGE_DAYS: i64 = 92;
/// Days a report covers by default: the last seven calendar days, today included.
pub const DEFAULT_DAYS: u64 = 7;

fn bad(message: String) -> ApiError {
    ApiError::InvalidRequest(message)
}

/// A fixed UTC offset: `Z`, `UTC`, `+03:00`, `-05:30`, `+0545`. It must be a multiple of 15
/// minutes (every offset in use is), because reports are summed per quarter hour.
///
/// A `+` that arrived unencoded in a query string reads as a space; a leading space is taken
/// for it.
pub fn parse_tz(s: &str) -> Result<FixedOffset, ApiError> {
    let err = || {
        bad(format!(
            "`tz` must be a UTC offset such as `+03:00`, `-05:30` or `Z`, not `{s}` (encode `+` as `%2B`)"
        ))
    };
    let t = s.trim_end();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") || t.is_empty() {
        return FixedOffset::east_opt(0).ok_or_else(err);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+' | b' ') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(err()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| err())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| err())?;
    if hours > 14 || minutes >= 60 || minutes % 15 != 0 {
        return Err(bad(format!(
            "`tz` `{s}` is not an offset in use: hours up to 14, minutes a multiple of 15"
        )));
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(err)
}

/// `+03:00`, the form reports show.
pub fn tz_label(tz: FixedOffset) -> String {
    let secs = tz.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// Midnight of `day` in `tz`, as Unix ms.
pub fn midnight(day: NaiveDate, tz: FixedOffset) -> Millis {
    tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map_or(0, |t| t.timestamp_millis())
}

/// The calendar day `at` falls on in `tz`.
pub fn day_of(at: Millis, tz: FixedOffset) -> NaiveDate {
    DateTime::from_timestamp_millis(at)
        .unwrap_or(DateTime::UNIX_EPOCH)
        .with_timezone(&tz)
        .date_naive()
}

/// An instant: RFC 3339 (`2026-11-20T10:00:00Z`), or a date (`2026-11-20`) meaning its midnight
/// in `tz`.
pub fn parse_instant(name: &str, s: &str, tz: FixedOffset) -> Result<Millis, ApiError> {
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(midnight(day, tz));
    }
    let parsed = DateTime::parse_from_rfc3339(s).or_else(|e| {
        // An offset's `+` that arrived unencoded reads as a space.
        match s.rfind(' ') {
            Some(i) if i > 10 => {
                DateTime::parse_from_rfc3339(&format!("{}+{}", &s[..i], &s[i + 1..]))
            }
            _ => Err(e),
        }
    });
    parsed.map(|t| t.timestamp_millis()).map_err(|_| {
        bad(format!(
            "`{name}` must be a date (`2026-11-20`) or an RFC 3339 time (`2026-11-20T10:00:00Z`), not `{s}`"
        ))
    })
}

/// `[from, to)` from the optional bounds: by default the last [`DEFAULT_DAYS`] calendar days in
/// `tz`, today included; a missing `from` is seven days before `to`.
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    tz: FixedOffset,
    now: Millis,
) -> Result<(Millis, Millis), ApiError> {
    let today = day_of(now, tz);
    let to = match to {
        Some(t) => parse_instant("to", t, tz)?,
        None => midnight(today.checked_add_days(Days::new(1)).unwrap_or(today), tz),
    };
    let from = match from {
        Some(f) => parse_instant("from", f, tz)?,
        None => to - DEFAULT_DAYS as i64 * DAY_MS,
    };
    if from >= to {
        return Err(bad("`from` must be before `to`".into()));
    }
    if to - from > MAX_RANGE_DAYS * DAY_MS {
        return Err(bad(format!(
            "a report covers at most {MAX_RANGE_DAYS} days; narrow `from` and `to`"
        )));
    }
    Ok((from, to))
}

/// `day,model`: distinct dimensions, at most one of `hour` and `day`. Absent: `day`; empty or
/// `none`: no grouping (one total).
pub fn group_by(s: Option<&str>) -> Result<Vec<UsageDimension>, ApiError> {
    let Some(s) = s else {
        return Ok(vec![UsageDimension::Day]);
    };
    let mut dims: Vec<UsageDimension> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "none" {
            continue;
        }
        let d = UsageDimension::parse(part).ok_or_else(|| {
            bad(format!(
                "`group_by` takes `hour`, `day`, `model`, `key` or `account`, not `{part}`"
            ))
        })?;
        if dims.contains(&d) {
            return Err(bad(format!("`group_by` names `{part}` twice")));
        }
        dims.push(d);
    }
    if dims.contains(&UsageDimension::Hour) && dims.contains(&UsageDimension::Day) {
        return Err(bad("`group_by` takes `hour` or `day`, not both".into()));
    }
    Ok(dims)
}

/// `ok` (2xx), `error` (anything else), or a status code such as `429` (`0`: interrupted).
pub fn status(s: &str) -> Result<StatusFilter, ApiError> {
    match s {
        "ok" => Ok(StatusFilter::Ok),
        "error" => Ok(StatusFilter::Error),
        code => code
            .parse::<u16>()
            .ok()
            .filter(|c| *c == 0 || (100..=599).contains(c))
            .map(StatusFilter::Code)
            .ok_or_else(|| {
                bad(format!(
                    "`status` takes `ok`, `error` or a status code like `429`, not `{s}`"
                ))
            }),
    }
}

/// Whether offsets in `tz` keep local days on quarter-hour boundaries (always, for offsets
/// [`parse_tz`] accepts).
pub fn aligned(tz: FixedOffset) -> bool {
    i64::from(tz.local_minus_utc()) * 1000 % BUCKET_MS == 0
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn time_zones() {
        for (input, secs) in [
            ("Z", 0),
            ("UTC", 0),
            ("+03:00", 10_800),
            (" 03:00", 10_800),
            ("-05:30", -19_800),
            ("+0545", 20_700),
            ("+14:00", 50_400),
        ] {
            assert_eq!(parse_tz(input).unwrap().local_minus_utc(), secs, "{input}");
            assert!(aligned(parse_tz(input).unwrap()));
        }
        for bad in [
            "+3",
            "+03:10",
            "+15:00",
            "Europe/Paris",
            "03:00",
            "+03:00:00",
        ] {
            assert!(parse_tz(bad).is_err(), "{bad}");
        }
        assert_eq!(tz_label(parse_tz("-05:30").unwrap()), "-05:30");
        assert_eq!(tz_label(parse_tz("Z").unwrap()), "+00:00");
    }

    #[test]
    fn instants_and_ranges() {
        let msk = parse_tz("+03:00").unwrap();
        // 2026-11-20T00:00+03:00 = 2026-11-19T21:00Z.
        let nov20 = 1_795_122_000_000;
        assert_eq!(parse_instant("from", "2026-11-20", msk).unwrap(), nov20);
        assert_eq!(
            parse_instant("from", "2026-11-20T00:00:00+03:00", msk).unwrap(),
            nov20
        );
        assert_eq!(
            parse_instant("from", "2026-11-20T00:00:00 03:00", msk).unwrap(),
            nov20
        );
        assert_eq!(
            parse_instant("from", "2026-11-19T21:00:00Z", msk).unwrap(),
            nov20
        );
        assert!(parse_instant("from", "yesterday", msk).is_err());

        // At 2026-11-20 10:00 MSK, the default is Nov 14..20 inclusive, in MSK.
        let now = nov20 + 10 * 3_600_000;
        let (from, to) = range(None, None, msk, now).unwrap();
        assert_eq!((from, to), (nov20 - 6 * DAY_MS, nov20 + DAY_MS));
        let (from, to) = range(Some("2026-11-01"), Some("2026-11-20"), msk, now).unwrap();
        assert_eq!(to, nov20);
        assert_eq!(from, nov20 - 19 * DAY_MS);
        assert!(range(Some("2026-11-20"), Some("2026-11-20"), msk, now).is_err());
        assert!(range(Some("2000-01-01"), None, msk, now).is_err());
        assert_eq!(day_of(nov20, msk).to_string(), "2026-11-20");
        assert_eq!(day_of(nov20 - 1, msk).to_string(), "2026-11-19");
    }

    #[test]
    fn dimensions_and_statuses() {
        use UsageDimension::*;
        assert_eq!(group_by(None).unwrap(), vec![Day]);
        assert_eq!(group_by(Some("")).unwrap(), vec![]);
        assert_eq!(group_by(Some("none")).unwrap(), vec![]);
        assert_eq!(group_by(Some("model, day")).unwrap(), vec![Model, Day]);
        assert!(group_by(Some("day,hour")).is_err());
        assert!(group_by(Some("day,day")).is_err());
        assert!(group_by(Some("week")).is_err());
        assert_eq!(status("ok").unwrap(), StatusFilter::Ok);
        assert_eq!(status("error").unwrap(), StatusFilter::Error);
        assert_eq!(status("429").unwrap(), StatusFilter::Code(429));
        assert_eq!(status("0").unwrap(), StatusFilter::Code(0));
        assert!(status("600").is_err());
        assert!(status("bad").is_err());
    }
}
