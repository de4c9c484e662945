//! `codexkey logout`: end the session on the gateway and forget the token locally.

use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::client::ClientError;
use crate::context::Ctx;
use crate::credentials;
use crate::output;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    // An already ended or expired session still gets forgotten locally; anything else (the
    // gateway unreachable) keeps the token so the user can retry.
    match client.logout().await {
        Ok(()) => {}
        Err(ClientError::Api { kind, .. }) if kind.is_session_gone() => {}
        Err(e) => return Err(e.into()),
    }
    let mut settings = ctx.settings.clone();
    let name = credentials::session_name(&ctx.gateway);
    tokio::task::spawn_blocking(move || credentials::delete(&mut settings, &name))
        .await
        .context("the credential store task failed")??;
    if ctx.json {
        output::json(&serde_json::json!({ "gateway": ctx.gateway, "logged_out": true }))?;
    } else {
        output::notice(&format!("logged out of {}", ctx.gateway));
    }
    Ok(ExitCode::SUCCESS)
}
