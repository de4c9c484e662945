//! Each provider's own error answers: the JSON bodies OpenAI and Anthropic send per status,
//! missing and invalid keys (OpenAI masks the key), unknown routes, and Cloudflare's HTML pages.

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ctx::{Ctx, Provider, add_provider_headers, anthropic_request_id, set_header};
use super::script::ErrorReply;

pub(super) fn error_reply(provider: Provider, reply: &ErrorReply, id: u64) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match &reply.body {
        Some(body) => ("application/json", body.clone()),
        None => default_error_body(provider, reply, id),
    };
    let mut response = (status, body).into_response();
    set_header(&mut response, CONTENT_TYPE, content_type);
    if let Some(secs) = reply.retry_after {
        set_header(&mut response, RETRY_AFTER, &secs.to_string());
    }
    add_provider_headers(&mut response, provider, id);
    response
}

fn cloudflare_page(status: u16, reason: &str) -> String {
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} \
         {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// The provider's own error body for a status, as it sends it.
fn default_error_body(provider: Provider, reply: &ErrorReply, id: u64) -> (&'static str, String) {
    let retry = reply.retry_after.unwrap_or(1);
    match (provider, reply.status) {
        (_, 502) => ("text/html", cloudflare_page(502, "Bad Gateway")),
        (_, 504) => ("text/html", cloudflare_page(504, "Gateway Time-out")),
        (Provider::OpenAi, status) => {
            let (message, kind, code) = match status {
                400 => ("Invalid request.".to_owned(), "invalid_request_error", None),
                401 => (
                    "Incorrect API key provided. You can find your API key at \
                     https://platform.openai.com/account/api-keys."
                        .to_owned(),
                    "invalid_request_error",
                    Some("invalid_api_key"),
                ),
                403 => (
                    "You are not allowed to sample from this model".to_owned(),
                    "invalid_request_error",
                    Some("model_not_found"),
                ),
                404 => (
                    "The model does not exist or you do not have access to it.".to_owned(),
                    "invalid_request_error",
                    Some("model_not_found"),
                ),
                429 => (
                    format!(
                        "Rate limit reached for requests in organization org-fakeupstream on \
                         tokens per min (TPM): Limit 30000, Used 30000, Requested 1200. Please \
                         try again in {retry}s. Visit https://platform.openai.com/account/rate-limits \
                         to learn more."
                    ),
                    "tokens",
                    Some("rate_limit_exceeded"),
                ),
                503 => (
                    "The server is overloaded or not ready yet.".to_owned(),
                    "server_error",
                    None,
                ),
                _ => (
                    "The server had an error while processing your request. Sorry about that!"
                        .to_owned(),
                    "server_error",
                    None,
                ),
            };
            ("application/json", openai_error_body(&message, kind, code))
        }
        (Provider::Anthropic, status) => {
            let (kind, message) = match status {
                400 => ("invalid_request_error", "Invalid request".to_owned()),
                401 => ("authentication_error", "invalid x-api-key".to_owned()),
                403 => (
                    "permission_error",
                    "Your API key does not have permission to use the specified resource."
                        .to_owned(),
                ),
                404 => ("not_found_error", "Not found".to_owned()),
                413 => (
                    "request_too_large",
                    "Request exceeds the maximum allowed number of bytes.".to_owned(),
                ),
                429 => (
                    "rate_limit_error",
                    "This request would exceed the rate limit for your organization \
                     (00000000-0000-4000-8000-00000000fa4e) of 50,000 input tokens per minute. \
                     For details, refer to: https://docs.claude.com/en/api/rate-limits. You can \
                     see the response headers for current usage. Please reduce the prompt length \
                     or the maximum tokens requested, or try again later. You may also contact \
                     sales at https://www.anthropic.com/contact-sales to discuss your options for \
                     a rate limit increase."
                        .to_owned(),
                ),
                529 => ("overloaded_error", "Overloaded".to_owned()),
                _ => ("api_error", "Internal server error".to_owned()),
            };
            ("application/json", anthropic_error_body(kind, &message, id))
        }
    }
}

pub(super) fn openai_error_body(message: &str, kind: &str, code: Option<&str>) -> String {
    json!({
        "error": { "message": message, "type": kind, "param": null, "code": code }
    })
    .to_string()
}

pub(super) fn anthropic_error_body(kind: &str, message: &str, id: u64) -> String {
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": anthropic_request_id(id),
    })
    .to_string()
}

pub(super) fn missing_key_body(provider: Provider, id: u64) -> String {
    match provider {
        Provider::OpenAi => openai_error_body(
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password \
             field (with blank username) if you're accessing the API from your browser and are \
             prompted for a username and password. You can obtain an API key from \
             https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
        ),
        Provider::Anthropic => {
            anthropic_error_body("authentication_error", "x-api-key header is required", id)
        }
    }
}

pub(super) fn invalid_key_body(provider: Provider, key: &str, id: u64) -> String {
    match provider {
        Provider::OpenAi => openai_error_body(
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(key)
            ),
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        Provider::Anthropic => {
            anthropic_error_body("authentication_error", "invalid x-api-key", id)
        }
    }
}

/// OpenAI shows a wrong key as its first and last four characters around stars.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

pub(super) fn not_found_body(ctx: &Ctx) -> String {
    match ctx.provider {
        Provider::OpenAi => openai_error_body(
            &format!("Invalid URL ({} {})", ctx.method, ctx.path),
            "invalid_request_error",
            None,
        ),
        Provider::Anthropic => anthropic_error_body("not_found_error", "Not Found", ctx.id),
    }
}
