//! One request, start to end: find the route and the provider, record the request, pick the
//! [`Action`], then answer normally (after the provider's own checks) or misbehave.

use std::time::Instant;

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::anthropic::{message_object, messages_stream};
use super::body::{json_body, stream_body};
use super::consts::{GARBAGE_BODY, GARBAGE_SSE, MESSAGES, MODELS};
use super::ctx::{Bend, Ctx, Provider, Route, add_provider_headers, set_header};
use super::embeddings_images::{embeddings, images};
use super::errors::{
    anthropic_error_body, error_reply, invalid_key_body, missing_key_body, not_found_body,
    openai_error_body,
};
use super::models::models;
use super::openai_chat::{chat_completion, chat_stream};
use super::recording::RecordedRequest;
use super::responses::{responses_object, responses_stream};
use super::script::{Action, ErrorReply, Script};
use super::state::{ConnKill, Shared, lock};

/// Which provider's conventions a path follows (for keys and error bodies).
fn provider_of(path: &str, headers: &HeaderMap) -> Provider {
    if path.starts_with(MESSAGES) || (path == MODELS && headers.contains_key("anthropic-version")) {
        Provider::Anthropic
    } else {
        Provider::OpenAi
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn key_of(provider: Provider, headers: &HeaderMap) -> Option<String> {
    match provider {
        Provider::OpenAi => bearer(headers),
        Provider::Anthropic => headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .or_else(|| bearer(headers)),
    }
}

pub(super) async fn handle(shared: Shared, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let provider = provider_of(&path, &parts.headers);
    let key = key_of(provider, &parts.headers);
    let (action, ctx) = {
        let mut state = lock(&shared);
        state.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
            key: key.clone(),
            received_at: Instant::now(),
        });
        let action = state.pick_action(&path, key.as_deref());
        state.next_id += 1;
        let ctx = Ctx {
            route: Route::find(&parts.method, &path),
            provider,
            method: parts.method.clone(),
            path,
            headers: parts.headers.clone(),
            body,
            key,
            script: state.script.clone(),
            valid_keys: state.valid_keys.clone(),
            require_anthropic_version: state.require_anthropic_version,
            models: state.models.clone(),
            id: state.next_id,
        };
        (action, ctx)
    };
    match action {
        Action::Respond(script) => answer(
            Ctx {
                script: *script,
                ..ctx
            },
            Bend::None,
        ),
        Action::Error(reply) => error_reply(ctx.provider, &reply, ctx.id),
        Action::CloseConnection => match kill {
            Some(ConnKill(kill)) => {
                kill.notify_one();
                std::future::pending().await
            }
            None => error_reply(ctx.provider, &status_reply(500), ctx.id),
        },
        Action::HangBeforeHeaders(wait) => {
            tokio::time::sleep(wait).await;
            answer(ctx, Bend::None)
        }
        Action::StallMidStream {
            after_events,
            stall,
        } => answer(
            ctx,
            Bend::Stall {
                after: after_events,
                stall,
            },
        ),
        Action::Garbage => garbage(&ctx),
        Action::CutStream { after_events } => answer(
            ctx,
            Bend::Cut {
                after: after_events,
            },
        ),
        Action::EndStreamEarly { after_events } => answer(
            ctx,
            Bend::EndEarly {
                after: after_events,
            },
        ),
        Action::StreamError { after_events } => answer(
            ctx,
            Bend::StreamError {
                after: after_events,
            },
        ),
        Action::SlowStream(delay) => {
            let script = Script {
                event_delay: delay,
                ..ctx.script.clone()
            };
            answer(Ctx { script, ..ctx }, Bend::None)
        }
    }
}

fn status_reply(status: u16) -> ErrorReply {
    ErrorReply {
        status,
        retry_after: None,
        body: None,
    }
}

pub(super) fn garbage(ctx: &Ctx) -> Response {
    let (content_type, body) = if ctx.wants_stream() {
        ("text/event-stream; charset=utf-8", GARBAGE_SSE)
    } else {
        ("application/json", GARBAGE_BODY)
    };
    let mut response = (StatusCode::OK, body).into_response();
    set_header(&mut response, CONTENT_TYPE, content_type);
    add_provider_headers(&mut response, ctx.provider, ctx.id);
    response
}

/// A normal answer: checks the key and the request, then builds the route's body.
pub(super) fn answer(ctx: Ctx, bend: Bend) -> Response {
    if let Err(reply) = check_request(&ctx) {
        return error_reply(ctx.provider, &reply, ctx.id);
    }
    let Some(route) = ctx.route else {
        let reply = ErrorReply {
            status: 404,
            retry_after: None,
            body: Some(not_found_body(&ctx)),
        };
        return error_reply(ctx.provider, &reply, ctx.id);
    };
    let request: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let stream = ctx.wants_stream();
    let reply = match route {
        Route::Chat if stream => Reply::Stream(chat_stream(&ctx, &request)),
        Route::Chat => Reply::Json(chat_completion(&ctx, &request)),
        Route::Responses if stream => Reply::Stream(responses_stream(&ctx, &request)),
        Route::Responses => Reply::Json(responses_object(&ctx, &request)),
        Route::Messages if stream => Reply::Stream(messages_stream(&ctx, &request)),
        Route::Messages => Reply::Json(message_object(&ctx, &request)),
        Route::Embeddings => Reply::Json(embeddings(&ctx, &request)),
        Route::Images => Reply::Json(images(&ctx, &request)),
        Route::Models => Reply::Json(models(&ctx)),
        Route::CountTokens => Reply::Json(json!({ "input_tokens": ctx.script.usage.input_tokens })),
    };
    let mut response = match reply {
        Reply::Json(value) => json_body(&value, bend),
        Reply::Stream(events) => stream_body(&ctx, events, bend),
    };
    add_provider_headers(&mut response, ctx.provider, ctx.id);
    response
}

enum Reply {
    Json(Value),
    Stream(Vec<String>),
}

/// The checks a provider makes before doing any work: the key, then the request's shape.
fn check_request(ctx: &Ctx) -> Result<(), ErrorReply> {
    let bad = |status: u16, body: String| ErrorReply {
        status,
        retry_after: None,
        body: Some(body),
    };
    match ctx.key.as_deref() {
        None | Some("") => return Err(bad(401, missing_key_body(ctx.provider, ctx.id))),
        Some(key) => {
            if ctx
                .valid_keys
                .as_ref()
                .is_some_and(|keys| !keys.contains(key))
            {
                return Err(bad(401, invalid_key_body(ctx.provider, key, ctx.id)));
            }
        }
    }
    let Some(route) = ctx.route else {
        return Ok(());
    };
    if matches!(route, Route::Messages | Route::CountTokens)
        && ctx.require_anthropic_version
        && !ctx.headers.contains_key("anthropic-version")
    {
        return Err(bad(
            400,
            anthropic_error_body(
                "invalid_request_error",
                "anthropic-version: header is required",
                ctx.id,
            ),
        ));
    }
    if route == Route::Models {
        return Ok(());
    }
    let invalid = |message: &str| {
        bad(
            400,
            match ctx.provider {
                Provider::OpenAi => openai_error_body(message, "invalid_request_error", None),
                Provider::Anthropic => {
                    anthropic_error_body("invalid_request_error", message, ctx.id)
                }
            },
        )
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&ctx.body) else {
        return Err(invalid(match ctx.provider {
            Provider::OpenAi => {
                "We could not parse the JSON body of your request. (HINT: This likely means you \
                 aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, \
                 but what was sent was not valid JSON.)"
            }
            Provider::Anthropic => "There was an error parsing the body of your request",
        }));
    };
    let has_model = request.get("model").and_then(Value::as_str).is_some();
    match route {
        Route::Chat | Route::Responses | Route::Embeddings if !has_model => {
            Err(invalid("you must provide a model parameter"))
        }
        Route::Messages | Route::CountTokens if !has_model => Err(invalid("model: Field required")),
        Route::Messages if !request.contains_key("max_tokens") => {
            Err(invalid("max_tokens: Field required"))
        }
        _ => Ok(()),
    }
}
