//! `GET /api/v1/requests/{request_id}`: how one data-plane request was settled, for the
//! account that made it.
//!
//! Authenticated by an API key (the credential a data-plane client already holds), not a
//! session: `codexkey proxy` asks for each request it forwarded, by the `x-request-id` the
//! gateway set on the answer, and shows the ledger's own figure. Another account's request and
//! an unknown id are the same 404, so ids reveal nothing across accounts.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use codexkey_common::api::{ErrorBody, RequestOutcome};

use crate::error::ApiError;
use crate::http::openapi::responses::{NotFound, ServerError};
use crate::proxy::error::ProxyError;
use crate::state::AppState;
use crate::store::RequestState;

/// How long a request still holding funds is waited for. Settlement follows the end of the
/// answer within one group commit, so this is only reached by a request still streaming.
const SETTLE_WAIT: Duration = Duration::from_secs(5);
/// How often a held request is looked at again while waiting.
const SETTLE_POLL: Duration = Duration::from_millis(25);

fn refused(e: ProxyError) -> ApiError {
    match e {
        ProxyError::AccountSuspended => ApiError::AccountSuspended,
        ProxyError::Internal(m) => ApiError::Internal(m),
        ProxyError::Unavailable => ApiError::Unavailable,
        _ => ApiError::Unauthorized(
            "this needs a valid API key in `Authorization: Bearer …` or `x-api-key`",
        ),
    }
}

/// How one of the caller's data-plane requests was settled: its tokens and what the ledger
/// charged.
///
/// Authenticated by an API key of the account that made the request (not a session). Waits up
/// to 5 s for a request still in flight to settle.
#[utoipa::path(
    get,
    path = "/api/v1/requests/{request_id}",
    tag = "usage",
    operation_id = "request_outcome",
    security(("api_key" = []), ("api_key_header" = [])),
    params(("request_id" = String, Path,
        description = "The `x-request-id` the gateway set on the request's answer.")),
    responses(
        (status = 200, description = "The settled outcome.", body = RequestOutcome),
        (status = 401, description = "No valid API key (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The key's account is suspended (`account_suspended`).",
            body = ErrorBody),
        NotFound,
        (status = 409, description = "The request is still in flight after the wait \
            (`conflict`); ask again when its answer has ended.", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn outcome(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<RequestOutcome>, ApiError> {
    let secret = crate::proxy::presented_key(&headers).ok_or(ApiError::Unauthorized(
        "this needs an API key in `Authorization: Bearer …` or `x-api-key`",
    ))?;
    let key = state
        .keys
        .authenticate(&*state.store, secret)
        .await
        .map_err(refused)?;
    let not_found = || ApiError::NotFound(format!("no request `{request_id}` of this account"));
    let deadline = Instant::now() + SETTLE_WAIT;
    loop {
        // After a flush, an admitted request is in the database: as its hold, or settled.
        state.meter.flush().await;
        match state.store.request_state(&request_id).await? {
            RequestState::Settled(e) if e.account_id == key.account_id => {
                return Ok(Json((*e).into()));
            }
            RequestState::Held { account_id } if account_id == key.account_id => {}
            RequestState::Settled(_) | RequestState::Held { .. } | RequestState::Unknown => {
                return Err(not_found());
            }
        }
        if Instant::now() >= deadline {
            return Err(ApiError::Conflict(format!(
                "request `{request_id}` is not settled yet; ask again when its answer has ended"
            )));
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
}
