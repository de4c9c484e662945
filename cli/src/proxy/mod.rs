//! The local loopback proxy that Codex CLI and Claude Code point at.
//!
//! It listens on 127.0.0.1 only and serves only the user's own tools: [`guard`] lets through
//! requests addressed to a loopback name, from no web page, carrying the user's proxy token,
//! with a JSON body of bounded size. It swaps in the user's real gateway key (kept in the OS
//! keyring or the private credentials file, never in the tool's environment or config),
//! forwards every data-plane route to the gateway and streams the answer back untouched, chunk
//! by chunk. For each request it prints one line with what the gateway charged; on exit, the
//! session's total.

mod forward;
pub mod guard;
mod ledger;
pub mod port;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use codexkey_common::Secret;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use ledger::{SessionTotals, Tally};
pub use port::DEFAULT_PORT;

use crate::error::UserError;

pub struct ProxyOptions {
    pub gateway: String,
    pub host: IpAddr,
    pub port: u16,
    pub key: Secret<String>,
    /// What the user's tools must present (`ckp_…`); see [`token`].
    pub token: Secret<String>,
    /// Print one line per request on stderr.
    pub live: bool,
    /// The account's display currency and its rate, when it is not the credits' own (USD).
    pub display: Option<(String, codexkey_common::currency::Rate)>,
}

/// A proxy serving in the background.
pub struct RunningProxy {
    pub addr: SocketAddr,
    pub tally: Arc<Tally>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningProxy {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and returns the session's totals.
    pub async fn stop(mut self) -> SessionTotals {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.tally.settled().await;
        self.tally.totals()
    }
}

/// The user's proxy token, generated and stored on first use (see [`guard`]).
pub async fn token(ctx: &crate::context::Ctx) -> Result<Secret<String>> {
    let mut settings = ctx.settings.clone();
    tokio::task::spawn_blocking(move || crate::credentials::proxy_token(&mut settings))
        .await
        .context("the credential store task failed")?
        .map(Secret::new)
}

/// The logged-in account's display currency and the gateway's rate for it, if both are known
/// and it is not USD (1 credit = 1 USD needs no conversion).
pub async fn display_currency(
    ctx: &crate::context::Ctx,
) -> Option<(String, codexkey_common::currency::Rate)> {
    let account = ctx.authed().await.ok()?.account().await.ok()?;
    if account.currency == "USD" {
        return None;
    }
    let rates = ctx.anonymous().ok()?.currencies().await.ok()?;
    let rate = rates
        .rates
        .into_iter()
        .find(|r| r.code == account.currency)?;
    Some((account.currency, rate.rate))
}

/// Binds `host:port` (loopback only) and serves until stopped.
pub async fn start(opts: ProxyOptions) -> Result<RunningProxy> {
    if !opts.host.is_loopback() {
        return Err(UserError::new(
            format!("the proxy listens on loopback only, not on {}", opts.host),
            "it holds your gateway key: anyone who can reach it spends your balance; use `127.0.0.1`",
        )
        .into());
    }
    let addr = SocketAddr::new(opts.host, opts.port);
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        UserError::new(
            format!("cannot listen on {addr}: {e}"),
            "pick another port with `--port N` (0 picks a free one)",
        )
    })?;
    let addr = listener.local_addr().context("the proxy's address")?;
    let tally = Arc::new(Tally::new(
        &opts.gateway,
        &opts.key,
        opts.live,
        opts.display,
    )?);
    let app = forward::router(
        forward::Proxy::new(opts.gateway, opts.key, tally.clone())?,
        guard::Guard::new(opts.token),
    );
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningProxy {
        addr,
        tally,
        shutdown: Some(tx),
        task,
    })
}
