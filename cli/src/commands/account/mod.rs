//! `codexkey account …`: the caller's own account security and preferences, one module per
//! verb.

mod delete;
mod export;
mod password;
mod preferences;
mod resend_verification;
mod sessions;
mod two_factor;

use std::process::ExitCode;

use anyhow::Result;

use crate::args::AccountCommand;
use crate::context::Ctx;

pub async fn run(ctx: &Ctx, cmd: AccountCommand) -> Result<ExitCode> {
    match cmd {
        AccountCommand::TwoFactor(cmd) => two_factor::run(ctx, cmd).await,
        AccountCommand::Sessions { command } => sessions::run(ctx, command).await,
        AccountCommand::Password(args) => password::run(ctx, args).await,
        AccountCommand::Set(args) => preferences::run(ctx, args).await,
        AccountCommand::Export { file } => export::run(ctx, &file).await,
        AccountCommand::ResendVerification => resend_verification::run(ctx).await,
        AccountCommand::Delete {
            password_stdin,
            code,
            recovery_code,
        } => delete::run(ctx, password_stdin, code, recovery_code).await,
    }
}
