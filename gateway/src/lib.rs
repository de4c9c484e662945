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
pub mod state;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;
pub use error::{ApiError, InitError};
pub use http::router::router;
pub use state::AppState;

use accounts::password::Passwords;
use config::Database;
use store::Store;
use store::sqlite::SqliteStore;

/// Opens the store, applies migrations and creates the first admin if the database is empty.
pub async fn build_state(config: Config) -> Result<AppState, InitError> {
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
    let passwords = Passwords::new(&config.auth).map_err(InitError::Admin)?;
    let state = AppState::new(store, config, passwords);
    accounts::bootstrap_admin(&state)
        .await
        .map_err(InitError::Admin)?;
    Ok(state)
}

/// A gateway running in the background.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> Result<(), InitError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r.map_err(InitError::Serve),
            Err(e) => Err(InitError::Serve(std::io::Error::other(e))),
        }
    }
}

/// Binds the configured address and serves in a background task until [`Running::stop`].
pub async fn start(config: Config) -> Result<Running, InitError> {
    let addr = config.listen;
    let state = build_state(config).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| InitError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| InitError::Bind { addr, source })?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
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
