//! `/api/v1/balance` and `/api/v1/ledger`: the caller's own money.

use axum::Json;
use axum::extract::State;
use codexkey_common::api::{Balance, LedgerPage};
use serde::Deserialize;

use crate::accounts::Caller;
use crate::billing;
use crate::error::ApiError;
use crate::http::extract::AppQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Balance>, ApiError> {
    Ok(Json(billing::balance(&state, &caller).await?))
}

pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    Ok(Json(
        billing::ledger(&state, caller.account.id, q.before, q.limit).await?,
    ))
}

/// `GET /api/v1/pricing`: public, no session needed.
pub async fn pricing(State(state): State<AppState>) -> Json<codexkey_common::api::Pricing> {
    Json(crate::pricing::admin::public(&state))
}
