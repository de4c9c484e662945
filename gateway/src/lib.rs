//! codexkey-gateway: the metering gateway as a library.
//!
//! [`serve`] runs it until Ctrl-C or SIGTERM; [`start`] runs it in the background and hands
//! back its address (tests, embedding); [`router`] builds the HTTP app around a state.

pub mod accounts;
pub mod billing;
pub mod changes;
pub mod clock;
pub mod config;
pub mod error;
pub mod forwarded;
pub mod http;
pub mod joined;
pub mod keys;
pub mod mail;
pub mod metering;
pub mod metrics;
pub mod pricing;
pub mod proxy;
pub mod route;
pub mod server;
pub mod state;
pub mod store;
pub mod system;
pub mod tls;
pub mod upstream;
pub mod usage;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
pub use error::{ApiError, InitError};
pub use http::router::router;
pub use state::AppState;

use accounts::password::Passwords;
use arc_swap::ArcSwap;
use config::Database;
use metering::keys::KeyCache;
use metering::{Meter, WriterHandle};
use server::Server;
use store::Store;
use store::postgres::PgStore;
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
        Database::Postgres { url, .. } => Arc::new(PgStore::open(url.expose()).await?),
    };
    let reconciled = metering::reconcile(&*store, clock::now_ms()).await?;
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
    let payments: Option<Arc<dyn billing::provider::PaymentProvider>> =
        billing::stripe::Stripe::from_config(&config.billing, &config.upstream)
            .map_err(|e| InitError::Admin(format!("cannot build the Stripe client: {e}")))?
            .map(|s| Arc::new(s) as Arc<dyn billing::provider::PaymentProvider>);
    let mailer = mail::Mailer::from_config(&config.mail)
        .map_err(|e| InitError::Admin(e.to_string()))?
        .map(Arc::new);
    // A database replicas may share: balances are leased, never held whole in one of them.
    let leases = store.leases().map(|_| metering::lease::LeaseSettings {
        ttl: config.metering.lease_ttl,
    });
    if leases.is_some() && config.metering.admission == metering::Admission::Capped {
        return Err(InitError::Admin(
            "`metering.admission = \"capped\"` may overdraw, which balances leased across replicas cannot: use `bounded` with PostgreSQL".into(),
        ));
    }
    let (meter, writer) = Meter::start(
        store.clone(),
        config.metering.commit_interval,
        config.metering.admission,
        leases,
    );
    let limits = metering::limits::Limits::from_config(&config).map_err(InitError::Admin)?;
    if leases.is_some() && !limits.shared() {
        tracing::info!(
            "no `redis_url`: API keys' RPM and TPM limits are counted per replica (each replica allows the whole limit)"
        );
    }
    let state = AppState::new(state::Shared {
        store,
        config,
        passwords,
        login_throttle: Default::default(),
        redeem_throttle: accounts::throttle::Throttle::new(accounts::throttle::Limits::REDEMPTION),
        second_step_throttle: accounts::throttle::Throttle::new(
            accounts::throttle::Limits::SECOND_STEP,
        ),
        reset_throttle: accounts::throttle::Throttle::new(
            accounts::throttle::Limits::PASSWORD_RESET,
        ),
        verify_throttle: accounts::throttle::Throttle::new(
            accounts::throttle::Limits::PASSWORD_RESET,
        ),
        mailer,
        keys: KeyCache::new(limits),
        meter,
        prices: ArcSwap::from_pointee(prices),
        upstreams: ArcSwap::from_pointee(upstreams),
        payments,
    });
    accounts::bootstrap_admin(&state)
        .await
        .map_err(InitError::Admin)?;
    Ok((state, writer))
}

/// A gateway running in the background.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served when `server.metrics_listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    /// The certificate served, when the gateway speaks HTTPS.
    pub tls: Option<Arc<tls::Tls>>,
    server: Server,
    metrics_server: Option<Server>,
    /// Settles pending orders past their TTL while the gateway runs.
    sweeper: Option<tokio::task::JoinHandle<()>>,
    /// Purges request metadata and old usage events while the gateway runs.
    retention: tokio::task::JoinHandle<()>,
    /// Applies other replicas' changes to this one's caches (PostgreSQL only).
    changes: Option<tokio::task::JoinHandle<()>>,
    /// Gives kept body buffers back to the system when idle.
    buffers: tokio::task::JoinHandle<()>,
    /// The metering writer; it drains and ends when the last state handle goes.
    _writer: WriterHandle,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(self) -> Result<(), InitError> {
        if let Some(sweeper) = &self.sweeper {
            sweeper.abort();
        }
        self.retention.abort();
        if let Some(changes) = &self.changes {
            changes.abort();
        }
        self.buffers.abort();
        let served = self.server.stop().await.map_err(InitError::Serve);
        if let Some(metrics) = self.metrics_server {
            let _ = metrics.stop().await;
        }
        // Everything metered so far reaches the database before we return, and leased
        // balance goes back for the other replicas.
        self.state.meter.flush().await;
        self.state
            .meter
            .give_back_idle(std::time::Duration::ZERO)
            .await;
        served
    }
}

/// Binds the configured address and serves on worker threads until [`Running::stop`].
pub async fn start(config: Config) -> Result<Running, InitError> {
    let addr = config.listen;
    let workers = config.workers;
    let limits = config.server.clone();
    let tls = match &limits.tls {
        Some(files) => Some(Arc::new(tls::Tls::load(&files.cert, &files.key)?)),
        None => None,
    };
    let (state, writer) = build_state(config).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| InitError::Bind { addr, source })?;
    let server = Server::start(
        listener,
        router(state.clone()),
        workers,
        &limits,
        tls.clone(),
    )
    .map_err(|source| InitError::Bind { addr, source })?;
    let metrics_server = match state.config.server.metrics_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| InitError::Bind { addr, source })?;
            // One worker: a scrape every few seconds needs no more. Plain HTTP: the metrics
            // address is meant for a private network or loopback.
            Some(
                Server::start(
                    listener,
                    http::router::metrics_router(state.clone()),
                    1,
                    &limits,
                    None,
                )
                .map_err(|source| InitError::Bind { addr, source })?,
            )
        }
        None => None,
    };
    let sweeper = billing::sweeper::spawn(&state);
    let retention = accounts::retention::spawn(&state);
    let changes = changes::listener::spawn(&state);
    let buffers = tokio::spawn(async {
        let mut ticks = tokio::time::interval(proxy::buffers::IDLE);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            proxy::buffers::trim(std::time::Instant::now());
        }
    });
    Ok(Running {
        addr: server.addr,
        sweeper,
        retention,
        changes,
        buffers,
        metrics_addr: metrics_server.as_ref().map(|s| s.addr),
        state,
        tls,
        server,
        metrics_server,
        _writer: writer,
    })
}

/// Reads the certificate and key again at every SIGHUP (a renewed certificate, no restart).
async fn reload_on_hangup(tls: Arc<tls::Tls>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; the TLS certificate reloads only on restart");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("reloaded the TLS certificate"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS reload failed; still serving the previous certificate")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

/// Runs the gateway in the foreground until Ctrl-C or SIGTERM, then drains and returns.
pub async fn serve(config: Config) -> Result<(), InitError> {
    let running = start(config).await?;
    let scheme = if running.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!("listening on {scheme}://{}", running.addr);
    if let Some(addr) = running.metrics_addr {
        tracing::info!("serving /metrics on http://{addr}");
    }
    let reloads = running
        .tls
        .clone()
        .map(|tls| tokio::spawn(reload_on_hangup(tls)));
    system::shutdown_signal().await;
    if let Some(task) = reloads {
        task.abort();
    }
    tracing::info!("shutting down");
    running.stop().await
}
