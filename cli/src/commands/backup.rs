//! `codexkey admin backup FILE`: the gateway streams a consistent copy of its database; it is
//! written beside FILE under a temporary name and renamed into place once complete and
//! checked, so FILE is either a whole backup or absent. The database holds password hashes
//! and usage metadata: the file is 0600 from its creation, whatever the umask.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, client: &Client, file: &Path) -> Result<()> {
    if file.exists() {
        return Err(UserError::new(
            format!("{} already exists", file.display()),
            "give a new file name; a backup never overwrites a file",
        )
        .into());
    }
    let partial = partial_name(file);
    let written = download(client, &partial).await;
    let bytes = match written {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), file.display()))?;
    if ctx.json {
        output::json(&json!({ "file": file, "bytes": bytes }))?;
    } else {
        output::notice(&format!(
            "backed up the gateway's database to {} ({bytes} bytes)",
            file.display()
        ));
    }
    Ok(())
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    file.with_file_name(name)
}

/// Writes the backup to `path` (created new, 0600, synced); returns its length.
async fn download(client: &Client, path: &Path) -> Result<u64> {
    let mut resp = client.admin_backup().await?;
    let expected = resp.content_length();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut written: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(16);
    while let Some(chunk) = resp
        .chunk()
        .await
        .context("the backup stream from the gateway broke off")?
    {
        if head.len() < 16 {
            head.extend(chunk.iter().take(16 - head.len()));
        }
        out.write_all(&chunk)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written += chunk.len() as u64;
    }
    if head != b"SQLite format 3\0".as_slice() || expected.is_some_and(|n| n != written) {
        anyhow::bail!(
            "the gateway sent an incomplete or foreign backup ({written} bytes, expected {})",
            expected.map_or_else(|| "an SQLite file".to_owned(), |n| format!("{n} bytes"))
        );
    }
    out.sync_all()
        .with_context(|| format!("cannot sync {}", path.display()))?;
    Ok(written)
}
