//! The validated configuration the gateway runs with: every value present and checked. How the
//! layers become it is `validate.rs`; how it is printed back is `print.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codexkey_common::Secret;
use serde::Serialize;

use super::currencies::CurrencyConfig;
use super::upstreams::UpstreamConfig;

/// The validated configuration the gateway runs with.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    /// Threads that serve connections, each with its own event loop (see `server`).
    pub workers: usize,
    pub data_dir: PathBuf,
    pub database: Database,
    pub log: String,
    /// Encrypts upstream keys stored in the database; without it, upstreams can only be
    /// configured in the file or environment.
    pub master_key: Option<Secret<String>>,
    pub server: ServerConfig,
    pub admin: AdminBootstrap,
    pub auth: AuthConfig,
    pub proxy: ProxyConfig,
    pub metering: MeteringConfig,
    pub upstream: UpstreamTuning,
    pub upstreams: Vec<UpstreamConfig>,
    /// Display-currency rates by code; amounts are converted with them only when shown.
    pub currencies: BTreeMap<String, CurrencyConfig>,
    /// The file that was read, if any (shown by `--print-config`).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Database {
    Sqlite { path: PathBuf },
}

/// Who becomes the first admin when the gateway starts on an empty database.
#[derive(Debug, Clone, Serialize)]
pub struct AdminBootstrap {
    pub email: String,
    /// `None`: generate one and print it once.
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthConfig {
    #[serde(rename = "session_ttl_secs", serialize_with = "as_secs")]
    pub session_ttl: Duration,
    pub allow_registration: bool,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
}

/// Limits on client connections, so slow or idle clients cannot exhaust the gateway.
#[derive(Debug, Clone, Serialize)]
pub struct ServerConfig {
    /// The longest a connection may take to send a request's headers, counted from when the
    /// gateway starts waiting for them (HTTP/1; it also bounds a kept-alive connection's wait
    /// for its next request).
    #[serde(rename = "header_read_timeout_secs", serialize_with = "as_secs")]
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed (HTTP/1 and HTTP/2).
    #[serde(rename = "idle_timeout_secs", serialize_with = "as_secs")]
    pub idle_timeout: Duration,
    /// Connections open at once; beyond it a new connection gets a bare 503 and is closed.
    pub max_connections: usize,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProxyConfig {
    /// Largest accepted data-plane request body. Agent sessions send the whole history each
    /// turn, so this is tens of MB, not the 2 MB of the management API.
    pub body_limit_mb: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeteringConfig {
    /// Global margin in parts per million (200000 = +20%).
    pub margin_ppm: i64,
    /// The most one request may hold, in micro-credits.
    pub max_hold_micros: i64,
    /// After a client disconnects mid-stream, how long the gateway keeps reading upstream for
    /// its final usage before charging an estimate instead.
    #[serde(rename = "disconnect_drain_secs", serialize_with = "as_secs")]
    pub disconnect_drain: Duration,
    /// Output tokens assumed for a hold when the request sets no maximum and the price table
    /// knows none for the model.
    pub default_max_output_tokens: u64,
    /// How long the group-commit writer gathers metering writes before one transaction.
    #[serde(rename = "commit_interval_ms", serialize_with = "as_millis")]
    pub commit_interval: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamTuning {
    #[serde(rename = "connect_timeout_secs", serialize_with = "as_secs")]
    pub connect_timeout: Duration,
    /// Until response headers arrive; non-streamed generations can take minutes.
    #[serde(rename = "first_byte_timeout_secs", serialize_with = "as_secs")]
    pub first_byte_timeout: Duration,
    /// Longest silence between two reads of a response body.
    #[serde(rename = "idle_timeout_secs", serialize_with = "as_secs")]
    pub idle_timeout: Duration,
    /// How long a key that failed (429, 5xx, refused) is skipped.
    #[serde(rename = "cooldown_secs", serialize_with = "as_secs")]
    pub cooldown: Duration,
    /// Attempts per request across keys and providers.
    pub max_attempts: u32,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}
