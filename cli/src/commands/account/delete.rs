//! `codexkey account delete`: the caller deletes their own account, then forgets the session.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::api::DeleteAccountRequest;

use crate::commands::login;
use crate::context::Ctx;
use crate::{credentials, output};

pub async fn run(
    ctx: &Ctx,
    password_stdin: bool,
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    let password = login::read_password(password_stdin, false)?;
    let deleted = client
        .delete_account(&DeleteAccountRequest {
            password,
            code,
            recovery_code,
        })
        .await?;
    // The session ended with the account: its token is forgotten too.
    let mut settings = ctx.settings.clone();
    let name = credentials::session_name(&ctx.gateway);
    tokio::task::spawn_blocking(move || credentials::delete(&mut settings, &name))
        .await
        .context("the credential store task failed")??;
    if ctx.json {
        output::json(&deleted)?;
    } else {
        output::notice(&format!(
            "deleted your account: {} keys revoked, {} sessions ended, {} forfeited; your billing records stay as {}",
            deleted.keys_revoked,
            deleted.sessions_ended,
            output::credits(deleted.forfeited_micros),
            deleted.pseudonym
        ));
    }
    Ok(ExitCode::SUCCESS)
}
