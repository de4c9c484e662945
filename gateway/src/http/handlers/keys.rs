//! `/api/v1/keys`: the caller's own API keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use codexkey_common::api::{ApiKey, CreateKeyRequest, CreatedKey, UpdateKeyRequest};

use crate::accounts::Caller;
use crate::error::ApiError;
use crate::http::extract::{AppJson, IdPath};
use crate::http::openapi::responses::{BadBody, BadRequest, NotFound, ServerError, SessionRefused};
use crate::keys;
use crate::state::AppState;

/// Creates an API key for the caller's account.
///
/// The answer holds the key's secret: the only time it is ever shown.
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "keys",
    operation_id = "create_key",
    security(("session" = [])),
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "The key and its secret.", body = CreatedKey),
        BadBody,
        SessionRefused,
        ServerError,
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(keys::create(&state, &caller, req).await?),
    ))
}

/// The caller's keys, revoked and expired ones included.
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "keys",
    operation_id = "list_keys",
    security(("session" = [])),
    responses(
        (status = 200, description = "The keys.", body = Vec<ApiKey>),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    Ok(Json(keys::list(&state, &caller).await?))
}

/// One of the caller's keys.
#[utoipa::path(
    get,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    operation_id = "get_key",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses(
        (status = 200, description = "The key.", body = ApiKey),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::get(&state, &caller, id).await?))
}

/// Changes a key's settings.
///
/// A field left out keeps its value; a field sent as `null` removes the setting.
#[utoipa::path(
    patch,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    operation_id = "update_key",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    request_body = UpdateKeyRequest,
    responses(
        (status = 200, description = "The key as changed.", body = ApiKey),
        BadBody,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    AppJson(req): AppJson<UpdateKeyRequest>,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::update(&state, &caller, id, req).await?))
}

/// Revokes a key: it stops working at once, and stays listed.
#[utoipa::path(
    delete,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    operation_id = "revoke_key",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses(
        (status = 200, description = "The key, revoked.", body = ApiKey),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::revoke(&state, &caller, id).await?))
}

/// Replaces a key with a new one of the same settings, revoking the old one.
///
/// The answer holds the new key's secret: the only time it is ever shown.
#[utoipa::path(
    post,
    path = "/api/v1/keys/{id}/rotate",
    tag = "keys",
    operation_id = "rotate_key",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses(
        (status = 201, description = "The new key and its secret.", body = CreatedKey),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(keys::rotate(&state, &caller, id).await?),
    ))
}
