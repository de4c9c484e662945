//! From the merged raw layers to the typed [`Config`]: defaults filled in, every value checked,
//! and each refusal naming its key. Reading and merging the layers is not done here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codexkey_common::Secret;

use super::currencies;
use super::error::ConfigError;
use super::settings::{
    AdminBootstrap, Admission, AuthConfig, BillingConfig, Choice, Config, Database, DeletedBalance,
    LogFormat, MailConfig, MeteringConfig, ProxyConfig, RawConfig, RedisUrl, Registration,
    RetentionConfig, ServerConfig, SmtpUrl, TlsFiles, UpstreamTuning,
};
use super::upstreams;

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
const DEFAULT_LEASE_TTL_MS: u64 = 10_000;
/// Shorter leases would spend more on refreshing them than on the requests they admit.
const MIN_LEASE_TTL_MS: u64 = 400;
/// Five full batches: far more than a healthy writer ever leaves waiting.
const DEFAULT_READY_MAX_QUEUE: usize = 10_240;
const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 4096;

impl Config {
    pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_owned(),
            message,
        };
        let metrics_listen = match raw.server.metrics_listen.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|e| {
                invalid(
                    "server.metrics_listen",
                    format!("`{text}` is not an address like 127.0.0.1:9090 ({e})"),
                )
            })?),
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
            registration: match (
                raw.auth.registration.as_deref(),
                raw.auth.allow_registration,
            ) {
                (None, Some(false)) => Registration::Closed,
                (name, _) => choice::<Registration>("auth.registration", name)?,
            },
            require_2fa_for_admins: raw.auth.require_2fa_for_admins.unwrap_or(false),
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
        let admission: Admission = choice("metering.admission", raw.metering.admission.as_deref())?;
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
            ready_max_queue: raw
                .metering
                .ready_max_queue
                .unwrap_or(DEFAULT_READY_MAX_QUEUE)
                .max(1),
            lease_ttl: Duration::from_millis(
                raw.metering
                    .lease_ttl_ms
                    .unwrap_or(DEFAULT_LEASE_TTL_MS)
                    .max(MIN_LEASE_TTL_MS),
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
        let upstreams = upstreams::validate(raw.upstreams)?;
        let billing = billing(raw.billing)?;
        let public_url = public_url(raw.public_url, listen)?;
        let mail = mail(raw.mail)?;
        let redis = match raw.redis_url.filter(|u| !u.trim().is_empty()) {
            None => None,
            Some(url) => {
                let url = url.trim();
                let shown = check_redis_url(url).map_err(|m| invalid("redis_url", m))?;
                Some(RedisUrl {
                    url: Secret::new(url.to_owned()),
                    shown,
                })
            }
        };
        let redis_prefix = raw
            .redis_prefix
            .map(|p| p.trim().to_owned())
            .unwrap_or_else(|| DEFAULT_REDIS_PREFIX.to_owned());
        if redis_prefix.is_empty() || redis_prefix.contains(char::is_whitespace) {
            return Err(invalid(
                "redis_prefix",
                "must be a word without spaces, such as `ck`".into(),
            ));
        }
        let retention = RetentionConfig {
            request_metadata_days: raw
                .retention
                .request_metadata_days
                .unwrap_or(DEFAULT_REQUEST_METADATA_DAYS),
            usage_event_days: raw.retention.usage_event_days.unwrap_or(0),
            deleted_balance: choice::<DeletedBalance>(
                "retention.deleted_balance",
                raw.retention.deleted_balance.as_deref(),
            )?,
            deleted_account_days: raw
                .retention
                .deleted_account_days
                .unwrap_or(DEFAULT_DELETED_ACCOUNT_DAYS),
            interval: Duration::from_secs(
                raw.retention
                    .interval_secs
                    .unwrap_or(DEFAULT_RETENTION_INTERVAL_SECS)
                    .max(1),
            ),
        };
        Ok(Config {
            listen,
            workers: match raw.workers {
                None | Some(0) => crate::system::default_workers(),
                Some(n) => n,
            },
            data_dir,
            database,
            log: raw.log.unwrap_or_else(|| "info".to_owned()),
            log_format: choice::<LogFormat>("log_format", raw.log_format.as_deref())?,
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
                trusted_proxies: trusted_proxies(raw.server.trusted_proxies.unwrap_or_default())?,
                tls: match (raw.server.tls_cert, raw.server.tls_key) {
                    (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
                    (None, None) => None,
                    (Some(_), None) | (None, Some(_)) => {
                        return Err(ConfigError::Invalid {
                            key: "server.tls_cert".to_owned(),
                            message: "`server.tls_cert` and `server.tls_key` go together: set both or neither".into(),
                        });
                    }
                },
                metrics_listen,
            },
            master_key,
            public_url,
            redis,
            redis_prefix,
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
            billing,
            retention,
            mail,
            upstreams,
            currencies: currencies::validate(raw.currencies)?,
            source: None,
        })
    }
}

const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com";
/// Five credits: Stripe's fixed fee per card payment makes smaller top-ups poor value.
const DEFAULT_MIN_TOPUP_MICROS: i64 = 5_000_000;
const DEFAULT_MAX_TOPUP_MICROS: i64 = 10_000_000_000;
const DEFAULT_MAX_PENDING_ORDERS: u32 = 5;
/// Stripe's own lifetime of a Checkout Session: by then it is paid or expired.
const DEFAULT_ORDER_TTL_SECS: u64 = 24 * 3600;
/// Refunds of unused credit may be asked for within 30 days of the payment.
const DEFAULT_REFUND_WINDOW_SECS: u64 = 30 * 24 * 3600;
/// A referrer earns 10% of a referee's paid top-ups, on the first 5, within a year.
const DEFAULT_REFERRAL_RATE_BPS: u32 = 1_000;
const DEFAULT_REFERRAL_MAX_TOPUPS: u32 = 5;
const DEFAULT_REFERRAL_MAX_AGE_SECS: u64 = 365 * 24 * 3600;
const DEFAULT_SWEEP_INTERVAL_SECS: u64 = 300;
/// Stripe's libraries' default tolerance.
const DEFAULT_WEBHOOK_TOLERANCE_SECS: u64 = 300;

fn billing(raw: super::settings::RawBilling) -> Result<BillingConfig, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: format!("billing.{key}"),
        message,
    };
    let currency = raw
        .currency
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|| "usd".to_owned());
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(invalid(
            "currency",
            format!("`{currency}` is not a lower-case ISO 4217 code such as `usd` or `eur`"),
        ));
    }
    let minor_units_per_credit = match (raw.minor_units_per_credit, currency.as_str()) {
        (Some(0), _) => {
            return Err(invalid(
                "minor_units_per_credit",
                "must be at least 1".into(),
            ));
        }
        (Some(n), _) => n,
        // 1 credit = 1 USD = 100 cents.
        (None, "usd") => 100,
        (None, other) => {
            return Err(invalid(
                "minor_units_per_credit",
                format!(
                    "paying in `{other}` needs an exact rate: how many of its minor units one credit costs"
                ),
            ));
        }
    };
    // Kept below 10^15 / 10^6: an order's charge (credits × rate) then always fits in i64.
    if minor_units_per_credit > 1_000_000_000 {
        return Err(invalid(
            "minor_units_per_credit",
            "must be at most 1000000000".into(),
        ));
    }
    let credits = |key: &str, v: Option<super::decimal::DecimalText>, default: i64| match v {
        None => Ok(codexkey_common::Micros(default)),
        Some(d) => {
            d.0.parse::<codexkey_common::Micros>()
                .map_err(|e| invalid(key, e.to_string()))
        }
    };
    let min_topup = credits("min_topup", raw.min_topup, DEFAULT_MIN_TOPUP_MICROS)?;
    let max_topup = credits("max_topup", raw.max_topup, DEFAULT_MAX_TOPUP_MICROS)?;
    if !min_topup.is_positive() {
        return Err(invalid("min_topup", "must be positive".into()));
    }
    if max_topup < min_topup || max_topup > codexkey_common::Micros::MAX {
        return Err(invalid(
            "max_topup",
            format!(
                "must be at least `min_topup` ({min_topup}) and at most {}",
                codexkey_common::Micros::MAX
            ),
        ));
    }
    let url = |key: &str, v: Option<String>| -> Result<Option<String>, ConfigError> {
        match v.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
            None => Ok(None),
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => Ok(Some(u)),
            Some(u) => Err(invalid(key, format!("`{u}` is not an http(s) URL"))),
        }
    };
    let success_url = url("success_url", raw.success_url)?;
    let cancel_url = url("cancel_url", raw.cancel_url)?;
    let stripe_api_base = url("stripe_api_base", raw.stripe_api_base)?
        .unwrap_or_else(|| DEFAULT_STRIPE_API_BASE.to_owned())
        .trim_end_matches('/')
        .to_owned();
    let stripe_secret_key = raw
        .stripe_secret_key
        .filter(|k| !k.expose().trim().is_empty());
    if stripe_secret_key.is_some() && (success_url.is_none() || cancel_url.is_none()) {
        return Err(invalid(
            if success_url.is_none() { "success_url" } else { "cancel_url" },
            "Stripe's checkout needs `billing.success_url` and `billing.cancel_url`: where the payer goes after paying or giving up".into(),
        ));
    }
    let mut stripe_webhook_secrets = Vec::new();
    if let Some(all) = raw.stripe_webhook_secret {
        for part in all.expose().split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(invalid(
                    "stripe_webhook_secret",
                    "an empty secret in the comma-separated list".into(),
                ));
            }
            stripe_webhook_secrets.push(codexkey_common::Secret::new(part.to_owned()));
        }
    }
    let secs = |v: Option<u64>, d: u64| Duration::from_secs(v.unwrap_or(d));
    Ok(BillingConfig {
        stripe_secret_key,
        stripe_webhook_secrets,
        stripe_api_base,
        success_url,
        cancel_url,
        currency,
        minor_units_per_credit,
        min_topup,
        max_topup,
        max_pending_orders: raw
            .max_pending_orders
            .unwrap_or(DEFAULT_MAX_PENDING_ORDERS)
            .max(1),
        order_ttl: secs(raw.order_ttl_secs, DEFAULT_ORDER_TTL_SECS),
        sweep_interval: secs(raw.sweep_interval_secs, DEFAULT_SWEEP_INTERVAL_SECS)
            .max(Duration::from_secs(1)),
        webhook_tolerance: secs(raw.webhook_tolerance_secs, DEFAULT_WEBHOOK_TOLERANCE_SECS),
        refund_window: secs(raw.refund_window_secs, DEFAULT_REFUND_WINDOW_SECS),
        refund_auto_approve: raw.refund_auto_approve.unwrap_or(false),
        referral_rate_bps: raw
            .referral_rate_bps
            .unwrap_or(DEFAULT_REFERRAL_RATE_BPS)
            .min(10_000),
        referral_max_topups: raw
            .referral_max_topups
            .unwrap_or(DEFAULT_REFERRAL_MAX_TOPUPS),
        referral_max_age: secs(raw.referral_max_age_secs, DEFAULT_REFERRAL_MAX_AGE_SECS),
    })
}

/// An `http(s)://` URL without a trailing `/`; absent: `http://` and the listen address.
fn public_url(raw: Option<String>, listen: SocketAddr) -> Result<String, ConfigError> {
    match raw.map(|u| u.trim().trim_end_matches('/').to_owned()) {
        None => Ok(format!("http://{listen}")),
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(['?', '#', ' ']) =>
        {
            Ok(u)
        }
        Some(u) => Err(ConfigError::Invalid {
            key: "public_url".into(),
            message: format!("`{u}` is not an http(s) URL such as `https://ai.example.com`"),
        }),
    }
}

fn mail(raw: super::settings::RawMail) -> Result<MailConfig, ConfigError> {
    let smtp = match raw.smtp_url.filter(|u| !u.trim().is_empty()) {
        None => None,
        Some(url) => {
            let masked = mask_smtp_url(url.trim()).map_err(|message| ConfigError::Invalid {
                key: "mail.smtp_url".into(),
                message,
            })?;
            Some(SmtpUrl {
                url: codexkey_common::Secret::new(url.trim().to_owned()),
                masked,
            })
        }
    };
    let from = raw
        .from
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
    if !from.contains('@') || from.contains(['\r', '\n']) {
        return Err(ConfigError::Invalid {
            key: "mail.from".into(),
            message: format!("`{from}` is not a sender such as `codexkey <noreply@example.com>`"),
        });
    }
    Ok(MailConfig { smtp, from })
}

/// What the privacy policy promises: request metadata only as long as needed.
const DEFAULT_REQUEST_METADATA_DAYS: u64 = 90;
/// Five years (with a leap day): a common legal retention for billing records.
const DEFAULT_DELETED_ACCOUNT_DAYS: u64 = 5 * 365 + 1;
const DEFAULT_RETENTION_INTERVAL_SECS: u64 = 3600;

const DEFAULT_MAIL_FROM: &str = "codexkey <noreply@localhost>";

const DEFAULT_REDIS_PREFIX: &str = "ck";

/// Checks a Redis URL (`redis://`; TLS is not supported) and returns it with the password (if
/// any) masked. The message of a refusal never holds the URL: it may hold a password.
fn check_redis_url(url: &str) -> Result<String, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("not a URL: use `redis://host:6379/0`".into());
    };
    if scheme != "redis" {
        return Err(format!(
            "the scheme `{}` is not `redis`",
            codexkey_common::text::escape(scheme)
        ));
    }
    redis::Client::open(url)
        .map_err(|_| "not a Redis URL such as `redis://host:6379/0`".to_owned())?;
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (shown_user, host) = match authority.rsplit_once('@') {
        Some((u, h)) => match u.split_once(':') {
            Some((user, _password)) => (format!("{user}:*****@"), h),
            None => (format!("{u}@"), h),
        },
        None => (String::new(), authority),
    };
    Ok(format!("{scheme}://{shown_user}{host}{tail}"))
}

/// Checks an SMTP URL's shape and returns it with the password (if any) replaced by `*****`.
/// The message of a refusal never holds the URL: it may hold a password.
pub(crate) fn mask_smtp_url(url: &str) -> Result<String, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("not a URL: use `smtp://host:port` or `smtps://host:port`".into());
    };
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!(
            "the scheme `{}` is not `smtp` or `smtps`",
            codexkey_common::text::escape(scheme)
        ));
    }
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err("the URL names no host".into());
    }
    let shown_user = match userinfo {
        None => String::new(),
        Some(u) => match u.split_once(':') {
            Some((user, _password)) => format!("{user}:*****@"),
            None => format!("{u}@"),
        },
    };
    Ok(format!("{scheme}://{shown_user}{host}{tail}"))
}

/// `sqlite:///abs/path.db`, `sqlite://relative.db` (inside the data dir), and
/// `postgres://user:password@host:port/database?sslmode=…` (or `postgresql://`) are
/// understood; other schemes are refused by name.
fn parse_database_url(url: &str, data_dir: &Path) -> Result<Database, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // Checked now, so a typo is a configuration error naming `database_url`, not a
        // start-up failure.
        crate::store::postgres::Target::parse(url).map_err(|e| e.to_string())?;
        return Ok(Database::Postgres {
            url: Secret::new(url.to_owned()),
            shown: masked_url(url),
        });
    }
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
        "`{scheme}` databases are not supported; use `sqlite:///path/to/codexkey.db` or `postgres://user@host/database`"
    ))
}

/// A database URL fit to print: the password of its user part and a `password=` parameter
/// replaced by `*****`.
pub fn masked_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((user, host)) => match user.split_once(':') {
                Some((name, _password)) => format!("{scheme}://{name}:*****@{host}"),
                None => head.to_owned(),
            },
            None => head.to_owned(),
        },
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=*****"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Each trusted proxy as a network: a CIDR, or a single address.
fn trusted_proxies(entries: Vec<String>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    entries
        .into_iter()
        .map(|e| {
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::Invalid {
                    key: "server.trusted_proxies".to_owned(),
                    message: format!("`{e}` is not an IP address or a CIDR such as `10.0.0.0/8`"),
                })
        })
        .collect()
}

/// A [`Choice`] setting by name (its default when absent), or an error listing the names.
fn choice<T: Choice>(key: &str, name: Option<&str>) -> Result<T, ConfigError> {
    let Some(name) = name else {
        return Ok(T::default());
    };
    T::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<String> = T::ALL.iter().map(|c| format!("`{}`", c.as_str())).collect();
            let listed = match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            ConfigError::Invalid {
                key: key.to_owned(),
                message: format!("`{name}` is not {listed}"),
            }
        })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn smtp_urls_are_masked_and_checked() {
        for (url, shown) in [
            ("smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525"),
            ("smtps://bot:hunter2@mx.test", "smtps://bot:*****@mx.test"),
            (
                "smtp://bot:p%40ss:w@mx.test:587?tls=required",
                "smtp://bot:*****@mx.test:587?tls=required",
            ),
            ("smtp://only-user@mx.test", "smtp://only-user@mx.test"),
        ] {
            assert_eq!(mask_smtp_url(url).unwrap(), shown, "{url}");
        }
        for bad in ["mx.test:25", "http://mx.test", "smtp://bot:hunter2@"] {
            let e = mask_smtp_url(bad).unwrap_err();
            assert!(!e.contains("hunter2"), "{e}");
        }
        let raw = super::super::settings::RawMail {
            smtp_url: Some("ftp://bot:hunter2@mx.test".into()),
            from: None,
        };
        let e = mail(raw).unwrap_err().to_string();
        assert!(e.contains("mail.smtp_url") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn redis_urls_are_masked_and_checked() {
        assert_eq!(
            check_redis_url("redis://:s3cret@cache:6379/2").unwrap(),
            "redis://:*****@cache:6379/2"
        );
        assert_eq!(
            check_redis_url("redis://127.0.0.1:6379/0").unwrap(),
            "redis://127.0.0.1:6379/0"
        );
        for bad in ["rediss://u:s3cret@cache", "cache:6379", "http://cache"] {
            let e = check_redis_url(bad).unwrap_err();
            assert!(!e.contains("s3cret"), "{e}");
        }
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
        for url in [
            "postgres://ck:s3cret@db:5432/codexkey?sslmode=require",
            "postgresql://ck@db/codexkey",
        ] {
            assert!(
                matches!(parse_database_url(url, d), Ok(Database::Postgres { url: ref u, .. }) if u.expose() == url),
                "{url}"
            );
        }
        let err = parse_database_url("postgres://ck:s3cret@db/x?sslmode=sometimes", d).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn printed_urls_hide_passwords() {
        for (url, shown) in [
            (
                "postgres://ck:s3cret@db:5432/codexkey?sslmode=require",
                "postgres://ck:*****@db:5432/codexkey?sslmode=require",
            ),
            ("postgres://ck@db/codexkey", "postgres://ck@db/codexkey"),
            // A password with an `@` in it: the host follows the last one.
            ("postgres://ck:p@ss@db/x", "postgres://ck:*****@db/x"),
            (
                "postgres://db/x?user=ck&password=s3cret&sslmode=disable",
                "postgres://db/x?user=ck&password=*****&sslmode=disable",
            ),
        ] {
            assert_eq!(masked_url(url), shown);
        }
        let Ok(db) = parse_database_url("postgres://ck:s3cret@db/x", Path::new("/data")) else {
            panic!("a PostgreSQL URL is accepted");
        };
        let printed = format!("{db:?} {}", serde_json::to_string(&db).unwrap());
        assert!(!printed.contains("s3cret"), "{printed}");
    }
}
