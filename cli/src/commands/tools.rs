//! `codexkey env|run|setup claude|codex`: pointing Claude Code and Codex CLI at the proxy.
//!
//! The tools only ever see the proxy's address and the user's proxy token (`ckp_…`, which
//! spends nothing anywhere but through this user's proxy); the real key stays in the credential
//! store, read by the proxy.
//!
//! - Claude Code reads `ANTHROPIC_BASE_URL` and `ANTHROPIC_AUTH_TOKEN` (sent as Bearer), from the
//!   environment or the `env` block of `~/.claude/settings.json`, and the settings file wins
//!   over the environment. So `run` hands them over with `--settings` (a private temporary
//!   file), which wins over the user's settings, and `setup` writes them into the file.
//! - Codex CLI ignores `OPENAI_BASE_URL`; it needs a custom provider (`wire_api = "responses"`),
//!   given with `-c` overrides or in `$CODEX_HOME/config.toml`. The ids `openai`, `ollama` and
//!   `lmstudio` are reserved, so ours is `codexkey`. `run` passes the token in the variable the
//!   provider's `env_key` names; `setup` writes it as the provider's `experimental_bearer_token`.
//!
//! Files that hold the token are written 0600.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::args::{EnvArgs, RunArgs, SetupArgs, ShellKind, Tool};
use crate::commands::proxy::report_totals;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;
use crate::proxy::{self, ProxyOptions};

/// The environment variable Codex reads the proxy token from under `codexkey run`.
pub const CODEX_KEY_VAR: &str = "CODEXKEY_PROXY_TOKEN";
const PROVIDER_ID: &str = "codexkey";

fn tool_name(tool: Tool) -> &'static str {
    match tool {
        Tool::Claude => "claude",
        Tool::Codex => "codex",
    }
}

/// The environment that points `tool` at a proxy on `base` (`http://127.0.0.1:PORT`) with the
/// proxy token `token`.
pub fn tool_env(tool: Tool, base: &str, token: &str) -> Vec<(&'static str, String)> {
    match tool {
        Tool::Claude => vec![
            ("ANTHROPIC_BASE_URL", base.to_owned()),
            ("ANTHROPIC_AUTH_TOKEN", token.to_owned()),
        ],
        Tool::Codex => vec![(CODEX_KEY_VAR, token.to_owned())],
    }
}

/// Codex's `-c` overrides that define and select our provider.
pub fn codex_overrides(base: &str) -> Vec<String> {
    vec![
        format!("model_provider=\"{PROVIDER_ID}\""),
        format!("model_providers.{PROVIDER_ID}.name=\"codexkey\""),
        format!("model_providers.{PROVIDER_ID}.base_url=\"{base}/v1\""),
        format!("model_providers.{PROVIDER_ID}.env_key=\"{CODEX_KEY_VAR}\""),
        format!("model_providers.{PROVIDER_ID}.wire_api=\"responses\""),
    ]
}

fn shell_from_env() -> ShellKind {
    let shell = std::env::var("SHELL").unwrap_or_default();
    if shell.ends_with("zsh") {
        ShellKind::Zsh
    } else if shell.ends_with("fish") {
        ShellKind::Fish
    } else {
        ShellKind::Bash
    }
}

fn export_line(shell: ShellKind, name: &str, value: &str) -> String {
    match shell {
        ShellKind::Bash | ShellKind::Zsh => format!("export {name}='{value}'"),
        ShellKind::Fish => format!("set -gx {name} '{value}'"),
        ShellKind::Powershell => format!("$env:{name} = '{value}'"),
    }
}

pub async fn env(ctx: &Ctx, args: EnvArgs) -> Result<ExitCode> {
    let base = format!("http://127.0.0.1:{}", args.port);
    let token = proxy::token(ctx).await?;
    let vars = tool_env(args.tool, &base, token.expose());
    if ctx.json {
        let mut doc = serde_json::Map::new();
        for (k, v) in &vars {
            doc.insert((*k).to_owned(), v.clone().into());
        }
        if args.tool == Tool::Codex {
            doc.insert("codex_args".into(), codex_args(&base).into());
        }
        output::json(&doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shell = args.shell.unwrap_or_else(shell_from_env);
    let mut lines = vec![format!(
        "# point {} at `codexkey proxy --port {}` (the token below opens only your proxy; the proxy holds the gateway key)",
        tool_name(args.tool),
        args.port
    )];
    lines.extend(vars.iter().map(|(k, v)| export_line(shell, k, v)));
    if args.tool == Tool::Codex {
        lines.push(format!(
            "# Codex ignores OPENAI_BASE_URL: run it as `codex {} …`, or once `codexkey setup codex`",
            codex_args(&base).join(" ")
        ));
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn codex_args(base: &str) -> Vec<String> {
    codex_overrides(base)
        .into_iter()
        .flat_map(|o| ["-c".to_owned(), format!("'{o}'")])
        .collect()
}

/// The tool's binary: `$CODEXKEY_CLAUDE_BIN`/`$CODEXKEY_CODEX_BIN`, else on `PATH`.
pub fn tool_binary(tool: Tool) -> PathBuf {
    let var = match tool {
        Tool::Claude => "CODEXKEY_CLAUDE_BIN",
        Tool::Codex => "CODEXKEY_CODEX_BIN",
    };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(tool_name(tool)))
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> Result<ExitCode> {
    let key = ctx.proxy_key().await?;
    let token = proxy::token(ctx).await?;
    let running = proxy::start(ProxyOptions {
        gateway: ctx.gateway.clone(),
        host: std::net::IpAddr::from([127, 0, 0, 1]),
        port: 0,
        key,
        token: token.clone(),
        live: !ctx.json,
        display: proxy::display_currency(ctx).await,
    })
    .await?;
    let base = running.base_url();
    let vars = tool_env(args.tool, &base, token.expose());
    let bin = tool_binary(args.tool);
    let mut cmd = tokio::process::Command::new(&bin);
    // Kept until the tool has exited; removed on drop.
    let _claude_settings = match args.tool {
        Tool::Codex => {
            for o in codex_overrides(&base) {
                cmd.arg("-c").arg(o);
            }
            None
        }
        Tool::Claude => {
            let file = claude_run_settings(&vars)?;
            cmd.arg("--settings").arg(file.path());
            Some(file)
        }
    };
    cmd.args(&args.args);
    // The tool gets the proxy and the proxy token: none of our own settings and secrets (every
    // `CODEXKEY_*`: master key, admin password, session token, credentials-file pointer …),
    // and none of the user's own provider keys that could send it elsewhere.
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CODEXKEY_") {
            cmd.env_remove(&var);
        }
    }
    for var in [
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(vars);
    let mut child = cmd.spawn().map_err(|e| {
        UserError::new(
            format!("cannot start `{}`: {e}", bin.display()),
            match args.tool {
                Tool::Claude => "install Claude Code: `npm install -g @anthropic-ai/claude-code`",
                Tool::Codex => "install Codex CLI: `npm install -g @openai/codex`",
            },
        )
    })?;
    let status = wait_forwarding_signals(&mut child).await?;
    let tally = running.tally.clone();
    let totals = running.stop().await;
    report_totals(ctx, &totals, &tally)?;
    Ok(exit_code_of(status))
}

/// A private (0600) temporary settings file for `claude --settings` carrying `vars` as its
/// `env`: settings given this way win over `~/.claude/settings.json`, whose `env` would
/// otherwise win over the process environment and send the tool elsewhere.
fn claude_run_settings(vars: &[(&'static str, String)]) -> Result<tempfile::NamedTempFile> {
    let env: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
        .collect();
    let mut file = tempfile::Builder::new()
        .prefix("codexkey-claude-")
        .suffix(".json")
        .tempfile()
        .context("cannot create a temporary settings file for Claude Code")?;
    std::io::Write::write_all(
        &mut file,
        serde_json::to_string(&serde_json::json!({ "env": env }))?.as_bytes(),
    )
    .context("cannot write a temporary settings file for Claude Code")?;
    Ok(file)
}

/// Waits for the child, passing SIGINT and SIGTERM on to it rather than dying first.
async fn wait_forwarding_signals(
    child: &mut tokio::process::Child,
) -> Result<std::process::ExitStatus> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        loop {
            tokio::select! {
                status = child.wait() => return Ok(status?),
                _ = int.recv() => forward_signal(child, "INT"),
                _ = term.recv() => forward_signal(child, "TERM"),
            }
        }
    }
    #[cfg(not(unix))]
    Ok(child.wait().await?)
}

#[cfg(unix)]
fn forward_signal(child: &tokio::process::Child, name: &str) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status();
    }
}

fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(sig) = status.signal() {
            return ExitCode::from(u8::try_from(128 + sig).unwrap_or(1));
        }
    }
    ExitCode::from(1)
}

fn home() -> Result<PathBuf> {
    dirs::home_dir().context("no home directory; set `HOME`")
}

/// Claude Code's user settings: `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`.
pub fn claude_settings_path() -> Result<PathBuf> {
    Ok(
        match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("settings.json"),
            None => home()?.join(".claude").join("settings.json"),
        },
    )
}

/// Codex's config: `$CODEX_HOME/config.toml`, else `~/.codex/config.toml`.
pub fn codex_config_path() -> Result<PathBuf> {
    Ok(
        match std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("config.toml"),
            None => home()?.join(".codex").join("config.toml"),
        },
    )
}

/// The file after our change, or `None` when it already points at the proxy with `token`.
fn configured(tool: Tool, current: &str, base: &str, token: &str) -> Result<Option<String>> {
    match tool {
        Tool::Claude => {
            let mut doc: serde_json::Value = if current.trim().is_empty() {
                serde_json::json!({})
            } else {
                serde_json::from_str(current)
                    .context("Claude Code's settings.json is not valid JSON")?
            };
            let obj = doc
                .as_object_mut()
                .context("Claude Code's settings.json is not a JSON object")?;
            let env = obj.entry("env").or_insert_with(|| serde_json::json!({}));
            let env = env
                .as_object_mut()
                .context("`env` in Claude Code's settings.json is not an object")?;
            let want = [
                ("ANTHROPIC_BASE_URL", base),
                ("ANTHROPIC_AUTH_TOKEN", token),
            ];
            if want
                .iter()
                .all(|(k, v)| env.get(*k).and_then(|x| x.as_str()) == Some(*v))
            {
                return Ok(None);
            }
            for (k, v) in want {
                env.insert(k.to_owned(), v.into());
            }
            Ok(Some(serde_json::to_string_pretty(&doc)? + "\n"))
        }
        Tool::Codex => {
            let mut doc: toml_edit::DocumentMut = current
                .parse()
                .context("Codex's config.toml is not valid TOML")?;
            let url = format!("{base}/v1");
            let ours = doc.get("model_providers").and_then(|p| p.get(PROVIDER_ID));
            let field = |name: &str| ours.and_then(|p| p.get(name)).and_then(|v| v.as_str());
            let already = doc.get("model_provider").and_then(|v| v.as_str()) == Some(PROVIDER_ID)
                && field("base_url") == Some(url.as_str())
                && field("experimental_bearer_token") == Some(token);
            if already {
                return Ok(None);
            }
            doc["model_provider"] = toml_edit::value(PROVIDER_ID);
            let providers = doc
                .entry("model_providers")
                .or_insert(toml_edit::Item::Table(toml_edit::Table::new()));
            let table = providers
                .as_table_mut()
                .context("`model_providers` in Codex's config.toml is not a table")?;
            table.set_implicit(true);
            let mut p = toml_edit::Table::new();
            p["name"] = toml_edit::value("codexkey");
            p["base_url"] = toml_edit::value(url);
            p["wire_api"] = toml_edit::value("responses");
            // Codex sends it as `Authorization: Bearer`; the file is written 0600.
            p["experimental_bearer_token"] = toml_edit::value(token);
            table.insert(PROVIDER_ID, toml_edit::Item::Table(p));
            Ok(Some(doc.to_string()))
        }
    }
}

fn print_diff(path: &Path, before: &str, after: &str) {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let mut text = format!(
        "--- {}\n+++ {} (codexkey)\n",
        path.display(),
        path.display()
    );
    for l in &old {
        if !new.contains(l) {
            text.push_str(&format!("-{l}\n"));
        }
    }
    for l in &new {
        if !old.contains(l) {
            text.push_str(&format!("+{l}\n"));
        }
    }
    output::notice(text.trim_end());
}

pub async fn setup(ctx: &Ctx, args: SetupArgs) -> Result<ExitCode> {
    let base = format!("http://127.0.0.1:{}", args.port);
    let token = proxy::token(ctx).await?;
    let path = match args.tool {
        Tool::Claude => claude_settings_path()?,
        Tool::Codex => codex_config_path()?,
    };
    let current = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let Some(next) = configured(args.tool, &current, &base, token.expose())? else {
        if ctx.json {
            output::json(&serde_json::json!({"path": path, "changed": false}))?;
        } else {
            output::notice(&format!(
                "{} already points at the proxy on {base}",
                path.display()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    };
    print_diff(&path, &current, &next.replace(token.expose(), "ckp_…"));
    if !args.yes {
        use std::io::IsTerminal as _;
        if !std::io::stdin().is_terminal() {
            return Err(UserError::new(
                "not writing without confirmation",
                "run again with `--yes`",
            )
            .into());
        }
        let mut err = std::io::stderr().lock();
        std::io::Write::write_all(
            &mut err,
            format!("write {}? [y/N] ", path.display()).as_bytes(),
        )?;
        std::io::Write::flush(&mut err)?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            output::notice("nothing written");
            return Ok(ExitCode::from(crate::error::EXIT_REFUSED));
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_private_file(&path, next.as_bytes())?;
    if ctx.json {
        output::json(&serde_json::json!({"path": path, "changed": true}))?;
    } else {
        output::notice(&format!(
            "wrote {} (mode 0600, with your proxy token; no gateway key); start the proxy with `codexkey proxy --port {}`",
            path.display(),
            args.port
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces `path` with `bytes` in one step, the new file private (0600) whatever the umask or
/// the old file's mode: it holds the proxy token.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path needs a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // `NamedTempFile` creates the file 0600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// What a tool's lasting configuration (`setup`'s file) points it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolConfig {
    /// The proxy's base URL (`http://127.0.0.1:4141`), without `/v1`.
    pub base: String,
    /// The token the tool sends, if the file names one.
    pub token: Option<String>,
}

/// The proxy a tool is set up to use, if its configuration points at one on this machine.
pub fn configured_proxy(tool: Tool) -> Option<ToolConfig> {
    let (base, token) = match tool {
        Tool::Claude => {
            let text = std::fs::read_to_string(claude_settings_path().ok()?).ok()?;
            let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
            let env = &doc["env"];
            (
                env["ANTHROPIC_BASE_URL"].as_str()?.to_owned(),
                env["ANTHROPIC_AUTH_TOKEN"]
                    .as_str()
                    .or(env["ANTHROPIC_API_KEY"].as_str())
                    .map(str::to_owned),
            )
        }
        Tool::Codex => {
            let text = std::fs::read_to_string(codex_config_path().ok()?).ok()?;
            let doc: toml_edit::DocumentMut = text.parse().ok()?;
            if doc.get("model_provider").and_then(|v| v.as_str()) != Some(PROVIDER_ID) {
                return None;
            }
            let p = doc.get("model_providers")?.get(PROVIDER_ID)?;
            let url = p.get("base_url")?.as_str()?;
            (
                url.trim_end_matches('/').trim_end_matches("/v1").to_owned(),
                p.get("experimental_bearer_token")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            )
        }
    };
    let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    local
        .iter()
        .any(|l| base.starts_with(l))
        .then_some(ToolConfig { base, token })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn claude_settings_keep_what_was_there() {
        let before = r#"{"model": "opus", "env": {"FOO": "1"}}"#;
        let after = configured(Tool::Claude, before, "http://127.0.0.1:4141", "ckp_t")
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["env"]["FOO"], "1");
        assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "http://127.0.0.1:4141");
        assert_eq!(v["env"]["ANTHROPIC_AUTH_TOKEN"], "ckp_t");
        assert!(
            configured(Tool::Claude, &after, "http://127.0.0.1:4141", "ckp_t")
                .unwrap()
                .is_none(),
            "idempotent"
        );
        assert!(
            configured(Tool::Claude, &after, "http://127.0.0.1:4141", "ckp_new")
                .unwrap()
                .is_some(),
            "a new token is written"
        );
    }

    #[test]
    fn codex_config_keeps_comments_and_other_providers() {
        let before = "# mine\nmodel = \"gpt-5.5\"\n\n[model_providers.other]\nname = \"o\"\n";
        let after = configured(Tool::Codex, before, "http://127.0.0.1:4141", "ckp_t")
            .unwrap()
            .unwrap();
        assert!(after.contains("# mine"));
        assert!(after.contains("[model_providers.other]"));
        let doc: toml::Value = toml::from_str(&after).unwrap();
        assert_eq!(doc["model_provider"].as_str(), Some("codexkey"));
        assert_eq!(doc["model"].as_str(), Some("gpt-5.5"));
        let p = &doc["model_providers"]["codexkey"];
        assert_eq!(p["base_url"].as_str(), Some("http://127.0.0.1:4141/v1"));
        assert_eq!(p["wire_api"].as_str(), Some("responses"));
        assert_eq!(p["experimental_bearer_token"].as_str(), Some("ckp_t"));
        assert!(!after.contains("ck-"), "no secret");
        assert!(
            configured(Tool::Codex, &after, "http://127.0.0.1:4141", "ckp_t")
                .unwrap()
                .is_none(),
            "idempotent"
        );
    }
}
