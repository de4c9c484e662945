//! `codexkey topup --code CODE`: adds credit to the caller's account by redeeming a code. The
//! sources form one required group, so other ways to pay fit beside `--code`.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::{ErrorKind, RedeemRequest};

use crate::args::TopupArgs;
use crate::client::ClientError;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, args: TopupArgs) -> Result<ExitCode> {
    let Some(code) = args.code else {
        return Err(UserError::new("nothing to top up with", "give `--code CODE`").into());
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
