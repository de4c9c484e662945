//! Requests by route, model and status, and their latency by route: counted once per request
//! by the HTTP middleware, with no lock and no allocation on the way.
//!
//! The model is learnt deep in the data plane while the status is known only in the
//! middleware, so the data plane leaves the model in a task-local cell of fixed size that the
//! middleware opens around the request. The counter for a (route, model, status) is found in a
//! per-thread cache; only the first request of a combination on a thread takes the registry's
//! lock. Only priced models become labels (the data plane names the model once its price is
//! found), so clients cannot grow the label set with made-up names.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::MatchedPath;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::histogram::Histogram;

/// Longer model names are counted as `other`: no priced model comes close.
const MODEL_MAX: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
struct ModelName {
    len: u8,
    bytes: [u8; MODEL_MAX],
}

impl ModelName {
    const NONE: ModelName = ModelName {
        len: 0,
        bytes: [0; MODEL_MAX],
    };

    fn new(model: &str) -> ModelName {
        let model = if model.len() > MODEL_MAX {
            "other"
        } else {
            model
        };
        let mut name = ModelName::NONE;
        name.bytes[..model.len()].copy_from_slice(model.as_bytes());
        name.len = model.len() as u8;
        name
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("other")
    }
}

/// Hashes the name only, not the zeroes after it (equal names have equal padding).
impl std::hash::Hash for ModelName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(&self.bytes[..usize::from(self.len)]);
    }
}

tokio::task_local! {
    static MODEL: Cell<ModelName>;
}

/// Runs a request's handling with a cell for its model; returns what it named.
pub(super) async fn with_model_cell<T>(f: impl Future<Output = T>) -> (T, ModelCell) {
    MODEL
        .scope(Cell::new(ModelName::NONE), async move {
            let out = f.await;
            (out, ModelCell(MODEL.with(Cell::get)))
        })
        .await
}

/// The model a request named, as the middleware reads it back.
pub struct ModelCell(ModelName);

/// Names the model of the request being handled (a no-op outside the middleware).
pub fn note_model(model: &str) {
    let _ = MODEL.try_with(|cell| cell.set(ModelName::new(model)));
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub model: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

pub struct Requests {
    /// Tells instances apart in the per-thread cache (tests make their own).
    id: u64,
    pub(super) total: Family<RequestLabels, Counter>,
    pub(super) latency: Family<RouteLabels, Histogram>,
}

/// Where a request's series are found: the instance, the matched route by the address of its
/// pattern (axum hands every request of a route the same shared string, so the address names
/// the route without hashing the text), the status and the model.
#[derive(PartialEq, Eq, Hash)]
struct SeriesKey {
    instance: u64,
    route: usize,
    status: u16,
    model: ModelName,
}

struct Series {
    count: Counter,
    latency: Histogram,
    /// Holds the pattern whose address is in the key, so no other string can take that
    /// address while the entry lives (a gateway started again in the same process).
    _route: Option<MatchedPath>,
}

/// The keys are few and not chosen by clients (routes, priced models, statuses): a fast
/// unkeyed hash is enough.
type Cache = HashMap<SeriesKey, Series, foldhash::fast::FixedState>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

const UNMATCHED: &str = "(unmatched)";

impl Requests {
    pub(super) fn new() -> Requests {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Requests {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            total: Family::default(),
            latency: Family::default(),
        }
    }

    /// `route` is the matched route (a fixed set), `None` for a request no route matched.
    pub(super) fn observe(
        &self,
        route: Option<&MatchedPath>,
        status: u16,
        model: ModelCell,
        took: Duration,
    ) {
        let pattern = route.map_or(UNMATCHED, MatchedPath::as_str);
        let key = SeriesKey {
            instance: self.id,
            route: pattern.as_ptr() as usize,
            status,
            model: model.0,
        };
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            let series = cache.entry(key).or_insert_with(|| Series {
                count: self
                    .total
                    .get_or_create(&RequestLabels {
                        route: pattern.to_owned(),
                        model: model.0.as_str().to_owned(),
                        status,
                    })
                    .clone(),
                latency: self
                    .latency
                    .get_or_create(&RouteLabels {
                        route: pattern.to_owned(),
                    })
                    .clone(),
                _route: route.cloned(),
            });
            series.count.inc();
            series.latency.observe(took);
        });
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Mutex};

    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// `MatchedPath` has no public constructor: take one from a router, as the middleware
    /// does. A throwaway router, served by no gateway, so not one the OpenAPI list must know.
    #[expect(clippy::disallowed_methods)]
    async fn matched(pattern: &'static str, uri: &str) -> MatchedPath {
        let seen = Arc::new(Mutex::new(None));
        let slot = seen.clone();
        let app = axum::Router::new().route(
            pattern,
            get(move |m: MatchedPath| async move {
                *slot.lock().unwrap() = Some(m);
            }),
        );
        let req = axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        app.oneshot(req).await.unwrap();
        seen.lock().unwrap().take().expect("the route matched")
    }

    #[tokio::test]
    async fn the_model_named_inside_the_cell_is_counted_once_per_request() {
        let requests = Requests::new();
        let route = matched("/v1/chat/completions", "/v1/chat/completions").await;
        for _ in 0..3 {
            let ((), model) = with_model_cell(async { note_model("gpt-4o") }).await;
            requests.observe(Some(&route), 200, model, Duration::from_millis(2));
        }
        let ((), none) = with_model_cell(async {}).await;
        requests.observe(Some(&route), 404, none, Duration::from_millis(1));
        let ((), none) = with_model_cell(async {}).await;
        requests.observe(None, 404, none, Duration::from_millis(1));
        let count = |route: &str, model: &str, status| {
            requests
                .total
                .get_or_create(&RequestLabels {
                    route: route.to_string(),
                    model: model.into(),
                    status,
                })
                .get()
        };
        assert_eq!(count("/v1/chat/completions", "gpt-4o", 200), 3);
        assert_eq!(count("/v1/chat/completions", "", 404), 1);
        assert_eq!(count(UNMATCHED, "", 404), 1);
        let latency = |route: &str| {
            requests
                .latency
                .get_or_create(&RouteLabels {
                    route: route.to_string(),
                })
                .count()
        };
        assert_eq!(latency("/v1/chat/completions"), 4);
        let long = "m".repeat(MODEL_MAX + 1);
        assert_eq!(ModelName::new(&long).as_str(), "other");
        // Outside a request, naming a model is harmless.
        note_model("gpt-4o");
    }

    #[tokio::test]
    async fn routes_are_told_apart_by_their_pattern_not_by_the_uri() {
        let requests = Requests::new();
        let a = matched("/keys/{id}", "/keys/1").await;
        let b = matched("/keys/{id}", "/keys/2").await;
        let c = matched("/ledger", "/ledger").await;
        for route in [&a, &b, &c] {
            let ((), model) = with_model_cell(async {}).await;
            requests.observe(Some(route), 200, model, Duration::from_millis(1));
        }
        let count = |route: &str| {
            requests
                .total
                .get_or_create(&RequestLabels {
                    route: route.to_string(),
                    model: String::new(),
                    status: 200,
                })
                .get()
        };
        // Two routers, two pattern strings, one series.
        assert_eq!(count("/keys/{id}"), 2);
        assert_eq!(count("/ledger"), 1);
    }
}
