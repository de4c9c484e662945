//! `/api/v1/balance` and `/api/v1/ledger`: the caller's own money.

use axum::Json;
use axum::extract::State;
use codexkey_common::api::{Balance, LedgerPage, Pricing};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::Caller;
use crate::billing;
use crate::error::ApiError;
use crate::http::extract::AppQuery;
use crate::http::openapi::responses::{BadRequest, ServerError, SessionRefused};
use crate::state::AppState;

/// A page of a list that runs newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Only entries older than this id: the previous page's `next_before`.
    pub before: Option<i64>,
    /// Entries per page, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The caller's balance: what it holds, what requests in flight reserve, what is available.
#[utoipa::path(
    get,
    path = "/api/v1/balance",
    tag = "billing",
    operation_id = "balance",
    security(("session" = [])),
    responses(
        (status = 200, description = "The balance.", body = Balance),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Balance>, ApiError> {
    Ok(Json(billing::balance(&state, &caller).await?))
}

/// The caller's ledger, newest entry first: every top-up, charge, refund, bonus and adjustment.
#[utoipa::path(
    get,
    path = "/api/v1/ledger",
    tag = "billing",
    operation_id = "ledger",
    security(("session" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of entries.", body = LedgerPage),
        BadRequest,
        SessionRefused,
        ServerError,
    ),
)]
pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    Ok(Json(
        billing::ledger(
            &state,
            caller.account.id,
            &caller.account.currency,
            q.before,
            q.limit,
        )
        .await?,
    ))
}

/// Every model's price, with the global margin. Public: no session needed.
#[utoipa::path(
    get,
    path = "/api/v1/pricing",
    tag = "billing",
    operation_id = "pricing",
    responses((status = 200, description = "The price list.", body = Pricing)),
)]
pub async fn pricing(State(state): State<AppState>) -> Json<Pricing> {
    Json(crate::pricing::admin::public(&state))
}
