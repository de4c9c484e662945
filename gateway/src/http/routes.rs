//! [`Routes`]: an axum `Router` that lists what it serves.
//!
//! axum cannot say which routes a `Router` holds, yet the OpenAPI document must describe every
//! one of them. So routes are registered only through [`Routes`], which records each
//! (method, path) as it hands the handler to axum: the router and the list cannot disagree,
//! and a test compares the list with the document (`http::openapi`). `gateway/clippy.toml`
//! forbids `Router::route` elsewhere in the gateway, so a route cannot be added past the list.
//!
//! Paths keep axum's syntax (`/keys/{id}`), which is also OpenAPI's.

use std::convert::Infallible;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

/// One operation a router serves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub method: Method,
    /// The full path, prefixes of nested routers included.
    pub path: String,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A `Router` and the list of the endpoints registered on it.
#[must_use]
pub struct Routes<S = ()> {
    router: Router<S>,
    endpoints: Vec<Endpoint>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            endpoints: Vec::new(),
        }
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::GET, MethodFilter::GET, path, handler, |m| m)
    }

    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::POST, MethodFilter::POST, path, handler, |m| m)
    }

    pub fn put<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PUT, MethodFilter::PUT, path, handler, |m| m)
    }

    pub fn patch<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PATCH, MethodFilter::PATCH, path, handler, |m| m)
    }

    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::DELETE, MethodFilter::DELETE, path, handler, |m| m)
    }

    /// [`Routes::post`], after `tweak` has wrapped the handler: a layer for this one endpoint,
    /// such as a larger body limit.
    pub fn post_with<H: Handler<T, S>, T: 'static>(
        self,
        path: &str,
        handler: H,
        tweak: impl FnOnce(MethodRouter<S, Infallible>) -> MethodRouter<S, Infallible>,
    ) -> Self {
        self.add(Method::POST, MethodFilter::POST, path, handler, tweak)
    }

    /// Several methods on one path merge into one axum route, as `get(a).post(b)` would; the
    /// same method twice on one path panics (axum's overlap check), as it would there.
    fn add<H: Handler<T, S>, T: 'static>(
        mut self,
        method: Method,
        filter: MethodFilter,
        path: &str,
        handler: H,
        tweak: impl FnOnce(MethodRouter<S, Infallible>) -> MethodRouter<S, Infallible>,
    ) -> Self {
        // The one call of `Router::route` in the gateway (see the module docs).
        #[expect(clippy::disallowed_methods)]
        let router = self.router.route(path, tweak(on(filter, handler)));
        self.router = router;
        self.endpoints.push(Endpoint {
            method,
            path: path.to_owned(),
        });
        self
    }

    /// Serves `inner`'s routes under `prefix` (`/api/v1`).
    pub fn nest(mut self, prefix: &str, inner: Routes<S>) -> Self {
        self.router = self.router.nest(prefix, inner.router);
        self.endpoints
            .extend(inner.endpoints.into_iter().map(|e| Endpoint {
                method: e.method,
                path: format!("{prefix}{}", e.path),
            }));
        self
    }

    /// Applies `f` to the router as built so far: for layers and fallbacks, which (as in axum)
    /// wrap only the routes registered before them.
    pub fn map(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}
