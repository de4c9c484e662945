//! `/api/v1/auth/*` and `/api/v1/account`.

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    Account, LoginRequest, LoginResponse, RegisterRequest, UpdateAccountRequest,
};

use crate::accounts::{self, Caller};
use crate::error::ApiError;
use crate::http::extract::AppJson;
use crate::server::ClientAddr;
use crate::state::AppState;

pub async fn register(
    State(state): State<AppState>,
    AppJson(req): AppJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::register(&state, req).await?),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<ClientAddr>>>,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let client = client.map(|c| c.0.0.0.ip());
    Ok(Json(
        accounts::login(&state, &req.email, req.password, client).await?,
    ))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    accounts::logout(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(caller: Caller) -> Json<Account> {
    Json(accounts::to_api(&caller.account))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<UpdateAccountRequest>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(
        accounts::update_preferences(&state, &caller, req).await?,
    ))
}
