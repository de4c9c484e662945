//! `codexkey topup --amount N | --code CODE`: adds credit to the caller's account, bought by card
//! through the gateway's payment provider (an order, and a payment page to open in any
//! browser; the credit arrives when the provider confirms the payment) or by redeeming a code.
//! The sources form one required group.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::Micros;
use codexkey_common::api::{ErrorKind, RedeemRequest, TopupRequest};

use crate::args::TopupArgs;
use crate::client::ClientError;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, args: TopupArgs) -> Result<ExitCode> {
    if let Some(amount) = args.amount {
        return buy(ctx, &amount).await;
    }
    let Some(code) = args.code else {
        return Err(UserError::new(
            "nothing to top up with",
            "give `--amount CREDITS` or `--code CODE`",
        )
        .into());
    };
    let client = ctx.authed().await?;
    let resp = match client.redeem(&RedeemRequest { code }).await {
        Ok(resp) => resp,
        Err(e) => return Err(with_hint(e)),
    };
    if ctx.json {
        output::json(&resp)?;
    } else {
        let promo = if resp.entry.promotional {
            " of promotional credit"
        } else {
            ""
        };
        output::notice(&format!(
            "redeemed: {}{promo} added; balance now {}",
            output::credits(resp.entry.amount_micros),
            output::credits(resp.balance.balance_micros)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates an order for `amount` credits and prints where to pay it.
async fn buy(ctx: &Ctx, amount: &str) -> Result<ExitCode> {
    let amount_micros: Micros = amount.parse().map_err(|e| {
        UserError::new(
            format!("`--amount`: {e}"),
            "give credits, e.g. `10` or `12.5`",
        )
    })?;
    let client = ctx.authed().await?;
    let resp = match client.topup(&TopupRequest { amount_micros }).await {
        Ok(resp) => resp,
        Err(e) => return Err(order_hint(e)),
    };
    if ctx.json {
        output::json(&resp)?;
    } else {
        let o = &resp.order;
        output::notice(&format!(
            "order {}: {} credits for {} {} (minor units), pending until paid; open this page in any browser to pay:",
            o.id,
            output::credits(o.amount_micros),
            o.amount_minor,
            o.currency
        ));
        // The URL alone on stdout: the one piece of data, for scripts and copy-paste.
        output::write(&format!(
            "{}\n",
            codexkey_common::text::escape(&resp.checkout_url)
        ))?;
        output::notice(
            "the credit arrives once the payment is confirmed; `codexkey orders` shows where it stands",
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A refused order, with what to do next.
fn order_hint(e: ClientError) -> anyhow::Error {
    let ClientError::Api { kind, message, .. } = &e else {
        return e.into();
    };
    let hint = match kind {
        ErrorKind::InvalidRequest => "change `--amount` as the message says",
        ErrorKind::Conflict => {
            "see your orders with `codexkey orders`, or redeem a code with `--code`"
        }
        ErrorKind::PaymentProvider => {
            "try again in a moment; if it persists, tell the gateway's operator"
        }
        _ => return e.into(),
    };
    UserError::new(message.clone(), hint).into()
}

/// The gateway's refusals, each with what to do next.
fn with_hint(e: ClientError) -> anyhow::Error {
    let ClientError::Api { kind, message, .. } = &e else {
        return e.into();
    };
    let hint = match kind {
        ErrorKind::NotFound => "check the code for typos; it looks like `CK-XXXX-XXXX-XXXX-XXXX`",
        ErrorKind::Conflict => "a code redeems once; ask whoever gave it to you for another",
        ErrorKind::TooManyAttempts => "wait, then check the code before trying again",
        _ => return e.into(),
    };
    UserError::new(message.clone(), hint).into()
}
