//! The settings: each scalar setting defined once, and the typed [`Config`] they validate into.
//!
//! A definition line gives a setting's key, raw type, `CODEXKEY_*` variable and how its value in
//! force is printed; `settings!` (in `define.rs`) turns the list into the raw layers, their merge,
//! the environment reading and `--print-config`'s form. So a new setting is its line in the
//! definition and its typed field below, plus its default and checks in `validate.rs`.
//!
//! The variable is the key in capitals with `CODEXKEY_` before it and `__` for each `.` (`[admin]`
//! keeps the single `_` it has always had); a test holds every setting to that.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codexkey_common::{Micros, Secret};
use serde::Serialize;

use super::currencies::{self, CurrencyConfig, RawCurrency};
use super::decimal::DecimalText;
use super::define::settings;
use super::upstreams::{self, RawUpstream, UpstreamConfig};

settings! {
    /// One layer of configuration, every field optional.
    pub struct RawConfig for Config {
        listen: String, env LISTEN = "CODEXKEY_LISTEN", shown |c| c.listen.to_string();
        /// Threads that serve connections; 0 or absent: one per CPU.
        workers: usize, env WORKERS = "CODEXKEY_WORKERS", shown |c| c.workers;
        data_dir: PathBuf, env DATA_DIR = "CODEXKEY_DATA_DIR", shown |c| c.data_dir.clone();
        database_url: String, env DATABASE_URL = "CODEXKEY_DATABASE_URL", shown |c| {
            match &c.database {
                Database::Sqlite { path } => format!("sqlite://{}", path.display()),
                Database::Postgres { shown, .. } => shown.clone(),
            }
        };
        log: String, env LOG = "CODEXKEY_LOG", shown |c| c.log.clone();
        /// `redis://[user:password@]host:port/db`: counts the keys' RPM and TPM limits across
        /// replicas. Absent: each replica counts them alone. Printed with its password masked.
        redis_url: String, env REDIS_URL = "CODEXKEY_REDIS_URL",
            optional |c| c.redis.as_ref().map(|r| r.shown.clone());
        /// Starts every Redis key of this gateway, so deployments can share one Redis.
        redis_prefix: String, env REDIS_PREFIX = "CODEXKEY_REDIS_PREFIX",
            shown |c| c.redis_prefix.clone();
        /// `text` (one line per event, for people) or `json` (one object per line).
        log_format: String, env LOG_FORMAT = "CODEXKEY_LOG_FORMAT",
            shown |c| c.log_format.as_str().to_owned();
        /// 64 hex characters: encrypts upstream keys added through the admin API.
        master_key: Secret<String>, env MASTER_KEY = "CODEXKEY_MASTER_KEY",
            secret |c| c.master_key.is_some();
        /// Where users reach the gateway (`https://ai.example.com`): the start of the links it
        /// mails. Absent: `http://` and `listen`.
        public_url: String, env PUBLIC_URL = "CODEXKEY_PUBLIC_URL",
            shown |c| c.public_url.clone();
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
            /// Reverse proxies (addresses or CIDRs) whose `Forwarded` / `X-Forwarded-For` name
            /// the client; from anyone else those headers are ignored.
            trusted_proxies: Vec<String>, env SERVER_TRUSTED_PROXIES =
                "CODEXKEY_SERVER__TRUSTED_PROXIES",
                shown |c| c.server.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>();
            /// Serve HTTPS with this PEM certificate chain (with `tls_key`; reloaded on SIGHUP).
            tls_cert: PathBuf, env SERVER_TLS_CERT = "CODEXKEY_SERVER__TLS_CERT",
                optional |c| c.server.tls.as_ref().map(|t| t.cert.clone());
            /// The PEM private key of `tls_cert`.
            tls_key: PathBuf, env SERVER_TLS_KEY = "CODEXKEY_SERVER__TLS_KEY",
                optional |c| c.server.tls.as_ref().map(|t| t.key.clone());
            /// Serve `/metrics` on this address alone; empty or absent: on `listen`.
            metrics_listen: String, env SERVER_METRICS_LISTEN = "CODEXKEY_SERVER__METRICS_LISTEN",
                shown |c| c.server.metrics_listen.map(|a| a.to_string()).unwrap_or_default();
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
            /// The older switch: `false` is `registration = "closed"` when `registration` is
            /// not set.
            allow_registration: bool, env AUTH_ALLOW_REGISTRATION =
                "CODEXKEY_AUTH__ALLOW_REGISTRATION",
                shown |c| c.auth.registration != Registration::Closed;
            /// Who may register: `open` (anyone), `invite` (with an invitation from an admin,
            /// `codexkey admin invite`) or `closed` (admins create accounts).
            registration: String, env AUTH_REGISTRATION = "CODEXKEY_AUTH__REGISTRATION",
                shown |c| c.auth.registration.as_str().to_owned();
            /// Admins must turn on two-factor login: until they do, their sessions may only
            /// enrol (and read their account, and log out).
            require_2fa_for_admins: bool, env AUTH_REQUIRE_2FA_FOR_ADMINS =
                "CODEXKEY_AUTH__REQUIRE_2FA_FOR_ADMINS",
                shown |c| c.auth.require_2fa_for_admins;
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
            /// How a request's hold is bounded: `bounded` (the default: never overdraws) or
            /// `capped` (holds at most `max_hold_credits`, admits on any positive balance).
            admission: String, env METERING_ADMISSION = "CODEXKEY_METERING__ADMISSION",
                shown |c| c.metering.admission.as_str().to_owned();
            /// The most one request may hold under `capped` admission, in credits (`5`, `"2.5"`).
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
            /// `/readyz` fails while more metering writes than this wait for the writer.
            ready_max_queue: usize, env METERING_READY_MAX_QUEUE =
                "CODEXKEY_METERING__READY_MAX_QUEUE",
                shown |c| c.metering.ready_max_queue;
            /// On PostgreSQL: how long a replica's lease on part of a balance lasts without a
            /// refresh, which is also how long a crashed replica's leased money stays locked.
            lease_ttl_ms: u64, env METERING_LEASE_TTL_MS =
                "CODEXKEY_METERING__LEASE_TTL_MS",
                shown |c| u64::try_from(c.metering.lease_ttl.as_millis()).unwrap_or(u64::MAX);
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
        /// Money in: top-ups paid through Stripe, and their limits.
        billing: RawBilling {
            /// Stripe's secret API key (`sk_live_…`, `sk_test_…`); without it, top-ups by card
            /// are off.
            stripe_secret_key: Secret<String>, env BILLING_STRIPE_SECRET_KEY =
                "CODEXKEY_BILLING__STRIPE_SECRET_KEY",
                secret |c| c.billing.stripe_secret_key.is_some();
            /// The signing secret of the webhook endpoint (`whsec_…`); several, comma-separated,
            /// while rotating: an event signed with any of them is accepted.
            stripe_webhook_secret: Secret<String>, env BILLING_STRIPE_WEBHOOK_SECRET =
                "CODEXKEY_BILLING__STRIPE_WEBHOOK_SECRET",
                secret |c| !c.billing.stripe_webhook_secrets.is_empty();
            stripe_api_base: String, env BILLING_STRIPE_API_BASE =
                "CODEXKEY_BILLING__STRIPE_API_BASE",
                shown |c| c.billing.stripe_api_base.clone();
            /// Where Stripe sends the payer after paying, and after giving up.
            success_url: String, env BILLING_SUCCESS_URL = "CODEXKEY_BILLING__SUCCESS_URL",
                optional |c| c.billing.success_url.clone();
            cancel_url: String, env BILLING_CANCEL_URL = "CODEXKEY_BILLING__CANCEL_URL",
                optional |c| c.billing.cancel_url.clone();
            /// The payment currency, ISO 4217 (`usd`).
            currency: String, env BILLING_CURRENCY = "CODEXKEY_BILLING__CURRENCY",
                shown |c| c.billing.currency.clone();
            /// The currency's minor units charged per credit: an exact integer rate (100 for
            /// `usd`, where 1 credit = 1 USD; required for any other currency).
            minor_units_per_credit: u64, env BILLING_MINOR_UNITS_PER_CREDIT =
                "CODEXKEY_BILLING__MINOR_UNITS_PER_CREDIT",
                shown |c| c.billing.minor_units_per_credit;
            /// The smallest and the largest top-up, in credits.
            min_topup: DecimalText, env BILLING_MIN_TOPUP = "CODEXKEY_BILLING__MIN_TOPUP",
                shown |c| DecimalText(c.billing.min_topup.to_string());
            max_topup: DecimalText, env BILLING_MAX_TOPUP = "CODEXKEY_BILLING__MAX_TOPUP",
                shown |c| DecimalText(c.billing.max_topup.to_string());
            /// Pending orders one account may have at once.
            max_pending_orders: u32, env BILLING_MAX_PENDING_ORDERS =
                "CODEXKEY_BILLING__MAX_PENDING_ORDERS",
                shown |c| c.billing.max_pending_orders;
            /// How long an order may stay pending before the sweeper asks Stripe about it.
            order_ttl_secs: u64, env BILLING_ORDER_TTL_SECS = "CODEXKEY_BILLING__ORDER_TTL_SECS",
                shown |c| c.billing.order_ttl.as_secs();
            sweep_interval_secs: u64, env BILLING_SWEEP_INTERVAL_SECS =
                "CODEXKEY_BILLING__SWEEP_INTERVAL_SECS",
                shown |c| c.billing.sweep_interval.as_secs();
            /// How far a webhook's signed timestamp may be from now (replays of old events).
            webhook_tolerance_secs: u64, env BILLING_WEBHOOK_TOLERANCE_SECS =
                "CODEXKEY_BILLING__WEBHOOK_TOLERANCE_SECS",
                shown |c| c.billing.webhook_tolerance.as_secs();
            /// How long after an order was paid its owner may ask for unused credit of it back.
            refund_window_secs: u64, env BILLING_REFUND_WINDOW_SECS =
                "CODEXKEY_BILLING__REFUND_WINDOW_SECS",
                shown |c| c.billing.refund_window.as_secs();
            /// Approve refund requests at once, without an admin.
            refund_auto_approve: bool, env BILLING_REFUND_AUTO_APPROVE =
                "CODEXKEY_BILLING__REFUND_AUTO_APPROVE",
                shown |c| c.billing.refund_auto_approve;
            /// What a referrer earns of a referee's paid top-up, in basis points (1000 = 10%).
            referral_rate_bps: u32, env BILLING_REFERRAL_RATE_BPS =
                "CODEXKEY_BILLING__REFERRAL_RATE_BPS",
                shown |c| c.billing.referral_rate_bps;
            /// Commissions are earned on a referee's first this many paid top-ups …
            referral_max_topups: u32, env BILLING_REFERRAL_MAX_TOPUPS =
                "CODEXKEY_BILLING__REFERRAL_MAX_TOPUPS",
                shown |c| c.billing.referral_max_topups;
            /// … paid within this long of the referee's registration.
            referral_max_age_secs: u64, env BILLING_REFERRAL_MAX_AGE_SECS =
                "CODEXKEY_BILLING__REFERRAL_MAX_AGE_SECS",
                shown |c| c.billing.referral_max_age.as_secs();
        }
        /// How long request metadata and raw usage events are kept.
        retention: RawRetention {
            /// Client addresses and user agents of usage events (and of sessions that are over)
            /// are erased after this many days; 0: never.
            request_metadata_days: u64, env RETENTION_REQUEST_METADATA_DAYS =
                "CODEXKEY_RETENTION__REQUEST_METADATA_DAYS",
                shown |c| c.retention.request_metadata_days;
            /// Raw usage events are deleted after this many days (the usage rollup and the
            /// ledger stay, so reports still add up); 0: kept for ever.
            usage_event_days: u64, env RETENTION_USAGE_EVENT_DAYS =
                "CODEXKEY_RETENTION__USAGE_EVENT_DAYS",
                shown |c| c.retention.usage_event_days;
            /// What happens to a deleted account's remaining balance: `forfeit` (an adjustment
            /// to zero, "account deleted") or `keep` (it stays on the pseudonymised account).
            deleted_balance: String, env RETENTION_DELETED_BALANCE =
                "CODEXKEY_RETENTION__DELETED_BALANCE",
                shown |c| c.retention.deleted_balance.as_str().to_owned();
            /// A deleted account's billing records (ledger, orders, refunds, referrals, usage
            /// sums) are purged this many days after the deletion, leaving a tombstone;
            /// 0: kept for ever.
            deleted_account_days: u64, env RETENTION_DELETED_ACCOUNT_DAYS =
                "CODEXKEY_RETENTION__DELETED_ACCOUNT_DAYS",
                shown |c| c.retention.deleted_account_days;
            /// How often the purge runs.
            interval_secs: u64, env RETENTION_INTERVAL_SECS =
                "CODEXKEY_RETENTION__INTERVAL_SECS",
                shown |c| c.retention.interval.as_secs();
        }
        /// Mail: password-reset and verification links.
        mail: RawMail {
            /// `smtp://[user:password@]host[:port]` (STARTTLS with `?tls=required`) or
            /// `smtps://…` (TLS from the start); absent: the gateway sends no mail. Printed with
            /// its password masked.
            smtp_url: String, env MAIL_SMTP_URL = "CODEXKEY_MAIL__SMTP_URL",
                optional |c| c.mail.smtp.as_ref().map(|s| s.masked.clone());
            /// The sender of the gateway's mail (`codexkey <noreply@example.com>`).
            from: String, env MAIL_FROM = "CODEXKEY_MAIL__FROM",
                shown |c| c.mail.from.clone();
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

/// The validated configuration the gateway runs with.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    /// Threads that serve connections, each with its own event loop (see `server`).
    pub workers: usize,
    pub data_dir: PathBuf,
    pub database: Database,
    pub log: String,
    #[serde(serialize_with = "as_choice")]
    pub log_format: LogFormat,
    /// Encrypts upstream keys stored in the database; without it, upstreams can only be
    /// configured in the file or environment.
    pub master_key: Option<Secret<String>>,
    /// The start of links the gateway mails, without a trailing `/`.
    pub public_url: String,
    /// Where the rate-limit counters are shared between replicas; `None`: in memory.
    pub redis: Option<RedisUrl>,
    /// Starts every Redis key: `<prefix>:rpm:<key id>:<minute>`.
    pub redis_prefix: String,
    pub server: ServerConfig,
    pub admin: AdminBootstrap,
    pub auth: AuthConfig,
    pub proxy: ProxyConfig,
    pub metering: MeteringConfig,
    pub upstream: UpstreamTuning,
    pub billing: BillingConfig,
    pub retention: RetentionConfig,
    pub mail: MailConfig,
    pub upstreams: Vec<UpstreamConfig>,
    /// Display-currency rates by code; amounts are converted with them only when shown.
    pub currencies: BTreeMap<String, CurrencyConfig>,
    /// The file that was read, if any (shown by `--print-config`).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// A Redis URL, which may carry a password: only ever printed as `shown`, password masked.
#[derive(Debug, Clone, Serialize)]
pub struct RedisUrl {
    #[serde(skip)]
    pub url: Secret<String>,
    #[serde(rename = "url")]
    pub shown: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Database {
    Sqlite {
        path: PathBuf,
    },
    /// `postgres://…` or `postgresql://…`. The URL may carry a password: it is only ever
    /// printed or serialized as `shown`, with the password masked.
    Postgres {
        #[serde(skip)]
        url: Secret<String>,
        #[serde(rename = "url")]
        shown: String,
    },
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
    #[serde(serialize_with = "as_choice")]
    pub registration: Registration,
    pub require_2fa_for_admins: bool,
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
    /// Where Prometheus scrapes `/metrics` when it should not share the public listener (an
    /// internal interface); `None`: `/metrics` is served on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// Connections open at once; beyond it a new connection gets a bare 503 and is closed.
    pub max_connections: usize,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
    /// Peers whose forwarding headers are believed (see `server::forwarded`).
    #[serde(serialize_with = "as_strings")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// HTTPS: where the certificate chain and its key are read from.
    pub tls: Option<TlsFiles>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn as_strings<S: serde::Serializer>(nets: &[ipnet::IpNet], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(nets.iter().map(ToString::to_string))
}

#[derive(Debug, Clone, Serialize)]
pub struct ProxyConfig {
    /// Largest accepted data-plane request body. Agent sessions send the whole history each
    /// turn, so this is tens of MB, not the 2 MB of the management API.
    pub body_limit_mb: u64,
}

/// A setting that is one of a few names (`log_format`, `metering.admission`): written and
/// printed by name, read by [`super::validate`]'s `choice`.
pub trait Choice: Copy + Default + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
}

fn as_choice<T: Choice, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `key=value` lines for people, colored on a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors: the message, level, time and every field.
    Json,
}

impl Choice for LogFormat {
    const ALL: &'static [LogFormat] = &[LogFormat::Text, LogFormat::Json];

    fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// What happens to a deleted account's remaining balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletedBalance {
    /// An adjustment takes it to zero ("account deleted").
    #[default]
    Forfeit,
    /// It stays on the pseudonymised account, for a refund by hand.
    Keep,
}

impl Choice for DeletedBalance {
    const ALL: &'static [DeletedBalance] = &[DeletedBalance::Forfeit, DeletedBalance::Keep];

    fn as_str(self) -> &'static str {
        match self {
            DeletedBalance::Forfeit => "forfeit",
            DeletedBalance::Keep => "keep",
        }
    }
}

/// Who may register an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// Anyone.
    #[default]
    Open,
    /// Only with an invitation an admin issued for the address.
    Invite,
    /// Nobody: admins create accounts (`codexkey admin users create`).
    Closed,
}

impl Choice for Registration {
    const ALL: &'static [Registration] = &[
        Registration::Open,
        Registration::Invite,
        Registration::Closed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }
}

/// How admission bounds a request's hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Admission {
    /// The hold is the request's worst case and must fit in the available balance; charges
    /// never exceed their hold. No balance goes below zero.
    #[default]
    Bounded,
    /// The hold is an estimate capped by `metering.max_hold_credits`, and a request needs only
    /// a positive available balance; concurrent requests may overdraw by their holds.
    Capped,
}

impl Choice for Admission {
    const ALL: &'static [Admission] = &[Admission::Bounded, Admission::Capped];

    fn as_str(self) -> &'static str {
        match self {
            Admission::Bounded => "bounded",
            Admission::Capped => "capped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MeteringConfig {
    /// Global margin in parts per million (200000 = +20%).
    pub margin_ppm: i64,
    /// How a request's hold is bounded.
    #[serde(serialize_with = "as_choice")]
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
    /// Metering writes waiting for the writer beyond which `/readyz` answers 503: the database
    /// is not keeping up, and a crash would lose more than the usual few milliseconds.
    pub ready_max_queue: usize,
    /// How long a balance lease lasts without a refresh (PostgreSQL; README, "Balances across
    /// replicas").
    #[serde(rename = "lease_ttl_ms", serialize_with = "as_millis")]
    pub lease_ttl: Duration,
}

/// Money in through a payment provider. Amounts are exact: credits in micro-credits, the
/// payment in the currency's minor units at an integer rate.
#[derive(Debug, Clone, Serialize)]
pub struct BillingConfig {
    /// Stripe's secret key; `None`: top-ups by card are off.
    pub stripe_secret_key: Option<Secret<String>>,
    /// Webhook signing secrets, any of which may sign an event (rotation).
    pub stripe_webhook_secrets: Vec<Secret<String>>,
    /// Stripe's API, without a trailing `/` (tests point it at a fake).
    pub stripe_api_base: String,
    /// Required with a secret key: Stripe's hosted page sends the payer back here.
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// ISO 4217, lower case, as Stripe writes it.
    pub currency: String,
    /// Minor units of `currency` charged per credit.
    pub minor_units_per_credit: u64,
    pub min_topup: Micros,
    pub max_topup: Micros,
    pub max_pending_orders: u32,
    #[serde(rename = "order_ttl_secs", serialize_with = "as_secs")]
    pub order_ttl: Duration,
    #[serde(rename = "sweep_interval_secs", serialize_with = "as_secs")]
    pub sweep_interval: Duration,
    #[serde(rename = "webhook_tolerance_secs", serialize_with = "as_secs")]
    pub webhook_tolerance: Duration,
    #[serde(rename = "refund_window_secs", serialize_with = "as_secs")]
    pub refund_window: Duration,
    pub refund_auto_approve: bool,
    pub referral_rate_bps: u32,
    pub referral_max_topups: u32,
    #[serde(rename = "referral_max_age_secs", serialize_with = "as_secs")]
    pub referral_max_age: Duration,
}

/// How long request metadata, raw usage events and deleted accounts' billing records are kept
/// (see `accounts::retention`).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionConfig {
    /// 0: never erased.
    pub request_metadata_days: u64,
    /// 0: never deleted.
    pub usage_event_days: u64,
    #[serde(serialize_with = "as_choice")]
    pub deleted_balance: DeletedBalance,
    /// 0: never purged.
    pub deleted_account_days: u64,
    #[serde(rename = "interval_secs", serialize_with = "as_secs")]
    pub interval: Duration,
}

/// How the gateway sends mail.
#[derive(Debug, Clone, Serialize)]
pub struct MailConfig {
    /// `None`: no mail is sent; admins hand out links (`codexkey admin reset-password`).
    pub smtp: Option<SmtpUrl>,
    /// The `From:` of every message.
    pub from: String,
}

/// An SMTP server's URL, which may hold credentials: kept secret, shown masked.
#[derive(Debug, Clone, Serialize)]
pub struct SmtpUrl {
    #[serde(skip)]
    pub url: Secret<String>,
    /// The URL with its password replaced by `*****`.
    pub masked: String,
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
