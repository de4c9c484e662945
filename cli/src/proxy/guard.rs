//! The proxy's front door: who may spend the user's balance through it.
//!
//! The proxy holds the user's gateway key, so anything that can send it a request spends money.
//! A loopback socket alone does not make a caller the user's own tool: any web page in the
//! user's browser can send "simple" cross-origin POSTs (`text/plain`, forms) to
//! `127.0.0.1`, DNS rebinding lets a page talk to it under a foreign `Host`, and any other local
//! user can connect. So every request passes these checks, in this order, before anything is
//! read or forwarded:
//!
//! 1. `Host` (or the HTTP/2 authority) is a loopback name: `127.0.0.1`, `localhost` or `[::1]`,
//!    with any port. Anything else is a rebound DNS name: 403.
//! 2. No `Origin` header: browsers send one on every cross-origin request and tools never
//!    do: 403. A CORS preflight (`OPTIONS`) is refused the same way, without any
//!    `Access-Control-*` header, so a browser never goes on to the real request.
//! 3. The per-user proxy token (`ckp_…`, generated once and kept in the credential store; only
//!    `env`, `run` and `setup` hand it to the user's tools) in `Authorization: Bearer` or
//!    `x-api-key`, compared in constant time: 401 otherwise. Only `GET`/`HEAD /` (Claude Code's
//!    reachability probe, which spends nothing) is answered without it.
//! 4. A body-carrying request declares JSON (`application/json`, parameters allowed): 415
//!    otherwise, which also rules out every form and `text/plain` post a page could send.
//! 5. The body is at most [`MAX_BODY_BYTES`], the gateway's own default limit: 413, decided
//!    from `Content-Length` up front or by counting while reading, never buffering past it.
//!
//! Refusals answer in the caller's own error format (Anthropic's on `/v1/messages*`, OpenAI's
//! elsewhere) and nothing reaches the gateway.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use codexkey_common::Secret;
use futures_util::StreamExt as _;
use serde_json::json;

/// The largest request body the proxy accepts: the gateway's default `proxy.body_limit_mb`
/// (64 MB), so a request the gateway would take passes and anything larger stops here,
/// before it fills the proxy's memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What the guard compares presented tokens with.
#[derive(Clone)]
pub struct Guard(Arc<Secret<String>>);

impl Guard {
    pub fn new(token: Secret<String>) -> Guard {
        Guard(Arc::new(token))
    }
}

/// Anthropic routes answer errors in Anthropic's format; every other in OpenAI's.
pub fn is_anthropic(path: &str) -> bool {
    path.starts_with("/v1/messages")
}

/// A refusal in the caller's own format: Anthropic's `{"type":"error",…}` with the error type
/// Anthropic uses for `status`, or OpenAI's `{"error":{…}}` with a stable `code`.
pub fn refusal(path: &str, status: StatusCode, code: &str, message: &str) -> Response {
    let body = if is_anthropic(path) {
        let kind = match status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            StatusCode::FORBIDDEN => "permission_error",
            StatusCode::PAYLOAD_TOO_LARGE => "request_too_large",
            _ => "invalid_request_error",
        };
        json!({"type": "error", "error": {"type": kind, "message": message}})
    } else {
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})
    };
    (status, axum::Json(body)).into_response()
}

/// The middleware: checks 1–5 above, then hands the request on with its body read whole.
pub async fn guard(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !loopback_host(&req) {
        return refusal(
            &path,
            StatusCode::FORBIDDEN,
            "codexkey_proxy_host",
            "codexkey proxy: only requests addressed to 127.0.0.1, localhost or [::1] are served",
        );
    }
    if req.headers().contains_key(header::ORIGIN) || req.method() == Method::OPTIONS {
        return refusal(
            &path,
            StatusCode::FORBIDDEN,
            "codexkey_proxy_origin",
            "codexkey proxy: requests from web pages are refused",
        );
    }
    let probe = path == "/" && matches!(*req.method(), Method::GET | Method::HEAD);
    if !probe && !presents(req.headers(), guard.0.expose()) {
        return refusal(
            &path,
            StatusCode::UNAUTHORIZED,
            "invalid_proxy_token",
            "codexkey proxy: missing or wrong proxy token; start the tool with `codexkey run`, or set it up with `codexkey env` / `codexkey setup`",
        );
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) && !is_json(req.headers()) {
        return refusal(
            &path,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "codexkey_proxy_content_type",
            "codexkey proxy: the body must be JSON (`Content-Type: application/json`)",
        );
    }
    let too_large = || {
        refusal(
            &path,
            StatusCode::PAYLOAD_TOO_LARGE,
            "codexkey_proxy_body_too_large",
            &format!(
                "codexkey proxy: the request body is larger than {} MB",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let body = match read_capped(body, MAX_BODY_BYTES).await {
        Ok(Some(b)) => b,
        Ok(None) => return too_large(),
        Err(e) => {
            return refusal(
                &path,
                StatusCode::BAD_REQUEST,
                "codexkey_proxy_body",
                &format!("codexkey proxy: cannot read the request: {e}"),
            );
        }
    };
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The body, or `None` as soon as it grows past `cap` (what was read is dropped). The pieces
/// are kept as they arrive and joined once at the end, so memory never holds more than the
/// body and one copy of it, and an over-long body never more than `cap`.
async fn read_capped(body: Body, cap: usize) -> Result<Option<Bytes>, axum::Error> {
    let mut stream = body.into_data_stream();
    let mut pieces: Vec<Bytes> = Vec::new();
    let mut len = 0usize;
    while let Some(piece) = stream.next().await {
        let piece = piece?;
        len += piece.len();
        if len > cap {
            return Ok(None);
        }
        pieces.push(piece);
    }
    if pieces.len() == 1 {
        return Ok(pieces.pop());
    }
    let mut joined = BytesMut::with_capacity(len);
    for piece in pieces {
        joined.extend_from_slice(&piece);
    }
    Ok(Some(joined.freeze()))
}

/// Whether the request is addressed to a loopback name. HTTP/2 carries the authority in the
/// URI; HTTP/1.1 in `Host`. A request naming neither is refused too.
fn loopback_host(req: &Request) -> bool {
    let host = match req.uri().authority() {
        Some(a) => a.as_str().to_owned(),
        None => match req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
        {
            Some(h) => h.to_owned(),
            None => return false,
        },
    };
    is_loopback_host(&host)
}

/// `127.0.0.1`, `localhost` or `[::1]`, each with an optional numeric port.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    let (name, port) = if host.starts_with('[') {
        match host.find(']') {
            Some(i) => (&host[..=i], &host[i + 1..]),
            None => return false,
        }
    } else {
        match host.find(':') {
            Some(i) => (&host[..i], &host[i..]),
            None => (host, ""),
        }
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
        });
    port_ok && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]")
}

/// Whether `Authorization: Bearer` or `x-api-key` carries `token`.
fn presents(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    // Both are compared whatever the first gives, so timing says nothing about which matched.
    let a = bearer.is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
    let b = api_key.is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
    a | b
}

/// Equality whose time depends only on the lengths (the token's length is public: `ckp_` and
/// 43 characters), not on where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:4141",
            "localhost",
            "LocalHost:80",
            "[::1]",
            "[::1]:4141",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:4141",
            "127.0.0.1.evil.example",
            "localhost.evil.example:4141",
            "127.0.0.2",
            "[::2]:1",
            "127.0.0.1:",
            "127.0.0.1:41x",
            "[::1]x",
            "",
            "0.0.0.0:4141",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"ckp_abc", b"ckp_abc"));
        assert!(!constant_time_eq(b"ckp_abc", b"ckp_abd"));
        assert!(!constant_time_eq(b"ckp_ab", b"ckp_abc"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", "ckp_abc".parse().unwrap());
        assert!(presents(&h, "ckp_abc"));
        assert!(!presents(&h, "ckp_abd"));
    }

    #[test]
    fn json_content_types() {
        let ct = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(ct("application/json"));
        assert!(ct("application/json; charset=utf-8"));
        assert!(ct("Application/JSON"));
        assert!(!ct("text/plain"));
        assert!(!ct("application/x-www-form-urlencoded"));
        assert!(!ct("multipart/form-data; boundary=x"));
        assert!(!ct("application/jsonp"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
