//! Upstream providers: where a request goes, with which key, and what happens when a key fails.
//!
//! Each configured upstream has a base URL and one or more keys ("transport nodes"). A model
//! routes to the upstreams that serve it (an explicit list of names and `*` patterns, or the
//! models the price table lists for the upstream's provider) and that speak the route's wire
//! format. Keys of an upstream are used round-robin; a key that fails (connection error, 429,
//! 5xx, or refused by upstream) cools down and is skipped until then.

pub mod body;
pub mod crypto;
pub mod http;
pub mod manage;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use codexkey_common::{Secret, glob};

use crate::clock::now_ms;
use crate::config::{Config, Provider, UpstreamConfig, UpstreamTuning};
use crate::route::Route;
use crate::store::StoredUpstream;
use crypto::MasterKey;
use http::HttpClient;

pub struct Upstreams {
    /// An HTTP client per serving worker, built on first use: a pooled connection is driven
    /// by a task of the runtime that opened it, so sharing one pool across workers would make
    /// every request wake a second thread (see `server`).
    clients: Box<[OnceLock<HttpClient>]>,
    /// The client built at start-up, kept for the unlikely case a later build fails.
    first: HttpClient,
    pub tuning: UpstreamTuning,
    list: Vec<Arc<Upstream>>,
}

pub struct Upstream {
    pub name: String,
    pub provider: Provider,
    base_url: String,
    models: Option<Vec<String>>,
    keys: Vec<PoolKey>,
    next: AtomicUsize,
    /// Each route's URL, parsed once (by [`Route::index`]): parsing a URL per request cost more
    /// than the rest of building the request.
    urls: Vec<axum::http::Uri>,
    /// This upstream's attempt, error and cool-down counters.
    pub series: crate::metrics::UpstreamSeries,
}

struct PoolKey {
    header: (HeaderName, HeaderValue),
    cooldown_until_ms: AtomicI64,
}

/// A key of an upstream, as chosen for one attempt.
#[derive(Clone, Copy, Debug)]
pub struct KeyPick(usize);

#[derive(Debug, thiserror::Error)]
#[error("upstream `{name}`: {message}")]
pub struct UpstreamInitError {
    pub name: String,
    pub message: String,
}

impl Upstreams {
    /// The upstreams of the configuration followed by those added through the admin API, whose
    /// keys are opened with the master key.
    pub fn build(
        config: &Config,
        stored: &[StoredUpstream],
    ) -> Result<Upstreams, UpstreamInitError> {
        let mut all = config.upstreams.clone();
        if !stored.is_empty() {
            let master = config
                .master_key
                .as_ref()
                .ok_or_else(|| UpstreamInitError {
                    name: stored[0].name.clone(),
                    message: "the database holds upstream keys but no `master_key` is configured to open them".into(),
                })?;
            let master = MasterKey::from_hex(master.expose()).map_err(|e| UpstreamInitError {
                name: "*".into(),
                message: e.to_string(),
            })?;
            for u in stored {
                let err = |message: String| UpstreamInitError {
                    name: u.name.clone(),
                    message,
                };
                let provider = Provider::parse(&u.provider)
                    .ok_or_else(|| err(format!("unknown provider `{}`", u.provider)))?;
                let keys = u
                    .keys
                    .iter()
                    .map(|k| {
                        master
                            .open(&k.ciphertext, &u.name)
                            .map_err(|e| err(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                all.push(UpstreamConfig {
                    name: u.name.clone(),
                    provider,
                    base_url: u.base_url.clone(),
                    keys,
                    models: u.models.clone(),
                    origin: Default::default(),
                });
            }
        }
        Upstreams::new(&all, config.upstream.clone(), config.workers)
    }

    pub fn new(
        configs: &[UpstreamConfig],
        tuning: UpstreamTuning,
        workers: usize,
    ) -> Result<Upstreams, UpstreamInitError> {
        // Built once here so that a setting the client refuses is an error at start-up.
        let first = HttpClient::new(&tuning).map_err(|e| UpstreamInitError {
            name: "*".into(),
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        let clients: Box<[OnceLock<HttpClient>]> =
            (0..workers.max(1)).map(|_| OnceLock::new()).collect();
        let _ = clients[0].set(first.clone());
        let mut list = Vec::new();
        for c in configs {
            let err = |message: String| UpstreamInitError {
                name: c.name.clone(),
                message,
            };
            let keys = c
                .keys
                .iter()
                .map(|k| {
                    let header = auth_header(c.provider, k)
                        .map_err(|_| err("a key has characters not allowed in a header".into()))?;
                    Ok(PoolKey {
                        header,
                        cooldown_until_ms: AtomicI64::new(0),
                    })
                })
                .collect::<Result<Vec<_>, UpstreamInitError>>()?;
            let after_scheme = c.base_url.split_once("://").map_or("", |(_, rest)| rest);
            let base_has_path = after_scheme.contains('/');
            let urls = Route::ALL
                .iter()
                .map(|&route| {
                    let url = route_url(&c.base_url, base_has_path, route);
                    url.parse::<axum::http::Uri>()
                        .map_err(|e| err(format!("`{url}` is not a valid URL: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            list.push(Arc::new(Upstream {
                name: c.name.clone(),
                provider: c.provider,
                base_url: c.base_url.clone(),
                models: c.models.clone(),
                keys,
                next: AtomicUsize::new(0),
                urls,
                series: crate::metrics::get().upstream(&c.name),
            }));
        }
        Ok(Upstreams {
            clients,
            first,
            tuning,
            list,
        })
    }

    /// The HTTP client of the worker this runs on.
    pub fn client(&self) -> &HttpClient {
        let slot = &self.clients[crate::server::worker_index() % self.clients.len()];
        slot.get_or_init(|| {
            // The same settings built once already; should it fail now, share the first.
            HttpClient::new(&self.tuning).unwrap_or_else(|_| self.first.clone())
        })
    }

    /// The upstreams that can serve `model` on `route`, in configuration order.
    /// `listed_provider` is the provider the price table names for the model.
    pub fn candidates<'a>(
        &'a self,
        route: Route,
        model: &'a str,
        listed_provider: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Upstream>> + 'a {
        self.list
            .iter()
            .filter(move |u| u.speaks(route) && u.serves(model, listed_provider))
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Upstream>> {
        self.list.iter()
    }
}

/// A route's URL under a base URL. A base with a path (`…/v1beta/openai`) stands for `/v1`,
/// so routes are appended without that prefix.
fn route_url(base_url: &str, base_has_path: bool, route: Route) -> String {
    let path = route.path();
    let path = if base_has_path {
        path.strip_prefix("/v1").unwrap_or(path)
    } else {
        path
    };
    format!("{base_url}{path}")
}

fn auth_header(provider: Provider, key: &Secret<String>) -> Result<(HeaderName, HeaderValue), ()> {
    let (name, value) = match provider {
        Provider::Anthropic => (HeaderName::from_static("x-api-key"), key.expose().clone()),
        Provider::Openai | Provider::OpenaiCompatible => (
            axum::http::header::AUTHORIZATION,
            format!("Bearer {}", key.expose()),
        ),
    };
    let mut value = HeaderValue::from_str(&value).map_err(|_| ())?;
    value.set_sensitive(true);
    Ok((name, value))
}

impl Upstream {
    fn speaks(&self, route: Route) -> bool {
        match self.provider {
            Provider::Anthropic => matches!(route, Route::Messages | Route::CountTokens),
            Provider::Openai => matches!(
                route,
                Route::ChatCompletions | Route::Responses | Route::Embeddings | Route::Images
            ),
            Provider::OpenaiCompatible => matches!(
                route,
                Route::ChatCompletions | Route::Responses | Route::Embeddings | Route::Images
            ),
        }
    }

    fn serves(&self, model: &str, listed_provider: Option<&str>) -> bool {
        match &self.models {
            Some(patterns) => patterns.iter().any(|p| glob::matches(p, model)),
            None => listed_provider == Some(self.provider.as_str()),
        }
    }

    /// The full URL for a route, with the client's query string if any.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn models(&self) -> Option<&[String]> {
        self.models.as_deref()
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn url(&self, route: Route, query: Option<&str>) -> axum::http::Uri {
        let url = &self.urls[route.index()];
        let Some(query) = query else {
            return url.clone();
        };
        let mut parts = url.clone().into_parts();
        let path = url.path();
        parts.path_and_query = format!("{path}?{query}").parse().ok();
        axum::http::Uri::from_parts(parts).unwrap_or_else(|_| url.clone())
    }

    /// The next key not cooling down, round-robin; `None` when all are.
    pub fn pick_key(&self) -> Option<KeyPick> {
        let now = now_ms();
        let n = self.keys.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| (start + i) % n)
            .find(|&i| self.keys[i].cooldown_until_ms.load(Ordering::Relaxed) <= now)
            .map(KeyPick)
    }

    /// The key whose cool-down ends first: used for a single attempt when every key of every
    /// candidate is cooling, so that one upstream blip does not turn into an outage.
    pub fn soonest_key(&self) -> Option<KeyPick> {
        (0..self.keys.len())
            .min_by_key(|&i| self.keys[i].cooldown_until_ms.load(Ordering::Relaxed))
            .map(KeyPick)
    }

    pub fn auth(&self, key: KeyPick) -> (HeaderName, HeaderValue) {
        self.keys[key.0].header.clone()
    }

    /// Skips `key` for `duration`.
    pub fn cool_down(&self, key: KeyPick, duration: Duration) {
        let until = now_ms() + i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2);
        self.keys[key.0]
            .cooldown_until_ms
            .fetch_max(until, Ordering::Relaxed);
        self.series.cooldown();
        tracing::warn!(upstream = %self.name, key = key.0, cooldown_secs = duration.as_secs(), "upstream key cooling down");
    }
}
