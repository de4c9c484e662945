//! `codexkey admin upstreams list|add|remove|add-key`: the providers the gateway forwards to.
//! Upstream keys are secrets: they come from standard input or a hidden prompt, never from
//! arguments (which other local users can read in the process list), and are never printed.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::api::{AddUpstreamKeyRequest, CreateUpstreamRequest, UpstreamInfo};
use tabled::Tabled;

use crate::args::{AddUpstreamArgs, UpstreamsCommand};
use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

#[derive(Tabled)]
struct UpstreamRow {
    name: String,
    provider: String,
    #[tabled(rename = "base URL")]
    base_url: String,
    models: String,
    keys: String,
    source: String,
}

fn row(u: &UpstreamInfo) -> UpstreamRow {
    UpstreamRow {
        name: u.name.clone(),
        provider: u.provider.clone(),
        base_url: u.base_url.clone(),
        models: u
            .models
            .as_ref()
            .map(|m| m.join(","))
            .unwrap_or_else(|| format!("all priced for {}", u.provider)),
        keys: keys_summary(u),
        source: u.source.clone(),
    }
}

/// `2 (main, backup)`: how many keys, and the labels of those that have one.
fn keys_summary(u: &UpstreamInfo) -> String {
    let labels: Vec<&str> = u.keys.iter().filter_map(|k| k.label.as_deref()).collect();
    if labels.is_empty() {
        u.keys.len().to_string()
    } else {
        format!("{} ({})", u.keys.len(), labels.join(", "))
    }
}

fn key_count(n: usize) -> String {
    if n == 1 {
        "1 key".into()
    } else {
        format!("{n} keys")
    }
}

pub async fn run(ctx: &Ctx, client: &Client, cmd: UpstreamsCommand) -> Result<ExitCode> {
    match cmd {
        UpstreamsCommand::List => {
            let upstreams = client.admin_upstreams().await?;
            if ctx.json {
                output::json(&upstreams)?;
            } else {
                output::table(
                    upstreams.iter().map(row).collect(),
                    "no upstreams yet; add one with `codexkey admin upstreams add`",
                )?;
            }
        }
        UpstreamsCommand::Add(args) => add(ctx, client, args).await?,
        UpstreamsCommand::Remove { name } => {
            // The gateway answers 204; show what was removed.
            let before = client
                .admin_upstreams()
                .await?
                .into_iter()
                .find(|u| u.name == name && u.source == "database");
            client.admin_delete_upstream(&name).await?;
            if ctx.json {
                output::json(&before)?;
            } else {
                output::notice(&format!(
                    "removed upstream {name}; requests no longer go there"
                ));
            }
        }
        UpstreamsCommand::AddKey {
            name,
            label,
            key_stdin,
        } => {
            let mut keys = read_keys(key_stdin)?;
            if keys.len() > 1 {
                return Err(UserError::new(
                    format!(
                        "standard input holds {} keys; `add-key` adds one",
                        keys.len()
                    ),
                    "pipe a single key, or run `add-key` once per key",
                )
                .into());
            }
            let key = keys.pop().unwrap_or_default();
            let upstream = client
                .admin_add_upstream_key(&name, &AddUpstreamKeyRequest { key, label })
                .await?;
            if ctx.json {
                output::json(&upstream)?;
            } else {
                output::notice(&format!(
                    "added a key to upstream {}; it has {} now",
                    upstream.name,
                    key_count(upstream.keys.len())
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn add(ctx: &Ctx, client: &Client, args: AddUpstreamArgs) -> Result<()> {
    let keys = read_keys(args.key_stdin)?;
    let upstream = client
        .admin_create_upstream(&CreateUpstreamRequest {
            name: args.name,
            provider: args.provider,
            base_url: args.base_url,
            models: args.models,
            keys,
        })
        .await?;
    if ctx.json {
        output::json(&upstream)?;
    } else {
        output::notice(&format!(
            "added upstream {} ({} at {}) with {}",
            upstream.name,
            upstream.provider,
            upstream.base_url,
            key_count(upstream.keys.len())
        ));
    }
    Ok(())
}

/// Upstream keys, one per non-empty line of stdin (`--key-stdin`), or one from a hidden prompt.
fn read_keys(from_stdin: bool) -> Result<Vec<String>> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read upstream keys from stdin")?;
        let keys = parse_keys(&text);
        if keys.is_empty() {
            return Err(UserError::new(
                "no upstream key on standard input",
                "pipe the keys in, one per line: `printf '%s\\n' \"$KEY\" | codexkey admin upstreams … --key-stdin`",
            )
            .into());
        }
        return Ok(keys);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            "no upstream key given",
            "pass `--key-stdin` and pipe the keys in, one per line",
        )
        .into());
    }
    let key = rpassword::prompt_password("Upstream key: ")?;
    let keys = parse_keys(&key);
    if keys.is_empty() {
        return Err(UserError::new("the key is empty", "run the command again").into());
    }
    Ok(keys)
}

fn parse_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_non_empty_trimmed_lines() {
        assert_eq!(
            parse_keys("sk-one\r\n\n  sk-two  \n"),
            vec!["sk-one".to_owned(), "sk-two".to_owned()]
        );
        assert!(parse_keys("\n \n").is_empty());
    }
}
