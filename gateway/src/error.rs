//! Errors at the gateway's edges: [`ApiError`] for a request, [`InitError`] for start-up.
//!
//! Every management-API failure leaves as `{"error":{"type":…,"message":…}}` with the status
//! from [`ApiError::status`]. 5xx bodies say little; the full cause is logged once, here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use codexkey_common::api::{ErrorBody, ErrorDetail, ErrorKind};

use crate::config::ConfigError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    WeakPassword(String),
    #[error("a JSON body is expected: send `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("wrong email or password")]
    WrongCredentials,
    /// A password given again to confirm a change (password change, turning 2FA off).
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(
        "wrong code, or a code already used; enter the code your authenticator app shows now, or an unused recovery code"
    )]
    WrongCode,
    #[error("this login challenge is unknown, used or expired; log in with your password again")]
    InvalidChallenge,
    #[error(
        "this gateway requires two-factor login for admins; turn it on with `codexkey account 2fa enable` (until then this session may only enrol)"
    )]
    TwoFactorRequired,
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("too many codes that do not exist; try again in {retry_after_secs} s")]
    TooManyRedemptions { retry_after_secs: u64 },
    #[error("too many password-reset requests; try again in {retry_after_secs} s")]
    TooManyResetRequests { retry_after_secs: u64 },
    #[error("too many verification mails asked for; try again in {retry_after_secs} s")]
    TooManyVerificationMails { retry_after_secs: u64 },
    /// A reset or verification token that is unknown, used or expired.
    #[error("this link is unknown, used or expired; ask for a new one")]
    InvalidToken,
    #[error("this session has expired; log in again (`codexkey login`)")]
    SessionExpired,
    #[error("this session was ended by logout; log in again (`codexkey login`)")]
    SessionRevoked,
    #[error("this account is suspended; contact the gateway's operator")]
    AccountSuspended,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the database is not available")]
    Unavailable,
    /// The payment provider refused a request or could not be reached (its message, never a
    /// secret).
    #[error("{0}")]
    PaymentProvider(String),
    /// `/readyz`: the gateway cannot serve metered requests now, and why.
    #[error("not ready: {0}")]
    NotReady(String),
    /// Something broke on our side; the cause is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_)
            | Self::InvalidRequest(_)
            | Self::WeakPassword(_)
            | Self::InvalidToken => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_)
            | Self::WrongCredentials
            | Self::WrongPassword
            | Self::WrongCode
            | Self::InvalidChallenge
            | Self::SessionExpired
            | Self::SessionRevoked => StatusCode::UNAUTHORIZED,
            Self::AccountSuspended | Self::Forbidden(_) | Self::TwoFactorRequired => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. }
            | Self::TooManyRedemptions { .. }
            | Self::TooManyResetRequests { .. }
            | Self::TooManyVerificationMails { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::PaymentProvider(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable `type` of the error body (and a metric label).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::MalformedJson(_) => ErrorKind::InvalidJson,
            Self::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Self::WeakPassword(_) => ErrorKind::WeakPassword,
            Self::UnsupportedMediaType => ErrorKind::UnsupportedMediaType,
            Self::PayloadTooLarge => ErrorKind::PayloadTooLarge,
            Self::Unauthorized(_) => ErrorKind::Unauthorized,
            Self::WrongCredentials | Self::WrongPassword => ErrorKind::WrongCredentials,
            Self::WrongCode => ErrorKind::WrongCode,
            Self::InvalidChallenge => ErrorKind::InvalidChallenge,
            Self::TwoFactorRequired => ErrorKind::TwoFactorRequired,
            Self::TooManyAttempts { .. }
            | Self::TooManyRedemptions { .. }
            | Self::TooManyResetRequests { .. }
            | Self::TooManyVerificationMails { .. } => ErrorKind::TooManyAttempts,
            Self::InvalidToken => ErrorKind::InvalidToken,
            Self::SessionExpired => ErrorKind::SessionExpired,
            Self::SessionRevoked => ErrorKind::SessionRevoked,
            Self::AccountSuspended => ErrorKind::AccountSuspended,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::MethodNotAllowed(_) => ErrorKind::MethodNotAllowed,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Unavailable | Self::NotReady(_) => ErrorKind::Unavailable,
            Self::PaymentProvider(_) => ErrorKind::PaymentProvider,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                kind: self.kind(),
                message: self.to_string(),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Closed => ApiError::Unavailable,
            StoreError::Backend(m) => ApiError::Internal(m),
            // The operator asked for something this deployment's database does not do; the
            // message names what does (e.g. `pg_dump` for a backup).
            StoreError::Unsupported(m) => ApiError::Conflict(m.to_owned()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(kind = %self.kind(), %cause, "request failed"),
            Self::Unavailable => tracing::warn!(kind = %self.kind(), "request failed"),
            Self::NotReady(why) => tracing::warn!(%why, "not ready"),
            _ => {}
        }
        let mut resp = (status, Json(self.body())).into_response();
        if let Self::TooManyAttempts { retry_after_secs }
        | Self::TooManyRedemptions { retry_after_secs }
        | Self::TooManyResetRequests { retry_after_secs }
        | Self::TooManyVerificationMails { retry_after_secs } = self
        {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        resp
    }
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the first admin account: {0}")]
    Admin(String),
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("cannot serve HTTPS: {0}")]
    Tls(#[from] crate::tls::TlsError),
}
