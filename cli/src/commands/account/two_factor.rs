//! `codexkey account 2fa enable|confirm|disable`: two-factor login with an authenticator app.
//!
//! `enable` asks for the password first (`--password-stdin` reads it), then, on a terminal, does
//! it all: it draws the `otpauth://` URI as a QR code, asks for a
//! code the app shows, confirms, and prints the recovery codes. Without a terminal (or with
//! `--json`) it prints the enrolment as data and stops, and `confirm CODE` finishes: scripts
//! and tests drive it in two calls.

use std::io::{BufRead as _, IsTerminal as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::api::{
    TotpConfirmRequest, TotpConfirmed, TotpDisableRequest, TotpEnrollRequest, TotpEnrollment,
};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::args::{DisableTwoFactorArgs, TwoFactorCommand};
use crate::client::Client;
use crate::commands::login::{eprint_flush, read_password, read_second_factor};
use crate::context::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx, cmd: TwoFactorCommand) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    match cmd {
        TwoFactorCommand::Enable { password_stdin } => enable(ctx, &client, password_stdin).await,
        TwoFactorCommand::Confirm { code } => {
            let confirmed = client.confirm_2fa(&TotpConfirmRequest { code }).await?;
            show_confirmed(ctx, &confirmed)
        }
        TwoFactorCommand::Disable(args) => disable(ctx, &client, args).await,
    }
}

async fn enable(ctx: &Ctx, client: &Client, password_stdin: bool) -> Result<ExitCode> {
    // Asked before anything else uses stdin (with `--password-stdin`, it is its first line).
    let interactive = !ctx.json && !password_stdin && std::io::stdin().is_terminal();
    let password = read_password(password_stdin, false)?;
    let enrollment = client.enroll_2fa(&TotpEnrollRequest { password }).await?;
    if !interactive {
        if ctx.json {
            output::json(&enrollment)?;
        } else {
            output::fields(&[
                ("otpauth_uri", enrollment.otpauth_uri.clone()),
                ("secret", enrollment.secret.clone()),
            ])?;
        }
        output::notice(
            "add this secret to your authenticator app, then finish with `codexkey account 2fa confirm CODE`",
        );
        return Ok(ExitCode::SUCCESS);
    }
    output::notice(&qr(&enrollment)?);
    output::notice(&format!(
        "scan this with your authenticator app, or type in the secret {}",
        enrollment.secret
    ));
    eprint_flush("Code from the app: ")?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the code")?;
    let code: String = line.split_whitespace().collect();
    let confirmed = client.confirm_2fa(&TotpConfirmRequest { code }).await?;
    show_confirmed(ctx, &confirmed)
}

/// The enrolment's URI as a QR code of Unicode half blocks, light on dark so that it scans
/// from a terminal with a dark background (most do) and with a quiet zone around it.
fn qr(enrollment: &TotpEnrollment) -> Result<String> {
    let code = QrCode::new(enrollment.otpauth_uri.as_bytes()).context("cannot draw the QR code")?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

fn show_confirmed(ctx: &Ctx, confirmed: &TotpConfirmed) -> Result<ExitCode> {
    if ctx.json {
        output::json(confirmed)?;
    } else {
        output::notice(
            "two-factor login is on. Recovery codes, each good for one login without the app; they are shown only now, so keep them somewhere safe:",
        );
        output::write(&format!("{}\n", confirmed.recovery_codes.join("\n")))?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn disable(ctx: &Ctx, client: &Client, args: DisableTwoFactorArgs) -> Result<ExitCode> {
    let password = read_password(args.password_stdin, false)?;
    let (code, recovery_code) = match (args.code, args.recovery_code) {
        (None, None) => read_second_factor()?,
        given => given,
    };
    client
        .disable_2fa(&TotpDisableRequest {
            password,
            code,
            recovery_code,
        })
        .await?;
    if ctx.json {
        output::json(&serde_json::json!({ "two_factor": false }))?;
    } else {
        output::notice("two-factor login is off; logins need only your password");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_qr_code_is_a_square_of_half_blocks() {
        let qr = qr(&TotpEnrollment {
            otpauth_uri: "otpauth://totp/codexkey:a%40x.io?secret=JBSWY3DPEHPK3PXP&issuer=codexkey"
                .into(),
            secret: "JBSWY3DPEHPK3PXP".into(),
        })
        .unwrap();
        let lines: Vec<&str> = qr.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{qr}");
        // Two rows of modules per line: a square code is half as tall as it is wide.
        assert_eq!(lines.len(), width.div_ceil(2), "{qr}");
        assert!(
            qr.chars()
                .all(|c| matches!(c, ' ' | '\u{2580}' | '\u{2584}' | '\u{2588}' | '\n')),
            "{qr}"
        );
    }
}
