//! The data plane: a client holding a gateway key uses the gateway exactly as it would use
//! OpenAI or Anthropic, and every request is priced and debited to the micro-credit.
//!
//! One request, in order: authenticate the key (memory), read the body (bounded), read the
//! model and limits from it (no copy), check the key's model list and rate, quote the price
//! (memory), pick the upstreams, admit and hold (memory; the hold is written by the group
//! commit), then hand the exchange with upstream to its own task so that a client that goes
//! away cannot cancel it half-way: whatever happens, the hold ends in exactly one settlement.

mod admitted;
mod bound;
pub mod buffers;
pub mod error;
mod estimate;
mod exchange;
pub mod ids;
mod json;
pub mod request;
mod stream;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use codexkey_common::{Micros, Usage};
use http_body_util::BodyExt as _;

use crate::http::request_log::RequestLog;
use crate::metering::HoldRequest;
use crate::pricing::Quote;
use crate::state::AppState;
use bound::Bound;
use error::ProxyError;
use estimate::{crash_input_tokens, hold_input_tokens};
use ids::new_request_id;

pub use crate::route::{Dialect, Route};
pub use ids::{REQUEST_ID_HEADER, UPSTREAM_REQUEST_ID_HEADER};
use request::RequestMeta;

/// `ck-…` from `Authorization: Bearer …` or `x-api-key` (both accepted on every route: the
/// official Anthropic SDK sends Bearer).
pub(crate) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = v.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(token.trim());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Client headers that matter upstream and pass through; nothing else does (the client's own
/// credentials above all).
fn forwarded_headers(headers: &HeaderMap, dialect: Dialect) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(8);
    for (name, value) in headers {
        let n = name.as_str();
        let keep = matches!(
            n,
            "anthropic-version"
                | "anthropic-beta"
                | "openai-beta"
                | "idempotency-key"
                | "session-id"
                | "originator"
                | "accept"
        ) || n.starts_with("x-codex-");
        if keep {
            out.append(name.clone(), value.clone());
        }
    }
    if dialect == Dialect::Anthropic && !out.contains_key("anthropic-version") {
        out.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
    }
    out.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

/// The hold of `capped` admission: the request's estimated worst case (one input token per 3
/// bytes, its whole output cap), at most `metering.max_hold_credits`.
fn capped_hold(
    quote: &Quote<'_>,
    bound: &Bound<'_, '_>,
    body_len: usize,
    state: &AppState,
) -> Micros {
    let max_hold = Micros(state.config.metering.max_hold_micros);
    let worst = Usage {
        input_tokens: hold_input_tokens(body_len),
        output_tokens: bound.output_cap(),
        ..Usage::default()
    };
    quote.cost(&worst).map_or(max_hold, |c| c.min(max_hold))
}

/// The crash charge: the estimated cost of the request's input alone (at most its hold, which
/// admission applies).
fn crash_charge(quote: &Quote<'_>, body_len: usize) -> Micros {
    let input_only = Usage {
        input_tokens: crash_input_tokens(body_len),
        ..Usage::default()
    };
    quote.cost(&input_only).unwrap_or(Micros::MAX)
}

/// Serves one metered data-plane request.
pub async fn handle(state: AppState, route: Route, req: Request) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    RequestLog::of(req.extensions()).request_id(&request_id);
    match admit_and_forward(&state, route, req, &request_id, started).await {
        Ok(resp) => resp,
        Err(e) => {
            crate::metrics::get().refused(e.code());
            e.render(route.dialect(), Some(&request_id))
        }
    }
}

async fn admit_and_forward(
    state: &AppState,
    route: Route,
    req: Request,
    request_id: &str,
    started: Instant,
) -> Result<Response, ProxyError> {
    let (parts, body) = req.into_parts();
    let log = RequestLog::of(&parts.extensions);
    let secret = presented_key(&parts.headers).ok_or(ProxyError::MissingKey)?;
    let key = state.keys.authenticate(&*state.store, secret).await?;
    log.account(key.account_id);
    log.key(key.id);
    let limit_mb = state.config.proxy.body_limit_mb;
    let body = read_body(body, &parts.headers, limit_mb).await?;

    let meta = RequestMeta::parse(&body)?;
    let model = meta.model().to_owned();
    log.model(&model);
    let streams = meta.streams() && route.streams();
    let max_output = meta.max_output();
    let images = meta.n;
    let usage_ask = meta.usage_ask();
    drop(meta);

    if !key.allows_model(&model) {
        return Err(ProxyError::ModelNotAllowed(model));
    }
    key.take_rpm().await?;
    key.check_tpm().await?;
    let prices = state.prices.load_full();
    let quote = prices
        .quote(&model)
        .ok_or_else(|| ProxyError::UnknownModel(model.clone()))?;
    // Priced: a bounded set, so it may label the request counters.
    crate::metrics::note_model(&model);
    let candidates: Vec<_> = state
        .upstreams
        .load()
        .candidates(route, &model, Some(&quote.entry.provider))
        .cloned()
        .collect();
    if candidates.is_empty() {
        return Err(ProxyError::UnknownModel(model));
    }
    let bound = Bound::new(
        &quote,
        route,
        body.len(),
        max_output,
        images,
        state.config.metering.default_max_output_tokens,
    );
    let mut lowered_cap = None;
    let hold = state
        .meter
        .admit(
            HoldRequest {
                request_id: request_id.to_owned(),
                key: key.clone(),
                amount: capped_hold(&quote, &bound, body.len(), state),
                want: bound.cost(bound.output_cap()).unwrap_or(Micros::MAX),
                crash_charge: crash_charge(&quote, body.len()),
                route: route.as_str(),
                model: model.clone(),
            },
            candidates.first().map(|u| u.name.clone()),
            |available| {
                let (amount, cap) = bound.fit(available)?;
                lowered_cap = cap;
                Some(amount)
            },
        )
        .await?;
    let output_cap = lowered_cap.unwrap_or(bound.output_cap());
    let client_body_len = body.len();
    let usage = (streams && route == Route::ChatCompletions).then_some(usage_ask);
    let (body, hide_usage) = match request::outgoing(body, route, lowered_cap, usage) {
        Ok(x) => x,
        Err(e) => {
            exchange::settle_refused(hold, &key, route, &model, &e, started);
            return Err(e);
        }
    };

    let exchange = admitted::Exchange {
        state: state.clone(),
        route,
        model,
        key,
        prices: prices.clone(),
        candidates,
        body,
        client_body_len,
        headers: forwarded_headers(&parts.headers, route.dialect()),
        query: parts.uri.query().map(str::to_owned),
        streams,
        hide_usage,
        lowered_cap,
        output_cap,
        log: log.clone(),
        started,
        client_ip: parts
            .extensions
            .get::<ConnectInfo<crate::server::ClientAddr>>()
            .map(|c| c.0.0.ip().to_string()),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect()),
    };
    // On its own task: a client that disconnects drops this future, not the exchange.
    tokio::spawn(exchange.run(hold))
        .await
        .map_err(|e| ProxyError::Internal(format!("the exchange task failed: {e}")))
}

/// Reads a request body into one buffer, sized from `Content-Length` when the client sent
/// one (a large one kept from an earlier body, see [`buffers`]), copying each chunk as it
/// arrives and dropping it: a body costs its own size in memory, not a list of chunks plus a
/// copy of them. A body that arrives in one chunk is kept as it is. A body declared larger
/// than the limit is read up to the limit without being kept, then refused: answering before
/// reading would close the connection under a client still sending, which would see a broken
/// pipe instead of the error.
async fn read_body(body: Body, headers: &HeaderMap, limit_mb: u64) -> Result<Bytes, ProxyError> {
    let limit = usize::try_from(limit_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let keep = declared.is_none_or(|n| n <= limit);
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ProxyError::InvalidRequest(format!("cannot read the request body: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read += data.len();
        if read > limit {
            return Err(ProxyError::BodyTooLarge { limit_mb });
        }
        if !keep {
            continue;
        }
        if buf.is_empty() && declared == Some(data.len()) {
            // All of it in one chunk: no copy.
            return Ok(data);
        }
        if buf.capacity() == 0 {
            buf = buffers::take(declared.unwrap_or(data.len()).max(data.len()));
        }
        buf.extend_from_slice(&data);
    }
    if !keep {
        // The client declared more than the limit and sent less: its body is cut.
        return Err(ProxyError::BodyTooLarge { limit_mb });
    }
    Ok(buffers::freeze(buf))
}

/// `count_tokens`: forwarded to an Anthropic upstream, not charged, but still a use of upstream
/// quota by a key: it needs a model the key may use, counts toward the key's RPM, and is
/// refused to an account or key that could not pay for a request.
pub async fn count_tokens(state: AppState, req: Request) -> Response {
    let request_id = new_request_id();
    let route = Route::CountTokens;
    let log = RequestLog::of(req.extensions());
    log.request_id(&request_id);
    let result = async {
        let (parts, body) = req.into_parts();
        let secret = presented_key(&parts.headers).ok_or(ProxyError::MissingKey)?;
        let key = state.keys.authenticate(&*state.store, secret).await?;
        log.account(key.account_id);
        let body = read_body(body, &parts.headers, state.config.proxy.body_limit_mb).await?;
        let model = RequestMeta::parse(&body)?.model().to_owned();
        log.model(&model);
        if !key.allows_model(&model) {
            return Err(ProxyError::ModelNotAllowed(model));
        }
        state.meter.payable(&key).await?;
        key.take_rpm().await?;
        key.check_tpm().await?;
        let prices = state.prices.load_full();
        let listed = prices.quote(&model).map(|q| q.entry.provider.clone());
        let candidates: Vec<_> = state
            .upstreams
            .load()
            .candidates(route, &model, listed.as_deref().or(Some("anthropic")))
            .cloned()
            .collect();
        if candidates.is_empty() {
            return Err(ProxyError::UnknownModel(model));
        }
        exchange::forward_uncharged(
            &state,
            route,
            &candidates,
            body,
            forwarded_headers(&parts.headers, route.dialect()),
            parts.uri.query(),
            &request_id,
        )
        .await
    }
    .await;
    result.unwrap_or_else(|e| e.render(route.dialect(), Some(&request_id)))
}

/// `GET /v1/models`: the models this key may use and the gateway can route, in OpenAI's list
/// format, or Anthropic's when the client sends `anthropic-version`.
pub async fn models(state: AppState, req: Request) -> Response {
    let anthropic = req.headers().contains_key("anthropic-version");
    let dialect = if anthropic {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    let Some(secret) = presented_key(req.headers()) else {
        return ProxyError::MissingKey.render(dialect, None);
    };
    let key = match state.keys.authenticate(&*state.store, secret).await {
        Ok(k) => k,
        Err(e) => return e.render(dialect, None),
    };
    RequestLog::of(req.extensions()).account(key.account_id);
    let prices = state.prices.load_full();
    let upstreams = state.upstreams.load();
    let models: Vec<(&String, &str)> = prices
        .table()
        .models
        .iter()
        .filter(|(name, entry)| {
            key.allows_model(name)
                && [
                    Route::ChatCompletions,
                    Route::Responses,
                    Route::Messages,
                    Route::Embeddings,
                    Route::Images,
                ]
                .into_iter()
                .any(|r| {
                    upstreams
                        .candidates(r, name, Some(&entry.provider))
                        .next()
                        .is_some()
                })
        })
        .map(|(name, entry)| (name, entry.provider.as_str()))
        .collect();
    let body = if anthropic {
        serde_json::json!({
            "data": models.iter().map(|(id, _)| serde_json::json!({
                "type": "model", "id": id, "display_name": id, "created_at": "1970-01-01T00:00:00Z"
            })).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": models.first().map(|m| m.0),
            "last_id": models.last().map(|m| m.0),
        })
    } else {
        serde_json::json!({
            "object": "list",
            "data": models.iter().map(|(id, owner)| serde_json::json!({
                "id": id, "object": "model", "created": 0, "owned_by": owner
            })).collect::<Vec<_>>(),
        })
    };
    axum::Json(body).into_response()
}
