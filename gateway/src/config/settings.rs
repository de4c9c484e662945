//! The settings, each defined once: its key, raw type, `CODEXKEY_*` variable and how its value
//! in force is printed. `settings!` (in `define.rs`) turns this list into the raw layers, their
//! merge, the environment reading and `--print-config`'s form. A new setting is a line here plus
//! its typed field, default and checks in `types.rs` and `validate.rs`.
//!
//! The variable is the key in capitals with `CODEXKEY_` before it and `__` for each `.` (`[admin]`
//! keeps the single `_` it has always had); a test holds every setting to that.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codexkey_common::{Micros, Secret};

use super::currencies::{self, RawCurrency};
use super::decimal::DecimalText;
use super::define::settings;
use super::types::Database;
use super::upstreams::{self, RawUpstream};

settings! {
    /// One layer of configuration, every field optional.
    pub struct RawConfig {
        listen: String, env LISTEN = "CODEXKEY_LISTEN", shown |c| c.listen.to_string();
        /// Threads that serve connections; 0 or absent: one per CPU.
        workers: usize, env WORKERS = "CODEXKEY_WORKERS", shown |c| c.workers;
        data_dir: PathBuf, env DATA_DIR = "CODEXKEY_DATA_DIR", shown |c| c.data_dir.clone();
        database_url: String, env DATABASE_URL = "CODEXKEY_DATABASE_URL", shown |c| {
            let Database::Sqlite { path } = &c.database;
            format!("sqlite://{}", path.display())
        };
        log: String, env LOG = "CODEXKEY_LOG", shown |c| c.log.clone();
        /// 64 hex characters: encrypts upstream keys added through the admin API.
        master_key: Secret<String>, env MASTER_KEY = "CODEXKEY_MASTER_KEY",
            secret |c| c.master_key.is_some();
    }
    sections {
        /// How the gateway treats client connections.
        server: RawServer {
            header_read_timeout_secs: u64, env SERVER_HEADER_READ_TIMEOUT_SECS =
                "CODEXKEY_SERVER__HEADER_READ_TIMEOUT_SECS",
                shown |c| c.server.header_read_timeout.as_secs();
            idle_timeout_secs: u64, env SERVER_IDLE_TIMEOUT_SECS =
                "CODEXKEY_SERVER__IDLE_TIMEOUT_SECS",
                shown |c| c.server.idle_timeout.as_secs();
            max_connections: usize, env SERVER_MAX_CONNECTIONS =
                "CODEXKEY_SERVER__MAX_CONNECTIONS",
                shown |c| c.server.max_connections;
            http2_max_concurrent_streams: u32, env SERVER_HTTP2_MAX_CONCURRENT_STREAMS =
                "CODEXKEY_SERVER__HTTP2_MAX_CONCURRENT_STREAMS",
                shown |c| c.server.http2_max_concurrent_streams;
        }
        /// The first admin account, created on an empty database.
        admin: RawAdmin {
            email: String, env ADMIN_EMAIL = "CODEXKEY_ADMIN_EMAIL",
                shown |c| c.admin.email.clone();
            password: Secret<String>, env ADMIN_PASSWORD = "CODEXKEY_ADMIN_PASSWORD",
                secret |c| c.admin.password.is_some();
        }
        /// Login sessions, registration and password hashing.
        auth: RawAuth {
            session_ttl_secs: u64, env AUTH_SESSION_TTL_SECS = "CODEXKEY_AUTH__SESSION_TTL_SECS",
                shown |c| c.auth.session_ttl.as_secs();
            allow_registration: bool, env AUTH_ALLOW_REGISTRATION =
                "CODEXKEY_AUTH__ALLOW_REGISTRATION",
                shown |c| c.auth.allow_registration;
            argon2_memory_kib: u32, env AUTH_ARGON2_MEMORY_KIB =
                "CODEXKEY_AUTH__ARGON2_MEMORY_KIB",
                shown |c| c.auth.argon2_memory_kib;
            argon2_iterations: u32, env AUTH_ARGON2_ITERATIONS =
                "CODEXKEY_AUTH__ARGON2_ITERATIONS",
                shown |c| c.auth.argon2_iterations;
            argon2_parallelism: u32, env AUTH_ARGON2_PARALLELISM =
                "CODEXKEY_AUTH__ARGON2_PARALLELISM",
                shown |c| c.auth.argon2_parallelism;
        }
        /// The data plane's request limits.
        proxy: RawProxy {
            body_limit_mb: u64, env PROXY_BODY_LIMIT_MB = "CODEXKEY_PROXY__BODY_LIMIT_MB",
                shown |c| c.proxy.body_limit_mb;
        }
        /// Holds, margins and how metering writes are batched.
        metering: RawMetering {
            /// A global margin on every price, in percent (`20`, `"2.5"`).
            margin_percent: DecimalText, env METERING_MARGIN_PERCENT =
                "CODEXKEY_METERING__MARGIN_PERCENT",
                // ppm back to percent: 1% = 10,000 ppm, written as credits scaled by 100.
                shown |c| DecimalText(Micros(c.metering.margin_ppm * 100).to_string());
            /// The most one request may hold, in credits (`5`, `"2.5"`).
            max_hold_credits: DecimalText, env METERING_MAX_HOLD_CREDITS =
                "CODEXKEY_METERING__MAX_HOLD_CREDITS",
                shown |c| DecimalText(Micros(c.metering.max_hold_micros).to_string());
            disconnect_drain_secs: u64, env METERING_DISCONNECT_DRAIN_SECS =
                "CODEXKEY_METERING__DISCONNECT_DRAIN_SECS",
                shown |c| c.metering.disconnect_drain.as_secs();
            default_max_output_tokens: u64, env METERING_DEFAULT_MAX_OUTPUT_TOKENS =
                "CODEXKEY_METERING__DEFAULT_MAX_OUTPUT_TOKENS",
                shown |c| c.metering.default_max_output_tokens;
            commit_interval_ms: u64, env METERING_COMMIT_INTERVAL_MS =
                "CODEXKEY_METERING__COMMIT_INTERVAL_MS",
                shown |c| u64::try_from(c.metering.commit_interval.as_millis()).unwrap_or(u64::MAX);
        }
        /// Tuning shared by every upstream.
        upstream: RawUpstreamTuning {
            connect_timeout_secs: u64, env UPSTREAM_CONNECT_TIMEOUT_SECS =
                "CODEXKEY_UPSTREAM__CONNECT_TIMEOUT_SECS",
                shown |c| c.upstream.connect_timeout.as_secs();
            first_byte_timeout_secs: u64, env UPSTREAM_FIRST_BYTE_TIMEOUT_SECS =
                "CODEXKEY_UPSTREAM__FIRST_BYTE_TIMEOUT_SECS",
                shown |c| c.upstream.first_byte_timeout.as_secs();
            idle_timeout_secs: u64, env UPSTREAM_IDLE_TIMEOUT_SECS =
                "CODEXKEY_UPSTREAM__IDLE_TIMEOUT_SECS",
                shown |c| c.upstream.idle_timeout.as_secs();
            cooldown_secs: u64, env UPSTREAM_COOLDOWN_SECS = "CODEXKEY_UPSTREAM__COOLDOWN_SECS",
                shown |c| c.upstream.cooldown.as_secs();
            max_attempts: u32, env UPSTREAM_MAX_ATTEMPTS = "CODEXKEY_UPSTREAM__MAX_ATTEMPTS",
                shown |c| c.upstream.max_attempts;
        }
    }
    special {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        upstreams: Vec<RawUpstream>,
            env upstreams::from_env, merge upstreams::merge,
            shown |c| upstreams::effective(&c.upstreams);
        /// Display currencies by ISO 4217 code: `[currencies.RUB] rate = "92.5312" date = "…"`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        currencies: BTreeMap<String, RawCurrency>,
            env currencies::from_env, merge currencies::merge,
            shown |c| currencies::effective(&c.currencies);
    }
}
