//! The data plane's routes (`/v1/…`): thin wrappers that name the route and hand the request to
//! [`crate::proxy`].

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::http::openapi::responses::DataPlaneRefused;
use crate::proxy;
use crate::route::Route;
use crate::state::AppState;

/// OpenAI Chat Completions, metered and forwarded.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "data plane",
    operation_id = "chat_completions",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in OpenAI's format."),
    responses(
        (status = 200, description = "The provider's answer; with `\"stream\": true`, its \
            server-sent events, relayed as they arrive.", content(
            (serde_json::Value = "application/json"),
            (String = "text/event-stream"),
        )),
        DataPlaneRefused,
    ),
)]
pub async fn chat_completions(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::ChatCompletions, req).await
}

/// OpenAI Responses (what Codex CLI speaks), metered and forwarded.
#[utoipa::path(
    post,
    path = "/v1/responses",
    tag = "data plane",
    operation_id = "responses",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in OpenAI's format."),
    responses(
        (status = 200, description = "The provider's answer; with `\"stream\": true`, its \
            server-sent events, relayed as they arrive.", content(
            (serde_json::Value = "application/json"),
            (String = "text/event-stream"),
        )),
        DataPlaneRefused,
    ),
)]
pub async fn responses(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Responses, req).await
}

/// OpenAI Embeddings, metered and forwarded.
#[utoipa::path(
    post,
    path = "/v1/embeddings",
    tag = "data plane",
    operation_id = "embeddings",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in OpenAI's format."),
    responses(
        (status = 200, description = "The provider's answer.", body = serde_json::Value),
        DataPlaneRefused,
    ),
)]
pub async fn embeddings(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Embeddings, req).await
}

/// OpenAI image generation, metered (per image) and forwarded.
#[utoipa::path(
    post,
    path = "/v1/images/generations",
    tag = "data plane",
    operation_id = "image_generations",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in OpenAI's format."),
    responses(
        (status = 200, description = "The provider's answer.", body = serde_json::Value),
        DataPlaneRefused,
    ),
)]
pub async fn images(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Images, req).await
}

/// Anthropic Messages (what Claude Code speaks), metered and forwarded.
#[utoipa::path(
    post,
    path = "/v1/messages",
    tag = "data plane",
    operation_id = "messages",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in Anthropic's format."),
    responses(
        (status = 200, description = "The provider's answer; with `\"stream\": true`, its \
            server-sent events, relayed as they arrive.", content(
            (serde_json::Value = "application/json"),
            (String = "text/event-stream"),
        )),
        DataPlaneRefused,
    ),
)]
pub async fn messages(State(state): State<AppState>, req: Request) -> Response {
    proxy::handle(state, Route::Messages, req).await
}

/// Anthropic token counting, forwarded and not charged.
#[utoipa::path(
    post,
    path = "/v1/messages/count_tokens",
    tag = "data plane",
    operation_id = "count_tokens",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = serde_json::Value, description = "A request in Anthropic's format."),
    responses(
        (status = 200, description = "The provider's answer.", body = serde_json::Value),
        DataPlaneRefused,
    ),
)]
pub async fn count_tokens(State(state): State<AppState>, req: Request) -> Response {
    proxy::count_tokens(state, req).await
}

/// The models this key may use, in OpenAI's list format.
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "data plane",
    operation_id = "models",
    security(("api_key" = []), ("api_key_header" = [])),
    responses(
        (status = 200, description = "`{\"object\":\"list\",\"data\":[…]}`.",
            body = serde_json::Value),
        DataPlaneRefused,
    ),
)]
pub async fn models(State(state): State<AppState>, req: Request) -> Response {
    proxy::models(state, req).await
}

/// Refuses a WebSocket upgrade for the Responses API: use `POST /v1/responses`.
///
/// Codex CLI's built-in provider first tries a WebSocket upgrade on `GET /v1/responses`; 426
/// makes it fall back to HTTP SSE at once, without spending its retries.
#[utoipa::path(
    get,
    path = "/v1/responses",
    tag = "data plane",
    operation_id = "responses_websocket",
    responses(
        (status = 426, description = "Always: the Responses API is served over HTTP (SSE), \
            not WebSocket. An OpenAI error with code `websocket_not_supported`.",
            body = serde_json::Value),
    ),
)]
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

/// The gateway's name, in plain text: the data plane's base URL answers.
///
/// Claude Code opens with an unauthenticated `HEAD` on its base URL.
#[utoipa::path(
    get,
    path = "/",
    tag = "data plane",
    operation_id = "root",
    responses((status = 200, description = "`codexkey gateway`.", body = String)),
)]
pub async fn root() -> &'static str {
    "codexkey gateway\n"
}
