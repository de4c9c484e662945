//! `codexkey admin codes …`: batches of redemption codes. `create` prints the codes once (or
//! writes them to a new 0600 CSV file with `--csv`): the gateway keeps only their hashes.
//! `export` writes what the gateway has, each code's state and redeemer, never the code.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::{DateTime, NaiveDate, Utc};
use codexkey_common::Micros;
use codexkey_common::api::{CodeBatch, CodeInfo, CreateCodesRequest, DisableCodeRequest};
use serde_json::json;
use tabled::Tabled;

use crate::args::{CodesCommand, CreateCodesArgs};
use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

#[derive(Tabled)]
struct BatchRow {
    batch: i64,
    amount: String,
    codes: u32,
    unused: u32,
    redeemed: u32,
    disabled: u32,
    expired: u32,
    promotional: String,
    expires: String,
    note: String,
    created: String,
}

fn batch_row(b: &CodeBatch) -> BatchRow {
    BatchRow {
        batch: b.id,
        amount: output::credits(b.amount_micros),
        codes: b.count,
        unused: b.unused,
        redeemed: b.redeemed,
        disabled: b.disabled,
        expired: b.expired,
        promotional: if b.promotional { "yes" } else { "no" }.into(),
        expires: output::opt_time(b.expires_at),
        note: output::opt(b.note.as_deref()),
        created: output::time(b.created_at),
    }
}

#[derive(Tabled)]
struct CodeRow {
    id: i64,
    state: String,
    #[tabled(rename = "redeemed by")]
    redeemed_by: String,
    #[tabled(rename = "redeemed at")]
    redeemed_at: String,
    #[tabled(rename = "disabled at")]
    disabled_at: String,
}

fn code_row(c: &CodeInfo) -> CodeRow {
    CodeRow {
        id: c.id,
        state: c.state.as_str().into(),
        redeemed_by: output::opt(c.redeemed_by.as_deref()),
        redeemed_at: output::opt_time(c.redeemed_at),
        disabled_at: output::opt_time(c.disabled_at),
    }
}

pub async fn run(ctx: &Ctx, client: &Client, cmd: CodesCommand) -> Result<ExitCode> {
    match cmd {
        CodesCommand::Create(args) => create(ctx, client, args).await?,
        CodesCommand::List { unused } => {
            let batches = client.admin_code_batches(unused).await?;
            if ctx.json {
                output::json(&batches)?;
            } else {
                output::table(
                    batches.iter().map(batch_row).collect(),
                    "no code batches yet; create one with `codexkey admin codes create`",
                )?;
            }
        }
        CodesCommand::Show { batch } => {
            let detail = client.admin_code_batch(batch).await?;
            if ctx.json {
                output::json(&detail)?;
            } else {
                output::table(vec![batch_row(&detail.batch)], "")?;
                output::table(detail.codes.iter().map(code_row).collect(), "no codes")?;
            }
        }
        CodesCommand::Disable { batch, code } => {
            let (resp, what) = match (batch, code) {
                (Some(batch), None) => (
                    client.admin_disable_batch(batch).await?,
                    format!("batch {batch}"),
                ),
                (None, Some(code)) => (
                    client
                        .admin_disable_code(&DisableCodeRequest { code })
                        .await?,
                    "the code".to_owned(),
                ),
                _ => {
                    return Err(UserError::new(
                        "name what to disable",
                        "give a batch id or `--code CODE`, not both",
                    )
                    .into());
                }
            };
            if ctx.json {
                output::json(&resp)?;
            } else {
                output::notice(&format!(
                    "disabled {} code(s) of {what}; redeemed codes stay redeemed",
                    resp.disabled
                ));
            }
        }
        CodesCommand::Export { batch, file } => {
            refuse_existing(&file)?;
            let detail = client.admin_code_batch(batch).await?;
            write_private(&file, detail.to_csv().as_bytes())?;
            if ctx.json {
                output::json(&json!({ "file": file, "codes": detail.codes.len() }))?;
            } else {
                output::notice(&format!(
                    "wrote the states of batch {batch}'s {} codes to {}",
                    detail.codes.len(),
                    file.display()
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn create(ctx: &Ctx, client: &Client, args: CreateCodesArgs) -> Result<()> {
    let amount_micros: Micros = args.amount.parse().map_err(|e| {
        UserError::new(
            format!("`--amount`: {e}"),
            "give credits, e.g. `10` or `2.5`",
        )
    })?;
    let expires_at = args.expires.as_deref().map(parse_when).transpose()?;
    if let Some(file) = &args.csv {
        refuse_existing(file)?;
    }
    let resp = client
        .admin_create_codes(&CreateCodesRequest {
            amount_micros,
            count: args.count,
            expires_at,
            note: args.note,
            promotional: args.promotional,
        })
        .await?;
    let b = &resp.batch;
    let summary = format!(
        "created batch {}: {} code(s) of {}{}{}",
        b.id,
        resp.codes.len(),
        output::credits(b.amount_micros),
        if b.promotional { ", promotional" } else { "" },
        b.expires_at
            .map(|t| format!(", expiring {}", output::time(t)))
            .unwrap_or_default()
    );
    if let Some(file) = &args.csv {
        write_private(file, resp.to_csv().as_bytes())?;
        if ctx.json {
            output::json(&json!({ "batch": b, "file": file }))?;
        } else {
            output::notice(&format!(
                "{summary}; wrote them to {} (the gateway keeps only their hashes)",
                file.display()
            ));
        }
    } else if ctx.json {
        output::json(&resp)?;
    } else {
        output::write(
            &resp
                .codes
                .iter()
                .map(|c| format!("{c}\n"))
                .collect::<String>(),
        )?;
        output::notice(&format!(
            "{summary}; they are shown this once (the gateway keeps only their hashes)"
        ));
    }
    Ok(())
}

/// `2027-01-01` (midnight UTC) or an RFC 3339 time.
fn parse_when(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            UserError::new(
                format!("`--expires`: `{s}` is not a date"),
                "give a date like `2027-01-01` or a time like `2027-01-01T12:00:00Z`",
            )
            .into()
        })
}

fn refuse_existing(file: &Path) -> Result<()> {
    if file.exists() {
        return Err(UserError::new(
            format!("{} already exists", file.display()),
            "give a new file name; codes are never written over a file",
        )
        .into());
    }
    Ok(())
}

/// Creates `file` (new, 0600 from the start whatever the umask) with `bytes`, synced.
fn write_private(file: &Path, bytes: &[u8]) -> Result<()> {
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
    out.write_all(bytes)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("cannot write {}", file.display()))
}
