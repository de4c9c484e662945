//! Serving connections: one acceptor and a few single-threaded workers, like nginx's.
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

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::thread;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

thread_local! {
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The index of the worker this thread is (0 on any other thread).
pub fn worker_index() -> usize {
    WORKER.with(Cell::get)
}

/// How many workers to run when the configuration does not say: one per CPU.
pub fn default_workers() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// The address of the client at the other end of a connection, for handlers that record it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, Handoff>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, Handoff>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// A worker's side of the acceptor: connections arrive over a channel instead of `accept(2)`.
pub struct Handoff {
    rx: mpsc::UnboundedReceiver<(std::net::TcpStream, SocketAddr)>,
    local: SocketAddr,
}

impl Listener for Handoff {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some((std, peer)) = self.rx.recv().await else {
                // The acceptor is gone: the server is shutting down, which ends this listener's
                // serve loop before it asks again.
                return std::future::pending().await;
            };
            // Registers the socket with this worker's runtime.
            match TcpStream::from_std(std) {
                Ok(tcp) => {
                    // Without TCP_NODELAY the last small write of every response waits for the
                    // client's delayed ACK: ~40 ms added to each stream.
                    let _ = tcp.set_nodelay(true);
                    return (tcp, peer);
                }
                Err(e) => tracing::warn!(error = %e, "cannot take over an accepted connection"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// A running server: its acceptor task and worker threads.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    acceptor: tokio::task::JoinHandle<()>,
    workers: Vec<oneshot::Receiver<io::Result<()>>>,
}

impl Server {
    /// Starts `workers` worker threads serving `app`, and the acceptor on the caller's runtime.
    pub fn start(listener: TcpListener, app: Router, workers: usize) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut senders = Vec::new();
        let mut done = Vec::new();
        for index in 0..workers.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            let handoff = Handoff { rx, local: addr };
            let (finished, finished_rx) = oneshot::channel();
            done.push(finished_rx);
            let app = app.clone();
            let mut stop = shutdown_rx.clone();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    WORKER.with(|w| w.set(index));
                    let served = runtime.block_on(async move {
                        axum::serve(
                            handoff,
                            app.into_make_service_with_connect_info::<ClientAddr>(),
                        )
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|stopped| *stopped).await;
                        })
                        .await
                    });
                    let _ = finished.send(served);
                })?;
        }
        let mut stop = shutdown_rx;
        let acceptor = tokio::spawn(async move {
            let mut next = 0;
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stop.wait_for(|stopped| *stopped) => break,
                };
                match accepted.and_then(|(tcp, peer)| Ok((tcp.into_std()?, peer))) {
                    Ok(conn) => next = hand_off(&senders, next, conn),
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

/// Gives a connection to the worker at `next`, or to the one after it should that worker have
/// ended (a bug that panicked its loop); returns where the next connection goes.
fn hand_off(
    workers: &[mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr)>],
    next: usize,
    mut conn: (std::net::TcpStream, SocketAddr),
) -> usize {
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
