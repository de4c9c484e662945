//! How failures reach the user: `error: …`, the causes, and a `hint: …` with the next step;
//! and which exit code they get.

use std::process::ExitCode;

use crate::client::ClientError;

/// Exit code for a refusal the user can act on.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for a usage or internal error.
pub const EXIT_INTERNAL: u8 = 2;

/// A failure the user can fix, with the fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The next step for a failure, if there is a useful one.
fn hint_for(e: &anyhow::Error) -> Option<String> {
    if let Some(u) = e.downcast_ref::<UserError>() {
        return u.hint.clone();
    }
    match e.downcast_ref::<ClientError>()? {
        ClientError::Unreachable { url, .. } => Some(format!(
            "is a gateway running there? Start one with `codexkey gateway`, or point at another with `--gateway URL` (or `CODEXKEY_GATEWAY`); now using {url}"
        )),
        ClientError::Api { kind, .. } => match kind.as_str() {
            "unauthorized" | "session_expired" | "session_revoked" => {
                Some("log in with `codexkey login`".into())
            }
            "wrong_credentials" => Some(
                "check the email and password, or create an account with `codexkey register`"
                    .into(),
            ),
            "forbidden" => Some("this needs an admin account; ask the gateway's operator".into()),
            "account_suspended" => Some("contact the gateway's operator".into()),
            _ => None,
        },
        ClientError::Protocol { .. } => {
            Some("check that `--gateway` points at a codexkey gateway".into())
        }
    }
}

fn exit_code_for(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UserError>().is_some() {
        return EXIT_REFUSED;
    }
    match e.downcast_ref::<ClientError>() {
        Some(ClientError::Unreachable { .. }) => EXIT_REFUSED,
        Some(ClientError::Api { status, .. }) if status.is_client_error() => EXIT_REFUSED,
        _ => EXIT_INTERNAL,
    }
}

/// Prints the error to stderr and returns its exit code.
pub fn report(e: &anyhow::Error) -> ExitCode {
    // `codexkey keys list | head`: the reader went away; that is not our failure.
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let mut text = format!("error: {e}");
    for cause in e.chain().skip(1) {
        text.push_str(&format!("\n  Caused by: {cause}"));
    }
    if let Some(ClientError::Unreachable { detail, .. }) = e.downcast_ref::<ClientError>() {
        text.push_str(&format!("\n  Caused by: {detail}"));
    }
    if let Some(h) = hint_for(e) {
        text.push_str(&format!("\nhint: {h}"));
    }
    #[expect(clippy::print_stderr, reason = "this is the CLI's error output")]
    {
        // Messages quote what others wrote (a model name, an email): never raw.
        eprintln!("{}", codexkey_common::text::escape_lines(&text));
    }
    ExitCode::from(exit_code_for(e))
}
