//! `codexkey login`: exchange email and password (and, with two-factor login, a code) for a
//! session token and keep it in the credential store. Also the prompts `register` and
//! `account` share.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use codexkey_common::api::{
    Account, LoginChallenge, LoginOutcome, LoginRequest, LoginResponse, SecondStepRequest,
};
use serde::Serialize;

use crate::args::{CredentialStoreKind, LoginArgs};
use crate::client::Client;
use crate::context::Ctx;
use crate::credentials;
use crate::error::UserError;
use crate::output;

/// What `login --json` and `register --json` print. The token itself is never printed.
#[derive(Serialize)]
pub struct LoginOutput {
    pub gateway: String,
    pub account: Account,
    pub expires_at: DateTime<Utc>,
    pub credential_store: CredentialStoreKind,
}

pub async fn run(ctx: &Ctx, args: LoginArgs) -> Result<ExitCode> {
    let email = read_email(args.credentials.email)?;
    let password = read_password(args.credentials.password_stdin, false)?;
    let client = ctx.anonymous()?;
    let resp = match client.login(&LoginRequest { email, password }).await? {
        LoginOutcome::Session(resp) => {
            if args.code.is_some() || args.recovery_code.is_some() {
                output::notice(
                    "two-factor login is not on for this account; the code was not needed",
                );
            }
            resp
        }
        LoginOutcome::SecondStep(challenge) => {
            second_step(&client, challenge, args.code, args.recovery_code).await?
        }
    };
    finish(ctx, resp, "logged in").await
}

/// The second step: the code from a flag, or asked for.
async fn second_step(
    client: &Client,
    challenge: LoginChallenge,
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<LoginResponse> {
    let (code, recovery_code) = match (code, recovery_code) {
        (None, None) => read_second_factor()?,
        given => given,
    };
    Ok(client
        .login_second_step(&SecondStepRequest {
            challenge: challenge.challenge,
            code,
            recovery_code,
        })
        .await?)
}

/// A code from the authenticator app or a recovery code, asked for on the terminal and told
/// apart by shape: six digits are the app's.
pub fn read_second_factor() -> Result<(Option<String>, Option<String>)> {
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            "this account has two-factor login and there is no terminal to ask for a code",
            "pass `--code CODE` (from your authenticator app) or `--recovery-code CODE`",
        )
        .into());
    }
    eprint_flush("Two-factor code (or a recovery code): ")?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let input: String = line.split_whitespace().collect();
    if input.len() == 6 && input.bytes().all(|b| b.is_ascii_digit()) {
        Ok((Some(input), None))
    } else {
        Ok((None, Some(input)))
    }
}

/// Stores the session, makes this gateway the default, and reports.
pub async fn finish(ctx: &Ctx, resp: LoginResponse, verb: &str) -> Result<ExitCode> {
    let mut settings = ctx.settings.clone();
    settings.gateway = Some(ctx.gateway.clone());
    let name = credentials::session_name(&ctx.gateway);
    let token = resp.token;
    let store =
        tokio::task::spawn_blocking(move || credentials::save(&mut settings, &name, &token))
            .await
            .context("the credential store task failed")??;
    let out = LoginOutput {
        gateway: ctx.gateway.clone(),
        account: resp.account,
        expires_at: resp.expires_at,
        credential_store: store,
    };
    if ctx.json {
        output::json(&out)?;
    } else {
        let store = match store {
            CredentialStoreKind::Keyring => "the OS keyring",
            _ => "a private file",
        };
        output::notice(&format!(
            "{verb} to {} as {}; session kept in {store} until {}",
            out.gateway,
            out.account.email,
            output::time(out.expires_at)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn read_email(flag: Option<String>) -> Result<String> {
    if let Some(e) = flag {
        return Ok(e);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new("no email given", "pass `--email ADDRESS`").into());
    }
    eprint_flush("Email: ")?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// The password from stdin's first line (`--password-stdin`) or a hidden prompt; `confirm`
/// asks twice.
pub fn read_password(from_stdin: bool, confirm: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            return Err(UserError::new(
                "the password on stdin is empty",
                "pipe the password as the first line of stdin",
            )
            .into());
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            "no terminal to ask for a password",
            "pass `--password-stdin` and pipe the password in",
        )
        .into());
    }
    let password = rpassword::prompt_password("Password: ")?;
    if confirm && rpassword::prompt_password("Password (again): ")? != password {
        return Err(UserError::new("the passwords differ", "run the command again").into());
    }
    Ok(password)
}

pub fn eprint_flush(text: &str) -> Result<()> {
    let mut err = std::io::stderr().lock();
    write!(err, "{text}")?;
    err.flush()?;
    Ok(())
}
