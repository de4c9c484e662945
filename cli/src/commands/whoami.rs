//! `codexkey whoami`: the account behind the current session.

use std::process::ExitCode;

use anyhow::Result;

use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let account = ctx.authed().await?.account().await?;
    if ctx.json {
        output::json(&serde_json::json!({ "gateway": ctx.gateway, "account": account }))?;
    } else {
        output::fields(&[
            ("email", account.email),
            ("role", format!("{:?}", account.role).to_lowercase()),
            ("status", format!("{:?}", account.status).to_lowercase()),
            (
                "two-factor",
                if account.two_factor { "on" } else { "off" }.to_owned(),
            ),
            ("gateway", ctx.gateway.clone()),
            ("language", account.language),
            ("currency", account.currency),
            ("since", output::time(account.created_at)),
        ])?;
    }
    Ok(ExitCode::SUCCESS)
}
