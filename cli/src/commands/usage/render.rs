//! What `codexkey usage` draws: the report table with a totals line, the bar chart of spend
//! per day, and the event table. Plain text that reads the same without colour.

use chrono::{DateTime, Datelike as _, Days, Local, NaiveDate, TimeZone};
use codexkey_common::Micros;
use codexkey_common::api::{UsageDimension, UsageEvent, UsageGroup, UsageReport, UsageTotals};
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::style::HorizontalLine;
use tabled::settings::{Alignment, Style};

use crate::cache::CachedKey;

/// Width of the longest bar, in terminal cells.
pub const CHART_WIDTH: i128 = 40;
/// The chart is drawn for ranges up to this many days; longer ones would scroll away.
pub const CHART_MAX_DAYS: i64 = 92;

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Amounts with as many decimals as the most precise of them needs (at least two), so a
/// right-aligned column lines up on the decimal point. Exact: only zeros are added.
pub fn amounts(values: &[Micros]) -> Vec<String> {
    let decimals = |m: Micros| {
        let frac = m.0.unsigned_abs() % 1_000_000;
        if frac == 0 {
            2
        } else {
            (6 - (0..6)
                .take_while(|i| frac.is_multiple_of(10u64.pow(i + 1)))
                .count())
            .max(2)
        }
    };
    let width = values.iter().map(|m| decimals(*m)).max().unwrap_or(2);
    values
        .iter()
        .map(|m| {
            let sign = if m.0 < 0 { "-" } else { "" };
            let abs = m.0.unsigned_abs();
            let frac = format!("{:06}", abs % 1_000_000);
            format!("{sign}{}.{}", count(abs / 1_000_000), &frac[..width])
        })
        .collect()
}

/// How a key is called in a table: its name, else its prefix, else its id.
pub fn key_label(id: Option<i64>, prefix: Option<&str>, name: Option<&str>) -> String {
    match (id, name, prefix) {
        (None, _, _) => "-".into(),
        (Some(_), Some(n), _) => n.to_owned(),
        (Some(_), None, Some(p)) => p.to_owned(),
        (Some(id), None, None) => format!("#{id}"),
    }
}

fn dim_header(d: UsageDimension) -> &'static str {
    match d {
        UsageDimension::Hour => "hour",
        UsageDimension::Day => "day",
        UsageDimension::Account => "account",
        UsageDimension::Key => "key",
        UsageDimension::Model => "model",
    }
}

fn dim_value(d: UsageDimension, g: &UsageGroup) -> String {
    match d {
        UsageDimension::Hour => g
            .hour
            .map(|h| h.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        UsageDimension::Day => g.day.map(|d| d.to_string()).unwrap_or_default(),
        UsageDimension::Account => g
            .email
            .clone()
            .or(g.account_id.map(|a| format!("#{a}")))
            .unwrap_or_default(),
        UsageDimension::Key => key_label(g.key_id, g.key_prefix.as_deref(), g.key_name.as_deref()),
        UsageDimension::Model => match g.model.as_deref() {
            None | Some("") => "-".into(),
            Some(m) => m.to_owned(),
        },
    }
}

/// The report as a table: one line per group, then a totals line.
pub fn report_table(r: &UsageReport) -> String {
    let dims = &r.group_by;
    let mut header: Vec<String> = dims.iter().map(|d| dim_header(*d).to_owned()).collect();
    if header.is_empty() {
        header.push(String::new());
    }
    let label_columns = header.len();
    header.extend(
        [
            "requests",
            "errors",
            "input",
            "cached",
            "cache write",
            "output",
            "cost, cr",
        ]
        .map(String::from),
    );
    if let Some(c) = &r.currency {
        header.push(format!("cost, {}", c.code));
    }
    let rows: Vec<(Vec<String>, &UsageTotals)> = r
        .groups
        .iter()
        .filter(|_| !dims.is_empty())
        .map(|g| (dims.iter().map(|d| dim_value(*d, g)).collect(), &g.totals))
        .chain(std::iter::once((
            {
                let mut l = vec![String::new(); label_columns];
                l[0] = "total".into();
                l
            },
            &r.totals,
        )))
        .collect();
    let costs = amounts(&rows.iter().map(|(_, t)| t.cost_micros).collect::<Vec<_>>());
    let display = amounts(
        &rows
            .iter()
            .map(|(_, t)| t.cost_display_micros.unwrap_or_default())
            .collect::<Vec<_>>(),
    );
    let mut b = Builder::default();
    b.push_record(header);
    for (i, (labels, t)) in rows.iter().enumerate() {
        let mut record = labels.clone();
        record.extend([
            count(t.requests),
            count(t.errors),
            count(t.input_tokens),
            count(t.cached_tokens),
            count(t.cache_write_tokens),
            count(t.output_tokens),
            costs[i].clone(),
        ]);
        if r.currency.is_some() {
            record.push(match t.cost_display_micros {
                Some(_) => display[i].clone(),
                None => "-".into(),
            });
        }
        b.push_record(record);
    }
    let mut t = b.build();
    crate::output::escape_cells(&mut t);
    let line = HorizontalLine::full('─', '┼', '├', '┤');
    t.with(Style::rounded().horizontals([(1, line), (rows.len(), line)]));
    t.modify(Columns::new(label_columns..), Alignment::right());
    t.to_string()
}

/// A bar of `value` out of `max`, in eighths of a cell; anything above zero shows.
fn bar(value: i128, max: i128) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if value <= 0 || max <= 0 {
        return String::new();
    }
    let eighths = (value * CHART_WIDTH * 8 / max).max(1);
    let mut s = "█".repeat((eighths / 8) as usize);
    if eighths % 8 != 0 {
        s.push(EIGHTHS[(eighths % 8 - 1) as usize]);
    }
    s
}

/// Spend per day over the report's range, days without usage included, in the display
/// currency when the report has one. `None` when the range is too long to draw.
pub fn day_chart<Tz: TimeZone>(r: &UsageReport, tz: &Tz) -> Option<String> {
    let first = r.from.with_timezone(tz).date_naive();
    let last = (r.to - chrono::Duration::milliseconds(1))
        .with_timezone(tz)
        .date_naive();
    if (last - first).num_days() >= CHART_MAX_DAYS {
        return None;
    }
    let value = |t: &UsageTotals| match &r.currency {
        Some(_) => t.cost_display_micros.unwrap_or_default(),
        None => t.cost_micros,
    };
    let mut days: Vec<(NaiveDate, Micros)> = Vec::new();
    let mut d = first;
    while d <= last {
        let spent = r
            .groups
            .iter()
            .filter(|g| g.day == Some(d))
            .map(|g| value(&g.totals).0)
            .sum();
        days.push((d, Micros(spent)));
        d = d.checked_add_days(Days::new(1))?;
    }
    let max = days.iter().map(|(_, m)| i128::from(m.0)).max().unwrap_or(0);
    let shown = amounts(&days.iter().map(|(_, m)| *m).collect::<Vec<_>>());
    let unit = r.currency.as_ref().map_or("cr", |c| c.code.as_str());
    let value_width = shown.iter().map(String::len).max().unwrap_or(0);
    let mut out = format!("spend per day, {unit}\n");
    for ((day, m), text) in days.iter().zip(&shown) {
        out.push_str(&format!(
            "{} {day} │{:<width$} {text:>value_width$}\n",
            day.weekday(),
            bar(i128::from(m.0), max),
            width = CHART_WIDTH as usize,
        ));
    }
    Some(out)
}

/// Events as a table, in the order given.
pub fn events_table(events: &[UsageEvent], keys: &[CachedKey]) -> String {
    let costs = amounts(&events.iter().map(|e| e.cost_micros).collect::<Vec<_>>());
    let mut b = Builder::default();
    b.push_record(
        [
            "time", "key", "model", "status", "input", "cached", "output", "cost, cr", "ms",
            "request",
        ]
        .map(String::from),
    );
    for (e, cost) in events.iter().zip(costs) {
        let key = keys.iter().find(|k| Some(k.id) == e.key_id);
        b.push_record([
            e.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            key_label(
                e.key_id,
                key.map(|k| k.prefix.as_str()),
                key.and_then(|k| k.name.as_deref()),
            ),
            e.model.clone().unwrap_or_else(|| "-".into()),
            match &e.error_code {
                Some(code) => format!("{} {code}", e.status),
                None => e.status.to_string(),
            },
            count(e.input_tokens),
            count(e.cached_tokens),
            count(e.output_tokens),
            cost,
            e.latency_ms
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into()),
            e.request_id.clone(),
        ]);
    }
    let mut t = b.build();
    crate::output::escape_cells(&mut t);
    t.with(Style::rounded());
    t.modify(Columns::new(4..9), Alignment::right());
    t.to_string()
}

/// "3 hours ago", "just now": how old something is, for people.
pub fn age(then: DateTime<chrono::Utc>, now: DateTime<chrono::Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    let (n, unit) = match secs {
        0..60 => return "just now".into(),
        60..3_600 => (secs / 60, "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;
    use codexkey_common::api::CurrencyRate;

    #[test]
    fn numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(
            amounts(&[
                Micros(9_200),
                Micros(1_000_000),
                Micros(-1_500_000),
                Micros(1_234_567_891)
            ]),
            ["0.009200", "1.000000", "-1.500000", "1,234.567891"]
        );
        assert_eq!(amounts(&[Micros(0), Micros(10_000_000)]), ["0.00", "10.00"]);
        assert_eq!(
            amounts(&[Micros(9_200), Micros(1_500_000)]),
            ["0.0092", "1.5000"]
        );
        assert_eq!(key_label(Some(3), Some("ck-Ab"), Some("laptop")), "laptop");
        assert_eq!(key_label(Some(3), Some("ck-Ab"), None), "ck-Ab");
        assert_eq!(key_label(Some(3), None, None), "#3");
        assert_eq!(key_label(None, None, None), "-");
    }

    #[test]
    fn bars_have_eighths_and_never_hide_spend() {
        assert_eq!(bar(0, 10), "");
        assert_eq!(bar(10, 10).chars().count(), 40);
        assert_eq!(bar(5, 10), "█".repeat(20));
        assert_eq!(bar(1, 320), "▏");
        assert_eq!(bar(1, 1_000_000), "▏", "a tiny spend still shows");
        assert_eq!(bar(3, 64), "█▉", "15 eighths");
        assert_eq!(bar(1, 16), "██▌", "20 eighths");
    }

    fn report() -> UsageReport {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let group = |d: u32, cost: i64, display: i64| UsageGroup {
            day: Some(day(d)),
            totals: UsageTotals {
                requests: 2,
                input_tokens: 1500,
                output_tokens: 300,
                cost_micros: Micros(cost),
                cost_display_micros: Some(Micros(display)),
                ..UsageTotals::default()
            },
            ..UsageGroup::default()
        };
        UsageReport {
            from: Utc.with_ymd_and_hms(2026, 11, 18, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap(),
            tz: "local".into(),
            group_by: vec![UsageDimension::Day],
            account: Some("dev@x".into()),
            currency: Some(CurrencyRate {
                code: "RUB".into(),
                rate: "100".parse().unwrap(),
                date: day(20),
            }),
            groups: vec![group(18, 20_000, 2_000_000), group(20, 5_000, 500_000)],
            totals: UsageTotals {
                requests: 4,
                input_tokens: 3000,
                output_tokens: 600,
                cost_micros: Micros(25_000),
                cost_display_micros: Some(Micros(2_500_000)),
                ..UsageTotals::default()
            },
        }
    }

    #[test]
    fn the_table_and_the_chart() {
        let r = report();
        assert_eq!(
            report_table(&r),
            "\
╭────────────┬──────────┬────────┬───────┬────────┬─────────────┬────────┬──────────┬───────────╮
│ day        │ requests │ errors │ input │ cached │ cache write │ output │ cost, cr │ cost, RUB │
├────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┼───────────┤
│ 2026-11-18 │        2 │      0 │ 1,500 │      0 │           0 │    300 │    0.020 │      2.00 │
│ 2026-11-20 │        2 │      0 │ 1,500 │      0 │           0 │    300 │    0.005 │      0.50 │
├────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┼───────────┤
│ total      │        4 │      0 │ 3,000 │      0 │           0 │    600 │    0.025 │      2.50 │
╰────────────┴──────────┴────────┴───────┴────────┴─────────────┴────────┴──────────┴───────────╯"
        );
        assert_eq!(
            day_chart(&r, &Utc).unwrap(),
            "spend per day, RUB
Wed 2026-11-18 │████████████████████████████████████████ 2.00
Thu 2026-11-19 │                                         0.00
Fri 2026-11-20 │██████████                               0.50
"
        );
    }

    #[test]
    fn ages() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let ago = |s: i64| age(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(7_200), "2 hours ago");
        assert_eq!(ago(3 * 86_400), "3 days ago");
    }
}
