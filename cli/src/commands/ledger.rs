//! `codexkey ledger`: the caller's ledger, newest first.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::LedgerEntry;
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

pub fn row(e: &LedgerEntry) -> LedgerRow {
    LedgerRow {
        id: e.id,
        time: output::time(e.created_at),
        // Promotional credit is spent first and never refunded: say which entries are.
        kind: if e.promotional {
            format!("{} (promo)", e.kind.as_str())
        } else {
            e.kind.as_str().to_owned()
        },
        amount: output::credits(e.amount_micros),
        balance: output::credits(e.balance_after_micros),
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
        output::table(
            page.entries.iter().map(row).collect(),
            "the ledger is empty",
        )?;
        if let Some(next) = page.next_before {
            output::notice(&format!("older entries: `codexkey ledger --before {next}`"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
