//! `codexkey ledger`: the caller's ledger, newest first.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::Micros;
use codexkey_common::api::{CurrencyRate, LedgerEntry};
use tabled::Tabled;

use crate::args::LedgerArgs;
use crate::context::Ctx;
use crate::output;

#[derive(Tabled)]
pub struct LedgerRow {
    id: i64,
    time: String,
    kind: String,
    amount: String,
    balance: String,
    reason: String,
    by: String,
}

/// A row, with amounts also in the display currency when its rate is given.
pub fn row_in(e: &LedgerEntry, rate: Option<&CurrencyRate>) -> LedgerRow {
    let money = |m: Micros| match rate.and_then(|r| Some((r.rate.convert(m)?, &r.code))) {
        Some((converted, code)) => format!("{}  ({converted} {code})", output::credits(m)),
        None => output::credits(m),
    };
    LedgerRow {
        id: e.id,
        time: output::time(e.created_at),
        // Promotional credit is spent first and never refunded: say which entries are.
        kind: if e.promotional {
            format!("{} (promo)", e.kind.as_str())
        } else {
            e.kind.as_str().to_owned()
        },
        amount: money(e.amount_micros),
        balance: money(e.balance_after_micros),
        reason: e
            .reason
            .clone()
            .or_else(|| e.request_id.as_ref().map(|r| format!("request {r}")))
            .unwrap_or_else(|| "-".into()),
        by: output::opt(e.actor.as_deref()),
    }
}

pub async fn run(ctx: &Ctx, args: LedgerArgs) -> Result<ExitCode> {
    let page = ctx.authed().await?.ledger(args.before, args.limit).await?;
    if ctx.json {
        output::json(&page)?;
    } else {
        let rate = page.currency_rate.as_ref();
        output::table(
            page.entries.iter().map(|e| row_in(e, rate)).collect(),
            "the ledger is empty",
        )?;
        if let Some(r) = rate {
            output::notice(&format!(
                "{} at {} per credit (1 credit = 1 USD), the gateway's rate of {}",
                r.code, r.rate, r.date
            ));
        }
        if let Some(next) = page.next_before {
            output::notice(&format!("older entries: `codexkey ledger --before {next}`"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
