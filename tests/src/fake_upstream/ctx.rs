//! What a handler answers from: the request as the fake read it ([`Ctx`]), which provider's
//! conventions it follows, how a fault bends the answer, and the small helpers every handler
//! shares. A leaf below the dispatcher and every handler.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::Value;

use super::consts::{
    CHAT_COMPLETIONS, COUNT_TOKENS, EMBEDDINGS, IMAGES, MESSAGES, MODELS, RESPONSES,
};
use super::script::Script;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Provider {
    OpenAi,
    Anthropic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Chat,
    Responses,
    Embeddings,
    Images,
    Models,
    Messages,
    CountTokens,
}

impl Route {
    pub(super) fn find(method: &Method, path: &str) -> Option<Route> {
        let (route, wanted) = match path {
            CHAT_COMPLETIONS => (Route::Chat, Method::POST),
            RESPONSES => (Route::Responses, Method::POST),
            EMBEDDINGS => (Route::Embeddings, Method::POST),
            IMAGES => (Route::Images, Method::POST),
            MODELS => (Route::Models, Method::GET),
            MESSAGES => (Route::Messages, Method::POST),
            COUNT_TOKENS => (Route::CountTokens, Method::POST),
            _ => return None,
        };
        (*method == wanted).then_some(route)
    }
}

/// Everything a normal answer needs, taken from the request and the state.
pub(super) struct Ctx {
    pub(super) route: Option<Route>,
    pub(super) provider: Provider,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
    pub(super) key: Option<String>,
    pub(super) script: Script,
    pub(super) valid_keys: Option<HashSet<String>>,
    pub(super) require_anthropic_version: bool,
    pub(super) models: Vec<String>,
    pub(super) id: u64,
}

impl Ctx {
    pub(super) fn wants_stream(&self) -> bool {
        matches!(
            self.route,
            Some(Route::Chat | Route::Responses | Route::Messages)
        ) && (self.script.stream_regardless
            || serde_json::from_slice::<Value>(&self.body)
                .ok()
                .and_then(|v| v.get("stream").and_then(Value::as_bool))
                .unwrap_or(false))
    }
}

/// How a normal answer is bent by a fault.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bend {
    None,
    Stall { after: usize, stall: Duration },
    Cut { after: usize },
    EndEarly { after: usize },
    StreamError { after: usize },
}

pub(super) fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

pub(super) fn add_provider_headers(response: &mut Response, provider: Provider, id: u64) {
    let headers: &[(&'static str, String)] = match provider {
        Provider::OpenAi => &[
            ("x-request-id", format!("req_fake{id:028x}")),
            ("openai-version", "2020-10-01".to_owned()),
            ("openai-organization", "user-fakeupstream".to_owned()),
            ("openai-processing-ms", "42".to_owned()),
            ("x-ratelimit-limit-requests", "10000".to_owned()),
            ("x-ratelimit-remaining-requests", "9999".to_owned()),
        ],
        Provider::Anthropic => &[
            ("request-id", anthropic_request_id(id)),
            (
                "anthropic-organization-id",
                "00000000-0000-4000-8000-00000000fa4e".to_owned(),
            ),
            ("anthropic-ratelimit-requests-limit", "4000".to_owned()),
            ("anthropic-ratelimit-requests-remaining", "3999".to_owned()),
        ],
    };
    for (name, value) in headers {
        set_header(response, HeaderName::from_static(name), value);
    }
}

pub(super) fn anthropic_request_id(id: u64) -> String {
    format!("req_011Fake{id:016}")
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(super) fn model_of(ctx: &Ctx, request: &Value, fallback: &str) -> String {
    ctx.script
        .model
        .clone()
        .or_else(|| request["model"].as_str().map(str::to_owned))
        .unwrap_or_else(|| fallback.to_owned())
}
