//! `codexkey account set`: the caller's display currency and language.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::UpdateAccountRequest;

use crate::args::AccountSetArgs;
use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx, args: AccountSetArgs) -> Result<ExitCode> {
    let account = ctx
        .authed()
        .await?
        .update_account(&UpdateAccountRequest {
            language: args.language,
            currency: args.currency,
        })
        .await?;
    if ctx.json {
        output::json(&account)?;
    } else {
        output::fields(&[
            ("email", account.email),
            ("language", account.language),
            ("currency", account.currency),
        ])?;
    }
    Ok(ExitCode::SUCCESS)
}
