//! `/api/v1/topup` and `/api/v1/orders*` (a user buys credit and follows its orders),
//! `/api/v1/admin/orders*` (every order; one sweep on demand), and the Stripe webhook. The rules
//! are in [`crate::billing::orders`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use codexkey_common::api::{
    ErrorBody, Order, SweepReport, TopupRequest, TopupResponse, WebhookAck,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::Caller;
use crate::billing::orders;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::http::openapi::responses::{
    AdminRefused, BadBody, BadRequest, NotFound, ServerError, SessionRefused,
};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/topup",
    tag = "billing",
    operation_id = "topup",
    security(("session" = [])),
    request_body = TopupRequest,
    responses(
        (status = 201, description = "The pending order and the payment page to open; the \
            credit arrives once the provider confirms the payment.", body = TopupResponse),
        BadBody,
        SessionRefused,
        (status = 409, description = "Top-ups by card are not set up, or the account has as \
            many pending orders as `billing.max_pending_orders` allows (`conflict`).",
            body = ErrorBody),
        (status = 502, description = "The payment provider refused or could not be reached \
            (`payment_provider_error`); the order is failed, nothing is charged.",
            body = ErrorBody),
        ServerError,
    ),
)]
pub async fn topup(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<TopupRequest>,
) -> Result<(StatusCode, Json<TopupResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(orders::topup(&state, &caller, req).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "billing",
    operation_id = "list_orders",
    security(("session" = [])),
    responses(
        (status = 200, description = "The caller's orders, newest first.", body = Vec<Order>),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Order>>, ApiError> {
    Ok(Json(orders::own_orders(&state, &caller).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "billing",
    operation_id = "get_order",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The order's id.")),
    responses(
        (status = 200, description = "The order.", body = Order),
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(orders::own_order(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminOrdersQuery {
    /// Only orders in this state: `pending`, `paid`, `expired` or `failed`.
    pub state: Option<String>,
    /// Only this account's orders: its id or email.
    pub account: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/orders",
    tag = "admin",
    operation_id = "admin_list_orders",
    security(("session" = [])),
    params(AdminOrdersQuery),
    responses(
        (status = 200, description = "Orders, newest first (at most 500).", body = Vec<Order>),
        BadRequest,
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn admin_list(
    State(state): State<AppState>,
    _: Admin,
    AppQuery(q): AppQuery<AdminOrdersQuery>,
) -> Result<Json<Vec<Order>>, ApiError> {
    Ok(Json(
        orders::admin_orders(&state, q.state.as_deref(), q.account.as_deref()).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/orders/sweep",
    tag = "admin",
    operation_id = "sweep_orders",
    security(("session" = [])),
    responses(
        (status = 200, description = "What one sweep of the pending orders past \
            `billing.order_ttl_secs` did: each was settled with the provider (credited if \
            paid, expired if it can no longer be paid) or left pending.", body = SweepReport),
        AdminRefused,
        ServerError,
    ),
)]
pub async fn sweep(State(state): State<AppState>, _: Admin) -> Result<Json<SweepReport>, ApiError> {
    Ok(Json(orders::sweep(&state).await?))
}

/// Stripe's webhook endpoint. Authenticated by `Stripe-Signature` over the raw body, not by a
/// session.
#[utoipa::path(
    post,
    path = "/api/v1/billing/stripe/webhook",
    tag = "billing",
    operation_id = "stripe_webhook",
    request_body(content = serde_json::Value, description = "A Stripe event, signed.",
        content_type = "application/json"),
    params(("Stripe-Signature" = String, Header,
        description = "`t=…,v1=…`: HMAC-SHA256 of `{t}.{body}` with the webhook secret.")),
    responses(
        (status = 200, description = "Received; the outcome says what it did. Events for no \
            known order, or not matching their order, change nothing but are answered 200 so \
            Stripe stops re-delivering them.", body = WebhookAck),
        (status = 400, description = "The signature does not verify (`invalid_request`); \
            nothing was read or changed.", body = ErrorBody),
        (status = 404, description = "Stripe webhooks are not set up on this gateway \
            (`not_found`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    Ok(Json(
        orders::stripe_webhook(&state, signature, &body).await?,
    ))
}
