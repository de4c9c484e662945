//! Errors at the gateway's edges: [`ApiError`] for a request, [`InitError`] for start-up.
//!
//! Every management-API failure leaves as `{"error":{"type":…,"message":…}}` with the status
//! from [`ApiError::status`]. 5xx bodies say little; the full cause is logged once, here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use codexkey_common::api::{ErrorBody, ErrorDetail};

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
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
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
    /// Something broke on our side; the cause is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::InvalidRequest(_) | Self::WeakPassword(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_)
            | Self::WrongCredentials
            | Self::SessionExpired
            | Self::SessionRevoked => StatusCode::UNAUTHORIZED,
            Self::AccountSuspended | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable `type` of the error body (and a metric label).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "invalid_json",
            Self::InvalidRequest(_) => "invalid_request",
            Self::WeakPassword(_) => "weak_password",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::WrongCredentials => "wrong_credentials",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::SessionExpired => "session_expired",
            Self::SessionRevoked => "session_revoked",
            Self::AccountSuspended => "account_suspended",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                kind: self.kind().to_owned(),
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
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(kind = self.kind(), %cause, "request failed"),
            Self::Unavailable => tracing::warn!(kind = self.kind(), "request failed"),
            _ => {}
        }
        let mut resp = (status, Json(self.body())).into_response();
        if let Self::TooManyAttempts { retry_after_secs } = self {
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
}
