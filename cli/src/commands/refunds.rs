//! `codexkey refund ORDER` (ask for unused credit of a paid order back), `codexkey refunds`
//! (the caller's refunds) and `codexkey admin refunds list|approve|deny`: one table row per
//! refund, or the refunds as JSON with `--json`.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::Micros;
use codexkey_common::api::{DenyRefundRequest, Refund, RefundRequest, RefundState};
use tabled::Tabled;

use crate::args::{AdminRefundsCommand, RefundArgs};
use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

#[derive(Tabled)]
struct RefundRow {
    refund: i64,
    order: i64,
    account: String,
    state: String,
    credits: String,
    /// What the provider pays back, in the currency's minor units, once approved.
    paid_back: String,
    source: String,
    created: String,
    reason: String,
}

fn row(r: &Refund) -> RefundRow {
    RefundRow {
        refund: r.id,
        order: r.order_id,
        account: r.account.clone(),
        state: r.state.as_str().to_owned(),
        credits: output::credits(r.amount_micros),
        paid_back: r
            .amount_minor
            .map(|m| format!("{m} {} (minor units)", r.currency))
            .unwrap_or_default(),
        source: r.source.clone(),
        created: output::time(r.created_at),
        reason: r.reason.clone().unwrap_or_default(),
    }
}

fn print(ctx: &Ctx, refunds: &[Refund], empty: &str) -> Result<()> {
    if ctx.json {
        output::json(refunds)
    } else {
        output::table(refunds.iter().map(row).collect(), empty)
    }
}

/// One refund: as JSON, or a line on stderr saying where it stands and what comes next.
fn show(ctx: &Ctx, r: &Refund) -> Result<()> {
    if ctx.json {
        return output::json(r);
    }
    let what = output::credits(r.amount_micros);
    output::notice(&match r.state {
        RefundState::Requested => format!(
            "asked for a refund of {what} of order {} (refund {}); an admin approves it, follow it with `codexkey refunds`",
            r.order_id, r.id
        ),
        RefundState::Approved => format!(
            "refund {} of {what} is approved; the payment provider pays it back",
            r.id
        ),
        RefundState::Succeeded => format!(
            "refunded {what} of order {} (refund {}); the money returns to the card it was paid with",
            r.order_id, r.id
        ),
        RefundState::Failed | RefundState::Denied => format!(
            "refund {} is {}: {}",
            r.id,
            r.state.as_str(),
            r.reason.as_deref().unwrap_or("no reason given")
        ),
    });
    Ok(())
}

pub async fn request(ctx: &Ctx, args: RefundArgs) -> Result<ExitCode> {
    let amount_micros = match args.amount {
        None => None,
        Some(a) => Some(a.parse::<Micros>().map_err(|e| {
            UserError::new(
                format!("`--amount`: {e}"),
                "give credits, e.g. `--amount 5` or `--amount 2.5`, or leave it out to refund all that is refundable",
            )
        })?),
    };
    let client = ctx.authed().await?;
    let refund = client
        .request_refund(args.order, &RefundRequest { amount_micros })
        .await?;
    show(ctx, &refund)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn own(ctx: &Ctx) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    let refunds = client.refunds().await?;
    print(
        ctx,
        &refunds,
        "no refunds; ask for unused credit of a paid order back with `codexkey refund ORDER`",
    )?;
    Ok(ExitCode::SUCCESS)
}

pub async fn admin(ctx: &Ctx, client: &Client, cmd: AdminRefundsCommand) -> Result<ExitCode> {
    match cmd {
        AdminRefundsCommand::List { state } => {
            let refunds = client.admin_refunds(state.as_deref()).await?;
            print(ctx, &refunds, "no refunds match")?;
        }
        AdminRefundsCommand::Approve { id } => {
            let refund = client.approve_refund(id).await?;
            show(ctx, &refund)?;
        }
        AdminRefundsCommand::Deny { id, reason } => {
            let refund = client
                .deny_refund(id, &DenyRefundRequest { reason })
                .await?;
            show(ctx, &refund)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
