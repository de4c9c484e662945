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

/// Per route (looked up by `&str`, so without copying it), the series of each instance,
/// status and model.
type Cache = HashMap<Box<str>, HashMap<(u64, u16, ModelName), (Counter, Histogram)>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

impl Requests {
    pub(super) fn new() -> Requests {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Requests {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            total: Family::default(),
            latency: Family::default(),
        }
    }

    /// `route` is the matched route's pattern (a fixed set).
    pub(super) fn observe(&self, route: &str, status: u16, model: ModelCell, took: Duration) {
        let model = model.0;
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if !cache.contains_key(route) {
                cache.insert(route.into(), HashMap::new());
            }
            let Some(by) = cache.get_mut(route) else {
                return;
            };
            let key = (self.id, status, model);
            if let Some((count, latency)) = by.get(&key) {
                count.inc();
                latency.observe(took);
                return;
            }
            let count = self
                .total
                .get_or_create(&RequestLabels {
                    route: route.to_owned(),
                    model: model.as_str().to_owned(),
                    status,
                })
                .clone();
            let latency = self
                .latency
                .get_or_create(&RouteLabels {
                    route: route.to_owned(),
                })
                .clone();
            count.inc();
            latency.observe(took);
            by.insert(key, (count, latency));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_model_named_inside_the_cell_is_counted_once_per_request() {
        let requests = Requests::new();
        let route = "/v1/chat/completions";
        for _ in 0..3 {
            let ((), model) = with_model_cell(async { note_model("gpt-4o") }).await;
            requests.observe(route, 200, model, Duration::from_millis(2));
        }
        let ((), none) = with_model_cell(async {}).await;
        requests.observe(route, 404, none, Duration::from_millis(1));
        let count = |model: &str, status| {
            requests
                .total
                .get_or_create(&RequestLabels {
                    route: route.to_string(),
                    model: model.into(),
                    status,
                })
                .get()
        };
        assert_eq!(count("gpt-4o", 200), 3);
        assert_eq!(count("", 404), 1);
        let long = "m".repeat(MODEL_MAX + 1);
        assert_eq!(ModelName::new(&long).as_str(), "other");
        // Outside a request, naming a model is harmless.
        note_model("gpt-4o");
    }
}
