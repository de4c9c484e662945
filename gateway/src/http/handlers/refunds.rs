//! `/api/v1/orders/{id}/refund` and `/api/v1/refunds` (a user asks for unused credit back and
//! follows it), `/api/v1/admin/refunds*` (an admin lists, approves and denies). The rules are
//! in [`crate::billing::refunds`]. `/api/v1/referral` (the caller's referral code, referees and
//! earnings; [`crate::billing::referrals`]) sits here too: its money moves with top-ups and
//! refunds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use codexkey_common::api::{DenyRefundRequest, ErrorBody, ReferralSummary, Refund, RefundRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::Caller;
use crate::billing::refunds;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::http::openapi::responses::{
    AdminRefused, BadBody, BadRequest, NotFound, ServerError, SessionRefused,
};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/refund",
    tag = "billing",
    operation_id = "request_refund",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The paid order's id.")),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund, `requested` (or already `succeeded` when \
            the gateway approves refunds automatically).", body = Refund),
        BadBody,
        SessionRefused,
        NotFound,
        (status = 409, description = "Refused (`conflict`): the order is not paid, was paid \
            before the refund window, has nothing unspent (promotional credit is never \
            refundable), is asked for more than its unspent part, or has a refund in \
            progress.", body = ErrorBody),
        (status = 502, description = "Automatic approval: the payment provider refused or \
            could not be reached (`payment_provider_error`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    AppJson(req): AppJson<RefundRequest>,
) -> Result<(StatusCode, Json<Refund>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(refunds::request(&state, &caller, id, req).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/refunds",
    tag = "billing",
    operation_id = "list_refunds",
    security(("session" = [])),
    responses(
        (status = 200, description = "The caller's refunds, newest first.", body = Vec<Refund>),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Refund>>, ApiError> {
    Ok(Json(refunds::own_refunds(&state, &caller).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminRefundsQuery {
    /// Only refunds in this state: `requested`, `approved`, `succeeded`, `failed`, `denied`.
    pub state: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/refunds",
    tag = "admin",
    operation_id = "admin_list_refunds",
    security(("session" = [])),
    params(AdminRefundsQuery),
    responses(
        (status = 200, description = "Refunds, newest first (at most 500).", body = Vec<Refund>),
        BadRequest,
        AdminRefused,
        ServerError,
    ),
)]
pub async fn admin_list(
    State(state): State<AppState>,
    _: Admin,
    AppQuery(q): AppQuery<AdminRefundsQuery>,
) -> Result<Json<Vec<Refund>>, ApiError> {
    Ok(Json(
        refunds::admin_refunds(&state, q.state.as_deref()).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/refunds/{id}/approve",
    tag = "admin",
    operation_id = "approve_refund",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The refund's id.")),
    responses(
        (status = 200, description = "Approved: the amount frozen (at most what is refundable \
            now), the ledger debited, the provider paid it back (`succeeded`).", body = Refund),
        AdminRefused,
        NotFound,
        (status = 409, description = "Not requested (or approved and waiting for the \
            provider), or nothing is refundable any more (`conflict`).", body = ErrorBody),
        (status = 502, description = "The provider refused (the refund failed, its debit was \
            given back) or could not be reached (it stays approved; approve again to retry) \
            (`payment_provider_error`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Refund>, ApiError> {
    Ok(Json(refunds::approve(&state, Some(&admin), id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/refunds/{id}/deny",
    tag = "admin",
    operation_id = "deny_refund",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The refund's id.")),
    request_body = DenyRefundRequest,
    responses(
        (status = 200, description = "Denied; nothing else changed.", body = Refund),
        BadBody,
        AdminRefused,
        NotFound,
        (status = 409, description = "The refund is not requested (`conflict`).",
            body = ErrorBody),
        ServerError,
    ),
)]
pub async fn deny(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    AppJson(req): AppJson<DenyRefundRequest>,
) -> Result<Json<Refund>, ApiError> {
    Ok(Json(refunds::deny(&state, &admin, id, &req.reason).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/referral",
    tag = "billing",
    operation_id = "referral",
    security(("session" = [])),
    responses(
        (status = 200, description = "The caller's referral code (made on first use), the \
            commission terms, referees (emails pseudonymised) and earnings.",
            body = ReferralSummary),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn referral(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ReferralSummary>, ApiError> {
    Ok(Json(
        crate::billing::referrals::summary(&state, &caller).await?,
    ))
}
