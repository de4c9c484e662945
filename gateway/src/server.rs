//! Serving connections: one acceptor and a few single-threaded workers, like nginx's, with
//! the limits that keep slow or idle clients from exhausting them.
//!
//! The acceptor takes each new connection and hands it to the next worker, round-robin. Each
//! worker is an OS thread running its own single-threaded runtime: a connection, the exchange
//! it starts with upstream and that exchange's upstream connection all live on one thread, so
//! a request never wakes a second thread. On a work-stealing runtime an idle worker was woken
//! for nearly every task wake-up, which cost two extra context switches per request. The
//! metering writer, the store's threads and password hashing stay off the workers.
//!
//! Each worker also keeps its own pool of upstream connections ([`worker_index`] picks it), for
//! the same reason: a pooled connection is driven by a task of the runtime that opened it.
//!
//! Limits: the acceptor refuses a connection beyond `server.max_connections` with a bare 503
//! and closes it, instead of running out of file descriptors (the cap defaults to what the
//! open-files limit allows, raised to its hard limit at start). HTTP/1 connections must send a
//! request's headers within `server.header_read_timeout_secs` of the gateway waiting for them,
//! which also bounds a kept-alive connection's wait for its next request; any connection with
//! no request in flight for `server.idle_timeout_secs` is closed; HTTP/2 connections have a
//! stream limit, a header-list limit, rapid-reset protection and keep-alive pings.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use crate::forwarded::TrustedProxies;
use crate::tls::Tls;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::config::ServerConfig;
use crate::system::{RESERVED_FDS, raise_fd_limit};

thread_local! {
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The index of the worker this thread is (0 on any other thread).
pub fn worker_index() -> usize {
    WORKER.with(Cell::get)
}

/// The address of the client of a request, for handlers that record it: the connection's
/// peer, or the client a trusted proxy names (see [`crate::forwarded`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// One connection handed from the acceptor to a worker, counted while it lives.
struct Accepted {
    tcp: std::net::TcpStream,
    peer: SocketAddr,
    _open: OpenSlot,
}

/// A place among the open connections, given back when the connection ends.
struct OpenSlot(Arc<AtomicUsize>);

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a refused connection reads before it is closed: no parsing, no allocation.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 41\r\nretry-after: 1\r\nconnection: close\r\n\r\nthe gateway has too many open connections";

/// A running server: its acceptor task and worker threads.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    acceptor: tokio::task::JoinHandle<()>,
    workers: Vec<oneshot::Receiver<io::Result<()>>>,
}

impl Server {
    /// Starts `workers` worker threads serving `app`, and the acceptor on the caller's runtime.
    pub fn start(
        listener: TcpListener,
        app: Router,
        workers: usize,
        limits: &ServerConfig,
        tls: Option<Arc<Tls>>,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let max_connections = connection_cap(limits.max_connections);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut senders = Vec::new();
        let mut done = Vec::new();
        for index in 0..workers.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            let (finished, finished_rx) = oneshot::channel();
            done.push(finished_rx);
            let worker = Worker {
                app: app.clone(),
                builder: connection_builder(limits),
                idle_timeout: limits.idle_timeout,
                trusted: TrustedProxies::new(&limits.trusted_proxies),
                tls: tls.clone(),
                handshake_timeout: limits.header_read_timeout,
            };
            let stop = shutdown_rx.clone();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    WORKER.with(|w| w.set(index));
                    runtime.block_on(worker.run(rx, stop));
                    let _ = finished.send(Ok(()));
                })?;
        }
        let mut stop = shutdown_rx;
        let open = Arc::new(AtomicUsize::new(0));
        let acceptor = tokio::spawn(async move {
            let mut next = 0;
            let mut warned: Option<Instant> = None;
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stop.wait_for(|stopped| *stopped) => break,
                };
                let (tcp, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        accept_error(e).await;
                        continue;
                    }
                };
                if open.fetch_add(1, Ordering::Relaxed) >= max_connections {
                    open.fetch_sub(1, Ordering::Relaxed);
                    // A fresh socket's send buffer takes these bytes at once; the answer is
                    // best effort, the close is what matters.
                    let _ = tcp.try_write(BUSY);
                    if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                        warned = Some(Instant::now());
                        tracing::warn!(
                            max_connections,
                            "connection cap reached: refusing new connections (`server.max_connections`)"
                        );
                    }
                    continue;
                }
                let slot = OpenSlot(open.clone());
                match tcp.into_std() {
                    Ok(tcp) => {
                        next = hand_off(
                            &senders,
                            next,
                            Accepted {
                                tcp,
                                peer,
                                _open: slot,
                            },
                        )
                    }
                    Err(e) => accept_error(e).await,
                }
            }
        });
        Ok(Server {
            addr,
            shutdown,
            acceptor,
            workers: done,
        })
    }

    /// Stops accepting, lets every worker finish the requests in flight, and waits for them.
    pub async fn stop(self) -> io::Result<()> {
        let _ = self.shutdown.send(true);
        let _ = self.acceptor.await;
        let mut result = Ok(());
        for worker in self.workers {
            match worker.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(io::Error::other("a worker thread ended abnormally")),
            }
        }
        result
    }
}

/// The configured cap, lowered to what the open-files limit allows.
fn connection_cap(configured: usize) -> usize {
    let Some(soft) = raise_fd_limit() else {
        return configured;
    };
    let allowed = usize::try_from(soft.saturating_sub(RESERVED_FDS) / 2).unwrap_or(usize::MAX);
    if configured > allowed {
        tracing::warn!(
            configured,
            allowed,
            "`server.max_connections` is above what the open-files limit allows; using {allowed}"
        );
        return allowed.max(1);
    }
    configured
}

/// The most an HTTP/1 connection's read buffer grows to. A large body is copied out of it
/// into its own buffer chunk by chunk (see `proxy::read_body`), so a bigger read buffer only
/// saves read calls, while it stays allocated for the connection's life: hyper's default
/// (~400 KB) would sit beside every kept-alive agent connection.
const READ_BUFFER_MAX: usize = 64 * 1024;

/// HTTP/1 and HTTP/2 with the limits that keep slow or idle clients from holding the gateway.
fn connection_builder(limits: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(100)
        .max_buf_size(READ_BUFFER_MAX);
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_concurrent_streams)
        .max_header_list_size(64 * 1024)
        // Rapid reset (CVE-2023-44487) and streams the peer keeps erroring.
        .max_pending_accept_reset_streams(64)
        .max_local_error_reset_streams(256)
        // Pings find a peer that vanished without closing.
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    b
}

/// How long an idle connection asked to close may take to do so.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// One worker thread's loop: serves the connections the acceptor hands it until told to
/// stop, then lets each finish what it is doing.
struct Worker {
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    idle_timeout: Duration,
    /// Whose forwarding headers name the client.
    trusted: TrustedProxies,
    /// HTTPS: every connection starts with a handshake on the certificate in use.
    tls: Option<Arc<Tls>>,
    /// How long a client may take over its TLS handshake.
    handshake_timeout: Duration,
}

impl Worker {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Accepted>, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut connections = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                a = rx.recv() => a,
                _ = stop.wait_for(|stopped| *stopped) => None,
            };
            let Some(accepted) = accepted else { break };
            while connections.try_join_next().is_some() {}
            // Registers the socket with this worker's runtime.
            let tcp = match TcpStream::from_std(accepted.tcp) {
                Ok(tcp) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take over an accepted connection");
                    continue;
                }
            };
            // Without TCP_NODELAY the last small write of every response waits for the
            // client's delayed ACK: ~40 ms added to each stream.
            let _ = tcp.set_nodelay(true);
            let this = this.clone();
            let stop = stop.clone();
            connections.spawn(async move {
                match &this.tls {
                    None => this.serve(tcp, accepted.peer, stop).await,
                    Some(tls) => {
                        let handshake = tls.acceptor().accept(tcp);
                        match tokio::time::timeout(this.handshake_timeout, handshake).await {
                            Ok(Ok(stream)) => this.serve(stream, accepted.peer, stop).await,
                            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!("TLS handshake timed out"),
                        }
                    }
                }
                drop(accepted._open);
            });
        }
        while connections.join_next().await.is_some() {}
    }

    /// Serves one connection until it ends, it idles past the timeout, or the server stops;
    /// in the last two cases requests in flight finish first.
    async fn serve<Io>(&self, io: Io, peer: SocketAddr, mut stop: watch::Receiver<bool>)
    where
        Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let service = {
            let app = self.app.clone();
            let activity = activity.clone();
            let trusted = &self.trusted;
            hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                let client = trusted.client(peer, req.headers());
                req.extensions_mut().insert(ConnectInfo(ClientAddr(client)));
                let in_flight = activity.begin();
                let call = app.clone().oneshot(req.map(Body::new));
                async move {
                    let resp = match call.await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    };
                    Ok::<_, std::convert::Infallible>(resp.map(|body| Tracked {
                        body,
                        _in_flight: in_flight,
                    }))
                }
            })
        };
        let conn = self.builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let mut closing = false;
        // An idle connection is asked to close (HTTP/2: GOAWAY, then a ping the peer must
        // answer); one that does not within this long is dropped.
        let mut give_up: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.wait_for(|stopped| *stopped), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                _ = activity.idle_for(self.idle_timeout), if !closing => {
                    closing = true;
                    give_up = Some(tokio::time::Instant::now() + IDLE_CLOSE_GRACE);
                    conn.as_mut().graceful_shutdown();
                }
                _ = tokio::time::sleep_until(give_up.unwrap_or_else(tokio::time::Instant::now)), if give_up.is_some() => {
                    return;
                }
            }
        }
    }
}

/// Requests in flight on one connection, and when it last had none.
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since `epoch` when the last request ended.
    quiet_since: AtomicU64,
    epoch: Instant,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            quiet_since: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Resolves once the connection has had no request in flight for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let quiet = Duration::from_millis(self.quiet_since.load(Ordering::Relaxed));
            let deadline = self.epoch + quiet + timeout;
            tokio::time::sleep_until(deadline.into()).await;
            let unchanged = self.quiet_since.load(Ordering::Relaxed) == quiet.as_millis() as u64;
            if unchanged && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            if self.in_flight.load(Ordering::Relaxed) > 0 {
                // Busy: look again a whole timeout after the last request ends at the earliest.
                tokio::time::sleep(timeout).await;
            }
        }
    }
}

/// A request in flight, until its response body is finished or dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        let now = u64::try_from(a.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        a.quiet_since.store(now, Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted as in flight until it is done.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// Gives a connection to the worker at `next`, or to the one after it should that worker have
/// ended (a bug that panicked its loop); returns where the next connection goes.
fn hand_off<C>(workers: &[mpsc::UnboundedSender<C>], next: usize, mut conn: C) -> usize {
    for i in 0..workers.len() {
        let at = (next + i) % workers.len();
        match workers[at].send(conn) {
            Ok(()) => return (at + 1) % workers.len(),
            Err(mpsc::error::SendError(back)) => conn = back,
        }
    }
    tracing::error!("every worker has stopped; refusing a connection");
    next
}

/// Connection errors (the peer gave up before we accepted) are nothing to wait for; anything
/// else (out of file descriptors) would spin, so it waits a moment, as axum's own loop does.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    fn conn(listener: &std::net::TcpListener) -> (std::net::TcpStream, SocketAddr) {
        let addr = listener.local_addr().unwrap();
        (std::net::TcpStream::connect(addr).unwrap(), addr)
    }

    #[test]
    fn connections_go_round_robin_and_skip_a_worker_that_ended() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (tx0, mut rx0) = mpsc::unbounded_channel();
        let (tx1, rx1) = mpsc::unbounded_channel();
        let (tx2, mut rx2) = mpsc::unbounded_channel();
        let workers = [tx0, tx1, tx2];
        drop(rx1);
        let mut next = 0;
        for _ in 0..4 {
            next = hand_off(&workers, next, conn(&listener));
        }
        let count =
            |rx: &mut mpsc::UnboundedReceiver<_>| std::iter::from_fn(|| rx.try_recv().ok()).count();
        assert_eq!((count(&mut rx0), count(&mut rx2)), (2, 2));
        assert_eq!(next, 0);
    }
}
