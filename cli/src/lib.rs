//! The `codexkey` CLI. [`run`] parses arguments, runs one command, and turns its outcome into an
//! exit code: 0 success, 1 a refusal the user can act on (bad credentials, not logged in, gateway
//! unreachable, a failed check), 2 a usage or internal error.

pub mod args;
pub mod cache;
pub mod client;
pub mod commands;
pub mod context;
pub mod credentials;
pub mod error;
pub mod output;
pub mod proxy;
pub mod settings;

use std::process::ExitCode;

pub fn run() -> ExitCode {
    let cli = args::parse();
    // reqwest is built without a default TLS provider; pick ring once, before any client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return error::report(&anyhow::Error::new(e).context("cannot start the async runtime"));
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(e) => error::report(&e),
    }
}
