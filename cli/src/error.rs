//! How failures reach the user: `error: …`, the causes, and a `hint: …` with the next step;
//! and which exit code they get.

use std::process::ExitCode;

use codexkey_common::api::ErrorKind;

use crate::client::ClientError;

/// Exit code for a refusal the user can act on.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for a usage or internal error.
pub const EXIT_INTERNAL: u8 = 2;
/// Exit code of `admin migrate` for a target database that is not empty: a refusal scripts
/// tell apart from the others (most often, the migration already ran).
pub const EXIT_TARGET_NOT_EMPTY: u8 = 3;

/// A failure the user can fix, with the fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
    /// [`EXIT_REFUSED`] unless a command documents another.
    pub exit: u8,
}

impl UserError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: Some(hint.into()),
            exit: EXIT_REFUSED,
        }
    }

    /// The same refusal, ending the process with `code`.
    pub fn with_exit(self, code: u8) -> Self {
        UserError { exit: code, ..self }
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
        ClientError::Api { kind, .. } => match kind {
            k if k.is_session_gone() => Some("log in with `codexkey login`".into()),
            ErrorKind::WrongCredentials => Some(
                "check the email and password, or create an account with `codexkey register`"
                    .into(),
            ),
            ErrorKind::Forbidden => {
                Some("this needs an admin account; ask the gateway's operator".into())
            }
            ErrorKind::AccountSuspended => Some("contact the gateway's operator".into()),
            ErrorKind::WrongCode => Some(
                "codes change every 30 s and each works once: wait for the next one, or use a recovery code (`--recovery-code`)"
                    .into(),
            ),
            ErrorKind::InvalidChallenge => Some("log in again with `codexkey login`".into()),
            ErrorKind::InvalidToken => {
                Some("ask for a new link (or an admin: `codexkey admin reset-password EMAIL`)".into())
            }
            _ => None,
        },
        ClientError::Protocol { .. } => {
            Some("check that `--gateway` points at a codexkey gateway".into())
        }
    }
}

fn exit_code_for(e: &anyhow::Error) -> u8 {
    if let Some(u) = e.downcast_ref::<UserError>() {
        return u.exit;
    }
    match e.downcast_ref::<ClientError>() {
        Some(ClientError::Unreachable { .. }) => EXIT_REFUSED,
        Some(ClientError::Api { status, .. }) if status.is_client_error() => EXIT_REFUSED,
        _ => EXIT_INTERNAL,
    }
}

/// `error: …`, each cause, and the hint, each said once: a cause or hint whose text an earlier
/// line already carries (a gateway message that ends in the same advice, a context that quotes
/// its source) is left out.
pub fn render(e: &anyhow::Error) -> String {
    let head = e.to_string();
    let mut said = vec![head.clone()];
    let mut text = format!("error: {head}");
    let mut causes: Vec<String> = e.chain().skip(1).map(|c| c.to_string()).collect();
    if let Some(ClientError::Unreachable { detail, .. }) = e.downcast_ref::<ClientError>() {
        causes.push(detail.clone());
    }
    for cause in causes {
        if cause.trim().is_empty() || said.iter().any(|s| s.contains(cause.trim())) {
            continue;
        }
        text.push_str(&format!("\n  Caused by: {cause}"));
        said.push(cause);
    }
    if let Some(h) = hint_for(e)
        && !said.iter().any(|s| s.contains(h.trim()))
    {
        text.push_str(&format!("\nhint: {h}"));
    }
    text
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
    let text = render(e);
    #[expect(clippy::print_stderr, reason = "this is the CLI's error output")]
    {
        // Messages quote what others wrote (a model name, an email): never raw.
        eprintln!("{}", codexkey_common::text::escape_lines(&text));
    }
    ExitCode::from(exit_code_for(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn no_message_is_said_twice() {
        // The gateway's message already carries the advice the hint would repeat.
        let e = anyhow::Error::new(ClientError::Api {
            status: StatusCode::FORBIDDEN,
            kind: ErrorKind::AccountSuspended,
            message: "this account is suspended; contact the gateway's operator".into(),
        });
        let text = render(&e);
        assert_eq!(
            text.matches("contact the gateway's operator").count(),
            1,
            "{text}"
        );
        assert!(!text.contains("hint:"), "{text}");

        // A context that quotes its cause does not print it again; a new cause is kept.
        let inner = anyhow::anyhow!("permission denied");
        let e = inner.context("cannot write /x: permission denied");
        assert_eq!(render(&e), "error: cannot write /x: permission denied");
        let e = anyhow::anyhow!("disk full").context("cannot save the settings");
        assert_eq!(
            render(&e),
            "error: cannot save the settings\n  Caused by: disk full"
        );

        // A hint that says something new stays.
        let e = anyhow::Error::new(UserError::new(
            "not logged in",
            "log in with `codexkey login`",
        ));
        assert_eq!(
            render(&e),
            "error: not logged in\nhint: log in with `codexkey login`"
        );
    }
}
