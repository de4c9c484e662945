//! `codexkey register [--referral CODE]`: create an account (the referee of the code's owner),
//! then log in to it.

use std::process::ExitCode;

use anyhow::Result;
use anyhow::bail;
use codexkey_common::api::{LoginOutcome, LoginRequest, RegisterRequest};

use crate::args::RegisterArgs;
use crate::commands::login;
use crate::context::Ctx;

pub async fn run(ctx: &Ctx, args: RegisterArgs) -> Result<ExitCode> {
    let email = login::read_email(args.credentials.email)?;
    let password = login::read_password(args.credentials.password_stdin, true)?;
    let client = ctx.anonymous()?;
    let account = client
        .register(&RegisterRequest {
            email: email.clone(),
            password: password.clone(),
            language: None,
            currency: None,
            referral_code: args.referral,
            invitation: args.invitation,
        })
        .await?;
    let outcome = client
        .login(&LoginRequest {
            email: account.email,
            password,
        })
        .await?;
    // A new account has no two-factor login yet.
    let LoginOutcome::Session(resp) = outcome else {
        bail!("the gateway asked a new account for a two-factor code");
    };
    login::finish(ctx, resp, "registered and logged in").await
}
