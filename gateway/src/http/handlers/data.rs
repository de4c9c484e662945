//! The data plane's routes (`/v1/…`): thin wrappers that name the route and hand the request to
//! [`crate::proxy`].

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::proxy;
use crate::route::Route;
use crate::state::AppState;

pub async fn chat_completions(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::ChatCompletions, req).await
}

pub async fn responses(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Responses, req).await
}

pub async fn embeddings(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Embeddings, req).await
}

pub async fn images(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Images, req).await
}

pub async fn messages(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Messages, req).await
}

pub async fn count_tokens(State(state): State<AppState>, req: Request) -> Response {
    proxy::count_tokens(state, req).await
}

pub async fn models(State(state): State<AppState>, req: Request) -> Response {
    proxy::models(state, req).await
}

/// Codex CLI's built-in provider first tries a WebSocket upgrade on `GET /v1/responses`; 426
/// makes it fall back to HTTP SSE at once, without spending its retries.
pub async fn responses_websocket() -> Response {
    (
        StatusCode::UPGRADE_REQUIRED,
        axum::Json(serde_json::json!({
            "error": {
                "message": "this gateway serves the Responses API over HTTP (SSE), not WebSocket",
                "type": "invalid_request_error", "param": null, "code": "websocket_not_supported"
            }
        })),
    )
        .into_response()
}

/// Claude Code opens with an unauthenticated `HEAD` on its base URL.
pub async fn root() -> &'static str {
    "codexkey gateway\n"
}
