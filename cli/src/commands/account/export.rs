//! `codexkey account export FILE`: the caller's data as one zip archive, written to a new file
//! that is private (0600) from its creation, whatever the umask: it holds the account's usage,
//! client addresses included.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::json;
use std::process::ExitCode;

use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, file: &Path) -> Result<ExitCode> {
    if file.exists() {
        return Err(UserError::new(
            format!("{} already exists", file.display()),
            "give a new file name; an export never overwrites a file",
        )
        .into());
    }
    let bytes = ctx.authed().await?.export().await?;
    if !bytes.starts_with(b"PK") {
        anyhow::bail!("the gateway sent something that is not a zip archive");
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options
        .open(file)
        .with_context(|| format!("cannot create {}", file.display()))?;
    let written = out
        .write_all(&bytes)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("cannot write {}", file.display()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(file);
        return Err(e);
    }
    if ctx.json {
        output::json(&json!({ "file": file, "bytes": bytes.len() }))?;
    } else {
        output::notice(&format!(
            "exported your data to {} ({} bytes; JSON and CSV inside)",
            file.display(),
            bytes.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
