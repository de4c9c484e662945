//! `codexkey doctor`: one line per check, a check mark or the command that fixes it.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::args::Tool;
use crate::client::{Client, ClientError};
use crate::commands::tools::{ToolConfig, configured_proxy, tool_binary};
use crate::context::Ctx;
use crate::credentials::OLD_PLACEHOLDER_TOKEN;
use crate::error::EXIT_REFUSED;
use crate::output;

#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    /// What was found.
    detail: String,
    /// What to run when it is not ok.
    fix: Option<String>,
    /// Whether a failure makes `doctor` exit 1 (the tools are optional).
    essential: bool,
}

fn check(
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<&str>,
    essential: bool,
) -> Check {
    Check {
        name,
        ok,
        detail,
        fix: (!ok).then(|| fix.unwrap_or_default().to_owned()),
        essential,
    }
}

async fn tool_version(bin: &str) -> Option<String> {
    let out = tokio::process::Command::new(bin)
        .arg("--version")
        .output()
        .await
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
}

/// Whether what a tool is set up with works: its proxy answers at the configured base URL and
/// takes the configured token. `(ok, what was found)`.
async fn probe_tool_proxy(config: &ToolConfig) -> (bool, String) {
    let base = &config.base;
    let token = match config.token.as_deref() {
        None => {
            return (
                false,
                format!("set up for the proxy on {base} without a proxy token"),
            );
        }
        Some(OLD_PLACEHOLDER_TOKEN) => {
            return (
                false,
                format!(
                    "set up for the proxy on {base} with the old placeholder token `{OLD_PLACEHOLDER_TOKEN}`, which the proxy refuses"
                ),
            );
        }
        Some(t) => t,
    };
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
    {
        Ok(h) => h,
        Err(e) => return (false, format!("cannot probe the proxy: {e}")),
    };
    match http
        .get(format!("{base}/v1/models"))
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => (
            true,
            format!("set up for the proxy on {base}, which answers"),
        ),
        Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED => {
            let body = r.text().await.unwrap_or_default();
            if body.contains("proxy token") {
                (
                    false,
                    format!("set up for the proxy on {base}, which refuses the configured token"),
                )
            } else {
                (
                    false,
                    format!(
                        "set up for the proxy on {base}; the gateway refuses the proxy's API key"
                    ),
                )
            }
        }
        Ok(r) => (
            false,
            format!(
                "set up for the proxy on {base}, which answers {}",
                r.status()
            ),
        ),
        Err(_) => (
            false,
            format!("set up for the proxy on {base}, but nothing answers there"),
        ),
    }
}

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let mut checks = Vec::new();
    let anon = ctx.anonymous()?;
    let reachable = anon.health().await;
    checks.push(match &reachable {
        Ok(h) => check(
            "gateway",
            true,
            format!("{} answers (codexkey {})", ctx.gateway, h.version),
            None,
            true,
        ),
        Err(_) => check(
            "gateway",
            false,
            format!("{} does not answer", ctx.gateway),
            Some("start one with `codexkey gateway`, or pass `--gateway URL`"),
            true,
        ),
    });
    if reachable.is_ok() {
        let session = match ctx.token().await? {
            Some(t) => Client::new(&ctx.gateway, Some(t))?
                .account()
                .await
                .map_err(Some),
            None => Err(None),
        };
        checks.push(match &session {
            Ok(a) => check(
                "login",
                true,
                format!("logged in as {}", a.email),
                None,
                true,
            ),
            Err(_) => check(
                "login",
                false,
                "not logged in".into(),
                Some("`codexkey login`"),
                true,
            ),
        });
        if session.is_ok() {
            let client = ctx.authed().await?;
            match client.balance().await {
                Ok(b) => checks.push(check(
                    "balance",
                    b.available_micros.0 > 0,
                    format!(
                        "{} cr available ({} cr held)",
                        b.available_micros, b.held_micros
                    ),
                    Some("redeem a code with `codexkey topup --code CODE`, or ask the gateway's operator for credit"),
                    true,
                )),
                Err(e) => checks.push(check(
                    "balance",
                    false,
                    e.to_string(),
                    Some("`codexkey balance`"),
                    true,
                )),
            }
        }
        let key_check = match ctx.proxy_key().await {
            Err(_) => check(
                "proxy key",
                false,
                "none set".into(),
                Some("`codexkey keys create --use`"),
                true,
            ),
            Ok(key) => {
                let http = reqwest::Client::new();
                let resp = http
                    .get(format!("{}/v1/models", ctx.gateway))
                    .bearer_auth(key.expose())
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().is_success() => check(
                        "proxy key",
                        true,
                        "accepted by the gateway".into(),
                        None,
                        true,
                    ),
                    Ok(r) => check(
                        "proxy key",
                        false,
                        format!("refused by the gateway ({})", r.status()),
                        Some("`codexkey keys create --use`"),
                        true,
                    ),
                    Err(e) => check(
                        "proxy key",
                        false,
                        ClientError::Unreachable {
                            url: ctx.gateway.clone(),
                            detail: e.to_string(),
                        }
                        .to_string(),
                        None,
                        true,
                    ),
                }
            }
        };
        checks.push(key_check);
    }
    for (tool, install) in [
        (Tool::Claude, "`npm install -g @anthropic-ai/claude-code`"),
        (Tool::Codex, "`npm install -g @openai/codex`"),
    ] {
        let name = match tool {
            Tool::Claude => "claude",
            Tool::Codex => "codex",
        };
        let version = tool_version(&tool_binary(tool).to_string_lossy()).await;
        let config = configured_proxy(tool);
        checks.push(match (version, config) {
            (None, None) => check(name, false, "not installed".into(), Some(install), false),
            (Some(v), None) => check(
                name,
                false,
                format!("{v}, not configured for the proxy"),
                Some(&format!(
                    "`codexkey setup {name}` (or `codexkey run {name}`)"
                )),
                false,
            ),
            (v, Some(config)) => {
                let v = v.unwrap_or_else(|| "not installed".into());
                let (ok, detail) = probe_tool_proxy(&config).await;
                check(
                    name,
                    ok,
                    format!("{v}, {detail}"),
                    Some(&format!(
                        "`codexkey setup {name} --port PORT` writes your proxy token; `codexkey proxy --port PORT` serves it (or just `codexkey run {name}`)"
                    )),
                    false,
                )
            }
        });
    }
    let failed = checks.iter().any(|c| c.essential && !c.ok);
    if ctx.json {
        output::json(&checks)?;
    } else {
        let mut out = String::new();
        for c in &checks {
            let mark = if c.ok { "✓" } else { "✗" };
            out.push_str(&format!("{mark} {:<10} {}", c.name, c.detail));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("\n  fix: {fix}"));
            }
            out.push('\n');
        }
        std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    }
    Ok(if failed {
        ExitCode::from(EXIT_REFUSED)
    } else {
        ExitCode::SUCCESS
    })
}
