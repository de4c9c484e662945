//! Forwarding: every request under `/v1/` goes to the gateway with the real key; the answer
//! comes back as it arrives. The tool's own credentials are dropped, never forwarded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use codexkey_common::Secret;
use futures_util::StreamExt as _;
use serde_json::json;

use super::guard::{self, Guard, is_anthropic};
use super::ledger::{Observer, Tally};

/// Request headers never forwarded: hop-by-hop ones, the tool's credentials (replaced by the
/// real key), and content coding (the proxy reads usage from the bytes).
const DROPPED: &[&str] = &[
    "host",
    "authorization",
    "x-api-key",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "accept-encoding",
    "proxy-authorization",
];

/// Response headers passed back.
const PASSED_BACK: &[HeaderName] = &[header::CONTENT_TYPE, header::RETRY_AFTER];

#[derive(Clone)]
pub struct Proxy(Arc<Inner>);

struct Inner {
    gateway: String,
    auth: HeaderValue,
    http: reqwest::Client,
    tally: Arc<Tally>,
}

impl Proxy {
    pub fn new(gateway: String, key: Secret<String>, tally: Arc<Tally>) -> anyhow::Result<Proxy> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
            .map_err(|_| anyhow::anyhow!("the stored API key is not a valid header value"))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(600))
            .tcp_nodelay(true)
            .build()?;
        Ok(Proxy(Arc::new(Inner {
            gateway,
            auth,
            http,
            tally,
        })))
    }
}

/// Every request passes [`guard::guard`] first (the fallback included); it reads the body,
/// bounded, so forwarding gets it whole.
pub fn router(proxy: Proxy, guard: Guard) -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { "codexkey proxy\n" }))
        .fallback(forward)
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(proxy)
}

/// An error the tool shows well, naming the cause.
fn tool_error(path: &str, status: StatusCode, message: &str) -> Response {
    let body = if is_anthropic(path) {
        json!({"type": "error", "error": {"type": "api_error", "message": message}})
    } else {
        json!({"error": {"message": message, "type": "server_error", "param": null, "code": "codexkey_proxy"}})
    };
    (status, axum::Json(body)).into_response()
}

async fn forward(State(proxy): State<Proxy>, req: Request) -> Response {
    let p = &proxy.0;
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if !path.starts_with("/v1/") {
        return tool_error(
            &path,
            StatusCode::NOT_FOUND,
            &format!("codexkey proxy: no route {path}"),
        );
    }
    // The guard has read the body already, up to its cap.
    let body = match axum::body::to_bytes(body, guard::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return tool_error(
                &path,
                StatusCode::BAD_REQUEST,
                &format!("codexkey proxy: cannot read the request: {e}"),
            );
        }
    };
    let model = model_of(&body);
    let url = match parts.uri.query() {
        Some(q) => format!("{}{path}?{q}", p.gateway),
        None => format!("{}{path}", p.gateway),
    };
    let mut headers = HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        if !DROPPED.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(header::AUTHORIZATION, p.auth.clone());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::POST);
    let sent = p
        .http
        .request(method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            // The tool's copy names who speaks; the terminal's already says `proxy: `.
            let reason = format!("cannot reach the gateway at {}", p.gateway);
            p.tally.note(&format!(
                "{reason} ({e}); is it running? Start one with `codexkey gateway`, or point the proxy elsewhere with `--gateway URL`"
            ));
            return tool_error(
                &path,
                StatusCode::BAD_GATEWAY,
                &format!("codexkey proxy: {reason}"),
            );
        }
    };
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        p.tally.note(
            "the gateway rejected the proxy's API key (revoked or expired?): set another with `codexkey keys create --use` or `codexkey keys use ID --rotate`",
        );
    } else if status == reqwest::StatusCode::PAYMENT_REQUIRED {
        p.tally.note("the gateway says the balance is exhausted: `codexkey balance` shows it; redeem a code with `codexkey topup --code CODE` or ask the operator for credit");
    }
    let mut out = Response::builder().status(status.as_u16());
    for name in PASSED_BACK {
        if let Some(v) = resp.headers().get(name.as_str()) {
            out = out.header(name, v.clone());
        }
    }
    if let Some(v) = resp.headers().get("x-request-id") {
        out = out.header("x-request-id", v.clone());
    }
    let is_sse = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    // The observer sees each chunk as it passes; its `Drop` records the request whether the
    // stream ended or the tool went away.
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut observer = Observer::new(
        p.tally.clone(),
        request_id,
        path,
        model,
        status.as_u16(),
        is_sse,
        started,
    );
    let stream = resp.bytes_stream().map(move |chunk| match chunk {
        Ok(bytes) => {
            observer.see(&bytes);
            Ok::<Bytes, std::io::Error>(bytes)
        }
        Err(e) => Err(std::io::Error::other(e)),
    });
    out.body(Body::from_stream(stream)).unwrap_or_else(|_| {
        tool_error(
            "/",
            StatusCode::INTERNAL_SERVER_ERROR,
            "codexkey proxy: cannot build the response",
        )
    })
}

fn model_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct M {
        model: Option<String>,
    }
    serde_json::from_slice::<M>(body).ok()?.model
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proxy")
    }
}
