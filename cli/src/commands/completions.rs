//! `codexkey completions SHELL`: the completion script, rendered from the clap definition.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory as _;

use crate::args::Cli;

pub fn run(shell: clap_complete::Shell) -> Result<ExitCode> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "codexkey",
        &mut std::io::stdout().lock(),
    );
    Ok(ExitCode::SUCCESS)
}
