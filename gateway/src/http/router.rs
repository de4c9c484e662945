//! The route table, registered through [`Routes`] so that [`endpoints`] lists exactly what the
//! router serves (the OpenAPI document is checked against it).
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
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::error::ApiError;
use crate::http::handlers::{
    account, admin, billing, codes, data, health, keys, orders, pages, recovery, refunds, requests,
    security, usage,
};
use crate::http::openapi;
use crate::http::request_log::RequestLog;
use crate::http::routes::{Endpoint, Routes};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    // With an address of its own, `/metrics` stays off the public listener.
    let with_metrics = state.config.server.metrics_listen.is_none();
    public_routes(with_metrics).into_router().with_state(state)
}

/// The app on `server.metrics_listen`: `/metrics` alone.
pub fn metrics_router(state: AppState) -> Router {
    metrics_routes().into_router().with_state(state)
}

/// Every endpoint either listener can serve: what the OpenAPI document must describe.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all: Vec<Endpoint> = public_routes(true)
        .endpoints()
        .iter()
        .chain(metrics_routes().endpoints())
        .cloned()
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The public listener's routes and middleware; `/metrics` among them when `with_metrics`.
pub(crate) fn public_routes(with_metrics: bool) -> Routes<AppState> {
    let api = Routes::new()
        .get("/openapi.json", openapi::document)
        .post("/auth/register", account::register)
        .post("/auth/login", account::login)
        .post("/auth/login/2fa", account::login_second_step)
        .post("/auth/logout", account::logout)
        .post("/auth/password-reset", recovery::request_reset)
        .post("/auth/password-reset/confirm", recovery::confirm_reset)
        .post("/auth/verify-email", recovery::verify_email)
        .get("/account", account::me)
        .patch("/account", account::update)
        .delete("/account", account::delete_account)
        .post("/account/password", account::change_password)
        .get("/account/export", account::export)
        .post(
            "/account/verify-email/resend",
            recovery::resend_verification,
        )
        .post("/account/2fa/enroll", security::enroll)
        .post("/account/2fa/confirm", security::confirm)
        .post("/account/2fa/disable", security::disable)
        .get("/account/sessions", security::sessions)
        .delete("/account/sessions/{id}", security::revoke_session)
        .post(
            "/account/sessions/revoke-others",
            security::revoke_other_sessions,
        )
        .get("/keys", keys::list)
        .post("/keys", keys::create)
        .get("/keys/{id}", keys::get)
        .patch("/keys/{id}", keys::update)
        .delete("/keys/{id}", keys::revoke)
        .post("/keys/{id}/rotate", keys::rotate)
        .get("/balance", billing::balance)
        .get("/ledger", billing::ledger)
        .get("/pricing", billing::pricing)
        .post("/redeem", codes::redeem)
        .post("/topup", orders::topup)
        .get("/orders", orders::list)
        .get("/orders/{id}", orders::get)
        .post("/orders/{id}/refund", refunds::request)
        .get("/refunds", refunds::list)
        .get("/referral", refunds::referral)
        .post("/billing/stripe/webhook", orders::stripe_webhook)
        .get("/usage", usage::report)
        .get("/usage/events", usage::events)
        .get("/usage/summary", usage::summary)
        .get("/currencies", usage::currencies)
        .get("/requests/{request_id}", requests::outcome)
        .get("/admin/users", admin::users)
        .post("/admin/users", recovery::create_user)
        .post("/admin/invitations", recovery::invite)
        .get("/admin/users/{account}", admin::user)
        .post("/admin/users/{account}/adjust", admin::adjust)
        .post("/admin/users/{account}/bonus", admin::bonus)
        .post("/admin/users/{account}/suspend", admin::suspend)
        .post("/admin/users/{account}/activate", admin::activate)
        .post("/admin/users/{account}/reset-2fa", security::reset_2fa)
        .post("/admin/users/{account}/reset-link", recovery::reset_link)
        .post("/admin/users/{account}/delete", admin::delete_user)
        .get("/admin/users/{account}/ledger", admin::user_ledger)
        .get("/admin/ledger/verify", admin::verify_ledger)
        .get("/admin/codes", codes::batches)
        .post("/admin/codes", codes::create)
        .post("/admin/codes/disable", codes::disable_code)
        .get("/admin/codes/{batch}", codes::batch)
        .post("/admin/codes/{batch}/disable", codes::disable_batch)
        .get("/admin/orders", orders::admin_list)
        .post("/admin/orders/sweep", orders::sweep)
        .get("/admin/refunds", refunds::admin_list)
        .post("/admin/refunds/{id}/approve", refunds::approve)
        .post("/admin/refunds/{id}/deny", refunds::deny)
        .get("/admin/audit", admin::audit)
        .post("/admin/retention/purge", admin::purge_retention)
        .post("/admin/backup", admin::backup)
        .get("/admin/upstreams", admin::upstreams)
        .post("/admin/upstreams", admin::create_upstream)
        .delete("/admin/upstreams/{name}", admin::delete_upstream)
        .post("/admin/upstreams/{name}/keys", admin::add_upstream_key)
        // Whole price lists run to megabytes.
        .post_with("/admin/prices/import", admin::import_prices, |m| {
            m.layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        })
        .put("/admin/prices/{model}", admin::set_price)
        .delete("/admin/prices/{model}", admin::reset_price)
        .put("/admin/prices/{model}/coefficient", admin::set_coefficient);
    // The data plane reads its own bodies with its own (much larger) limit.
    let data_plane = Routes::new()
        .post("/chat/completions", data::chat_completions)
        .post("/responses", data::responses)
        .get("/responses", data::responses_websocket)
        .post("/embeddings", data::embeddings)
        .post("/images/generations", data::images)
        .get("/models", data::models)
        .post("/messages", data::messages)
        .post("/messages/count_tokens", data::count_tokens)
        .map(|r| r.layer(DefaultBodyLimit::disable()));
    let app = Routes::new()
        .get("/", data::root)
        .get("/healthz", health::healthz)
        .get("/readyz", health::readyz)
        // The pages mailed links open in a browser.
        .get("/reset-password", pages::reset_page)
        .post("/reset-password", pages::reset_form)
        .get("/register", pages::register_page)
        .post("/register", pages::register_form)
        .get("/verify-email", pages::verify_page)
        .post("/verify-email", pages::verify_form)
        .nest("/api/v1", api)
        .nest("/v1", data_plane)
        .map(|r| {
            r.fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
                .layer(middleware::from_fn(log_request))
        });
    // Registered after the middleware, which therefore leaves scrapes out of the request
    // metrics and the request log.
    if with_metrics {
        app.get("/metrics", health::metrics)
    } else {
        app
    }
}

fn metrics_routes() -> Routes<AppState> {
    Routes::new()
        .get("/metrics", health::metrics)
        .map(|r| r.fallback(not_found))
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
