//! Data-plane errors, rendered in the caller's own wire format so its client shows them well:
//! OpenAI routes get `{"error":{"message","type","param","code"}}`, Anthropic routes get
//! `{"type":"error","error":{"type","message"}}`.
//!
//! Statuses are chosen for what clients do with them: Claude Code shows "Credit balance is too
//! low" for 402 + `billing_error`, treats 404 as a model problem, and retries 401 and 429 for
//! minutes, so those two are returned only when they are true.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

use crate::route::Route;

pub use crate::route::Dialect;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "missing API key: send your codexkey key as `Authorization: Bearer ck-…` or `x-api-key`"
    )]
    MissingKey,
    #[error("invalid API key")]
    InvalidKey,
    #[error("this API key was revoked")]
    RevokedKey,
    #[error("this API key has expired")]
    ExpiredKey,
    #[error("the account of this API key is suspended")]
    AccountSuspended,
    #[error("this API key may not use model `{0}`")]
    ModelNotAllowed(String),
    #[error("this API key has reached its budget")]
    KeyBudgetExhausted,
    #[error("credit balance is too low: top up your codexkey balance to continue")]
    InsufficientBalance,
    #[error("rate limit: this API key allows {rpm} requests per minute")]
    RateLimited { rpm: u32, retry_after_secs: u64 },
    #[error("rate limit: this API key allows {tpm} tokens per minute")]
    TokensLimited { tpm: u64, retry_after_secs: u64 },
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the request body is larger than this gateway accepts ({limit_mb} MB)")]
    BodyTooLarge { limit_mb: u64 },
    #[error("model `{0}` is not available on this gateway")]
    UnknownModel(String),
    #[error("no upstream could serve the request: {0}")]
    UpstreamFailed(String),
    #[error("the upstream did not answer in time")]
    UpstreamTimeout,
    #[error(
        "the upstream kept generating past the output cap of {cap} tokens; the answer was cut there"
    )]
    OutputCapExceeded { cap: u64 },
    #[error("the gateway is overloaded or shutting down; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingKey | Self::InvalidKey | Self::RevokedKey | Self::ExpiredKey => {
                StatusCode::UNAUTHORIZED
            }
            Self::AccountSuspended | Self::ModelNotAllowed(_) => StatusCode::FORBIDDEN,
            Self::KeyBudgetExhausted | Self::InsufficientBalance => StatusCode::PAYMENT_REQUIRED,
            Self::RateLimited { .. } | Self::TokensLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnknownModel(_) => StatusCode::NOT_FOUND,
            Self::UpstreamFailed(_) | Self::OutputCapExceeded { .. } => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Our stable code for the usage event and for OpenAI's `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingKey => "missing_api_key",
            Self::InvalidKey => "invalid_api_key",
            Self::RevokedKey => "revoked_api_key",
            Self::ExpiredKey => "expired_api_key",
            Self::AccountSuspended => "account_suspended",
            Self::ModelNotAllowed(_) => "model_not_allowed",
            Self::KeyBudgetExhausted => "key_budget_exhausted",
            Self::InsufficientBalance => "insufficient_balance",
            Self::RateLimited { .. } => "rate_limited",
            Self::TokensLimited { .. } => "tpm_limit_exceeded",
            Self::InvalidRequest(_) => "invalid_request",
            Self::BodyTooLarge { .. } => "request_too_large",
            Self::UnknownModel(_) => "model_not_found",
            Self::UpstreamFailed(_) => "upstream_error",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::OutputCapExceeded { .. } => "output_cap_exceeded",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn openai_type(&self) -> &'static str {
        match self {
            Self::MissingKey | Self::InvalidKey | Self::RevokedKey | Self::ExpiredKey => {
                "invalid_request_error"
            }
            Self::AccountSuspended | Self::ModelNotAllowed(_) => "permission_error",
            Self::KeyBudgetExhausted | Self::InsufficientBalance => "insufficient_quota",
            Self::RateLimited { .. } | Self::TokensLimited { .. } => "rate_limit_error",
            Self::InvalidRequest(_) | Self::BodyTooLarge { .. } | Self::UnknownModel(_) => {
                "invalid_request_error"
            }
            Self::UpstreamFailed(_)
            | Self::OutputCapExceeded { .. }
            | Self::UpstreamTimeout
            | Self::Unavailable
            | Self::Internal(_) => "server_error",
        }
    }

    fn anthropic_type(&self) -> &'static str {
        match self {
            Self::MissingKey | Self::InvalidKey | Self::RevokedKey | Self::ExpiredKey => {
                "authentication_error"
            }
            Self::AccountSuspended | Self::ModelNotAllowed(_) => "permission_error",
            Self::KeyBudgetExhausted | Self::InsufficientBalance => "billing_error",
            Self::RateLimited { .. } | Self::TokensLimited { .. } => "rate_limit_error",
            Self::InvalidRequest(_) => "invalid_request_error",
            Self::BodyTooLarge { .. } => "request_too_large",
            Self::UnknownModel(_) => "not_found_error",
            Self::UpstreamTimeout => "timeout_error",
            Self::UpstreamFailed(_)
            | Self::OutputCapExceeded { .. }
            | Self::Unavailable
            | Self::Internal(_) => "api_error",
        }
    }

    /// The error as the last event of a stream already under way, in the stream's own format,
    /// so the client reads why its answer ended instead of a connection torn down:
    /// Anthropic's `error` event, the Responses API's `error` event, or the chat completion
    /// chunk with an `error` object that OpenAI's SDKs raise on.
    pub fn stream_event(&self, route: Route) -> Bytes {
        let message = self.to_string();
        let (name, body) = match route.dialect() {
            Dialect::Anthropic => (
                Some("error"),
                json!({ "type": "error", "error": { "type": self.anthropic_type(), "message": message } }),
            ),
            Dialect::OpenAi if route == Route::Responses => (
                Some("error"),
                json!({ "type": "error", "code": self.code(), "message": message, "param": null }),
            ),
            Dialect::OpenAi => (
                None,
                json!({ "error": { "message": message, "type": self.openai_type(), "param": null, "code": self.code() } }),
            ),
        };
        let mut out = Vec::with_capacity(256);
        if let Some(name) = name {
            out.extend_from_slice(b"event: ");
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(body.to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
        Bytes::from(out)
    }

    pub fn render(&self, dialect: Dialect, request_id: Option<&str>) -> Response {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "data-plane request failed");
        }
        let message = self.to_string();
        let body = match dialect {
            Dialect::OpenAi => json!({
                "error": { "message": message, "type": self.openai_type(), "param": null, "code": self.code() }
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": self.anthropic_type(), "message": message }
            }),
        };
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if let Self::RateLimited {
            retry_after_secs, ..
        }
        | Self::TokensLimited {
            retry_after_secs, ..
        } = self
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            resp.headers_mut().insert(super::ids::REQUEST_ID_HEADER, id);
        }
        resp
    }
}
