//! `codexkey account resend-verification`: mails the caller a new link to verify their
//! address; the links mailed before stop working.

use std::process::ExitCode;

use anyhow::Result;

use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let sent = ctx.authed().await?.resend_verification().await?;
    if ctx.json {
        output::json(&sent)?;
    } else {
        output::fields(&[
            ("mailed to", sent.email),
            (
                "expires",
                sent.expires_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ])?;
        output::notice(
            "open the link in the mail (or run `codexkey verify-email LINK`); earlier links no longer work",
        );
    }
    Ok(ExitCode::SUCCESS)
}
