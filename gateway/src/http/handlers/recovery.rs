//! `/api/v1/auth/password-reset*`, `/api/v1/auth/verify-email`,
//! `/api/v1/account/verify-email/resend` and the admin's
//! `/api/v1/admin/users/{account}/reset-link`, `POST /api/v1/admin/users` and
//! `/api/v1/admin/invitations`: getting into an account by a one-time link (back in, proving its
//! address, or for the first time).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    CreateUserRequest, CreatedUser, ErrorBody, InvitationIssued, InviteRequest, OneTimeLink,
    PasswordChanged, PasswordResetAccepted, PasswordResetConfirmRequest, PasswordResetRequest,
    VerificationMailSent, VerifyEmailRequest,
};

use crate::accounts::{self, Caller, ClientInfo};
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson};
use crate::http::openapi::responses::{
    AdminRefused, BadBody, Conflict, NotFound, ServerError, SessionRefused,
};
use crate::state::AppState;

/// Asks for a password-reset link by mail.
///
/// Always 202 with the same message, whether or not an account has the address (the mail is
/// sent in the background). The link works once, for 30 minutes. Throttled per address and
/// per client address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "account",
    operation_id = "request_password_reset",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If an account has this address, a link is on its way.",
            body = PasswordResetAccepted),
        BadBody,
        (status = 403, description = "The gateway sends no mail (`forbidden`): an admin \
            issues reset links instead.", body = ErrorBody),
        (status = 429, description = "Too many requests for this address or from this client \
            (`too_many_attempts`).", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn request_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    AppJson(req): AppJson<PasswordResetRequest>,
) -> Result<(StatusCode, Json<PasswordResetAccepted>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(accounts::reset::request(&state, req, &client).await?),
    ))
}

/// Sets a new password with the token of a reset link. Every session of the account ends;
/// the address counts as verified.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "account",
    operation_id = "confirm_password_reset",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 200, description = "The new password is set; how many sessions ended.",
            body = PasswordChanged),
        (status = 400, description = "A malformed body, a password too weak \
            (`weak_password`), or a token that is unknown, used or expired (`invalid_token`).",
            body = ErrorBody),
        ServerError,
    ),
)]
pub async fn confirm_reset(
    State(state): State<AppState>,
    AppJson(req): AppJson<PasswordResetConfirmRequest>,
) -> Result<Json<PasswordChanged>, ApiError> {
    Ok(Json(accounts::reset::confirm(&state, req).await?))
}

/// Proves the account's address with the token of a verification link.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    tag = "account",
    operation_id = "verify_email",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified."),
        (status = 400, description = "A malformed body, or a token that is unknown, used or \
            expired (`invalid_token`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn verify_email(
    State(state): State<AppState>,
    AppJson(req): AppJson<VerifyEmailRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::verify::verify(&state, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the caller a new link to verify their address. The new link supersedes the ones
/// mailed before (only the newest works), for 48 hours. Throttled per account and per client
/// address like reset requests.
#[utoipa::path(
    post,
    path = "/api/v1/account/verify-email/resend",
    tag = "account",
    operation_id = "resend_verification",
    security(("session" = [])),
    responses(
        (status = 202, description = "The mail server took the message with the new link.",
            body = VerificationMailSent),
        SessionRefused,
        (status = 403, description = "The gateway sends no mail (`forbidden`).",
            body = ErrorBody),
        (status = 409, description = "The address is verified already (`conflict`).",
            body = ErrorBody),
        (status = 429, description = "Too many requests for this account or from this client \
            (`too_many_attempts`).", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        ServerError,
    ),
)]
pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
) -> Result<(StatusCode, Json<VerificationMailSent>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(accounts::verify::resend(&state, caller.account.id, client.ip).await?),
    ))
}

/// Issues a one-time password-reset link for a user, returned rather than mailed (for
/// gateways without mail, or to pass on in person); audited as `account.reset_link_issued`.
/// It works once, for 24 hours, and supersedes earlier links.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/reset-link",
    tag = "admin",
    operation_id = "issue_reset_link",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    responses(
        (status = 200, description = "The link, shown once.", body = OneTimeLink),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn reset_link(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<OneTimeLink>, ApiError> {
    Ok(Json(
        accounts::reset::admin_link(&state, &admin, &account).await?,
    ))
}

/// Creates an account without a password (role `user` unless given); its owner sets one
/// through a one-time link, mailed when the gateway sends mail and otherwise returned here.
/// Audited as `account.create`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    tag = "admin",
    operation_id = "create_user",
    security(("session" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "The account, and the link when it was not mailed.",
            body = CreatedUser),
        BadBody,
        AdminRefused,
        Conflict,
        ServerError,
    ),
)]
pub async fn create_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::invite::create_user(&state, &admin, req).await?),
    ))
}

/// Invites an address to register (needed when `auth.registration = "invite"`): a single-use
/// token for that address, good for 7 days, mailed when the gateway sends mail and otherwise
/// returned here; a new invitation supersedes the older. Audited as `account.invite`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/invitations",
    tag = "admin",
    operation_id = "invite",
    security(("session" = [])),
    request_body = InviteRequest,
    responses(
        (status = 201, description = "The invitation, and its link when it was not mailed.",
            body = InvitationIssued),
        BadBody,
        AdminRefused,
        Conflict,
        ServerError,
    ),
)]
pub async fn invite(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<InviteRequest>,
) -> Result<(StatusCode, Json<InvitationIssued>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::invite::invite(&state, &admin, req).await?),
    ))
}
