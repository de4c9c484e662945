//! `/api/v1/auth/*`, `/api/v1/account`, `/api/v1/account/password` and `/api/v1/account/export`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use codexkey_common::api::{
    Account, AccountDeleted, ChangePasswordRequest, DeleteAccountRequest, ErrorBody, LoginOutcome,
    LoginRequest, LoginResponse, PasswordChanged, RegisterRequest, SecondStepRequest,
    UpdateAccountRequest,
};

use crate::accounts::{self, Caller, ClientInfo};
use crate::error::ApiError;
use crate::http::extract::{AnyCaller, AppJson};
use crate::http::openapi::responses::{BadBody, Conflict, ServerError, SessionRefused};
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
        Json(crate::billing::referrals::register(&state, req).await?),
    ))
}

/// Logs in: returns a new session token, or, when the account has two-factor login, a
/// challenge for `POST /api/v1/auth/login/2fa`.
///
/// Failed logins are throttled per email and per client address. A wrong password is answered
/// the same whether or not the account exists or has two-factor login.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "account",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The session token (shown once) and the account; or, with \
            two-factor login, `two_factor_required` and a single-use challenge valid for five \
            minutes.", body = LoginOutcome),
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
    client: ClientInfo,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<Json<LoginOutcome>, ApiError> {
    Ok(Json(
        accounts::login(&state, &req.email, req.password, &client).await?,
    ))
}

/// The second step of a login with two-factor login on: the challenge and a code from the
/// authenticator app (or a recovery code) get the session.
///
/// The challenge serves one attempt, right or wrong. Wrong codes are throttled per account and
/// per client address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login/2fa",
    tag = "account",
    operation_id = "login_second_step",
    request_body = SecondStepRequest,
    responses(
        (status = 200, description = "The session token (shown once) and the account.",
            body = LoginResponse),
        BadBody,
        (status = 401, description = "A wrong, replayed or used code (`wrong_code`), or a \
            challenge that is unknown, used or expired (`invalid_challenge`): log in again.",
            body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`).",
            body = ErrorBody),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`); \
            `retry-after` says when to try again.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn login_second_step(
    State(state): State<AppState>,
    client: ClientInfo,
    AppJson(req): AppJson<SecondStepRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    Ok(Json(
        accounts::login::second_step(&state, req, &client).await?,
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
pub async fn logout(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
) -> Result<StatusCode, ApiError> {
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
pub async fn me(AnyCaller(caller): AnyCaller) -> Json<Account> {
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

/// Changes the caller's password. The current password is required; the new one meets the
/// password policy. Every other session of the account ends.
#[utoipa::path(
    post,
    path = "/api/v1/account/password",
    tag = "account",
    operation_id = "change_password",
    security(("session" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; how many other sessions ended.",
            body = PasswordChanged),
        BadBody,
        (status = 401, description = "No valid session (`unauthorized`, `session_expired`, \
            `session_revoked`), or the current password is wrong (`wrong_credentials`).",
            body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`), or must \
            enrol in two-factor login first (`two_factor_required`).", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords (`too_many_attempts`).",
            body = ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> Result<Json<PasswordChanged>, ApiError> {
    Ok(Json(
        accounts::password_change::change(&state, &caller, req, &client).await?,
    ))
}

/// A copy of the caller's data: one zip archive with the profile, the keys (metadata only,
/// never a secret or its hash), the ledger, the usage events, the top-up orders, their refunds
/// and the referrals (who referred the caller; whom the caller referred, with commissions),
/// each as JSON and CSV, and a `README.txt`.
#[utoipa::path(
    get,
    path = "/api/v1/account/export",
    tag = "account",
    operation_id = "export_account",
    security(("session" = [])),
    responses(
        (status = 200, description = "The archive.", body = Vec<u8>,
            content_type = "application/zip",
            headers(("content-disposition" = String,
                description = "`attachment; filename=\"codexkey-export.zip\"`"))),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse as _;

    let bytes = accounts::export::export(&state, &caller).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/zip"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"codexkey-export.zip\"",
            ),
            (CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// Deletes the caller's account, with the password (and a code or a recovery code when
/// two-factor login is on): keys revoked and sessions ended at once, the email replaced by a
/// pseudonym, client addresses and user agents erased; the ledger, orders and usage sums stay.
/// A remaining balance follows `retention.deleted_balance` (`forfeit` by default).
#[utoipa::path(
    delete,
    path = "/api/v1/account",
    tag = "account",
    operation_id = "delete_account",
    security(("session" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 200, description = "Deleted.", body = AccountDeleted),
        BadBody,
        (status = 401, description = "No valid session, a wrong password \
            (`wrong_credentials`) or a wrong code (`wrong_code`).", body = ErrorBody),
        (status = 409, description = "Requests are in flight (`conflict`): try again.",
            body = ErrorBody),
        (status = 429, description = "Too many wrong passwords or codes \
            (`too_many_attempts`).", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn delete_account(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
    AppJson(req): AppJson<DeleteAccountRequest>,
) -> Result<Json<AccountDeleted>, ApiError> {
    Ok(Json(
        accounts::deletion::delete_own(&state, &caller, req, &client).await?,
    ))
}
