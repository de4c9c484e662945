//! `codexkey balance`.

use std::process::ExitCode;

use anyhow::Result;

use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let b = ctx.authed().await?.balance().await?;
    if ctx.json {
        output::json(&b)?;
    } else {
        output::fields(&[
            ("balance", output::credits(b.balance_micros)),
            ("held", output::credits(b.held_micros)),
            ("available", output::credits(b.available_micros)),
        ])?;
    }
    Ok(ExitCode::SUCCESS)
}
