//! codexkey-gateway: the metering gateway as a library.
//!
//! [`serve`] runs it until Ctrl-C or SIGTERM; [`start`] runs it in the background and hands
//! back its address (tests, embedding); [`router`] builds the HTTP app around a state.

pub mod accounts;
pub mod billing;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod keys;
pub mod metering;
pub mod pricing;
pub mod proxy;
pub mod state;
pub mod store;
pub mod upstream;
pub mod usage;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;
pub use error::{ApiError, InitError};
pub use http::router::router;
pub use state::AppState;

use accounts::password::Passwords;
use arc_swap::ArcSwap;
use config::Database;
use metering::keys::KeyCache;
use metering::{Meter, WriterHandle};
use store::Store;
use store::sqlite::SqliteStore;
use upstream::Upstreams;

/// Opens the store, applies migrations, reconciles holds a crash left behind, creates the
/// first admin if the database is empty, and starts the metering writer.
pub async fn build_state(config: Config) -> Result<(AppState, WriterHandle), InitError> {
    let store: Arc<dyn Store> = match &config.database {
        Database::Sqlite { path } => {
            let path = path.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                    .await
                    .map_err(|e| InitError::Admin(e.to_string()))??,
            )
        }
    };
    let reconciled = store.reconcile_holds(clock::now_ms()).await?;
    if reconciled.holds > 0 {
        tracing::warn!(
            holds = reconciled.holds,
            charged_micros = reconciled.charged.0,
            "settled requests a previous run left in flight (crash rule: the estimated input cost)"
        );
    }
    let passwords = Passwords::new(&config.auth).map_err(InitError::Admin)?;
    let prices = pricing::load(&*store, config.metering.margin_ppm)
        .await
        .map_err(InitError::Admin)?;
    let stored_upstreams = store.upstreams().await?;
    let upstreams = Upstreams::build(&config, &stored_upstreams)
        .map_err(|e| InitError::Admin(e.to_string()))?;
    if upstreams.is_empty() {
        tracing::warn!(
            "no upstreams configured: every model is unavailable until one is (set CODEXKEY_OPENAI_API_KEY, CODEXKEY_ANTHROPIC_API_KEY, [[upstreams]], or `codexkey admin upstreams add`)"
        );
    }
    let (meter, writer) = Meter::start(store.clone(), config.metering.commit_interval);
    let state = AppState::new(state::Shared {
        store,
        config,
        passwords,
        keys: KeyCache::default(),
        meter,
        prices: ArcSwap::from_pointee(prices),
        upstreams: ArcSwap::from_pointee(upstreams),
    });
    accounts::bootstrap_admin(&state)
        .await
        .map_err(InitError::Admin)?;
    Ok((state, writer))
}

/// A gateway running in the background.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// The metering writer; it drains and ends when the last state handle goes.
    _writer: WriterHandle,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> Result<(), InitError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let served = match (&mut self.task).await {
            Ok(r) => r.map_err(InitError::Serve),
            Err(e) => Err(InitError::Serve(std::io::Error::other(e))),
        };
        // Everything metered so far reaches the database before we return.
        self.state.meter.flush().await;
        served
    }
}

/// Binds the configured address and serves in a background task until [`Running::stop`].
pub async fn start(config: Config) -> Result<Running, InitError> {
    let addr = config.listen;
    let (state, writer) = build_state(config).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| InitError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| InitError::Bind { addr, source })?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        // Without TCP_NODELAY the last small write of every response waits for the client's
        // delayed ACK: ~40 ms added to each stream.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
        _writer: writer,
    })
}

/// Runs the gateway in the foreground until Ctrl-C or SIGTERM, then drains and returns.
pub async fn serve(config: Config) -> Result<(), InitError> {
    let running = start(config).await?;
    tracing::info!("listening on http://{}", running.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
