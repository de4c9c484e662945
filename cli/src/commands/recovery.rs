//! `codexkey reset-password` and `codexkey verify-email`: using the one-time links the gateway
//! mails (or an admin hands out) without a session.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::{PasswordResetConfirmRequest, PasswordResetRequest, VerifyEmailRequest};
use serde_json::json;

use crate::args::ResetPasswordArgs;
use crate::commands::login;
use crate::context::Ctx;
use crate::output;

/// The token of a link (`…?token=ck_…`), or the text itself when it is a bare token.
fn token_of(link: &str) -> String {
    let link = link.trim();
    match link.split_once("token=") {
        Some((_, rest)) => rest.split(['&', '#']).next().unwrap_or(rest).to_owned(),
        None => link.to_owned(),
    }
}

pub async fn reset_password(ctx: &Ctx, args: ResetPasswordArgs) -> Result<ExitCode> {
    let client = ctx.anonymous()?;
    if let Some(email) = args.email {
        let accepted = client
            .request_password_reset(&PasswordResetRequest { email })
            .await?;
        if ctx.json {
            output::json(&accepted)?;
        } else {
            output::notice(&format!(
                "{}; then run `codexkey reset-password --link LINK`",
                accepted.message
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let token = token_of(args.link.as_deref().unwrap_or_default());
    let new_password = login::read_password(args.password_stdin, true)?;
    let done = client
        .confirm_password_reset(&PasswordResetConfirmRequest {
            token,
            new_password,
        })
        .await?;
    if ctx.json {
        output::json(&done)?;
    } else {
        output::notice(&format!(
            "your new password is set; {} sessions ended; log in with `codexkey login`",
            done.sessions_revoked
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn verify_email(ctx: &Ctx, link: &str) -> Result<ExitCode> {
    ctx.anonymous()?
        .verify_email(&VerifyEmailRequest {
            token: token_of(link),
        })
        .await?;
    if ctx.json {
        output::json(&json!({ "verified": true }))?;
    } else {
        output::notice("your address is verified");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn tokens_are_read_from_links_or_taken_as_they_are() {
        assert_eq!(
            token_of("https://gw.test/reset-password?token=ck_reset_abc"),
            "ck_reset_abc"
        );
        assert_eq!(token_of("http://h/x?token=ck_verify_1&y=2"), "ck_verify_1");
        assert_eq!(token_of(" ck_reset_abc \n"), "ck_reset_abc");
    }
}
