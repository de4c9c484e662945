//! The server and its handle: [`FakeUpstream`] binds `127.0.0.1:0`, keeps the shared state
//! (script, key rules, queued actions, recorded requests) and serves each connection with
//! `TCP_NODELAY` until the handle is dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::dispatch::handle;
use super::recording::RecordedRequest;
use super::script::{Action, Filter, Script};
use super::state::{ConnKill, Shared, State, lock};

/// A fake provider on `127.0.0.1`. See the module docs. Dropping it stops the server and drops
/// every open connection.
pub struct FakeUpstream {
    shared: Shared,
    addr: SocketAddr,
    base_url: String,
    server: JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeUpstream {
    /// Starts a fake on `127.0.0.1:0` in the current tokio runtime, with the default [`Script`],
    /// accepting any non-empty key.
    ///
    /// # Panics
    /// If it cannot bind a loopback port.
    pub async fn start() -> FakeUpstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake upstream cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake upstream has no local address: {e}"));
        let shared: Shared = Arc::new(Mutex::new(State::new()));
        let app_state = shared.clone();
        let router = Router::new().fallback(move |req: Request| handle(app_state.clone(), req));
        let server = tokio::spawn(accept_loop(listener, router));
        FakeUpstream {
            shared,
            addr,
            base_url: format!("http://{addr}"),
            server,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; the routes are under `/v1/…`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url() + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the default script: what a request gets when no queued action or key rule
    /// applies.
    pub fn set_script(&self, script: Script) {
        lock(&self.shared).script = script;
    }

    /// Changes the default script in place, e.g. `|s| s.usage.cached_tokens = 80`.
    pub fn update_script(&self, change: impl FnOnce(&mut Script)) {
        change(&mut lock(&self.shared).script);
    }

    /// The default script.
    pub fn script(&self) -> Script {
        lock(&self.shared).script.clone()
    }

    /// Accepts only these upstream keys from now on; any other gets the provider's 401.
    pub fn set_valid_keys<I, S>(&self, keys: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        lock(&self.shared).valid_keys = Some(keys.into_iter().map(Into::into).collect());
    }

    /// Accepts any non-empty key again (the default).
    pub fn accept_any_key(&self) {
        lock(&self.shared).valid_keys = None;
    }

    /// Whether `/v1/messages` and `count_tokens` refuse a request without `anthropic-version`
    /// with 400, as Anthropic does. Default true.
    pub fn set_require_anthropic_version(&self, required: bool) {
        lock(&self.shared).require_anthropic_version = required;
    }

    /// The models `GET /v1/models` lists. Default [`DEFAULT_MODELS`].
    pub fn set_models<I, S>(&self, models: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        lock(&self.shared).models = models.into_iter().map(Into::into).collect();
    }

    /// Queues `action` for the next request, whatever its route or key.
    pub fn push(&self, action: Action) {
        self.push_filtered(Filter::any(), action);
    }

    /// Queues `action` for the next request to `path`.
    pub fn push_for_path(&self, path: &str, action: Action) {
        self.push_filtered(Filter::path(path), action);
    }

    /// Queues `action` for the next request that uses upstream key `key`.
    pub fn push_for_key(&self, key: &str, action: Action) {
        self.push_filtered(Filter::key(key), action);
    }

    /// Queues `action` for the next request that `filter` matches. A request consumes the first
    /// matching entry in queue order; entries it does not match stay queued.
    pub fn push_filtered(&self, filter: Filter, action: Action) {
        lock(&self.shared).queue.push_back((filter, action));
    }

    /// Queued actions not consumed yet.
    pub fn pending_actions(&self) -> usize {
        lock(&self.shared).queue.len()
    }

    /// Applies `action` to every request that uses `key` and finds no queued action, until
    /// cleared (e.g. key A always answers 500, key B is fine).
    pub fn set_key_rule(&self, key: &str, action: Action) {
        lock(&self.shared).key_rules.insert(key.to_owned(), action);
    }

    /// Removes the rule for `key`.
    pub fn clear_key_rule(&self, key: &str) {
        lock(&self.shared).key_rules.remove(key);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// How many requests arrived for `path` (without the query).
    pub fn count(&self, path: &str) -> usize {
        lock(&self.shared)
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// The latest request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared).requests.last().cloned()
    }

    /// Back to the start: no recorded requests, no queued actions or key rules, the default
    /// script, models and key policy. The port stays.
    pub fn reset(&self) {
        *lock(&self.shared) = State::new();
    }
}

async fn accept_loop(listener: TcpListener, router: Router) {
    // Connections live in this set, so aborting the server task drops them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    // Small SSE events must leave as they are written, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let conn_kill = ConnKill(kill.clone());
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(conn_kill.clone());
        tower::ServiceExt::oneshot(router.clone(), req.map(Body::new))
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection closes the socket with nothing more written.
        () = kill.notified() => {}
    }
}
