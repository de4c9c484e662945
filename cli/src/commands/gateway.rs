//! `codexkey gateway`: runs the gateway library in this process.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_gateway::config::{Config, Flags, LogFormat};
use std::io::IsTerminal as _;

use crate::args::GatewayArgs;
use crate::error::UserError;

pub async fn run(args: GatewayArgs) -> Result<ExitCode> {
    let flags = Flags {
        config: args.config,
        listen: args.listen,
        data_dir: args.data_dir,
    };
    let config = Config::load(flags, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .map_err(|e| {
            UserError::new(
                e.to_string(),
                "see `codexkey gateway --help` and the README's configuration section",
            )
        })?;
    if args.print_config {
        crate::output::write(&config.to_toml())?;
        return Ok(ExitCode::SUCCESS);
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log).map_err(|e| {
        UserError::new(
            format!("invalid log filter `{}`: {e}", config.log),
            "use e.g. `info` or `codexkey_gateway=debug`",
        )
    })?;
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match config.log_format {
        LogFormat::Text => fmt.with_ansi(std::io::stderr().is_terminal()).init(),
        // Fields at the top level, so collectors index `request_id`, `status`, … directly.
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
    codexkey_gateway::serve(config)
        .await
        .context("the gateway stopped")?;
    Ok(ExitCode::SUCCESS)
}
