//! The gateway's Prometheus metrics: what is counted, where, and the `/metrics` text.
//!
//! One set per process ([`get`]): a gateway runs one per process, and the counters are then
//! reachable from every module without threading a handle through each constructor. Nothing
//! is labelled by account or key (unbounded, and who spends what is the usage API's business);
//! the labels are routes, priced models, statuses, upstream names and fixed reasons.
//!
//! The data plane records with atomic adds only: counters and [`Histogram`] are atomics, and
//! labelled series are found without the registry's lock (a per-thread cache for requests,
//! fixed tables for the static label sets, handles kept by each upstream).

pub mod histogram;
pub mod requests;

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::extract::MatchedPath;
use axum::response::Response;
use codexkey_common::settlement::Settlement;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::route::Route;
pub use histogram::Histogram;
use requests::Requests;
pub use requests::note_model;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    upstream: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SettlementLabels {
    settlement: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabels {
    change: &'static str,
}

/// The kinds of change other replicas announce (`crate::changes::Change`, as labels).
const CHANGES: [&str; 5] = ["key", "account", "prices", "upstreams", "everything"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DataRouteLabels {
    route: &'static str,
}

/// Series of a fixed label set, resolved once so recording never takes the registry's lock.
struct Fixed<M>(Vec<(&'static str, M)>);

impl<M: Clone> Fixed<M> {
    fn new(
        labels: impl IntoIterator<Item = &'static str>,
        mut make: impl FnMut(&'static str) -> M,
    ) -> Self {
        Fixed(labels.into_iter().map(|l| (l, make(l))).collect())
    }

    fn get(&self, label: &str) -> Option<&M> {
        self.0.iter().find(|(l, _)| *l == label).map(|(_, m)| m)
    }
}

/// The reasons a data-plane request is refused before it reaches an upstream (the error codes
/// clients see).
const REFUSALS: [&str; 17] = [
    "missing_api_key",
    "invalid_api_key",
    "revoked_api_key",
    "expired_api_key",
    "account_suspended",
    "model_not_allowed",
    "key_budget_exhausted",
    "insufficient_balance",
    "rate_limited",
    "invalid_request",
    "request_too_large",
    "model_not_found",
    "upstream_error",
    "upstream_timeout",
    "output_cap_exceeded",
    "unavailable",
    "internal_error",
];

pub struct Metrics {
    registry: Registry,
    requests: Requests,
    exchange_latency: Fixed<Histogram>,
    time_to_first_byte: Fixed<Histogram>,
    refused: Fixed<Counter>,
    settlements: Fixed<Counter>,
    upstream_attempts: Family<UpstreamLabels, Counter>,
    upstream_errors: Family<UpstreamLabels, Counter>,
    upstream_cooldowns: Family<UpstreamLabels, Counter>,
    holds_in_flight: Gauge,
    writer_queue: Gauge,
    writer_commit: Histogram,
    lease_grants: Counter,
    changes_listening: Gauge,
    changes_applied: Fixed<Counter>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

/// An upstream's series, kept by the upstream so its requests find them without a lookup.
/// Built again for the same name, they are the same series: counts survive an upstream
/// reload.
#[derive(Clone, Debug)]
pub struct UpstreamSeries {
    attempts: Counter,
    errors: Counter,
    cooldowns: Counter,
}

impl UpstreamSeries {
    pub fn attempt(&self) {
        self.attempts.inc();
    }
    pub fn error(&self) {
        self.errors.inc();
    }
    pub fn cooldown(&self) {
        self.cooldowns.inc();
    }
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("codexkey");
        let requests = Requests::new();
        registry.register(
            "http_requests",
            "Requests answered, by matched route, priced model (data plane) and status",
            requests.total.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head, by matched route",
            requests.latency.clone(),
        );
        let data_routes = || Route::ALL.into_iter().map(Route::as_str);
        let per_route = |registry: &mut Registry, name: &str, help: &str| {
            let family = Family::<DataRouteLabels, Histogram>::default();
            registry.register(name, help, family.clone());
            Fixed::new(data_routes(), |route| {
                family.get_or_create(&DataRouteLabels { route }).clone()
            })
        };
        let exchange_latency = per_route(
            &mut registry,
            "exchange_duration_seconds",
            "Data-plane requests from arrival to settlement (the whole answer), by route",
        );
        let time_to_first_byte = per_route(
            &mut registry,
            "time_to_first_byte_seconds",
            "Data-plane requests from arrival to the upstream's response head, by route",
        );
        let refused_family = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "admissions_refused",
            "Data-plane requests refused before reaching an upstream, by reason",
            refused_family.clone(),
        );
        let refused = Fixed::new(REFUSALS, |reason| {
            refused_family
                .get_or_create(&ReasonLabels { reason })
                .clone()
        });
        let settlement_family = Family::<SettlementLabels, Counter>::default();
        registry.register(
            "settlements",
            "Requests settled, by settlement (usage_invalid and capped_at_hold are upstream usage anomalies)",
            settlement_family.clone(),
        );
        let settlements = Fixed::new(Settlement::ALL.map(Settlement::as_str), |settlement| {
            settlement_family
                .get_or_create(&SettlementLabels { settlement })
                .clone()
        });
        let upstream_attempts = Family::default();
        let upstream_errors = Family::default();
        let upstream_cooldowns = Family::default();
        registry.register(
            "upstream_attempts",
            "Requests sent to an upstream, retries included",
            upstream_attempts.clone(),
        );
        registry.register(
            "upstream_errors",
            "Upstream attempts that failed (unreachable or a retryable status)",
            upstream_errors.clone(),
        );
        registry.register(
            "upstream_cooldowns",
            "Times an upstream key was set cooling down after an error",
            upstream_cooldowns.clone(),
        );
        let holds_in_flight = Gauge::default();
        registry.register(
            "holds_in_flight",
            "Requests admitted whose hold is not settled yet",
            holds_in_flight.clone(),
        );
        let writer_queue = Gauge::default();
        registry.register(
            "metering_queue_depth",
            "Metering writes waiting for the group-commit writer",
            writer_queue.clone(),
        );
        let writer_commit = Histogram::default();
        registry.register(
            "metering_commit_duration_seconds",
            "Time the metering writer takes to commit one batch",
            writer_commit.clone(),
        );
        let lease_grants = Counter::default();
        registry.register(
            "lease_grants",
            "Balance lease grants this replica asked the database for (PostgreSQL)",
            lease_grants.clone(),
        );
        let changes_listening = Gauge::default();
        registry.register(
            "changes_listening",
            "Connections listening for other replicas' changes (PostgreSQL): 1 while the gateway hears them",
            changes_listening.clone(),
        );
        let changes_family = Family::<ChangeLabels, Counter>::default();
        registry.register(
            "changes_applied",
            "Change notifications applied to this gateway's caches, by kind (everything: after a reconnection or an unknown payload)",
            changes_family.clone(),
        );
        let changes_applied = Fixed::new(CHANGES, |change| {
            changes_family
                .get_or_create(&ChangeLabels { change })
                .clone()
        });
        Metrics {
            registry,
            requests,
            exchange_latency,
            time_to_first_byte,
            refused,
            settlements,
            upstream_attempts,
            upstream_errors,
            upstream_cooldowns,
            holds_in_flight,
            writer_queue,
            writer_commit,
            lease_grants,
            changes_listening,
            changes_applied,
        }
    }

    pub fn upstream(&self, name: &str) -> UpstreamSeries {
        let labels = UpstreamLabels {
            upstream: name.to_owned(),
        };
        UpstreamSeries {
            attempts: self.upstream_attempts.get_or_create(&labels).clone(),
            errors: self.upstream_errors.get_or_create(&labels).clone(),
            cooldowns: self.upstream_cooldowns.get_or_create(&labels).clone(),
        }
    }

    /// A data-plane request refused with this error code.
    pub fn refused(&self, code: &str) {
        if let Some(c) = self.refused.get(code) {
            c.inc();
        }
    }

    pub fn hold_taken(&self) {
        self.holds_in_flight.inc();
    }

    /// A settled request: its hold is released, and its timings and settlement are counted.
    pub fn settled(
        &self,
        route: &str,
        settlement: Settlement,
        latency_ms: Option<i64>,
        ttfb_ms: Option<i64>,
    ) {
        self.holds_in_flight.dec();
        if let Some(c) = self.settlements.get(settlement.as_str()) {
            c.inc();
        }
        let ms = |v: i64| u64::try_from(v).unwrap_or(0).saturating_mul(1000);
        if let (Some(h), Some(v)) = (self.exchange_latency.get(route), latency_ms) {
            h.observe_us(ms(v));
        }
        if let (Some(h), Some(v)) = (self.time_to_first_byte.get(route), ttfb_ms) {
            h.observe_us(ms(v));
        }
    }

    /// A change listener started (`true`) or stopped (`false`) listening.
    pub fn changes_listening(&self, listening: bool) {
        if listening {
            self.changes_listening.inc();
        } else {
            self.changes_listening.dec();
        }
    }

    /// A change notification applied; `kind` is one of [`CHANGES`].
    pub fn change_applied(&self, kind: &str) {
        if let Some(c) = self.changes_applied.get(kind) {
            c.inc();
        }
    }

    pub fn metering_commit(&self, took: Duration) {
        self.writer_commit.observe(took);
    }

    /// A balance lease grant asked of the database, answered or not.
    pub fn lease_grant(&self) {
        self.lease_grants.inc();
    }

    /// The text a scrape gets; `queue_depth` is read by the caller at scrape time.
    pub fn render(&self, queue_depth: usize) -> String {
        self.writer_queue
            .set(i64::try_from(queue_depth).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Runs a request's handling (`handled`, begun at `start` on `route`) and counts it by route,
/// model and status, with its latency. Called by the request middleware, which also logs, so
/// each request goes through one middleware rather than two.
pub async fn count_request(
    route: Option<&MatchedPath>,
    start: Instant,
    handled: impl Future<Output = Response>,
) -> Response {
    let (response, model) = requests::with_model_cell(handled).await;
    get()
        .requests
        .observe(route, response.status().as_u16(), model, start.elapsed());
    response
}
