//! A fake OpenAI + Anthropic upstream on `127.0.0.1:0`, for loopback tests of the data plane.
//!
//! Tests never reach a real provider. They point the gateway's provider base URLs at a
//! [`FakeUpstream`], which answers on the real routes in the real wire formats, records every
//! request it gets, and misbehaves on demand:
//!
//! | route | format |
//! |---|---|
//! | `POST /v1/chat/completions` | OpenAI `chat.completion` / `chat.completion.chunk` stream |
//! | `POST /v1/responses` | OpenAI Responses object / semantic `event:` stream |
//! | `POST /v1/embeddings` | OpenAI `list` of `embedding` (float or base64) |
//! | `POST /v1/images/generations` | OpenAI images (`b64_json` or `url`, gpt-image usage) |
//! | `GET /v1/models` | OpenAI model list; Anthropic's when `anthropic-version` is sent |
//! | `POST /v1/messages` | Anthropic `message` / `message_start` … `message_stop` stream |
//! | `POST /v1/messages/count_tokens` | Anthropic `{"input_tokens": N}` |
//!
//! **What it answers** is a [`Script`]: how many content events a stream has, the [`Usage`] it
//! reports, a canary string to place in the text, and format options (an Anthropic thinking block,
//! an unknown event type, Codex's `cache_write_tokens`). Text is deterministic; ids count up.
//! Usage numbers go on the wire verbatim, in each provider's own meaning (see [`Usage`]).
//!
//! **How it misbehaves** is an [`Action`] per request. The fake picks one for each request, in
//! this order: the first queued action whose [`Filter`] matches (FIFO, consumed once:
//! [`FakeUpstream::push`]), else the rule for the request's key
//! ([`FakeUpstream::set_key_rule`], for "key A always fails" tests), else
//! [`Action::Respond`] with the default script ([`FakeUpstream::set_script`]). Faults sit in
//! front of authentication, as a provider's edge does; only a normal answer checks the key
//! ([`FakeUpstream::set_valid_keys`]) and the request.
//!
//! **What it saw**: [`FakeUpstream::requests`], [`FakeUpstream::count`],
//! [`FakeUpstream::last_request`] return [`RecordedRequest`]s (method, path, query, lower-cased
//! headers, body bytes, the key used), recorded before any fault is applied.
//!
//! Streams really stream: each SSE event is its own HTTP chunk and the body yields to the
//! connection between events, so it is flushed; accepted sockets have `TCP_NODELAY`. The server
//! runs on the test's tokio runtime and stops when the [`FakeUpstream`] is dropped.
//!
//! Assertions about the gateway do not belong here; they live in `tests/*.rs`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// `POST` OpenAI Chat Completions.
pub const CHAT_COMPLETIONS: &str = "/v1/chat/completions";
/// `POST` OpenAI Responses (what Codex CLI speaks).
pub const RESPONSES: &str = "/v1/responses";
/// `POST` OpenAI Embeddings.
pub const EMBEDDINGS: &str = "/v1/embeddings";
/// `POST` OpenAI image generation.
pub const IMAGES: &str = "/v1/images/generations";
/// `GET` the model list (OpenAI's, or Anthropic's when `anthropic-version` is sent).
pub const MODELS: &str = "/v1/models";
/// `POST` Anthropic Messages (what Claude Code speaks; it adds `?beta=true`).
pub const MESSAGES: &str = "/v1/messages";
/// `POST` Anthropic token counting.
pub const COUNT_TOKENS: &str = "/v1/messages/count_tokens";

/// The body of [`Action::Garbage`] on a non-stream request: not JSON, though it starts like it.
pub const GARBAGE_BODY: &str =
    "{\"id\": \"chatcmpl-\u{fffd}\u{fffd} <html>upstream garbage, not JSON";
/// The body of [`Action::Garbage`] on a stream request: an event stream whose data is not JSON.
pub const GARBAGE_SSE: &str =
    "data: {\"id\": <<not json>>\n\n: comment\n\nevent: ???\ndata: \u{fffd}\n\n";

/// The models `GET /v1/models` lists until [`FakeUpstream::set_models`] says otherwise.
pub const DEFAULT_MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-5",
    "gpt-5-codex",
    "o3",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "gpt-image-1",
    "dall-e-3",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
    "claude-haiku-4-5",
];

/// A 1×1 transparent PNG, the image every generation returns.
const PNG_1X1_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// The words deterministic completion text cycles through, one per content event.
const WORDS: &[&str] = &[
    "Lorem",
    " ipsum",
    " dolor",
    " sit",
    " amet,",
    " consectetur",
    " adipiscing",
    " elit.",
    " Sed",
    " do",
    " eiusmod",
    " tempor",
    " incididunt",
    " ut",
    " labore",
    " et",
];

/// Token counts a response reports, placed on the wire verbatim in each provider's own meaning.
///
/// | field | Chat Completions | Responses | Anthropic Messages |
/// |---|---|---|---|
/// | `input_tokens` | `prompt_tokens` (includes cached) | `input_tokens` (includes cached) | `input_tokens` (excludes cache reads and writes) |
/// | `cached_tokens` | `prompt_tokens_details.cached_tokens` | `input_tokens_details.cached_tokens` | `cache_read_input_tokens` |
/// | `cache_write_5m_tokens` + `cache_write_1h_tokens` | — | `cache_write_tokens` when [`Script::responses_cache_write_tokens`] | `cache_creation_input_tokens`, split in `cache_creation` |
/// | `output_tokens` | `completion_tokens` (includes reasoning) | `output_tokens` (includes reasoning) | `output_tokens` |
/// | `reasoning_tokens` | `completion_tokens_details.reasoning_tokens` | `output_tokens_details.reasoning_tokens` | — |
///
/// `total_tokens` is always `input_tokens + output_tokens`, as OpenAI computes it. Embeddings
/// report `input_tokens` as `prompt_tokens`; gpt-image reports `input_tokens`/`output_tokens`;
/// `count_tokens` answers `input_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens, in the provider's meaning (see the table).
    pub input_tokens: u64,
    /// Prompt tokens read from the cache.
    pub cached_tokens: u64,
    /// Prompt tokens written to the cache with the 5-minute TTL.
    pub cache_write_5m_tokens: u64,
    /// Prompt tokens written to the cache with the 1-hour TTL.
    pub cache_write_1h_tokens: u64,
    /// Completion tokens, reasoning included where the provider counts it separately.
    pub output_tokens: u64,
    /// Reasoning tokens (OpenAI only).
    pub reasoning_tokens: u64,
}

impl Default for Usage {
    /// 120 input tokens and 50 output tokens (one per default content event), nothing cached.
    fn default() -> Self {
        Usage {
            input_tokens: 120,
            cached_tokens: 0,
            cache_write_5m_tokens: 0,
            cache_write_1h_tokens: 0,
            output_tokens: 50,
            reasoning_tokens: 0,
        }
    }
}

impl Usage {
    /// Tokens written to the cache, both TTLs together (Anthropic's `cache_creation_input_tokens`).
    pub fn cache_write_tokens(&self) -> u64 {
        self.cache_write_5m_tokens + self.cache_write_1h_tokens
    }

    /// `input_tokens + output_tokens`.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// What a normal answer looks like. Change fields with struct update syntax:
/// `Script { events: 3, canary: Some("CANARY-1".into()), ..Script::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Content events in a stream, one word ("token") each; the non-stream text is the same words
    /// joined. Default 50.
    pub events: usize,
    /// The usage every route reports. Default [`Usage::default`].
    pub usage: Usage,
    /// A string placed whole, as one content event, in the completion text (replacing word
    /// `events / 2`), so a test can show it never reaches a database or a log. Ignored when
    /// `events` is 0. Default none.
    pub canary: Option<String>,
    /// The model the response names. Default none: the request's `model`, echoed.
    pub model: Option<String>,
    /// A pause before every stream event after the first. Default zero.
    pub event_delay: Duration,
    /// Anthropic only: `thinking_delta` events in a thinking block before the text (followed by
    /// a `signature_delta`); 0 sends no thinking block. Default 0.
    pub anthropic_thinking_events: usize,
    /// Anthropic only: whether `message_delta.usage` repeats the cumulative input and cache
    /// counts, as current API versions do (older ones sent `output_tokens` alone). Default true.
    pub anthropic_delta_repeats_input: bool,
    /// Send an event type no client has heard of, as providers do when they add one: Anthropic
    /// `event: future_event` after `ping`; Responses `event: response.future_event` (numbered
    /// like the rest) after `response.in_progress`. Default false.
    pub unknown_event: bool,
    /// Responses only: report `input_tokens_details.cache_write_tokens`, as the backend behind
    /// Codex CLI does. Default false.
    pub responses_cache_write_tokens: bool,
    /// Images only: whether to report token `usage`. Default none: when the model starts with
    /// `gpt-image`, as OpenAI does.
    pub image_usage: Option<bool>,
    /// Embedding length when the request does not ask for `dimensions`. Default 1536.
    pub embedding_dimensions: usize,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            events: 50,
            usage: Usage::default(),
            canary: None,
            model: None,
            event_delay: Duration::ZERO,
            anthropic_thinking_events: 0,
            anthropic_delta_repeats_input: true,
            unknown_event: false,
            responses_cache_write_tokens: false,
            image_usage: None,
            embedding_dimensions: 1536,
        }
    }
}

impl Script {
    /// The completion text, word by word: what each content event carries.
    pub fn tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = (0..self.events)
            .map(|i| WORDS[i % WORDS.len()].to_owned())
            .collect();
        if let Some(canary) = &self.canary
            && !tokens.is_empty()
        {
            let at = tokens.len() / 2;
            tokens[at] = if at == 0 {
                canary.clone()
            } else {
                format!(" {canary}")
            };
        }
        tokens
    }

    /// The whole completion text.
    pub fn text(&self) -> String {
        self.tokens().concat()
    }

    /// The thinking text of an Anthropic thinking block, piece by piece.
    pub fn thinking_tokens(&self) -> Vec<String> {
        (0..self.anthropic_thinking_events)
            .map(|i| format!("Considering step {i}. "))
            .collect()
    }
}

/// An error answer: a status and the provider's real error body for it (or `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// The HTTP status.
    pub status: u16,
    /// A `retry-after` header, in seconds.
    pub retry_after: Option<u64>,
    /// The exact body to send (as `application/json`); none picks the provider's own body for
    /// `status`, in the route's format (502 and 504 are Cloudflare's HTML page, as in reality).
    pub body: Option<String>,
}

/// What the fake does with one request. See the module docs for how one is picked.
///
/// Counts of events (`after_events`) are SSE events from the start of the stream, every kind
/// included (Chat Completions' `data: [DONE]` is one). On a non-stream request, the body counts
/// as two halves: `after_events: 0` acts before the body, anything else after its first half.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Answer normally with this script (after checking the key and the request).
    Respond(Box<Script>),
    /// Answer with an error status and body, without looking at the key.
    Error(ErrorReply),
    /// Close the connection without sending anything back (over HTTP/2, the whole connection,
    /// with any other requests on it).
    CloseConnection,
    /// Wait this long before sending headers (for first-byte timeouts), then answer normally.
    HangBeforeHeaders(Duration),
    /// Send headers and `after_events` events, go silent for `stall` (for idle timeouts), then
    /// send the rest.
    StallMidStream {
        /// Events sent before the stall.
        after_events: usize,
        /// How long to stay silent.
        stall: Duration,
    },
    /// Answer 200 with a body that is not JSON ([`GARBAGE_BODY`], or [`GARBAGE_SSE`] when the
    /// request asked to stream).
    Garbage,
    /// Send `after_events` events, then break the connection mid-body: no usage, no end, the
    /// chunked body never terminated.
    CutStream {
        /// Events sent before the cut.
        after_events: usize,
    },
    /// Send `after_events` events, then end the body cleanly: the stream just stops, without
    /// its usage or terminator.
    EndStreamEarly {
        /// Events sent before the end.
        after_events: usize,
    },
    /// Send `after_events` events, then the provider's in-stream error (Anthropic
    /// `event: error` with `overloaded_error`; Chat Completions `data: {"error":…}`; Responses
    /// `response.failed`), and end cleanly. On a non-stream request it acts as
    /// [`Action::EndStreamEarly`].
    StreamError {
        /// Events sent before the error.
        after_events: usize,
    },
    /// Answer normally, pausing this long between stream events (a non-stream answer is not
    /// slowed).
    SlowStream(Duration),
}

impl Action {
    /// [`Action::Respond`] with `script`.
    pub fn respond(script: Script) -> Action {
        Action::Respond(Box::new(script))
    }

    /// An error with this status and the provider's real body for it (429 gets
    /// `retry-after: 1`).
    pub fn status(status: u16) -> Action {
        Action::Error(ErrorReply {
            status,
            retry_after: (status == 429).then_some(1),
            body: None,
        })
    }

    /// 429 with the provider's rate-limit body and `retry-after: {retry_after_secs}`.
    pub fn rate_limited(retry_after_secs: u64) -> Action {
        Action::Error(ErrorReply {
            status: 429,
            retry_after: Some(retry_after_secs),
            body: None,
        })
    }

    /// Anthropic's 529 `overloaded_error`.
    pub fn overloaded() -> Action {
        Action::status(529)
    }

    /// An error with this status and exactly this body (sent as `application/json`).
    pub fn error_body(status: u16, body: impl Into<String>) -> Action {
        Action::Error(ErrorReply {
            status,
            retry_after: None,
            body: Some(body.into()),
        })
    }
}

/// Which requests a queued [`Action`] may be consumed by. Empty fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The request path must be exactly this (no query), e.g. [`MESSAGES`].
    pub path: Option<String>,
    /// The request must use exactly this upstream key.
    pub key: Option<String>,
}

impl Filter {
    /// Matches every request.
    pub fn any() -> Filter {
        Filter::default()
    }

    /// Matches requests to `path`.
    pub fn path(path: &str) -> Filter {
        Filter {
            path: Some(path.to_owned()),
            key: None,
        }
    }

    /// Matches requests that use `key`.
    pub fn key(key: &str) -> Filter {
        Filter {
            path: None,
            key: Some(key.to_owned()),
        }
    }

    /// This filter, narrowed to requests that use `key`.
    pub fn and_key(self, key: &str) -> Filter {
        Filter {
            key: Some(key.to_owned()),
            ..self
        }
    }

    fn matches(&self, path: &str, key: Option<&str>) -> bool {
        self.path.as_deref().is_none_or(|p| p == path)
            && self.key.as_deref().is_none_or(|k| Some(k) == key)
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query, e.g. `/v1/messages`.
    pub path: String,
    /// The query string without `?`, e.g. `beta=true`.
    pub query: Option<String>,
    /// Headers in arrival order, names lower-case, values lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The body exactly as received.
    pub body: Bytes,
    /// The upstream key it carried: `Authorization: Bearer` on OpenAI routes, `x-api-key` (or
    /// Bearer) on Anthropic ones.
    pub key: Option<String>,
    /// When the whole request had arrived.
    pub received_at: Instant,
}

impl RecordedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    /// If the body is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} body is not JSON ({e}): {}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as (lossy) UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The fake's configuration and memory, shared by the handle and the server.
struct State {
    script: Script,
    /// `None` accepts any non-empty key.
    valid_keys: Option<HashSet<String>>,
    require_anthropic_version: bool,
    models: Vec<String>,
    queue: VecDeque<(Filter, Action)>,
    key_rules: HashMap<String, Action>,
    requests: Vec<RecordedRequest>,
    next_id: u64,
}

impl State {
    fn new() -> State {
        State {
            script: Script::default(),
            valid_keys: None,
            require_anthropic_version: true,
            models: DEFAULT_MODELS.iter().map(|m| (*m).to_owned()).collect(),
            queue: VecDeque::new(),
            key_rules: HashMap::new(),
            requests: Vec::new(),
            next_id: 0,
        }
    }

    fn pick_action(&mut self, path: &str, key: Option<&str>) -> Action {
        if let Some(i) = self.queue.iter().position(|(f, _)| f.matches(path, key))
            && let Some((_, action)) = self.queue.remove(i)
        {
            return action;
        }
        if let Some(rule) = key.and_then(|k| self.key_rules.get(k)) {
            return rule.clone();
        }
        Action::Respond(Box::new(self.script.clone()))
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A test that panicked while holding the lock must not hide the fake from the next assertion.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

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

/// The connection-level kill switch a handler uses for [`Action::CloseConnection`].
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Anthropic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Chat,
    Responses,
    Embeddings,
    Images,
    Models,
    Messages,
    CountTokens,
}

impl Route {
    fn find(method: &Method, path: &str) -> Option<Route> {
        let (route, wanted) = match path {
            CHAT_COMPLETIONS => (Route::Chat, Method::POST),
            RESPONSES => (Route::Responses, Method::POST),
            EMBEDDINGS => (Route::Embeddings, Method::POST),
            IMAGES => (Route::Images, Method::POST),
            MODELS => (Route::Models, Method::GET),
            MESSAGES => (Route::Messages, Method::POST),
            COUNT_TOKENS => (Route::CountTokens, Method::POST),
            _ => return None,
        };
        (*method == wanted).then_some(route)
    }
}

/// Which provider's conventions a path follows (for keys and error bodies).
fn provider_of(path: &str, headers: &HeaderMap) -> Provider {
    if path.starts_with(MESSAGES) || (path == MODELS && headers.contains_key("anthropic-version")) {
        Provider::Anthropic
    } else {
        Provider::OpenAi
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn key_of(provider: Provider, headers: &HeaderMap) -> Option<String> {
    match provider {
        Provider::OpenAi => bearer(headers),
        Provider::Anthropic => headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .or_else(|| bearer(headers)),
    }
}

/// Everything a normal answer needs, taken from the request and the state.
struct Ctx {
    route: Option<Route>,
    provider: Provider,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    key: Option<String>,
    script: Script,
    valid_keys: Option<HashSet<String>>,
    require_anthropic_version: bool,
    models: Vec<String>,
    id: u64,
}

impl Ctx {
    fn wants_stream(&self) -> bool {
        matches!(
            self.route,
            Some(Route::Chat | Route::Responses | Route::Messages)
        ) && serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("stream").and_then(Value::as_bool))
            .unwrap_or(false)
    }
}

/// How a normal answer is bent by a fault.
#[derive(Debug, Clone, Copy)]
enum Bend {
    None,
    Stall { after: usize, stall: Duration },
    Cut { after: usize },
    EndEarly { after: usize },
    StreamError { after: usize },
}

async fn handle(shared: Shared, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let provider = provider_of(&path, &parts.headers);
    let key = key_of(provider, &parts.headers);
    let (action, ctx) = {
        let mut state = lock(&shared);
        state.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
            key: key.clone(),
            received_at: Instant::now(),
        });
        let action = state.pick_action(&path, key.as_deref());
        state.next_id += 1;
        let ctx = Ctx {
            route: Route::find(&parts.method, &path),
            provider,
            method: parts.method.clone(),
            path,
            headers: parts.headers.clone(),
            body,
            key,
            script: state.script.clone(),
            valid_keys: state.valid_keys.clone(),
            require_anthropic_version: state.require_anthropic_version,
            models: state.models.clone(),
            id: state.next_id,
        };
        (action, ctx)
    };
    match action {
        Action::Respond(script) => answer(
            Ctx {
                script: *script,
                ..ctx
            },
            Bend::None,
        ),
        Action::Error(reply) => error_reply(ctx.provider, &reply, ctx.id),
        Action::CloseConnection => match kill {
            Some(ConnKill(kill)) => {
                kill.notify_one();
                std::future::pending().await
            }
            None => error_reply(ctx.provider, &status_reply(500), ctx.id),
        },
        Action::HangBeforeHeaders(wait) => {
            tokio::time::sleep(wait).await;
            answer(ctx, Bend::None)
        }
        Action::StallMidStream {
            after_events,
            stall,
        } => answer(
            ctx,
            Bend::Stall {
                after: after_events,
                stall,
            },
        ),
        Action::Garbage => garbage(&ctx),
        Action::CutStream { after_events } => answer(
            ctx,
            Bend::Cut {
                after: after_events,
            },
        ),
        Action::EndStreamEarly { after_events } => answer(
            ctx,
            Bend::EndEarly {
                after: after_events,
            },
        ),
        Action::StreamError { after_events } => answer(
            ctx,
            Bend::StreamError {
                after: after_events,
            },
        ),
        Action::SlowStream(delay) => {
            let script = Script {
                event_delay: delay,
                ..ctx.script.clone()
            };
            answer(Ctx { script, ..ctx }, Bend::None)
        }
    }
}

fn status_reply(status: u16) -> ErrorReply {
    ErrorReply {
        status,
        retry_after: None,
        body: None,
    }
}

fn garbage(ctx: &Ctx) -> Response {
    let (content_type, body) = if ctx.wants_stream() {
        ("text/event-stream; charset=utf-8", GARBAGE_SSE)
    } else {
        ("application/json", GARBAGE_BODY)
    };
    let mut response = (StatusCode::OK, body).into_response();
    set_header(&mut response, CONTENT_TYPE, content_type);
    add_provider_headers(&mut response, ctx.provider, ctx.id);
    response
}

/// A normal answer: checks the key and the request, then builds the route's body.
fn answer(ctx: Ctx, bend: Bend) -> Response {
    if let Err(reply) = check_request(&ctx) {
        return error_reply(ctx.provider, &reply, ctx.id);
    }
    let Some(route) = ctx.route else {
        let reply = ErrorReply {
            status: 404,
            retry_after: None,
            body: Some(not_found_body(&ctx)),
        };
        return error_reply(ctx.provider, &reply, ctx.id);
    };
    let request: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let stream = ctx.wants_stream();
    let reply = match route {
        Route::Chat if stream => Reply::Stream(chat_stream(&ctx, &request)),
        Route::Chat => Reply::Json(chat_completion(&ctx, &request)),
        Route::Responses if stream => Reply::Stream(responses_stream(&ctx, &request)),
        Route::Responses => Reply::Json(responses_object(&ctx, &request)),
        Route::Messages if stream => Reply::Stream(messages_stream(&ctx, &request)),
        Route::Messages => Reply::Json(message_object(&ctx, &request)),
        Route::Embeddings => Reply::Json(embeddings(&ctx, &request)),
        Route::Images => Reply::Json(images(&ctx, &request)),
        Route::Models => Reply::Json(models(&ctx)),
        Route::CountTokens => Reply::Json(json!({ "input_tokens": ctx.script.usage.input_tokens })),
    };
    let mut response = match reply {
        Reply::Json(value) => json_body(&value, bend),
        Reply::Stream(events) => stream_body(&ctx, events, bend),
    };
    add_provider_headers(&mut response, ctx.provider, ctx.id);
    response
}

enum Reply {
    Json(Value),
    Stream(Vec<String>),
}

/// The checks a provider makes before doing any work: the key, then the request's shape.
fn check_request(ctx: &Ctx) -> Result<(), ErrorReply> {
    let bad = |status: u16, body: String| ErrorReply {
        status,
        retry_after: None,
        body: Some(body),
    };
    match ctx.key.as_deref() {
        None | Some("") => return Err(bad(401, missing_key_body(ctx.provider, ctx.id))),
        Some(key) => {
            if ctx
                .valid_keys
                .as_ref()
                .is_some_and(|keys| !keys.contains(key))
            {
                return Err(bad(401, invalid_key_body(ctx.provider, key, ctx.id)));
            }
        }
    }
    let Some(route) = ctx.route else {
        return Ok(());
    };
    if matches!(route, Route::Messages | Route::CountTokens)
        && ctx.require_anthropic_version
        && !ctx.headers.contains_key("anthropic-version")
    {
        return Err(bad(
            400,
            anthropic_error_body(
                "invalid_request_error",
                "anthropic-version: header is required",
                ctx.id,
            ),
        ));
    }
    if route == Route::Models {
        return Ok(());
    }
    let invalid = |message: &str| {
        bad(
            400,
            match ctx.provider {
                Provider::OpenAi => openai_error_body(message, "invalid_request_error", None),
                Provider::Anthropic => {
                    anthropic_error_body("invalid_request_error", message, ctx.id)
                }
            },
        )
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&ctx.body) else {
        return Err(invalid(match ctx.provider {
            Provider::OpenAi => {
                "We could not parse the JSON body of your request. (HINT: This likely means you \
                 aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, \
                 but what was sent was not valid JSON.)"
            }
            Provider::Anthropic => "There was an error parsing the body of your request",
        }));
    };
    let has_model = request.get("model").and_then(Value::as_str).is_some();
    match route {
        Route::Chat | Route::Responses | Route::Embeddings if !has_model => {
            Err(invalid("you must provide a model parameter"))
        }
        Route::Messages | Route::CountTokens if !has_model => Err(invalid("model: Field required")),
        Route::Messages if !request.contains_key("max_tokens") => {
            Err(invalid("max_tokens: Field required"))
        }
        _ => Ok(()),
    }
}

fn json_body(value: &Value, bend: Bend) -> Response {
    let bytes = value.to_string().into_bytes();
    let mut response = match bend {
        Bend::None => Body::from(bytes).into_response(),
        // A non-stream body splits into two halves: `after == 0` bends before the body.
        Bend::Stall { after, stall } => {
            let (head, tail) = split_half(&bytes, after);
            let mut steps = vec![Step::Data(head), Step::Sleep(stall), Step::Data(tail)];
            steps.retain(|s| !matches!(s, Step::Data(d) if d.is_empty()));
            Body::from_stream(steps_stream(steps)).into_response()
        }
        Bend::Cut { after } => {
            let (head, _) = split_half(&bytes, after);
            Body::from_stream(steps_stream(vec![Step::Data(head), Step::Fail])).into_response()
        }
        Bend::EndEarly { after } | Bend::StreamError { after } => {
            let (head, _) = split_half(&bytes, after);
            Body::from(head).into_response()
        }
    };
    set_header(&mut response, CONTENT_TYPE, "application/json");
    response
}

fn split_half(bytes: &[u8], after: usize) -> (Bytes, Bytes) {
    let at = if after == 0 { 0 } else { bytes.len() / 2 };
    (
        Bytes::copy_from_slice(&bytes[..at]),
        Bytes::copy_from_slice(&bytes[at..]),
    )
}

/// One step of a streamed body.
enum Step {
    Data(Bytes),
    Sleep(Duration),
    /// Break the connection: the body errors, so the chunked encoding is never terminated.
    Fail,
}

fn steps_stream(
    steps: Vec<Step>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(
        (steps.into_iter(), false),
        |(mut steps, sent_any)| async move {
            loop {
                match steps.next()? {
                    Step::Sleep(d) => tokio::time::sleep(d).await,
                    Step::Data(bytes) => {
                        if sent_any {
                            // Hand control back to the connection so it flushes the previous
                            // event before this one: each event leaves as its own write.
                            tokio::task::yield_now().await;
                        }
                        return Some((Ok(bytes), (steps, true)));
                    }
                    Step::Fail => {
                        // Let the events before the cut reach the socket first.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let cut = std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "fake upstream cut the stream",
                        );
                        return Some((Err(cut), (Vec::new().into_iter(), true)));
                    }
                }
            }
        },
    )
}

fn stream_body(ctx: &Ctx, mut events: Vec<String>, bend: Bend) -> Response {
    let mut stall_at = None;
    let mut cut = false;
    match bend {
        Bend::None => {}
        Bend::Stall { after, stall } => stall_at = Some((after, stall)),
        Bend::Cut { after } => {
            events.truncate(after);
            cut = true;
        }
        Bend::EndEarly { after } => events.truncate(after),
        Bend::StreamError { after } => {
            events.truncate(after);
            let error = stream_error_event(ctx, events.len());
            events.push(error);
        }
    }
    let count = events.len();
    let mut steps = Vec::with_capacity(count * 2 + 2);
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 && !ctx.script.event_delay.is_zero() {
            steps.push(Step::Sleep(ctx.script.event_delay));
        }
        if let Some((after, stall)) = stall_at
            && i == after
        {
            steps.push(Step::Sleep(stall));
        }
        steps.push(Step::Data(Bytes::from(event)));
    }
    if let Some((after, stall)) = stall_at
        && after >= count
    {
        // Stall after the last event, before the body ends.
        steps.push(Step::Sleep(stall));
    }
    if cut {
        steps.push(Step::Fail);
    }
    let mut response = Body::from_stream(steps_stream(steps)).into_response();
    set_header(
        &mut response,
        CONTENT_TYPE,
        "text/event-stream; charset=utf-8",
    );
    set_header(
        &mut response,
        HeaderName::from_static("cache-control"),
        "no-cache",
    );
    response
}

fn stream_error_event(ctx: &Ctx, sequence_number: usize) -> String {
    match ctx.route {
        Some(Route::Messages) => sse_event(
            "error",
            &json!({
                "type": "error",
                "error": { "type": "overloaded_error", "message": "Overloaded" },
            }),
        ),
        Some(Route::Responses) => sse_event(
            "response.failed",
            &json!({
                "type": "response.failed",
                "sequence_number": sequence_number,
                "response": {
                    "id": format!("resp_fake{:040x}", ctx.id),
                    "object": "response",
                    "status": "failed",
                    "error": {
                        "code": "server_error",
                        "message": "An error occurred while processing your request.",
                    },
                    "usage": null,
                },
            }),
        ),
        _ => sse_data(&json!({
            "error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error",
                "param": null,
                "code": null,
            }
        })),
    }
}

fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn add_provider_headers(response: &mut Response, provider: Provider, id: u64) {
    let headers: &[(&'static str, String)] = match provider {
        Provider::OpenAi => &[
            ("x-request-id", format!("req_fake{id:028x}")),
            ("openai-version", "2020-10-01".to_owned()),
            ("openai-organization", "user-fakeupstream".to_owned()),
            ("openai-processing-ms", "42".to_owned()),
            ("x-ratelimit-limit-requests", "10000".to_owned()),
            ("x-ratelimit-remaining-requests", "9999".to_owned()),
        ],
        Provider::Anthropic => &[
            ("request-id", anthropic_request_id(id)),
            (
                "anthropic-organization-id",
                "00000000-0000-4000-8000-00000000fa4e".to_owned(),
            ),
            ("anthropic-ratelimit-requests-limit", "4000".to_owned()),
            ("anthropic-ratelimit-requests-remaining", "3999".to_owned()),
        ],
    };
    for (name, value) in headers {
        set_header(response, HeaderName::from_static(name), value);
    }
}

fn anthropic_request_id(id: u64) -> String {
    format!("req_011Fake{id:016}")
}

fn error_reply(provider: Provider, reply: &ErrorReply, id: u64) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match &reply.body {
        Some(body) => ("application/json", body.clone()),
        None => default_error_body(provider, reply, id),
    };
    let mut response = (status, body).into_response();
    set_header(&mut response, CONTENT_TYPE, content_type);
    if let Some(secs) = reply.retry_after {
        set_header(&mut response, RETRY_AFTER, &secs.to_string());
    }
    add_provider_headers(&mut response, provider, id);
    response
}

fn cloudflare_page(status: u16, reason: &str) -> String {
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} \
         {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// The provider's own error body for a status, as it sends it.
fn default_error_body(provider: Provider, reply: &ErrorReply, id: u64) -> (&'static str, String) {
    let retry = reply.retry_after.unwrap_or(1);
    match (provider, reply.status) {
        (_, 502) => ("text/html", cloudflare_page(502, "Bad Gateway")),
        (_, 504) => ("text/html", cloudflare_page(504, "Gateway Time-out")),
        (Provider::OpenAi, status) => {
            let (message, kind, code) = match status {
                400 => ("Invalid request.".to_owned(), "invalid_request_error", None),
                401 => (
                    "Incorrect API key provided. You can find your API key at \
                     https://platform.openai.com/account/api-keys."
                        .to_owned(),
                    "invalid_request_error",
                    Some("invalid_api_key"),
                ),
                403 => (
                    "You are not allowed to sample from this model".to_owned(),
                    "invalid_request_error",
                    Some("model_not_found"),
                ),
                404 => (
                    "The model does not exist or you do not have access to it.".to_owned(),
                    "invalid_request_error",
                    Some("model_not_found"),
                ),
                429 => (
                    format!(
                        "Rate limit reached for requests in organization org-fakeupstream on \
                         tokens per min (TPM): Limit 30000, Used 30000, Requested 1200. Please \
                         try again in {retry}s. Visit https://platform.openai.com/account/rate-limits \
                         to learn more."
                    ),
                    "tokens",
                    Some("rate_limit_exceeded"),
                ),
                503 => (
                    "The server is overloaded or not ready yet.".to_owned(),
                    "server_error",
                    None,
                ),
                _ => (
                    "The server had an error while processing your request. Sorry about that!"
                        .to_owned(),
                    "server_error",
                    None,
                ),
            };
            ("application/json", openai_error_body(&message, kind, code))
        }
        (Provider::Anthropic, status) => {
            let (kind, message) = match status {
                400 => ("invalid_request_error", "Invalid request".to_owned()),
                401 => ("authentication_error", "invalid x-api-key".to_owned()),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource."
                        .to_owned(),
                ),
                404 => ("not_found_error", "Not found".to_owned()),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.".to_owned(),
                ),
                429 => (
                    "rate_limit_error",
                    "This request would exceed the rate limit for your organization \
                     (00000000-0000-4000-8000-00000000fa4e) of 50,000 input tokens per minute. \
                     For details, refer to: https://docs.claude.com/en/api/rate-limits. You can \
                     see the response headers for current usage. Please reduce the prompt length \
                     or the maximum tokens requested, or try again later. You may also contact \
                     sales at https://www.anthropic.com/contact-sales to discuss your options for \
                     a rate limit increase."
                        .to_owned(),
                ),
                529 => ("overloaded_error", "Overloaded".to_owned()),
                _ => ("api_error", "Internal server error".to_owned()),
            };
            ("application/json", anthropic_error_body(kind, &message, id))
        }
    }
}

fn openai_error_body(message: &str, kind: &str, code: Option<&str>) -> String {
    json!({
        "error": { "message": message, "type": kind, "param": null, "code": code }
    })
    .to_string()
}

fn anthropic_error_body(kind: &str, message: &str, id: u64) -> String {
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": anthropic_request_id(id),
    })
    .to_string()
}

fn missing_key_body(provider: Provider, id: u64) -> String {
    match provider {
        Provider::OpenAi => openai_error_body(
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password \
             field (with blank username) if you're accessing the API from your browser and are \
             prompted for a username and password. You can obtain an API key from \
             https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
        ),
        Provider::Anthropic => {
            anthropic_error_body("authentication_error", "x-api-key header is required", id)
        }
    }
}

fn invalid_key_body(provider: Provider, key: &str, id: u64) -> String {
    match provider {
        Provider::OpenAi => openai_error_body(
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(key)
            ),
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        Provider::Anthropic => {
            anthropic_error_body("authentication_error", "invalid x-api-key", id)
        }
    }
}

/// OpenAI shows a wrong key as its first and last four characters around stars.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

fn not_found_body(ctx: &Ctx) -> String {
    match ctx.provider {
        Provider::OpenAi => openai_error_body(
            &format!("Invalid URL ({} {})", ctx.method, ctx.path),
            "invalid_request_error",
            None,
        ),
        Provider::Anthropic => anthropic_error_body("not_found_error", "Not Found", ctx.id),
    }
}

fn sse_data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

fn sse_event(name: &str, value: &Value) -> String {
    format!("event: {name}\ndata: {value}\n\n")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn model_of(ctx: &Ctx, request: &Value, fallback: &str) -> String {
    ctx.script
        .model
        .clone()
        .or_else(|| request["model"].as_str().map(str::to_owned))
        .unwrap_or_else(|| fallback.to_owned())
}

/// Padding OpenAI adds to stream deltas so that their lengths do not reveal the tokens.
fn obfuscation(i: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..(3 + i % 9))
        .map(|j| char::from(ALPHABET[(i * 7 + j * 13) % ALPHABET.len()]))
        .collect()
}

/// A long base64-looking thinking signature, as Anthropic sends (deterministic here).
fn thinking_signature(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = id.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut sig = String::from("EqQBCkYIBxgCKkB");
    for _ in 0..560 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        sig.push(char::from(ALPHABET[(x >> 58) as usize]));
    }
    sig.push_str("==");
    sig
}

// ---- OpenAI Chat Completions ----

fn chat_usage(usage: &Usage) -> Value {
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens(),
        "prompt_tokens_details": { "cached_tokens": usage.cached_tokens, "audio_tokens": 0 },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

fn chat_id(ctx: &Ctx) -> String {
    format!("chatcmpl-Fake{:025}", ctx.id)
}

fn chat_completion(ctx: &Ctx, request: &Value) -> Value {
    json!({
        "id": chat_id(ctx),
        "object": "chat.completion",
        "created": now_secs(),
        "model": model_of(ctx, request, "gpt-4o"),
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": ctx.script.text(),
                "refusal": null,
                "annotations": [],
            },
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": chat_usage(&ctx.script.usage),
        "service_tier": "default",
        "system_fingerprint": "fp_fake0001",
    })
}

fn chat_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
    let obfuscate = request["stream_options"]["include_obfuscation"].as_bool() != Some(false);
    let id = chat_id(ctx);
    let created = now_secs();
    let model = model_of(ctx, request, "gpt-4o");
    let chunk = |choices: Value, obfuscation_of: Option<usize>| {
        let mut chunk = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
            "choices": choices,
        });
        if include_usage {
            // With `include_usage`, every chunk but the last carries `"usage": null`.
            chunk["usage"] = Value::Null;
        }
        if let Some(i) = obfuscation_of.filter(|_| obfuscate) {
            chunk["obfuscation"] = Value::String(obfuscation(i));
        }
        sse_data(&chunk)
    };
    let mut events = vec![chunk(
        json!([{
            "index": 0,
            "delta": { "role": "assistant", "content": "", "refusal": null },
            "logprobs": null,
            "finish_reason": null,
        }]),
        Some(0),
    )];
    for (i, token) in ctx.script.tokens().into_iter().enumerate() {
        events.push(chunk(
            json!([{
                "index": 0,
                "delta": { "content": token },
                "logprobs": null,
                "finish_reason": null,
            }]),
            Some(i + 1),
        ));
    }
    events.push(chunk(
        json!([{ "index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop" }]),
        Some(ctx.script.events + 1),
    ));
    if include_usage {
        let mut last = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
            "choices": [],
            "usage": chat_usage(&ctx.script.usage),
        });
        if obfuscate {
            last["obfuscation"] = Value::String(obfuscation(ctx.script.events + 2));
        }
        events.push(sse_data(&last));
    }
    events.push("data: [DONE]\n\n".to_owned());
    events
}

// ---- OpenAI Responses ----

fn responses_usage(script: &Script) -> Value {
    let usage = &script.usage;
    let mut input_details = json!({ "cached_tokens": usage.cached_tokens });
    if script.responses_cache_write_tokens {
        input_details["cache_write_tokens"] = json!(usage.cache_write_tokens());
    }
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": input_details,
        "output_tokens": usage.output_tokens,
        "output_tokens_details": { "reasoning_tokens": usage.reasoning_tokens },
        "total_tokens": usage.total_tokens(),
    })
}

fn response_ids(ctx: &Ctx) -> (String, String, String) {
    (
        format!("resp_fake{:040x}", ctx.id),
        format!("msg_fake{:040x}", ctx.id),
        format!("rs_fake{:040x}", ctx.id),
    )
}

fn output_text_part(text: &str) -> Value {
    json!({ "type": "output_text", "annotations": [], "logprobs": [], "text": text })
}

fn message_item(id: &str, status: &str, content: Vec<Value>) -> Value {
    json!({
        "id": id,
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    })
}

fn reasoning_item(id: &str) -> Value {
    json!({ "id": id, "type": "reasoning", "summary": [] })
}

/// The `response` object, in progress (no output, no usage) or complete.
fn response_object(ctx: &Ctx, request: &Value, complete: bool, created: u64) -> Value {
    let (resp_id, msg_id, rs_id) = response_ids(ctx);
    let mut output = Vec::new();
    if complete {
        if ctx.script.usage.reasoning_tokens > 0 {
            output.push(reasoning_item(&rs_id));
        }
        output.push(message_item(
            &msg_id,
            "completed",
            vec![output_text_part(&ctx.script.text())],
        ));
    }
    let field = |name: &str, default: Value| request.get(name).cloned().unwrap_or(default);
    json!({
        "id": resp_id,
        "object": "response",
        "created_at": created,
        "status": if complete { "completed" } else { "in_progress" },
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": field("instructions", Value::Null),
        "max_output_tokens": field("max_output_tokens", Value::Null),
        "model": model_of(ctx, request, "gpt-4.1"),
        "output": output,
        "parallel_tool_calls": field("parallel_tool_calls", json!(true)),
        "previous_response_id": field("previous_response_id", Value::Null),
        "prompt_cache_key": field("prompt_cache_key", Value::Null),
        "reasoning": field("reasoning", json!({ "effort": null, "summary": null })),
        "service_tier": "default",
        "store": field("store", json!(true)),
        "temperature": field("temperature", json!(1.0)),
        "text": field("text", json!({ "format": { "type": "text" }, "verbosity": "medium" })),
        "tool_choice": field("tool_choice", json!("auto")),
        "tools": field("tools", json!([])),
        "top_p": field("top_p", json!(1.0)),
        "truncation": "disabled",
        "usage": if complete { responses_usage(&ctx.script) } else { Value::Null },
        "user": null,
        "metadata": field("metadata", json!({})),
    })
}

fn responses_object(ctx: &Ctx, request: &Value) -> Value {
    response_object(ctx, request, true, now_secs())
}

fn responses_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let (_, msg_id, rs_id) = response_ids(ctx);
    let created = now_secs();
    let text = ctx.script.text();
    let mut events = Vec::new();
    let mut push = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(events.len());
        events.push(sse_event(name, &data));
    };
    let in_progress = response_object(ctx, request, false, created);
    push("response.created", json!({ "response": in_progress }));
    push("response.in_progress", json!({ "response": in_progress }));
    if ctx.script.unknown_event {
        push(
            "response.future_event",
            json!({ "detail": { "note": "not yet documented" } }),
        );
    }
    let mut output_index = 0;
    if ctx.script.usage.reasoning_tokens > 0 {
        push(
            "response.output_item.added",
            json!({ "output_index": 0, "item": reasoning_item(&rs_id) }),
        );
        push(
            "response.output_item.done",
            json!({ "output_index": 0, "item": reasoning_item(&rs_id) }),
        );
        output_index = 1;
    }
    push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": message_item(&msg_id, "in_progress", vec![]),
        }),
    );
    push(
        "response.content_part.added",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "part": output_text_part(""),
        }),
    );
    for (i, token) in ctx.script.tokens().into_iter().enumerate() {
        push(
            "response.output_text.delta",
            json!({
                "item_id": msg_id,
                "output_index": output_index,
                "content_index": 0,
                "delta": token,
                "logprobs": [],
                "obfuscation": obfuscation(i),
            }),
        );
    }
    push(
        "response.output_text.done",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        }),
    );
    push(
        "response.content_part.done",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "part": output_text_part(&text),
        }),
    );
    push(
        "response.output_item.done",
        json!({
            "output_index": output_index,
            "item": message_item(&msg_id, "completed", vec![output_text_part(&text)]),
        }),
    );
    push(
        "response.completed",
        json!({ "response": response_object(ctx, request, true, created) }),
    );
    events
}

// ---- Anthropic Messages ----

fn anthropic_usage(usage: &Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens(),
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

fn anthropic_message_id(ctx: &Ctx) -> String {
    format!("msg_01Fake{:016}", ctx.id)
}

fn message_object(ctx: &Ctx, request: &Value) -> Value {
    let mut content = Vec::new();
    if ctx.script.anthropic_thinking_events > 0 {
        content.push(json!({
            "type": "thinking",
            "thinking": ctx.script.thinking_tokens().concat(),
            "signature": thinking_signature(ctx.id),
        }));
    }
    content.push(json!({ "type": "text", "text": ctx.script.text() }));
    json!({
        "id": anthropic_message_id(ctx),
        "type": "message",
        "role": "assistant",
        "model": model_of(ctx, request, "claude-sonnet-4-5"),
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": anthropic_usage(&ctx.script.usage, ctx.script.usage.output_tokens),
    })
}

fn messages_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let script = &ctx.script;
    let usage = &script.usage;
    let mut events = Vec::new();
    let mut push = |name: &str, data: Value| events.push(sse_event(name, &data));
    push(
        "message_start",
        json!({
            "type": "message_start",
            "message": {
                "id": anthropic_message_id(ctx),
                "type": "message",
                "role": "assistant",
                "model": model_of(ctx, request, "claude-sonnet-4-5"),
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": anthropic_usage(usage, 1),
            },
        }),
    );
    let mut index = 0;
    let mut pinged = false;
    let mut ping = |push: &mut dyn FnMut(&str, Value)| {
        if !pinged {
            pinged = true;
            push("ping", json!({ "type": "ping" }));
            if script.unknown_event {
                push(
                    "future_event",
                    json!({ "type": "future_event", "detail": { "note": "not yet documented" } }),
                );
            }
        }
    };
    if script.anthropic_thinking_events > 0 {
        push(
            "content_block_start",
            json!({
                "type": "content_block_start",
                "index": index,
                "content_block": { "type": "thinking", "thinking": "", "signature": "" },
            }),
        );
        ping(&mut push);
        for piece in script.thinking_tokens() {
            push(
                "content_block_delta",
                json!({
                    "type": "content_block_delta",
                    "index": index,
                    "delta": { "type": "thinking_delta", "thinking": piece },
                }),
            );
        }
        push(
            "content_block_delta",
            json!({
                "type": "content_block_delta",
                "index": index,
                "delta": { "type": "signature_delta", "signature": thinking_signature(ctx.id) },
            }),
        );
        push(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        );
        index += 1;
    }
    push(
        "content_block_start",
        json!({
            "type": "content_block_start",
            "index": index,
            "content_block": { "type": "text", "text": "" },
        }),
    );
    ping(&mut push);
    for token in script.tokens() {
        push(
            "content_block_delta",
            json!({
                "type": "content_block_delta",
                "index": index,
                "delta": { "type": "text_delta", "text": token },
            }),
        );
    }
    push(
        "content_block_stop",
        json!({ "type": "content_block_stop", "index": index }),
    );
    let delta_usage = if script.anthropic_delta_repeats_input {
        json!({
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_write_tokens(),
            "cache_read_input_tokens": usage.cached_tokens,
            "output_tokens": usage.output_tokens,
        })
    } else {
        json!({ "output_tokens": usage.output_tokens })
    };
    push(
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": "end_turn", "stop_sequence": null },
            "usage": delta_usage,
        }),
    );
    push("message_stop", json!({ "type": "message_stop" }));
    events
}

// ---- Embeddings, images, models ----

/// Deterministic unit-ish vector components in (-1, 1).
fn embedding_values(input_index: usize, dims: usize) -> Vec<f32> {
    (0..dims)
        .map(|j| {
            let x = ((input_index * 31 + j * 17) % 200) as f32;
            (x - 100.0) / 1000.0
        })
        .collect()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn embeddings(ctx: &Ctx, request: &Value) -> Value {
    let inputs = match &request["input"] {
        Value::Array(items) if !items.is_empty() => {
            // An array of token ids is one input; an array of strings or of arrays is many.
            if items.iter().all(Value::is_number) {
                1
            } else {
                items.len()
            }
        }
        _ => 1,
    };
    let dims = request["dimensions"]
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(ctx.script.embedding_dimensions);
    let base64 = request["encoding_format"].as_str() == Some("base64");
    let data: Vec<Value> = (0..inputs)
        .map(|i| {
            let values = embedding_values(i, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                json!(base64_encode(&bytes))
            } else {
                json!(values)
            };
            json!({ "object": "embedding", "index": i, "embedding": embedding })
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model_of(ctx, request, "text-embedding-3-small"),
        "usage": {
            "prompt_tokens": ctx.script.usage.input_tokens,
            "total_tokens": ctx.script.usage.input_tokens,
        },
    })
}

fn images(ctx: &Ctx, request: &Value) -> Value {
    let model = model_of(ctx, request, "dall-e-2");
    let n = request["n"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1);
    let gpt_image = model.starts_with("gpt-image");
    let as_url = !gpt_image && request["response_format"].as_str() == Some("url");
    let data: Vec<Value> = (0..n)
        .map(|i| {
            let mut item = if as_url {
                json!({ "url": format!("https://images.fake-upstream.invalid/{}/{i}.png", ctx.id) })
            } else {
                json!({ "b64_json": PNG_1X1_B64 })
            };
            if model == "dall-e-3" {
                item["revised_prompt"] = request["prompt"].clone();
            }
            item
        })
        .collect();
    let mut body = json!({ "created": now_secs(), "data": data });
    if gpt_image {
        body["background"] = json!("opaque");
        body["output_format"] = json!("png");
        body["quality"] = request.get("quality").cloned().unwrap_or(json!("medium"));
        body["size"] = request.get("size").cloned().unwrap_or(json!("1024x1024"));
    }
    if ctx.script.image_usage.unwrap_or(gpt_image) {
        let usage = &ctx.script.usage;
        body["usage"] = json!({
            "input_tokens": usage.input_tokens,
            "input_tokens_details": { "image_tokens": 0, "text_tokens": usage.input_tokens },
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens(),
        });
    }
    body
}

fn models(ctx: &Ctx) -> Value {
    match ctx.provider {
        Provider::OpenAi => json!({
            "object": "list",
            "data": ctx.models.iter().map(|id| json!({
                "id": id,
                "object": "model",
                "created": 1_715_367_049,
                "owned_by": if id.starts_with("claude") { "anthropic" } else { "system" },
            })).collect::<Vec<_>>(),
        }),
        Provider::Anthropic => json!({
            "data": ctx.models.iter().map(|id| json!({
                "type": "model",
                "id": id,
                "display_name": id,
                "created_at": "2025-09-29T00:00:00Z",
            })).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": ctx.models.first(),
            "last_id": ctx.models.last(),
        }),
    }
}
