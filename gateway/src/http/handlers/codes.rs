//! `/api/v1/redeem` (a user redeems a code) and `/api/v1/admin/codes/*` (batches of codes:
//! create, list, show, disable). The rules are in [`crate::billing::codes`].

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use codexkey_common::api::{
    CodeBatch, CodeBatchDetail, CreateCodesRequest, CreateCodesResponse, DisableCodeRequest,
    DisableCodesResponse, RedeemRequest, RedeemResponse,
};

use serde::Deserialize;

use crate::accounts::Caller;
use crate::billing::codes;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::server::ClientAddr;
use crate::state::AppState;

pub async fn redeem(
    State(state): State<AppState>,
    caller: Caller,
    client: Option<Extension<ConnectInfo<ClientAddr>>>,
    AppJson(req): AppJson<RedeemRequest>,
) -> Result<Json<RedeemResponse>, ApiError> {
    let client = client.map(|c| c.0.0.0.ip());
    Ok(Json(
        codes::redeem(&state, &caller, &req.code, client).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<CreateCodesRequest>,
) -> Result<(StatusCode, Json<CreateCodesResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(codes::create(&state, &admin, req).await?),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchesQuery {
    /// Only batches with a code still unused.
    #[serde(default)]
    pub unused: bool,
}

pub async fn batches(
    State(state): State<AppState>,
    _: Admin,
    AppQuery(q): AppQuery<BatchesQuery>,
) -> Result<Json<Vec<CodeBatch>>, ApiError> {
    Ok(Json(codes::batches(&state, q.unused).await?))
}

pub async fn batch(
    State(state): State<AppState>,
    _: Admin,
    Path(batch): Path<i64>,
) -> Result<Json<CodeBatchDetail>, ApiError> {
    Ok(Json(codes::batch(&state, batch).await?))
}

pub async fn disable_batch(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(batch): Path<i64>,
) -> Result<Json<DisableCodesResponse>, ApiError> {
    Ok(Json(codes::disable_batch(&state, &admin, batch).await?))
}

pub async fn disable_code(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<DisableCodeRequest>,
) -> Result<Json<DisableCodesResponse>, ApiError> {
    Ok(Json(codes::disable_code(&state, &admin, &req.code).await?))
}
