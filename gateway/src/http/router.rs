//! The route table.
//!
//! Middleware, outermost first:
//! 1. `log_request`: counts every request for the Prometheus metrics
//!    ([`crate::metrics::count_request`]: by route, model and status, with its latency) and,
//!    at `info`, logs one line per request with method, matched route, request id, account id,
//!    key id, model, upstream, status and latency in whole microseconds (`latency_us`); the
//!    handlers fill in what they learn through a [`RequestLog`] slot. Never the query string,
//!    headers or body: they may carry secrets or prompts. One middleware for both: each layer
//!    costs a boxed future per request.
//! 2. axum's default body limit (2 MB) on the management API's JSON bodies; the data plane
//!    (`/v1`) reads its own bodies, up to `proxy.body_limit_mb`.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::http::handlers::{account, admin, billing, codes, data, health, keys, usage};
use crate::http::request_log::RequestLog;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/register", post(account::register))
        .route("/auth/login", post(account::login))
        .route("/auth/logout", post(account::logout))
        .route("/account", get(account::me).patch(account::update))
        .route("/keys", get(keys::list).post(keys::create))
        .route(
            "/keys/{id}",
            get(keys::get).patch(keys::update).delete(keys::revoke),
        )
        .route("/keys/{id}/rotate", post(keys::rotate))
        .route("/balance", get(billing::balance))
        .route("/ledger", get(billing::ledger))
        .route("/pricing", get(billing::pricing))
        .route("/redeem", post(codes::redeem))
        .route("/usage", get(usage::report))
        .route("/usage/events", get(usage::events))
        .route("/usage/summary", get(usage::summary))
        .route("/currencies", get(usage::currencies))
        .route(
            "/requests/{request_id}",
            get(crate::http::handlers::requests::outcome),
        )
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{account}", get(admin::user))
        .route("/admin/users/{account}/adjust", post(admin::adjust))
        .route("/admin/users/{account}/bonus", post(admin::bonus))
        .route("/admin/users/{account}/suspend", post(admin::suspend))
        .route("/admin/users/{account}/activate", post(admin::activate))
        .route("/admin/users/{account}/ledger", get(admin::user_ledger))
        .route("/admin/ledger/verify", get(admin::verify_ledger))
        .route("/admin/codes", get(codes::batches).post(codes::create))
        .route("/admin/codes/disable", post(codes::disable_code))
        .route("/admin/codes/{batch}", get(codes::batch))
        .route("/admin/codes/{batch}/disable", post(codes::disable_batch))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/backup", post(admin::backup))
        .route(
            "/admin/upstreams",
            get(admin::upstreams).post(admin::create_upstream),
        )
        .route(
            "/admin/upstreams/{name}",
            axum::routing::delete(admin::delete_upstream),
        )
        .route(
            "/admin/upstreams/{name}/keys",
            post(admin::add_upstream_key),
        )
        // Whole price lists run to megabytes.
        .route(
            "/admin/prices/import",
            post(admin::import_prices)
                .layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)),
        )
        .route(
            "/admin/prices/{model}",
            axum::routing::put(admin::set_price).delete(admin::reset_price),
        )
        .route(
            "/admin/prices/{model}/coefficient",
            axum::routing::put(admin::set_coefficient),
        );
    // The data plane reads its own bodies with its own (much larger) limit.
    let data_plane = Router::new()
        .route("/chat/completions", post(data::chat_completions))
        .route(
            "/responses",
            post(data::responses).get(data::responses_websocket),
        )
        .route("/embeddings", post(data::embeddings))
        .route("/images/generations", post(data::images))
        .route("/models", get(data::models))
        .route("/messages", post(data::messages))
        .route("/messages/count_tokens", post(data::count_tokens))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let app = Router::new()
        .route("/", get(data::root))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api)
        .nest("/v1", data_plane)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request));
    // With an address of its own, `/metrics` stays off the public listener.
    let app = if state.config.server.metrics_listen.is_none() {
        app.route("/metrics", get(health::metrics))
    } else {
        app
    };
    app.with_state(state)
}

/// The app on `server.metrics_listen`: `/metrics` alone.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not accept {method}", uri.path()))
}

async fn log_request(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    // `MatchedPath` is an `Arc<str>`: cloning it copies nothing.
    let route = req.extensions().get::<MatchedPath>().cloned();
    if !tracing::enabled!(tracing::Level::INFO) {
        return crate::metrics::count_request(route.as_ref(), start, next.run(req)).await;
    }
    let method = req.method().clone();
    let log = RequestLog::attached();
    req.extensions_mut().insert(log.clone());
    let response = crate::metrics::count_request(route.as_ref(), start, next.run(req)).await;
    let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let fields = log.fields();
    tracing::info!(
        %method,
        route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str),
        request_id = fields.request_id.as_deref(),
        account_id = fields.account_id,
        key_id = fields.key_id,
        model = fields.model.as_deref(),
        upstream = fields.upstream.as_deref(),
        status = response.status().as_u16(),
        latency_us,
        "request"
    );
    response
}
