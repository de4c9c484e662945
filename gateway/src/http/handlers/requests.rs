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
use codexkey_common::api::RequestOutcome;

use crate::error::ApiError;
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

/// `GET /api/v1/requests/{request_id}`: 200 with the outcome once settled; 404 for an unknown
/// id or another account's; 409 when the request still holds funds after [`SETTLE_WAIT`].
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
