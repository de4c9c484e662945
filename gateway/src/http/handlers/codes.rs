//! `/api/v1/redeem` (a user redeems a code) and `/api/v1/admin/codes/*` (batches of codes:
//! create, list, show, disable). The rules are in [`crate::billing::codes`].

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use codexkey_common::api::{
    CodeBatch, CodeBatchDetail, CreateCodesRequest, CreateCodesResponse, DisableCodeRequest,
    DisableCodesResponse, ErrorBody, RedeemRequest, RedeemResponse,
};

use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::Caller;
use crate::billing::codes;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::http::openapi::responses::{
    AdminRefused, BadBody, BadRequest, NotFound, ServerError, SessionRefused,
};
use crate::server::ClientAddr;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/redeem",
    tag = "billing",
    operation_id = "redeem_code",
    security(("session" = [])),
    request_body = RedeemRequest,
    responses(
        (status = 200, description = "The code's credit and the balance after it.",
            body = RedeemResponse),
        BadBody,
        SessionRefused,
        (status = 404, description = "No such code (`not_found`): check it for typos.",
            body = ErrorBody),
        (status = 409, description = "The code was redeemed already, is disabled or has \
            expired (`conflict`, naming which).", body = ErrorBody),
        (status = 429, description = "Too many unknown codes tried (`too_many_attempts`); \
            `retry-after` says when to try again.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/admin/codes",
    tag = "admin",
    operation_id = "create_codes",
    security(("session" = [])),
    request_body = CreateCodesRequest,
    responses(
        (status = 201, description = "The batch and its codes, shown this once.",
            body = CreateCodesResponse),
        BadBody,
        AdminRefused,
        ServerError,
    ),
)]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BatchesQuery {
    /// Only batches with a code still unused.
    #[serde(default)]
    pub unused: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/codes",
    tag = "admin",
    operation_id = "list_code_batches",
    security(("session" = [])),
    params(BatchesQuery),
    responses(
        (status = 200, description = "The batches, with counts of their codes by state.",
            body = Vec<CodeBatch>),
        BadRequest,
        AdminRefused,
        ServerError,
    ),
)]
pub async fn batches(
    State(state): State<AppState>,
    _: Admin,
    AppQuery(q): AppQuery<BatchesQuery>,
) -> Result<Json<Vec<CodeBatch>>, ApiError> {
    Ok(Json(codes::batches(&state, q.unused).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/codes/{batch}",
    tag = "admin",
    operation_id = "get_code_batch",
    security(("session" = [])),
    params(("batch" = i64, Path, description = "The batch's id.")),
    responses(
        (status = 200, description = "The batch and the state of each code (never its text).",
            body = CodeBatchDetail),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn batch(
    State(state): State<AppState>,
    _: Admin,
    Path(batch): Path<i64>,
) -> Result<Json<CodeBatchDetail>, ApiError> {
    Ok(Json(codes::batch(&state, batch).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/codes/{batch}/disable",
    tag = "admin",
    operation_id = "disable_code_batch",
    security(("session" = [])),
    params(("batch" = i64, Path, description = "The batch's id.")),
    responses(
        (status = 200, description = "How many codes were disabled.",
            body = DisableCodesResponse),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn disable_batch(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(batch): Path<i64>,
) -> Result<Json<DisableCodesResponse>, ApiError> {
    Ok(Json(codes::disable_batch(&state, &admin, batch).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/codes/disable",
    tag = "admin",
    operation_id = "disable_code",
    security(("session" = [])),
    request_body = DisableCodeRequest,
    responses(
        (status = 200, description = "How many codes were disabled (0 or 1).",
            body = DisableCodesResponse),
        BadBody,
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn disable_code(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<DisableCodeRequest>,
) -> Result<Json<DisableCodesResponse>, ApiError> {
    Ok(Json(codes::disable_code(&state, &admin, &req.code).await?))
}
