//! One admitted request's exchange with upstream, and its settlement.
//!
//! Attempts go to the candidate upstreams in order, each key round-robin. A connection error,
//! 429, 5xx (529 included) or an upstream refusing our credentials is retried on another key or
//! provider, as long as nothing has reached the client yet; the key cools down. Any other
//! upstream answer (a 4xx about the request) goes back to the client as upstream gave it.
//!
//! Settlement rules (the `settlement` of the usage event):
//! - `final_usage`: upstream reported usage; charged exactly.
//! - `upstream_error`: no upstream answered with success, and none reported usage; nothing
//!   charged.
//! - `error_usage`: upstream answered an error about the request with usage; charged it.
//! - `usage_missing`: a success without readable usage (a body cut or garbled): charged the
//!   crash charge (the estimated input cost), since upstream billed the request.
//! - `usage_invalid` / `capped_at_hold`: see [`Exchange::charge`].
//! - `disconnect_drained` / `disconnect_estimate`: see `stream.rs`.
//! - `refused`: refused by the gateway after admission (e.g. a body it could not rewrite).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use codexkey_common::settlement::Settlement;
use codexkey_common::usage::{usage_from_body, usage_from_events};

use super::admitted::Exchange;
use super::error::ProxyError;
use super::ids::{OUTPUT_CAP_HEADER, REQUEST_ID_HEADER, UPSTREAM_REQUEST_ID_HEADER};
use super::stream::MeteredStream;
use crate::clock::now_ms;
use crate::metering::Hold;
use crate::metering::keys::KeyEntry;
use crate::route::Route;
use crate::state::AppState;
use crate::store::UsageEventRecord;
use crate::upstream::Upstream;
use crate::upstream::body::OutBody;
use crate::upstream::http::{self, UpstreamBody};

/// The outcome of trying upstreams.
enum Attempted {
    Success(Arc<Upstream>, http::Response),
    /// Upstream answered with a non-retryable error about the request itself.
    Refused(Arc<Upstream>, http::Response),
    Failed(ProxyError),
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
        // Upstream refusing *our* credentials is not the client's fault: try another key.
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
}

fn retry_after(resp: &http::Response) -> Option<std::time::Duration> {
    let secs: u64 = resp
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(std::time::Duration::from_secs(secs.min(3600)))
}

/// Tries the candidates until one answers with success or a non-retryable answer.
async fn attempt(
    state: &AppState,
    route: Route,
    candidates: &[Arc<Upstream>],
    body: &OutBody,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Attempted {
    let ups = state.upstreams.load();
    let max = ups.tuning.max_attempts;
    let mut tried = 0;
    let mut last = ProxyError::UpstreamFailed(
        "every upstream key is cooling down after errors; retry shortly".into(),
    );
    // Keys not cooling first, upstream by upstream; if every key of every candidate is
    // cooling, one attempt on the key that recovers first.
    let mut cand = 0;
    let mut forced = false;
    loop {
        if tried >= max {
            break;
        }
        let fresh = loop {
            let Some(up) = candidates.get(cand) else {
                break None;
            };
            match up.pick_key() {
                Some(k) => break Some((up, k)),
                None => cand += 1,
            }
        };
        let (up, key) = match fresh {
            Some(pick) => pick,
            None if tried == 0 && !forced => {
                forced = true;
                match candidates
                    .first()
                    .and_then(|up| up.soonest_key().map(|k| (up, k)))
                {
                    Some(pick) => pick,
                    None => break,
                }
            }
            None => break,
        };
        tried += 1;
        up.series.attempt();
        let mut req = http::Request::new(body.clone());
        *req.method_mut() = Method::POST;
        *req.uri_mut() = up.url(route, query);
        *req.headers_mut() = headers.clone();
        let (auth_name, auth_value) = up.auth(key);
        req.headers_mut().insert(auth_name, auth_value);
        let send = ups.client().send(req);
        match tokio::time::timeout(ups.tuning.first_byte_timeout, send).await {
            Err(_) => {
                // Upstream may be generating: retrying would risk paying twice.
                tracing::warn!(upstream = %up.name, "no response headers before the first-byte timeout");
                return Attempted::Failed(ProxyError::UpstreamTimeout);
            }
            Ok(Err(e)) => {
                tracing::warn!(upstream = %up.name, error = %e, "upstream request failed");
                up.series.error();
                up.cool_down(key, ups.tuning.cooldown);
                last = if e.is_timeout() {
                    ProxyError::UpstreamTimeout
                } else {
                    ProxyError::UpstreamFailed(format!("`{}` could not be reached", up.name))
                };
            }
            Ok(Ok(resp)) if resp.status().is_success() => {
                return Attempted::Success(up.clone(), resp);
            }
            Ok(Ok(resp)) if retryable(resp.status()) => {
                let status = resp.status();
                tracing::warn!(upstream = %up.name, %status, "upstream error; trying another key or provider");
                up.series.error();
                let cool = retry_after(&resp).unwrap_or(ups.tuning.cooldown);
                up.cool_down(key, cool);
                last = ProxyError::UpstreamFailed(format!("`{}` answered {status}", up.name));
            }
            Ok(Ok(resp)) => return Attempted::Refused(up.clone(), resp),
        }
    }
    Attempted::Failed(last)
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

/// The response head we send: upstream's status and content type, our request id, and
/// upstream's request id.
fn response_head(
    status: StatusCode,
    upstream: &http::Response,
    request_id: &str,
    lowered_cap: Option<u64>,
) -> axum::http::response::Builder {
    let mut b = Response::builder().status(status);
    if let Some(cap) = lowered_cap {
        b = b.header(OUTPUT_CAP_HEADER, cap);
    }
    if let Some(ct) = upstream.headers().get(header::CONTENT_TYPE) {
        b = b.header(header::CONTENT_TYPE, ct.clone());
    }
    if let Some(id) = upstream
        .headers()
        .get("x-request-id")
        .or_else(|| upstream.headers().get("request-id"))
    {
        b = b.header(UPSTREAM_REQUEST_ID_HEADER, id.clone());
    }
    if let Some(id) = header_value(request_id) {
        b = b.header(REQUEST_ID_HEADER, id);
    }
    b
}

impl Exchange {
    pub async fn run(self, hold: Hold) -> Response {
        let request_id = hold.request_id().to_owned();
        let dialect = self.route.dialect();
        match attempt(
            &self.state,
            self.route,
            &self.candidates,
            &self.body,
            &self.headers,
            self.query.as_deref(),
        )
        .await
        {
            Attempted::Failed(err) => {
                let mut ev = self.event(&request_id, None);
                ev.status = err.status().as_u16();
                ev.error_code = Some(err.code().to_owned());
                ev.latency_ms = Some(self.elapsed_ms());
                ev.settlement = Settlement::UpstreamError;
                hold.settle(ev);
                err.render(dialect, Some(&request_id))
            }
            Attempted::Refused(up, resp) => {
                self.log.upstream(&up.name);
                let status = resp.status();
                let head = response_head(status, &resp, &request_id, self.lowered_cap);
                let body = UpstreamBody::new(resp.into_body(), self.idle_timeout())
                    .collect()
                    .await
                    .unwrap_or_default();
                // An upstream 4xx is not billed by upstream, unless it says otherwise.
                let mut ev = self.event(&request_id, Some(&up.name));
                ev.settlement = Settlement::UpstreamError;
                if let Some(reported) = usage_from_body(self.route.wire(), &body) {
                    let estimate = self.input_estimate();
                    self.charge(&mut ev, &hold, reported, Settlement::ErrorUsage, estimate);
                }
                ev.status = status.as_u16();
                ev.error_code = Some("upstream_refused".into());
                ev.latency_ms = Some(self.elapsed_ms());
                hold.settle(ev);
                head.body(Body::from(body))
                    .unwrap_or_else(|_| internal(dialect, &request_id))
            }
            Attempted::Success(up, resp) => {
                self.log.upstream(&up.name);
                let is_sse = resp
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.starts_with("text/event-stream"));
                if self.streams && is_sse {
                    let ttfb_ms = self.elapsed_ms();
                    let head = response_head(resp.status(), &resp, &request_id, self.lowered_cap);
                    let status = resp.status().as_u16();
                    let body = UpstreamBody::new(resp.into_body(), self.idle_timeout());
                    let mut stream = MeteredStream::new(self, hold, up, status, body, ttfb_ms);
                    stream.prime().await;
                    head.body(Body::from_stream(stream))
                        .unwrap_or_else(|_| internal(dialect, &request_id))
                } else {
                    self.complete(hold, up, resp, request_id, is_sse).await
                }
            }
        }
    }

    /// A non-streamed success: read the whole body (bounded by upstream), price its usage.
    /// A body of server-sent events (an upstream that streams although not asked to) is read
    /// as a stream would be.
    async fn complete(
        self,
        hold: Hold,
        up: Arc<Upstream>,
        resp: http::Response,
        request_id: String,
        is_sse: bool,
    ) -> Response {
        let dialect = self.route.dialect();
        let status = resp.status();
        let head = response_head(status, &resp, &request_id, self.lowered_cap);
        let ttfb_ms = self.elapsed_ms();
        let mut ev = self.event(&request_id, Some(&up.name));
        ev.ttfb_ms = Some(ttfb_ms);
        let body = UpstreamBody::new(resp.into_body(), self.idle_timeout());
        match body.collect().await {
            Ok(body) => {
                let wire = self.route.wire();
                let reported = if is_sse {
                    usage_from_events(wire, &body)
                } else {
                    usage_from_body(wire, &body)
                };
                match reported {
                    Some(reported) => {
                        let estimate = self.input_estimate();
                        self.charge(&mut ev, &hold, reported, Settlement::FinalUsage, estimate);
                    }
                    None => {
                        tracing::warn!(upstream = %up.name, %request_id, "a success without readable usage; charging the input estimate");
                        ev.cost = hold.crash_charge();
                        ev.settlement = Settlement::UsageMissing;
                    }
                }
                ev.status = status.as_u16();
                ev.latency_ms = Some(self.elapsed_ms());
                hold.settle(ev);
                head.body(Body::from(body))
                    .unwrap_or_else(|_| internal(dialect, &request_id))
            }
            Err(e) => {
                tracing::warn!(upstream = %up.name, error = %e, %request_id, "upstream body failed mid-way");
                let err = if e.is_timeout() {
                    ProxyError::UpstreamTimeout
                } else {
                    ProxyError::UpstreamFailed(format!("`{}` broke off its response", up.name))
                };
                ev.cost = hold.crash_charge();
                ev.status = err.status().as_u16();
                ev.error_code = Some(err.code().to_owned());
                ev.latency_ms = Some(self.elapsed_ms());
                ev.settlement = Settlement::UsageMissing;
                hold.settle(ev);
                err.render(dialect, Some(&request_id))
            }
        }
    }
}

fn internal(dialect: crate::route::Dialect, request_id: &str) -> Response {
    ProxyError::Internal("cannot build the response".into()).render(dialect, Some(request_id))
}

/// Settles a request refused by the gateway after admission, charging nothing.
pub fn settle_refused(
    hold: Hold,
    key: &KeyEntry,
    route: Route,
    model: &str,
    err: &ProxyError,
    started: Instant,
) {
    let ev = UsageEventRecord {
        status: err.status().as_u16(),
        error_code: Some(err.code().to_owned()),
        latency_ms: Some(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)),
        settlement: Settlement::Refused,
        ..UsageEventRecord::new(
            hold.request_id().to_owned(),
            key.account_id,
            Some(key.id),
            route.as_str(),
            model.to_owned(),
            now_ms(),
        )
    };
    hold.settle(ev);
}

/// Forwards a request that is never charged (`count_tokens`), with the same retry rules.
pub async fn forward_uncharged(
    state: &AppState,
    route: Route,
    candidates: &[Arc<Upstream>],
    body: Bytes,
    headers: HeaderMap,
    query: Option<&str>,
    request_id: &str,
) -> Result<Response, ProxyError> {
    let body = OutBody::whole(body);
    match attempt(state, route, candidates, &body, &headers, query).await {
        Attempted::Failed(e) => Err(e),
        Attempted::Success(_, resp) | Attempted::Refused(_, resp) => {
            let head = response_head(resp.status(), &resp, request_id, None);
            let idle = state.upstreams.load().tuning.idle_timeout;
            let body = UpstreamBody::new(resp.into_body(), idle)
                .collect()
                .await
                .map_err(|_| {
                    ProxyError::UpstreamFailed("the upstream broke off its response".into())
                })?;
            head.body(Body::from(body))
                .map_err(|e| ProxyError::Internal(e.to_string()))
        }
    }
}
