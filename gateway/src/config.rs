//! Gateway configuration: defaults < TOML file < `CODEXKEY_*` environment < command-line flags.
//!
//! Each layer is parsed into an all-`Option` [`RawConfig`]; [`Config::load`] merges them with an
//! explicit `flag.or(env).or(file).unwrap_or(default)` chain and validates the result into an
//! `Option`-free [`Config`]. Nothing here reads the process environment directly: the caller
//! passes a lookup function, so precedence is testable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codexkey_common::Secret;
use codexkey_common::currency::{BASE_CURRENCY, Rate, is_currency_code};
use serde::{Deserialize, Serialize};

/// Environment variables the gateway reads, one constant each. Nested settings use `__`.
pub mod env {
    pub const CONFIG: &str = "CODEXKEY_CONFIG";
    pub const LISTEN: &str = "CODEXKEY_LISTEN";
    pub const WORKERS: &str = "CODEXKEY_WORKERS";
    pub const DATA_DIR: &str = "CODEXKEY_DATA_DIR";
    pub const DATABASE_URL: &str = "CODEXKEY_DATABASE_URL";
    pub const LOG: &str = "CODEXKEY_LOG";
    /// 64 hex characters: encrypts upstream keys added through the admin API.
    pub const MASTER_KEY: &str = "CODEXKEY_MASTER_KEY";
    pub const ADMIN_EMAIL: &str = "CODEXKEY_ADMIN_EMAIL";
    pub const ADMIN_PASSWORD: &str = "CODEXKEY_ADMIN_PASSWORD";
    pub const AUTH_SESSION_TTL_SECS: &str = "CODEXKEY_AUTH__SESSION_TTL_SECS";
    pub const AUTH_ALLOW_REGISTRATION: &str = "CODEXKEY_AUTH__ALLOW_REGISTRATION";
    pub const AUTH_ARGON2_MEMORY_KIB: &str = "CODEXKEY_AUTH__ARGON2_MEMORY_KIB";
    pub const AUTH_ARGON2_ITERATIONS: &str = "CODEXKEY_AUTH__ARGON2_ITERATIONS";
    pub const AUTH_ARGON2_PARALLELISM: &str = "CODEXKEY_AUTH__ARGON2_PARALLELISM";
    pub const PROXY_BODY_LIMIT_MB: &str = "CODEXKEY_PROXY__BODY_LIMIT_MB";
    pub const METERING_MARGIN_PERCENT: &str = "CODEXKEY_METERING__MARGIN_PERCENT";
    pub const METERING_MAX_HOLD_CREDITS: &str = "CODEXKEY_METERING__MAX_HOLD_CREDITS";
    pub const METERING_ADMISSION: &str = "CODEXKEY_METERING__ADMISSION";
    pub const METERING_DISCONNECT_DRAIN_SECS: &str = "CODEXKEY_METERING__DISCONNECT_DRAIN_SECS";
    pub const METERING_COMMIT_INTERVAL_MS: &str = "CODEXKEY_METERING__COMMIT_INTERVAL_MS";
    pub const METERING_DEFAULT_MAX_OUTPUT_TOKENS: &str =
        "CODEXKEY_METERING__DEFAULT_MAX_OUTPUT_TOKENS";
    pub const SERVER_HEADER_READ_TIMEOUT_SECS: &str = "CODEXKEY_SERVER__HEADER_READ_TIMEOUT_SECS";
    pub const SERVER_IDLE_TIMEOUT_SECS: &str = "CODEXKEY_SERVER__IDLE_TIMEOUT_SECS";
    pub const SERVER_MAX_CONNECTIONS: &str = "CODEXKEY_SERVER__MAX_CONNECTIONS";
    pub const SERVER_HTTP2_MAX_CONCURRENT_STREAMS: &str =
        "CODEXKEY_SERVER__HTTP2_MAX_CONCURRENT_STREAMS";
    pub const UPSTREAM_CONNECT_TIMEOUT_SECS: &str = "CODEXKEY_UPSTREAM__CONNECT_TIMEOUT_SECS";
    pub const UPSTREAM_FIRST_BYTE_TIMEOUT_SECS: &str = "CODEXKEY_UPSTREAM__FIRST_BYTE_TIMEOUT_SECS";
    pub const UPSTREAM_IDLE_TIMEOUT_SECS: &str = "CODEXKEY_UPSTREAM__IDLE_TIMEOUT_SECS";
    pub const UPSTREAM_COOLDOWN_SECS: &str = "CODEXKEY_UPSTREAM__COOLDOWN_SECS";
    pub const UPSTREAM_MAX_ATTEMPTS: &str = "CODEXKEY_UPSTREAM__MAX_ATTEMPTS";
    /// Shortcuts that define the `openai` and `anthropic` upstreams without a config file.
    /// Keys may be comma-separated.
    pub const OPENAI_API_KEY: &str = "CODEXKEY_OPENAI_API_KEY";
    pub const OPENAI_BASE_URL: &str = "CODEXKEY_OPENAI_BASE_URL";
    pub const ANTHROPIC_API_KEY: &str = "CODEXKEY_ANTHROPIC_API_KEY";
    pub const ANTHROPIC_BASE_URL: &str = "CODEXKEY_ANTHROPIC_BASE_URL";
    /// Display-currency rates, `CODE=RATE@DATE` separated by commas
    /// (`RUB=92.5312@2026-11-20,EUR=0.9215@2026-11-20`); each replaces the file's entry.
    pub const CURRENCIES: &str = "CODEXKEY_CURRENCIES";
}

/// An annotated example configuration, shipped in the binary.
pub const EXAMPLE_CONFIG: &str = include_str!("../codexkey.example.toml");

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
const DEFAULT_SESSION_TTL_SECS: u64 = 30 * 24 * 3600;
/// argon2id at m=7 MiB, t=5, p=1: one of the configurations OWASP's Password Storage Cheat
/// Sheet lists as equivalent in strength (with m=19 MiB, t=2). The smaller memory keeps the
/// gateway's footprint low: each hash holds its memory while it runs.
const DEFAULT_ARGON2_MEMORY_KIB: u32 = 7 * 1024;
const DEFAULT_ARGON2_ITERATIONS: u32 = 5;
const DEFAULT_ARGON2_PARALLELISM: u32 = 1;
const DEFAULT_BODY_LIMIT_MB: u64 = 64;
/// Five credits: enough for the worst case of one long agent turn on a top model.
const DEFAULT_MAX_HOLD_MICROS: i64 = 5_000_000;
const DEFAULT_DRAIN_SECS: u64 = 30;
/// Long enough for most requests' hold and settlement to share a batch (so the hold is never
/// written), short enough that a crash loses holds of only a few milliseconds.
const DEFAULT_COMMIT_INTERVAL_MS: u64 = 5;
const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 4096;

/// How admission bounds a request's hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Admission {
    /// The hold is the request's worst case and must fit in the available balance; charges
    /// never exceed their hold. No balance goes below zero.
    #[default]
    Bounded,
    /// The hold is an estimate capped by configuration and a request needs only a positive
    /// available balance; concurrent requests may overdraw by their holds.
    Capped,
}

/// One layer of configuration, every field optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: Option<String>,
    /// Threads that serve connections; 0 or absent: one per CPU.
    pub workers: Option<usize>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log: Option<String>,
    pub master_key: Option<Secret<String>>,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub auth: RawAuth,
    #[serde(default)]
    pub proxy: RawProxy,
    #[serde(default)]
    pub metering: RawMetering,
    #[serde(default)]
    pub upstream: RawUpstreamTuning,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstreams: Vec<RawUpstream>,
    /// Display currencies by ISO 4217 code: `[currencies.RUB] rate = "92.5312" date = "…"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub currencies: BTreeMap<String, RawCurrency>,
}

/// How the gateway treats client connections.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub header_read_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub http2_max_concurrent_streams: Option<u32>,
}

/// A decimal setting (credits, percent), written as a TOML string (`"2.5"`) or integer (`5`).
/// Never a float: its binary value is not the decimal the operator wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DecimalText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a decimal string such as \"2.5\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<DecimalText, E> {
                Err(E::custom(format!(
                    "write {v} as a string (\"{v}\"): a TOML float is not an exact decimal"
                )))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A display currency: how many of its units one credit (1 USD) is worth, and as of when.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCurrency {
    /// An exact decimal string (`"92.5312"`), never a float.
    pub rate: Option<String>,
    /// The day the rate was taken (`"2026-11-20"`), shown with every converted amount.
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProxy {
    pub body_limit_mb: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetering {
    /// A global margin on every price, in percent (`20`, `"2.5"`).
    pub margin_percent: Option<DecimalText>,
    /// The most one request may hold, in credits (`5`, `"2.5"`).
    pub admission: Option<String>,
    pub max_hold_credits: Option<DecimalText>,
    pub disconnect_drain_secs: Option<u64>,
    pub default_max_output_tokens: Option<u64>,
    pub commit_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstreamTuning {
    pub connect_timeout_secs: Option<u64>,
    pub first_byte_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub cooldown_secs: Option<u64>,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub name: String,
    pub provider: Provider,
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Secret<String>>,
    /// Model names or `*` patterns this upstream serves; absent: the models the price table
    /// lists for its provider.
    pub models: Option<Vec<String>>,
    /// Where this upstream was defined; set by the layer that read it, never read from a file.
    #[serde(skip)]
    pub origin: UpstreamOrigin,
}

/// Where a configured upstream comes from, so that a message can say where to change it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamOrigin {
    /// The configuration file that defines it.
    pub file: Option<PathBuf>,
    /// The environment variables that define it (`CODEXKEY_OPENAI_API_KEY`, …).
    pub env: Vec<&'static str>,
}

impl UpstreamOrigin {
    /// `the environment variable `X`` / `the configuration file `F`` / both, for messages.
    pub fn describe(&self) -> String {
        let env = match self.env.as_slice() {
            [] => None,
            [one] => Some(format!("the environment variable `{one}`")),
            many => Some(format!(
                "the environment variables {}",
                many.iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        };
        let file = self
            .file
            .as_ref()
            .map(|f| format!("the configuration file `{}`", f.display()));
        match (env, file) {
            (Some(e), Some(f)) => format!("{e} and {f}"),
            (Some(e), None) => e,
            (None, Some(f)) => f,
            (None, None) => "the gateway's configuration".into(),
        }
    }
}

/// The kinds of upstream API the gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// api.openai.com: chat completions, Responses, embeddings, images.
    Openai,
    /// api.anthropic.com: Messages and count_tokens.
    Anthropic,
    /// Any OpenAI-compatible API (Gemini's and xAI's OpenAI endpoints, vLLM, …).
    OpenaiCompatible,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::OpenaiCompatible => "openai_compatible",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        match s {
            "openai" => Some(Self::Openai),
            "anthropic" => Some(Self::Anthropic),
            "openai_compatible" => Some(Self::OpenaiCompatible),
            _ => None,
        }
    }

    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Openai => Some("https://api.openai.com"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::OpenaiCompatible => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub email: Option<String>,
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub session_ttl_secs: Option<u64>,
    pub allow_registration: Option<bool>,
    pub argon2_memory_kib: Option<u32>,
    pub argon2_iterations: Option<u32>,
    pub argon2_parallelism: Option<u32>,
}

/// What the command line may set: the highest-precedence layer.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

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
    /// How a request's hold is bounded: `bounded` (never overdraws) or `capped`.
    #[serde(serialize_with = "as_admission")]
    pub admission: Admission,
    /// The most one request may hold under `capped` admission, in micro-credits.
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

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamConfig {
    pub name: String,
    pub provider: Provider,
    pub base_url: String,
    pub keys: Vec<Secret<String>>,
    pub models: Option<Vec<String>>,
    /// Where it was defined (configuration file, environment); default for the database's.
    #[serde(skip)]
    pub origin: UpstreamOrigin,
}

/// A validated display-currency rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyConfig {
    /// Units of the currency per credit.
    pub rate: Rate,
    pub date: chrono::NaiveDate,
}

fn admission_name(a: Admission) -> &'static str {
    match a {
        Admission::Bounded => "bounded",
        Admission::Capped => "capped",
    }
}

fn as_admission<S: serde::Serializer>(a: &Admission, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(admission_name(*a))
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("no data directory: this platform has none by default; pass `--data-dir DIR`")]
    NoDataDir,
}

impl RawConfig {
    pub fn from_toml(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        // serde_path_to_error names the key path (`auth.argon2_iterations`) in type errors.
        let de = toml::Deserializer::parse(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut raw: RawConfig =
            serde_path_to_error::deserialize(de).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        for u in &mut raw.upstreams {
            u.origin.file = Some(path.to_owned());
        }
        Ok(raw)
    }

    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<RawConfig, ConfigError> {
        Ok(RawConfig {
            listen: get(env::LISTEN),
            workers: parse_env(get, env::WORKERS)?,
            data_dir: get(env::DATA_DIR).map(PathBuf::from),
            database_url: get(env::DATABASE_URL),
            log: get(env::LOG),
            master_key: get(env::MASTER_KEY).map(Secret::new),
            server: RawServer {
                header_read_timeout_secs: parse_env(get, env::SERVER_HEADER_READ_TIMEOUT_SECS)?,
                idle_timeout_secs: parse_env(get, env::SERVER_IDLE_TIMEOUT_SECS)?,
                max_connections: parse_env(get, env::SERVER_MAX_CONNECTIONS)?,
                http2_max_concurrent_streams: parse_env(
                    get,
                    env::SERVER_HTTP2_MAX_CONCURRENT_STREAMS,
                )?,
            },
            admin: RawAdmin {
                email: get(env::ADMIN_EMAIL),
                password: get(env::ADMIN_PASSWORD).map(Secret::new),
            },
            auth: RawAuth {
                session_ttl_secs: parse_env(get, env::AUTH_SESSION_TTL_SECS)?,
                allow_registration: parse_env(get, env::AUTH_ALLOW_REGISTRATION)?,
                argon2_memory_kib: parse_env(get, env::AUTH_ARGON2_MEMORY_KIB)?,
                argon2_iterations: parse_env(get, env::AUTH_ARGON2_ITERATIONS)?,
                argon2_parallelism: parse_env(get, env::AUTH_ARGON2_PARALLELISM)?,
            },
            proxy: RawProxy {
                body_limit_mb: parse_env(get, env::PROXY_BODY_LIMIT_MB)?,
            },
            metering: RawMetering {
                margin_percent: get(env::METERING_MARGIN_PERCENT).map(DecimalText),
                admission: get(env::METERING_ADMISSION),
                max_hold_credits: get(env::METERING_MAX_HOLD_CREDITS).map(DecimalText),
                disconnect_drain_secs: parse_env(get, env::METERING_DISCONNECT_DRAIN_SECS)?,
                default_max_output_tokens: parse_env(get, env::METERING_DEFAULT_MAX_OUTPUT_TOKENS)?,
                commit_interval_ms: parse_env(get, env::METERING_COMMIT_INTERVAL_MS)?,
            },
            upstream: RawUpstreamTuning {
                connect_timeout_secs: parse_env(get, env::UPSTREAM_CONNECT_TIMEOUT_SECS)?,
                first_byte_timeout_secs: parse_env(get, env::UPSTREAM_FIRST_BYTE_TIMEOUT_SECS)?,
                idle_timeout_secs: parse_env(get, env::UPSTREAM_IDLE_TIMEOUT_SECS)?,
                cooldown_secs: parse_env(get, env::UPSTREAM_COOLDOWN_SECS)?,
                max_attempts: parse_env(get, env::UPSTREAM_MAX_ATTEMPTS)?,
            },
            upstreams: env_upstreams(get),
            currencies: env_currencies(get)?,
        })
    }

    /// `self` wins over `lower` field by field.
    fn or(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            listen: self.listen.or(lower.listen),
            workers: self.workers.or(lower.workers),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            log: self.log.or(lower.log),
            master_key: self.master_key.or(lower.master_key),
            server: RawServer {
                header_read_timeout_secs: self
                    .server
                    .header_read_timeout_secs
                    .or(lower.server.header_read_timeout_secs),
                idle_timeout_secs: self
                    .server
                    .idle_timeout_secs
                    .or(lower.server.idle_timeout_secs),
                max_connections: self.server.max_connections.or(lower.server.max_connections),
                http2_max_concurrent_streams: self
                    .server
                    .http2_max_concurrent_streams
                    .or(lower.server.http2_max_concurrent_streams),
            },
            admin: RawAdmin {
                email: self.admin.email.or(lower.admin.email),
                password: self.admin.password.or(lower.admin.password),
            },
            auth: RawAuth {
                session_ttl_secs: self.auth.session_ttl_secs.or(lower.auth.session_ttl_secs),
                allow_registration: self
                    .auth
                    .allow_registration
                    .or(lower.auth.allow_registration),
                argon2_memory_kib: self.auth.argon2_memory_kib.or(lower.auth.argon2_memory_kib),
                argon2_iterations: self.auth.argon2_iterations.or(lower.auth.argon2_iterations),
                argon2_parallelism: self
                    .auth
                    .argon2_parallelism
                    .or(lower.auth.argon2_parallelism),
            },
            proxy: RawProxy {
                body_limit_mb: self.proxy.body_limit_mb.or(lower.proxy.body_limit_mb),
            },
            metering: RawMetering {
                margin_percent: self
                    .metering
                    .margin_percent
                    .or(lower.metering.margin_percent),
                admission: self.metering.admission.or(lower.metering.admission),
                max_hold_credits: self
                    .metering
                    .max_hold_credits
                    .or(lower.metering.max_hold_credits),
                disconnect_drain_secs: self
                    .metering
                    .disconnect_drain_secs
                    .or(lower.metering.disconnect_drain_secs),
                default_max_output_tokens: self
                    .metering
                    .default_max_output_tokens
                    .or(lower.metering.default_max_output_tokens),
                commit_interval_ms: self
                    .metering
                    .commit_interval_ms
                    .or(lower.metering.commit_interval_ms),
            },
            upstream: RawUpstreamTuning {
                connect_timeout_secs: self
                    .upstream
                    .connect_timeout_secs
                    .or(lower.upstream.connect_timeout_secs),
                first_byte_timeout_secs: self
                    .upstream
                    .first_byte_timeout_secs
                    .or(lower.upstream.first_byte_timeout_secs),
                idle_timeout_secs: self
                    .upstream
                    .idle_timeout_secs
                    .or(lower.upstream.idle_timeout_secs),
                cooldown_secs: self.upstream.cooldown_secs.or(lower.upstream.cooldown_secs),
                max_attempts: self.upstream.max_attempts.or(lower.upstream.max_attempts),
            },
            upstreams: merge_upstreams(self.upstreams, lower.upstreams),
            currencies: {
                // A higher layer's entry replaces the lower one's whole (a rate and its date
                // belong together).
                let mut merged = lower.currencies;
                merged.extend(self.currencies);
                merged
            },
        }
    }
}

/// Upstreams of a higher layer replace those of a lower one with the same name, field by
/// field where given; the rest are kept, in the lower layer's order first.
fn merge_upstreams(higher: Vec<RawUpstream>, mut lower: Vec<RawUpstream>) -> Vec<RawUpstream> {
    for h in higher {
        match lower.iter_mut().find(|l| l.name == h.name) {
            Some(l) => {
                l.provider = h.provider;
                if h.base_url.is_some() {
                    l.base_url = h.base_url;
                }
                if !h.keys.is_empty() {
                    l.keys = h.keys;
                }
                if h.models.is_some() {
                    l.models = h.models;
                }
                l.origin.env.extend(h.origin.env);
                if l.origin.file.is_none() {
                    l.origin.file = h.origin.file;
                }
            }
            None => lower.push(h),
        }
    }
    lower
}

/// The `openai` and `anthropic` upstreams implied by `CODEXKEY_{OPENAI,ANTHROPIC}_{API_KEY,BASE_URL}`.
fn env_upstreams(get: &dyn Fn(&str) -> Option<String>) -> Vec<RawUpstream> {
    let mut out = Vec::new();
    for (name, provider, key_var, url_var) in [
        (
            "openai",
            Provider::Openai,
            env::OPENAI_API_KEY,
            env::OPENAI_BASE_URL,
        ),
        (
            "anthropic",
            Provider::Anthropic,
            env::ANTHROPIC_API_KEY,
            env::ANTHROPIC_BASE_URL,
        ),
    ] {
        let keys: Vec<Secret<String>> = get(key_var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| Secret::new(k.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let base_url = get(url_var);
        if !keys.is_empty() || base_url.is_some() {
            let mut env = Vec::new();
            if !keys.is_empty() {
                env.push(key_var);
            }
            if base_url.is_some() {
                env.push(url_var);
            }
            out.push(RawUpstream {
                name: name.to_owned(),
                provider,
                base_url,
                keys,
                models: None,
                origin: UpstreamOrigin { file: None, env },
            });
        }
    }
    out
}

/// `CODEXKEY_CURRENCIES`: `CODE=RATE@DATE`, comma-separated. Validated with the file's entries.
fn env_currencies(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, RawCurrency>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(v) = get(env::CURRENCIES) else {
        return Ok(out);
    };
    for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let parsed = item
            .split_once('=')
            .and_then(|(code, rest)| rest.split_once('@').map(|(rate, date)| (code, rate, date)));
        let Some((code, rate, date)) = parsed else {
            return Err(ConfigError::Invalid {
                key: env::CURRENCIES.to_owned(),
                message: format!("`{item}`: write `CODE=RATE@DATE`, e.g. `RUB=92.5312@2026-11-20`"),
            });
        };
        out.insert(
            code.trim().to_owned(),
            RawCurrency {
                rate: Some(rate.trim().to_owned()),
                date: Some(date.trim().to_owned()),
            },
        );
    }
    Ok(out)
}

/// Validates display-currency entries: a code of three capital letters (not the base
/// currency), an exact positive rate, and a date.
fn validate_currencies(
    raw: BTreeMap<String, RawCurrency>,
) -> Result<BTreeMap<String, CurrencyConfig>, ConfigError> {
    let mut out = BTreeMap::new();
    for (code, c) in raw {
        let key = format!("currencies.{code}");
        let invalid = |key: String, message: String| ConfigError::Invalid { key, message };
        if !is_currency_code(&code) {
            return Err(invalid(
                key,
                "a currency code is three capital letters, like `RUB`".into(),
            ));
        }
        if code == BASE_CURRENCY {
            return Err(invalid(
                key,
                format!("credits are {BASE_CURRENCY}: its rate is always 1"),
            ));
        }
        let rate = c
            .rate
            .ok_or_else(|| invalid(format!("{key}.rate"), "is required".into()))?
            .parse::<Rate>()
            .map_err(|e| invalid(format!("{key}.rate"), e.to_string()))?;
        let date_text = c.date.ok_or_else(|| {
            invalid(
                format!("{key}.date"),
                "is required: the day the rate was taken".into(),
            )
        })?;
        let date = chrono::NaiveDate::parse_from_str(&date_text, "%Y-%m-%d").map_err(|e| {
            invalid(
                format!("{key}.date"),
                format!("`{date_text}` is not a date like 2026-11-20 ({e})"),
            )
        })?;
        out.insert(code, CurrencyConfig { rate, date });
    }
    Ok(out)
}

fn parse_env<T: std::str::FromStr>(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    get(key)
        .map(|v| {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
                key: key.to_owned(),
                message: format!("`{v}`: {e}"),
            })
        })
        .transpose()
}

impl Config {
    /// Reads the file named by `--config` or `CODEXKEY_CONFIG` (if any), the environment through
    /// `get`, and the flags, and merges them with flags winning.
    pub fn load(flags: Flags, get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let path = flags
            .config
            .clone()
            .or_else(|| get(env::CONFIG).map(PathBuf::from));
        let file = match &path {
            Some(p) => RawConfig::from_toml(p)?,
            None => RawConfig::default(),
        };
        let env = RawConfig::from_env(get)?;
        let flag_layer = RawConfig {
            listen: flags.listen,
            data_dir: flags.data_dir,
            ..RawConfig::default()
        };
        let mut config = Config::validate(flag_layer.or(env).or(file))?;
        config.source = path;
        Ok(config)
    }

    pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_owned(),
            message,
        };
        let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|e| {
            invalid(
                "listen",
                format!("`{listen_text}` is not an address like 127.0.0.1:8080 ({e})"),
            )
        })?;
        let data_dir = match raw.data_dir {
            Some(d) => d,
            None => dirs::data_dir()
                .ok_or(ConfigError::NoDataDir)?
                .join("codexkey"),
        };
        let database = match raw.database_url {
            None => Database::Sqlite {
                path: data_dir.join("codexkey.db"),
            },
            Some(url) => {
                parse_database_url(&url, &data_dir).map_err(|m| invalid("database_url", m))?
            }
        };
        let admin_email = raw
            .admin
            .email
            .map(|e| e.trim().to_lowercase())
            .unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.to_owned());
        let auth = AuthConfig {
            session_ttl: Duration::from_secs(
                raw.auth
                    .session_ttl_secs
                    .unwrap_or(DEFAULT_SESSION_TTL_SECS),
            ),
            allow_registration: raw.auth.allow_registration.unwrap_or(true),
            argon2_memory_kib: raw
                .auth
                .argon2_memory_kib
                .unwrap_or(DEFAULT_ARGON2_MEMORY_KIB),
            argon2_iterations: raw
                .auth
                .argon2_iterations
                .unwrap_or(DEFAULT_ARGON2_ITERATIONS),
            argon2_parallelism: raw
                .auth
                .argon2_parallelism
                .unwrap_or(DEFAULT_ARGON2_PARALLELISM),
        };
        if auth.session_ttl.is_zero() {
            return Err(invalid(
                "auth.session_ttl_secs",
                "must be at least 1".into(),
            ));
        }
        // Argon2's own limits: m >= 8*p KiB, t >= 1, 1 <= p <= 2^24-1.
        argon2::Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| invalid("auth.argon2_*", e.to_string()))?;
        let parse_credits = |key: &str, v: &str| {
            v.parse::<codexkey_common::Micros>()
                .map_err(|e| invalid(key, e.to_string()))
        };
        let margin_ppm = match raw.metering.margin_percent.as_ref().map(|d| d.0.as_str()) {
            // Percent with up to 4 decimals: parsed as credits (6 decimals) then scaled: 1% = 10_000 ppm.
            Some(v) => parse_credits("metering.margin_percent", v)?.0 / 100,
            None => 0,
        };
        if margin_ppm < 0 {
            return Err(invalid(
                "metering.margin_percent",
                "must not be negative".into(),
            ));
        }
        let max_hold_micros = match raw.metering.max_hold_credits.as_ref().map(|d| d.0.as_str()) {
            Some(v) => parse_credits("metering.max_hold_credits", v)?.0,
            None => DEFAULT_MAX_HOLD_MICROS,
        };
        if max_hold_micros <= 0 {
            return Err(invalid(
                "metering.max_hold_credits",
                "must be positive".into(),
            ));
        }
        let admission = match raw.metering.admission.as_deref() {
            None | Some("bounded") => Admission::Bounded,
            Some("capped") => Admission::Capped,
            Some(other) => {
                return Err(invalid(
                    "metering.admission",
                    format!("`{other}` is not `bounded` or `capped`"),
                ));
            }
        };
        let metering = MeteringConfig {
            margin_ppm,
            admission,
            max_hold_micros,
            disconnect_drain: Duration::from_secs(
                raw.metering
                    .disconnect_drain_secs
                    .unwrap_or(DEFAULT_DRAIN_SECS),
            ),
            default_max_output_tokens: raw
                .metering
                .default_max_output_tokens
                .unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS),
            commit_interval: Duration::from_millis(
                raw.metering
                    .commit_interval_ms
                    .unwrap_or(DEFAULT_COMMIT_INTERVAL_MS)
                    .min(1000),
            ),
        };
        let secs = |v: Option<u64>, d: u64| Duration::from_secs(v.unwrap_or(d));
        let upstream = UpstreamTuning {
            connect_timeout: secs(raw.upstream.connect_timeout_secs, 10),
            first_byte_timeout: secs(raw.upstream.first_byte_timeout_secs, 600),
            idle_timeout: secs(raw.upstream.idle_timeout_secs, 300),
            cooldown: secs(raw.upstream.cooldown_secs, 30),
            max_attempts: raw.upstream.max_attempts.unwrap_or(3).max(1),
        };
        let master_key = raw.master_key;
        if let Some(k) = &master_key {
            crate::upstream::crypto::MasterKey::from_hex(k.expose())
                .map_err(|e| invalid("master_key", e.to_string()))?;
        }
        let mut upstreams = Vec::new();
        for u in raw.upstreams {
            let key = format!("upstreams.{}", u.name);
            if u.name.is_empty()
                || u.name.len() > 64
                || !u
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid(
                    "upstreams.name",
                    format!("`{}`: use letters, digits, `-` and `_`", u.name),
                ));
            }
            if upstreams.iter().any(|x: &UpstreamConfig| x.name == u.name) {
                return Err(invalid(&key, "defined twice".into()));
            }
            let base_url = match u
                .base_url
                .or_else(|| u.provider.default_base_url().map(str::to_owned))
            {
                Some(b) => b.trim_end_matches('/').to_owned(),
                None => {
                    return Err(invalid(
                        &format!("{key}.base_url"),
                        "is required for `openai_compatible`".into(),
                    ));
                }
            };
            if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                return Err(invalid(
                    &format!("{key}.base_url"),
                    format!("`{base_url}` is not an http(s) URL"),
                ));
            }
            if u.keys.is_empty() {
                return Err(invalid(
                    &format!("{key}.keys"),
                    "needs at least one API key".into(),
                ));
            }
            if u.provider == Provider::OpenaiCompatible && u.models.is_none() {
                return Err(invalid(
                    &format!("{key}.models"),
                    "list the models an `openai_compatible` upstream serves".into(),
                ));
            }
            upstreams.push(UpstreamConfig {
                name: u.name,
                provider: u.provider,
                base_url,
                keys: u.keys,
                models: u.models,
                origin: u.origin,
            });
        }
        Ok(Config {
            listen,
            workers: match raw.workers {
                None | Some(0) => crate::system::default_workers(),
                Some(n) => n,
            },
            data_dir,
            database,
            log: raw.log.unwrap_or_else(|| "info".to_owned()),
            server: ServerConfig {
                header_read_timeout: secs(raw.server.header_read_timeout_secs, 30)
                    .max(Duration::from_secs(1)),
                idle_timeout: secs(raw.server.idle_timeout_secs, 120).max(Duration::from_secs(1)),
                max_connections: match raw.server.max_connections {
                    None | Some(0) => crate::system::default_max_connections(),
                    Some(n) => n,
                },
                http2_max_concurrent_streams: raw
                    .server
                    .http2_max_concurrent_streams
                    .unwrap_or(256)
                    .max(1),
            },
            master_key,
            admin: AdminBootstrap {
                email: admin_email,
                password: raw.admin.password,
            },
            auth,
            proxy: ProxyConfig {
                body_limit_mb: raw
                    .proxy
                    .body_limit_mb
                    .unwrap_or(DEFAULT_BODY_LIMIT_MB)
                    .max(1),
            },
            metering,
            upstream,
            upstreams,
            currencies: validate_currencies(raw.currencies)?,
            source: None,
        })
    }

    /// The effective configuration as a config file: every setting with the value in force
    /// (defaults included), in the file's own vocabulary, so `--config` accepts it unchanged.
    /// Secrets are left out and named in a comment: what `--print-config` shows.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        match &self.source {
            Some(p) => out.push_str(&format!(
                "# effective configuration; read from {}\n",
                p.display()
            )),
            None => out.push_str(
                "# effective configuration; no config file: defaults, environment and flags\n",
            ),
        }
        let mut omitted = Vec::new();
        if self.master_key.is_some() {
            omitted.push(format!("master_key ({})", env::MASTER_KEY));
        }
        if self.admin.password.is_some() {
            omitted.push(format!("admin.password ({})", env::ADMIN_PASSWORD));
        }
        for u in &self.upstreams {
            omitted.push(format!("upstreams.{}.keys ({} set)", u.name, u.keys.len()));
        }
        if !omitted.is_empty() {
            out.push_str(
                "# secrets are not printed; give them in the environment or add them here:\n",
            );
            for o in omitted {
                out.push_str(&format!("#   {o}\n"));
            }
        }
        out.push('\n');
        out.push_str(
            &toml::to_string_pretty(&RawConfig::effective(self))
                .unwrap_or_else(|e| format!("# cannot render: {e}\n")),
        );
        out
    }
}

impl RawConfig {
    /// The file form of a validated configuration, secrets left out.
    fn effective(c: &Config) -> RawConfig {
        let Database::Sqlite { path } = &c.database;
        RawConfig {
            listen: Some(c.listen.to_string()),
            workers: Some(c.workers),
            data_dir: Some(c.data_dir.clone()),
            database_url: Some(format!("sqlite://{}", path.display())),
            log: Some(c.log.clone()),
            master_key: None,
            server: RawServer {
                header_read_timeout_secs: Some(c.server.header_read_timeout.as_secs()),
                idle_timeout_secs: Some(c.server.idle_timeout.as_secs()),
                max_connections: Some(c.server.max_connections),
                http2_max_concurrent_streams: Some(c.server.http2_max_concurrent_streams),
            },
            admin: RawAdmin {
                email: Some(c.admin.email.clone()),
                password: None,
            },
            auth: RawAuth {
                session_ttl_secs: Some(c.auth.session_ttl.as_secs()),
                allow_registration: Some(c.auth.allow_registration),
                argon2_memory_kib: Some(c.auth.argon2_memory_kib),
                argon2_iterations: Some(c.auth.argon2_iterations),
                argon2_parallelism: Some(c.auth.argon2_parallelism),
            },
            proxy: RawProxy {
                body_limit_mb: Some(c.proxy.body_limit_mb),
            },
            metering: RawMetering {
                // ppm back to percent: 1% = 10,000 ppm, written as credits scaled by 100.
                margin_percent: Some(DecimalText(
                    codexkey_common::Micros(c.metering.margin_ppm * 100).to_string(),
                )),
                admission: Some(admission_name(c.metering.admission).to_owned()),
                max_hold_credits: Some(DecimalText(
                    codexkey_common::Micros(c.metering.max_hold_micros).to_string(),
                )),
                disconnect_drain_secs: Some(c.metering.disconnect_drain.as_secs()),
                default_max_output_tokens: Some(c.metering.default_max_output_tokens),
                commit_interval_ms: Some(
                    u64::try_from(c.metering.commit_interval.as_millis()).unwrap_or(u64::MAX),
                ),
            },
            upstream: RawUpstreamTuning {
                connect_timeout_secs: Some(c.upstream.connect_timeout.as_secs()),
                first_byte_timeout_secs: Some(c.upstream.first_byte_timeout.as_secs()),
                idle_timeout_secs: Some(c.upstream.idle_timeout.as_secs()),
                cooldown_secs: Some(c.upstream.cooldown.as_secs()),
                max_attempts: Some(c.upstream.max_attempts),
            },
            upstreams: c
                .upstreams
                .iter()
                .map(|u| RawUpstream {
                    name: u.name.clone(),
                    provider: u.provider,
                    base_url: Some(u.base_url.clone()),
                    keys: Vec::new(),
                    models: u.models.clone(),
                    origin: UpstreamOrigin::default(),
                })
                .collect(),
            currencies: c
                .currencies
                .iter()
                .map(|(code, cur)| {
                    (
                        code.clone(),
                        RawCurrency {
                            rate: Some(cur.rate.to_string()),
                            date: Some(cur.date.format("%Y-%m-%d").to_string()),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// `sqlite:///abs/path.db`, `sqlite://relative.db` (inside the data dir) or `sqlite::memory:`
/// are understood; other schemes are refused by name.
fn parse_database_url(url: &str, data_dir: &Path) -> Result<Database, String> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        if rest.is_empty() {
            return Err(
                "`sqlite://` needs a path, e.g. `sqlite:///var/lib/codexkey/codexkey.db`".into(),
            );
        }
        let p = PathBuf::from(rest);
        let path = if p.is_absolute() { p } else { data_dir.join(p) };
        return Ok(Database::Sqlite { path });
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(format!(
        "`{scheme}` databases are not supported by this build; use `sqlite:///path/to/codexkey.db`"
    ))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("gateway.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(
            Flags {
                data_dir: Some("/tmp/ck".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(c.database, Database::Sqlite { ref path } if path == Path::new("/tmp/ck/codexkey.db"))
        );
        assert_eq!(c.admin.email, "admin@localhost");
        assert!(c.admin.password.is_none());
        assert_eq!(c.auth.session_ttl, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(c.workers, crate::system::default_workers(), "one per CPU");
    }

    #[test]
    fn workers_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "workers = 3\n");
        let flags = || Flags {
            config: Some(file.clone()),
            ..Flags::default()
        };
        assert_eq!(Config::load(flags(), &lookup(&[])).unwrap().workers, 3);
        let env = lookup(&[("CODEXKEY_WORKERS", "5")]);
        assert_eq!(Config::load(flags(), &env).unwrap().workers, 5);
        let env = lookup(&[("CODEXKEY_WORKERS", "0")]);
        assert_eq!(
            Config::load(flags(), &env).unwrap().workers,
            crate::system::default_workers(),
            "0 means one per CPU"
        );
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:1111\"\ndata_dir = \"/from/file\"\nlog = \"debug\"\n[auth]\nsession_ttl_secs = 60\n",
        );
        let env = lookup(&[
            ("CODEXKEY_LISTEN", "127.0.0.1:2222"),
            ("CODEXKEY_DATA_DIR", "/from/env"),
            ("CODEXKEY_AUTH__SESSION_TTL_SECS", "120"),
        ]);
        let flags = Flags {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:3333".into()),
            data_dir: None,
        };
        let c = Config::load(flags, &env).unwrap();
        assert_eq!(c.listen.port(), 3333, "flag wins over env and file");
        assert_eq!(c.data_dir, Path::new("/from/env"), "env wins over file");
        assert_eq!(
            c.auth.session_ttl.as_secs(),
            120,
            "nested env wins over file"
        );
        assert_eq!(c.log, "debug", "file wins over default");
        assert_eq!(c.source.as_deref(), Some(file.as_path()));
    }

    #[test]
    fn config_file_named_by_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:4444\"\ndata_dir = \"/d\"\n",
        );
        let env = lookup(&[("CODEXKEY_CONFIG", file.to_str().unwrap())]);
        let c = Config::load(Flags::default(), &env).unwrap();
        assert_eq!(c.listen.port(), 4444);
    }

    #[test]
    fn upstreams_remember_where_they_were_defined() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "[[upstreams]]\nname = \"openai\"\nprovider = \"openai\"\nkeys = [\"sk-f\"]\n\
             [[upstreams]]\nname = \"acme\"\nprovider = \"openai_compatible\"\n\
             base_url = \"http://a\"\nkeys = [\"sk-a\"]\nmodels = [\"a\"]\n",
        );
        let env = lookup(&[
            ("CODEXKEY_CONFIG", file.to_str().unwrap()),
            ("CODEXKEY_OPENAI_API_KEY", "sk-e"),
            ("CODEXKEY_ANTHROPIC_API_KEY", "sk-ant"),
        ]);
        let c = Config::load(Flags::default(), &env).unwrap();
        let origin = |name: &str| {
            c.upstreams
                .iter()
                .find(|u| u.name == name)
                .unwrap()
                .origin
                .clone()
        };
        let shown = file.display().to_string();
        assert_eq!(
            origin("openai").describe(),
            format!(
                "the environment variable `CODEXKEY_OPENAI_API_KEY` and the configuration file `{shown}`"
            )
        );
        assert_eq!(
            origin("acme").describe(),
            format!("the configuration file `{shown}`")
        );
        assert_eq!(
            origin("anthropic").describe(),
            "the environment variable `CODEXKEY_ANTHROPIC_API_KEY`"
        );
    }

    #[test]
    fn unknown_keys_and_bad_types_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "[auth]\nsesion_ttl_secs = 5\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sesion_ttl_secs"), "{err}");

        let file = write(dir.path(), "[auth]\nargon2_iterations = \"two\"\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("auth.argon2_iterations"), "{err}");

        let err = Config::load(
            Flags::default(),
            &lookup(&[("CODEXKEY_AUTH__SESSION_TTL_SECS", "soon")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("CODEXKEY_AUTH__SESSION_TTL_SECS"),
            "{err}"
        );

        let err = Config::load(
            Flags {
                listen: Some("localhost".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`listen`"), "{err}");
    }

    #[test]
    fn print_config_leaves_secrets_out_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let env = lookup(&[
            ("CODEXKEY_ADMIN_PASSWORD", "correct-horse-battery"),
            ("CODEXKEY_DATA_DIR", "/d"),
            ("CODEXKEY_METERING__MARGIN_PERCENT", "2.5"),
            ("CODEXKEY_OPENAI_API_KEY", "sk-secret-upstream"),
            ("CODEXKEY_CURRENCIES", "RUB=92.5312@2026-11-20"),
        ]);
        let c = Config::load(Flags::default(), &env).unwrap();
        let shown = c.to_toml();
        assert!(!shown.contains("correct-horse-battery"), "{shown}");
        assert!(!shown.contains("sk-secret-upstream"), "{shown}");
        assert!(
            shown.contains("#   admin.password (CODEXKEY_ADMIN_PASSWORD)"),
            "{shown}"
        );
        assert!(
            shown.contains("#   upstreams.openai.keys (1 set)"),
            "{shown}"
        );
        assert!(shown.contains("listen = \"127.0.0.1:8080\""), "{shown}");
        assert!(shown.contains("margin_percent = \"2.50\""), "{shown}");
        assert!(shown.contains("max_hold_credits = \"5.00\""), "{shown}");
        // The printed file, read back with the same environment, gives the same configuration.
        let file = write(dir.path(), &shown);
        let again = Config::load(
            Flags {
                config: Some(file.clone()),
                ..Flags::default()
            },
            &env,
        )
        .unwrap();
        let reprinted = again.to_toml();
        let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&reprinted), body(&shown));
        // And alone, without the environment (no upstream keys then: no upstreams).
        let bare = shown.replace("[[upstreams]]\nname = \"openai\"\nprovider = \"openai\"\nbase_url = \"https://api.openai.com\"\n", "");
        let file = write(dir.path(), &bare);
        Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap();
    }

    #[test]
    fn money_settings_take_integers_or_decimal_strings_but_not_floats() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let file = write(dir.path(), text);
            Config::load(
                Flags {
                    config: Some(file),
                    ..Flags::default()
                },
                &lookup(&[("CODEXKEY_DATA_DIR", "/d")]),
            )
        };
        let c = load("[metering]\nmax_hold_credits = 5\nmargin_percent = 20\n").unwrap();
        assert_eq!(c.metering.max_hold_micros, 5_000_000);
        assert_eq!(c.metering.margin_ppm, 200_000);
        let c = load("[metering]\nmax_hold_credits = \"2.5\"\n").unwrap();
        assert_eq!(c.metering.max_hold_micros, 2_500_000);
        let err = load("[metering]\nmax_hold_credits = 2.5\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("write 2.5 as a string (\"2.5\"): a TOML float is not an exact decimal"),
            "{err}"
        );
    }

    #[test]
    fn the_example_file_is_accepted_and_shows_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        // Every setting, uncommented, is a valid file.
        let uncommented: String = EXAMPLE_CONFIG
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                // The master key's placeholder is not a key; every other example value is valid.
                Some(rest)
                    if !rest.starts_with("master_key")
                        && (rest.contains(" = ")
                            || rest.starts_with('[') && rest.ends_with(']')) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file = write(dir.path(), &uncommented);
        let c = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        // And every key the gateway prints appears in it.
        let printed = c.to_toml();
        for line in printed
            .lines()
            .filter(|l| l.contains(" = ") && !l.starts_with('#'))
        {
            let key = line.split(" = ").next().unwrap();
            assert!(
                EXAMPLE_CONFIG.contains(&format!("{key} = ")),
                "the example does not show `{key}`"
            );
        }
        for section in printed.lines().filter(|l| l.starts_with('[')) {
            assert!(
                EXAMPLE_CONFIG.contains(section),
                "the example does not show {section}"
            );
        }
    }

    #[test]
    fn currencies_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "[currencies.RUB]\nrate = \"92.5312\"\ndate = \"2026-11-20\"\n[currencies.EUR]\nrate = \"0.92\"\ndate = \"2026-11-01\"\n",
        );
        let flags = || Flags {
            config: Some(file.clone()),
            ..Flags::default()
        };
        let c = Config::load(flags(), &lookup(&[])).unwrap();
        assert_eq!(c.currencies.len(), 2);
        assert_eq!(c.currencies["RUB"].rate.to_string(), "92.5312");
        assert_eq!(c.currencies["RUB"].date.to_string(), "2026-11-20");

        // The environment's entry replaces the file's whole; others stay.
        let env = lookup(&[(
            "CODEXKEY_CURRENCIES",
            "RUB=95@2026-11-21, KZT=470.5@2026-11-21",
        )]);
        let c = Config::load(flags(), &env).unwrap();
        assert_eq!(
            c.currencies
                .iter()
                .map(|(k, v)| format!("{k}={}@{}", v.rate, v.date))
                .collect::<Vec<_>>(),
            [
                "EUR=0.92@2026-11-01",
                "KZT=470.5@2026-11-21",
                "RUB=95@2026-11-21"
            ]
        );
        assert!(c.to_toml().contains("rate = \"95\""));

        for (value, key) in [
            ("RUB=92.5", "CODEXKEY_CURRENCIES"),
            ("rub=92.5@2026-11-20", "currencies.rub"),
            ("USD=1@2026-11-20", "currencies.USD"),
            ("RUB=-1@2026-11-20", "currencies.RUB.rate"),
            ("RUB=92.5@yesterday", "currencies.RUB.date"),
        ] {
            let err = Config::load(Flags::default(), &lookup(&[("CODEXKEY_CURRENCIES", value)]))
                .unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{value}: {err}"
            );
        }
        let file = write(dir.path(), "[currencies.RUB]\nrate = \"92.5\"\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("currencies.RUB.date"), "{err}");
    }

    #[test]
    fn database_urls() {
        let d = Path::new("/data");
        assert!(
            matches!(parse_database_url("sqlite:///x/y.db", d), Ok(Database::Sqlite { path }) if path == Path::new("/x/y.db"))
        );
        assert!(
            matches!(parse_database_url("sqlite://y.db", d), Ok(Database::Sqlite { path }) if path == Path::new("/data/y.db"))
        );
        assert!(
            parse_database_url("mysql://x", d)
                .unwrap_err()
                .contains("`mysql`")
        );
    }
}
