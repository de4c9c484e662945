//! `codexkey balance`: the balance, what requests in flight hold, what was spent today and over
//! the last 30 days, and how many days the available balance lasts at that rate.
//!
//! One call to `GET /api/v1/usage/summary` ("today" in the local time zone). `--json` prints
//! that `UsageSummary`: the `Balance` fields plus the spend fields.

use std::process::ExitCode;

use anyhow::Result;
use chrono::Local;
use codexkey_common::Micros;
use codexkey_common::api::UsageSummary;

use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let now = Local::now();
    let secs = now.offset().local_minus_utc();
    let tz = format!(
        "{}{:02}:{:02}",
        if secs < 0 { '-' } else { '+' },
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    );
    let s = ctx.authed().await?.usage_summary(&tz).await?;
    if ctx.json {
        output::json(&s)?;
    } else {
        output::fields(&lines(&s))?;
        if let Some(r) = &s.currency_rate {
            output::notice(&format!(
                "{} at {} per credit (1 credit = 1 USD), the gateway's rate of {}",
                r.code, r.rate, r.date
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The figures, with the display currency beside credits when the gateway has its rate.
fn lines(s: &UsageSummary) -> Vec<(&'static str, String)> {
    let money = |m: Micros| match &s.currency_rate {
        Some(r) => match r.rate.convert(m) {
            Some(d) => format!("{}  ({d} {})", output::credits(m), r.code),
            None => output::credits(m),
        },
        None => output::credits(m),
    };
    let b = &s.balance;
    vec![
        ("balance", money(b.balance_micros)),
        ("held", output::credits(b.held_micros)),
        ("available", money(b.available_micros)),
        ("spent today", money(s.spent_today_micros)),
        ("spent in 30 days", money(s.spent_30d_micros)),
        ("daily average", money(s.daily_average_micros)),
        (
            "days left",
            match s.days_left {
                Some(d) => format!("{d} at the daily average"),
                None => "- (no spend in the last 30 days)".into(),
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn figures_in_credits_and_the_display_currency() {
        let s: UsageSummary = serde_json::from_value(serde_json::json!({
            "balance_micros": 10_000_000, "held_micros": 200_000, "available_micros": 9_800_000,
            "currency": "RUB", "tz": "+03:00", "spent_today_micros": 350_000,
            "spent_30d_micros": 9_000_000, "daily_average_micros": 300_000, "days_left": 32,
            "currency_rate": {"code": "RUB", "rate": "90", "date": "2026-11-20"}
        }))
        .unwrap();
        let l = lines(&s);
        assert_eq!(l[0], ("balance", "10.00 cr  (900.00 RUB)".into()));
        assert_eq!(l[1], ("held", "0.20 cr".into()));
        assert_eq!(l[3], ("spent today", "0.35 cr  (31.50 RUB)".into()));
        assert_eq!(l[6], ("days left", "32 at the daily average".into()));
    }
}
