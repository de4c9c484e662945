//! `/api/v1/auth/*` and `/api/v1/account`.

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    Account, ErrorBody, LoginRequest, LoginResponse, RegisterRequest, UpdateAccountRequest,
};

use crate::accounts::{self, Caller};
use crate::error::ApiError;
use crate::http::extract::AppJson;
use crate::http::openapi::responses::{BadBody, Conflict, ServerError, SessionRefused};
use crate::server::ClientAddr;
use crate::state::AppState;

/// Creates an account.
///
/// Open unless the operator closed registration. A password that is not strong enough is 400
/// `weak_password`; `language` defaults to `en` and `currency` to `USD`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "account",
    operation_id = "register",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account.", body = Account),
        BadBody,
        (status = 403, description = "Registration is closed on this gateway (`forbidden`).",
            body = ErrorBody),
        Conflict,
        ServerError,
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    AppJson(req): AppJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::register(&state, req).await?),
    ))
}

/// Logs in and returns a new session token.
///
/// Failed logins are throttled per email and per client address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "account",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The session token (shown once) and the account.",
            body = LoginResponse),
        BadBody,
        (status = 401, description = "Wrong email or password (`wrong_credentials`).",
            body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`).",
            body = ErrorBody),
        (status = 429, description = "Too many failed logins (`too_many_attempts`); \
            `retry-after` says when to try again.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
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

/// Ends the session whose token authenticates this request.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "account",
    operation_id = "logout",
    security(("session" = [])),
    responses(
        (status = 204, description = "The session has ended."),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    accounts::logout(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/v1/account",
    tag = "account",
    operation_id = "get_account",
    security(("session" = [])),
    responses(
        (status = 200, description = "The account.", body = Account),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn me(caller: Caller) -> Json<Account> {
    Json(accounts::to_api(&caller.account))
}

/// Changes the caller's preferences: language and display currency.
#[utoipa::path(
    patch,
    path = "/api/v1/account",
    tag = "account",
    operation_id = "update_account",
    security(("session" = [])),
    request_body = UpdateAccountRequest,
    responses(
        (status = 200, description = "The account as changed.", body = Account),
        BadBody,
        SessionRefused,
        ServerError,
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<UpdateAccountRequest>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(
        accounts::update_preferences(&state, &caller, req).await?,
    ))
}
