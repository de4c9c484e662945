//! `/api/v1/keys`: the caller's own API keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use codexkey_common::api::{ApiKey, CreateKeyRequest, CreatedKey, UpdateKeyRequest};

use crate::accounts::Caller;
use crate::error::ApiError;
use crate::http::extract::{AppJson, IdPath};
use crate::keys;
use crate::state::AppState;

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

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    Ok(Json(keys::list(&state, &caller).await?))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::get(&state, &caller, id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    AppJson(req): AppJson<UpdateKeyRequest>,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::update(&state, &caller, id, req).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys::revoke(&state, &caller, id).await?))
}

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
