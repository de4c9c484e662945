//! `codexkey orders` (the caller's top-up orders) and `codexkey admin orders` (everyone's,
//! by state and account): one table row per order, or the orders as JSON with `--json`.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::Order;
use tabled::Tabled;

use crate::client::Client;
use crate::context::Ctx;
use crate::output;

#[derive(Tabled)]
struct OrderRow {
    order: i64,
    account: String,
    state: String,
    credits: String,
    /// What the provider charges, in the currency's minor units (cents for `usd`).
    charged: String,
    provider: String,
    created: String,
    paid: String,
}

fn row(o: &Order) -> OrderRow {
    OrderRow {
        order: o.id,
        account: o.account.clone(),
        state: o.state.as_str().to_owned(),
        credits: output::credits(o.amount_micros),
        charged: format!("{} {} (minor units)", o.amount_minor, o.currency),
        provider: o.provider.clone(),
        created: output::time(o.created_at),
        paid: output::opt_time(o.paid_at),
    }
}

fn print(ctx: &Ctx, orders: &[Order], empty: &str) -> Result<()> {
    if ctx.json {
        output::json(orders)
    } else {
        output::table(orders.iter().map(row).collect(), empty)
    }
}

pub async fn own(ctx: &Ctx) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    let orders = client.orders().await?;
    print(
        ctx,
        &orders,
        "no orders yet; buy credit with `codexkey topup --amount 10`",
    )?;
    Ok(ExitCode::SUCCESS)
}

pub async fn admin(
    ctx: &Ctx,
    client: &Client,
    state: Option<&str>,
    account: Option<&str>,
) -> Result<ExitCode> {
    let orders = client.admin_orders(state, account).await?;
    print(ctx, &orders, "no orders match")?;
    Ok(ExitCode::SUCCESS)
}
