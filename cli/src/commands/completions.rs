//! `codexkey completions SHELL`: the completion script, rendered from the clap definition.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory as _;

use crate::args::Cli;

pub fn run(shell: clap_complete::Shell) -> Result<ExitCode> {
    // Rendered in memory: clap_complete panics when its writer fails, e.g. on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "codexkey", &mut script);
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script)?;
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
