//! Extractors that turn a request into typed input or an [`ApiError`], in one place:
//! [`AppJson`] (bodies: malformed JSON and unknown fields are refused in our error shape),
//! [`AppQuery`], [`IdPath`], the callers [`Caller`] (a valid session), [`AnyCaller`] and
//! [`Admin`], and [`ClientInfo`] (where a login comes from).
//!
//! What an admin session may do before its admin has turned on two-factor login, on a gateway
//! with `auth.require_2fa_for_admins`: only the handlers that take [`AnyCaller`] answer (read
//! the account, log out, enrol and confirm two-factor login); every other one, since it takes
//! [`Caller`] or [`Admin`], answers 403 `two_factor_required` with the command to run.

use std::error::Error as _;

use axum::extract::ConnectInfo;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use codexkey_common::api::Role;
use serde::de::DeserializeOwned;

use crate::accounts::{self, Caller, ClientInfo};
use crate::error::ApiError;
use crate::server::ClientAddr;
use crate::state::AppState;

/// A JSON object body, rejected in our error format when it is not one.
///
/// Every management-API request is a JSON object. serde would also accept a struct written as
/// an array of its fields in declaration order (`[10, "reason"]` for an adjustment), a form
/// nobody documents and that would change meaning if a field were ever inserted, so anything
/// but an object is refused before it reaches `T`.
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if !value.is_object() {
            return Err(ApiError::InvalidRequest(
                "invalid request body: expected a JSON object".into(),
            ));
        }
        // serde_path_to_error names the field in type errors (`amount_micros: invalid type …`).
        serde_path_to_error::deserialize(value)
            .map(AppJson)
            .map_err(|e| ApiError::InvalidRequest(format!("invalid request body: {e}")))
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    // The innermost source is serde's own message, e.g. "unknown field `x`, expected one of …
    // at line 1 column 5"; axum's wrapper text adds nothing for the caller.
    let detail = |e: &dyn std::error::Error| {
        let mut inner: &dyn std::error::Error = e;
        while let Some(next) = inner.source() {
            inner = next;
        }
        inner.to_string()
    };
    match r {
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::MalformedJson(format!("the body is not valid JSON: {}", detail(&e)))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::InvalidRequest(format!("invalid request body: {}", detail(&e)))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge
        }
        other => ApiError::InvalidRequest(other.body_text()),
    }
}

/// Query parameters, rejected in our error format.
pub struct AppQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(AppQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::InvalidRequest(format!(
                    "invalid query string: {}",
                    e.source()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| e.body_text())
                )))
            }
            Err(other) => Err(ApiError::InvalidRequest(other.body_text())),
        }
    }
}

/// A numeric id from the last path segment (`/keys/{id}`).
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::InvalidRequest(format!("`{raw}` is not an id; ids are numbers")))
    }
}

/// The `Bearer` token of the `Authorization` header, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A valid session, even one that must still enrol in two-factor login (see the module docs):
/// for the few routes such a session may use.
pub struct AnyCaller(pub Caller);

impl FromRequestParts<AppState> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized(
            "this needs a session token in `Authorization: Bearer …`; log in with `codexkey login`",
        ))?;
        let caller = accounts::authenticate(state, token).await?;
        crate::http::request_log::RequestLog::of(&parts.extensions).account(caller.account.id);
        Ok(AnyCaller(caller))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AnyCaller(caller) = AnyCaller::from_request_parts(parts, state).await?;
        if caller.must_enrol {
            return Err(ApiError::TwoFactorRequired);
        }
        Ok(caller)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo {
            ip: parts
                .extensions
                .get::<ConnectInfo<ClientAddr>>()
                .map(|c| c.0.0.ip()),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

/// A caller with the admin role; anyone else gets 403.
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        match caller.account.role {
            Role::Admin => Ok(Admin(caller)),
            Role::User => Err(ApiError::Forbidden("this needs an admin account")),
        }
    }
}
