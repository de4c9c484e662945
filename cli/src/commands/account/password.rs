//! `codexkey account password`: change the password; every other session ends.

use std::io::{BufRead as _, IsTerminal as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::api::ChangePasswordRequest;

use crate::args::PasswordArgs;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, args: PasswordArgs) -> Result<ExitCode> {
    let req = if args.stdin { from_stdin()? } else { prompt()? };
    let changed = ctx.authed().await?.change_password(&req).await?;
    if ctx.json {
        output::json(&changed)?;
    } else {
        output::notice(&format!(
            "password changed; ended {} other session(s)",
            changed.sessions_revoked
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The current password on stdin's first line, the new one on its second.
fn from_stdin() -> Result<ChangePasswordRequest> {
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> Result<String> {
        let line = lines
            .next()
            .transpose()
            .context("cannot read standard input")?
            .unwrap_or_default();
        let line = line.trim_end_matches('\r').to_owned();
        if line.is_empty() {
            return Err(UserError::new(
                format!("no {what} on standard input"),
                "pipe the current password on the first line and the new one on the second",
            )
            .into());
        }
        Ok(line)
    };
    let current_password = next("current password")?;
    let new_password = next("new password")?;
    Ok(ChangePasswordRequest {
        current_password,
        new_password,
    })
}

fn prompt() -> Result<ChangePasswordRequest> {
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            "no terminal to ask for passwords",
            "pass `--stdin` and pipe the current password and the new one, one per line",
        )
        .into());
    }
    let current_password = rpassword::prompt_password("Current password: ")?;
    let new_password = rpassword::prompt_password("New password: ")?;
    if rpassword::prompt_password("New password (again): ")? != new_password {
        return Err(UserError::new("the new passwords differ", "run the command again").into());
    }
    Ok(ChangePasswordRequest {
        current_password,
        new_password,
    })
}
