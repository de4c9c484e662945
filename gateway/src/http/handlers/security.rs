//! `/api/v1/account/2fa/*`, `/api/v1/account/sessions*` and the admin's
//! `/api/v1/admin/users/{account}/reset-2fa`: two-factor login and sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    AdminUser, ErrorBody, SessionInfo, SessionsRevoked, TotpConfirmRequest, TotpConfirmed,
    TotpDisableRequest, TotpEnrollRequest, TotpEnrollment,
};

use crate::accounts::{self, Caller, ClientInfo};
use crate::billing;
use crate::error::ApiError;
use crate::http::extract::{Admin, AnyCaller, AppJson, IdPath};
use crate::http::openapi::responses::{
    AdminRefused, BadBody, BadRequest, Conflict, NotFound, ServerError, SessionRefused,
};
use crate::state::AppState;

/// Starts turning on two-factor login, with the password: a new TOTP secret, as an
/// `otpauth://` URI (for a QR code) and in base32. Nothing changes for logins until a code
/// confirms it.
///
/// Starting again replaces a pending enrolment. Admins who must enrol may call this.
#[utoipa::path(
    post,
    path = "/api/v1/account/2fa/enroll",
    tag = "account",
    operation_id = "enroll_2fa",
    security(("session" = [])),
    request_body = TotpEnrollRequest,
    responses(
        (status = 200, description = "The secret to add to an authenticator app.",
            body = TotpEnrollment),
        BadBody,
        (status = 401, description = "No valid session (`unauthorized`, `session_expired`, \
            `session_revoked`), or a wrong password (`wrong_credentials`).", body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`).",
            body = ErrorBody),
        (status = 409, description = "Two-factor login is already on, or the gateway has no \
            `master_key` to encrypt the secret with (`conflict`).", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords (`too_many_attempts`).",
            body = ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn enroll(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
    client: ClientInfo,
    AppJson(req): AppJson<TotpEnrollRequest>,
) -> Result<Json<TotpEnrollment>, ApiError> {
    Ok(Json(
        accounts::totp::enroll(&state, &caller, req, &client).await?,
    ))
}

/// Confirms an enrolment with a code the authenticator app shows: two-factor login is on.
/// Returns ten single-use recovery codes, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/account/2fa/confirm",
    tag = "account",
    operation_id = "confirm_2fa",
    security(("session" = [])),
    request_body = TotpConfirmRequest,
    responses(
        (status = 200, description = "On; the recovery codes.", body = TotpConfirmed),
        BadBody,
        (status = 401, description = "No valid session, or a wrong code (`wrong_code`).",
            body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`).",
            body = ErrorBody),
        Conflict,
        ServerError,
    ),
)]
pub async fn confirm(
    State(state): State<AppState>,
    AnyCaller(caller): AnyCaller,
    AppJson(req): AppJson<TotpConfirmRequest>,
) -> Result<Json<TotpConfirmed>, ApiError> {
    Ok(Json(
        accounts::totp::confirm(&state, &caller, &req.code).await?,
    ))
}

/// Turns two-factor login off, with the password and a current code (or a recovery code).
#[utoipa::path(
    post,
    path = "/api/v1/account/2fa/disable",
    tag = "account",
    operation_id = "disable_2fa",
    security(("session" = [])),
    request_body = TotpDisableRequest,
    responses(
        (status = 204, description = "Off; logins need the password only."),
        BadBody,
        (status = 401, description = "No valid session, a wrong password \
            (`wrong_credentials`) or a wrong code (`wrong_code`).", body = ErrorBody),
        (status = 403, description = "The account is suspended (`account_suspended`).",
            body = ErrorBody),
        Conflict,
        (status = 429, description = "Too many wrong passwords or codes \
            (`too_many_attempts`).", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
    AppJson(req): AppJson<TotpDisableRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::totp::disable(&state, &caller, req, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's open sessions, oldest first; `current` marks the one of this request.
#[utoipa::path(
    get,
    path = "/api/v1/account/sessions",
    tag = "account",
    operation_id = "list_sessions",
    security(("session" = [])),
    responses(
        (status = 200, description = "The open sessions.", body = Vec<SessionInfo>),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(accounts::sessions::list(&state, &caller).await?))
}

/// Ends one of the caller's sessions (this one included: that is a logout).
#[utoipa::path(
    delete,
    path = "/api/v1/account/sessions/{id}",
    tag = "account",
    operation_id = "revoke_session",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The session's id.")),
    responses(
        (status = 204, description = "The session has ended."),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    accounts::sessions::revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller but this one.
#[utoipa::path(
    post,
    path = "/api/v1/account/sessions/revoke-others",
    tag = "account",
    operation_id = "revoke_other_sessions",
    security(("session" = [])),
    responses(
        (status = 200, description = "How many sessions ended.", body = SessionsRevoked),
        SessionRefused,
        ServerError,
    ),
)]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SessionsRevoked>, ApiError> {
    Ok(Json(
        accounts::sessions::revoke_others(&state, &caller).await?,
    ))
}

/// Turns a user's two-factor login off (a lost device, no recovery code left); audited as
/// `account.2fa_reset`. The user then logs in with the password alone and may enrol again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/reset-2fa",
    tag = "admin",
    operation_id = "reset_user_2fa",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    responses(
        (status = 200, description = "The account, without two-factor login.", body = AdminUser),
        AdminRefused,
        NotFound,
        (status = 409, description = "The account has no two-factor login (`conflict`).",
            body = ErrorBody),
        ServerError,
    ),
)]
pub async fn reset_2fa(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let a = accounts::totp::admin_reset(&state, &admin, &account).await?;
    Ok(Json(billing::admin_user(&state, &a)))
}
