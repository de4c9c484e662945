//! Streamed responses: upstream's SSE bytes go to the client chunk by chunk as they arrive,
//! untouched, while a copy of each event's view feeds the usage tracker. Nothing is buffered
//! beyond an incomplete event, and only when an injected usage chunk must be hidden.
//!
//! Settlement of a stream, exactly once, by one of these rules:
//! - `final_usage`: upstream's final usage event was seen; charged exactly.
//! - `disconnect_drained`: the client went away; the gateway kept reading upstream (for at
//!   most `metering.disconnect_drain_secs`) and got the final usage; charged exactly. Upstream
//!   bills the whole generation, so this is what the request cost.
//! - `disconnect_estimate`: the client went away and the final usage did not come within the
//!   bound: charged the input (as upstream reported it, else one token per 4 request bytes)
//!   plus the larger of the output upstream reported so far and the estimate of output already
//!   delivered (see `codexkey_common::usage::StreamUsage::delivered_output_estimate`).
//! - `stream_cut`: upstream ended or broke the stream without final usage: charged by the same
//!   estimate. Also a stream whose upstream ignores the output cap the hold was sized for: once
//!   the output it reports, or the output delivered by the estimate rule beyond twice the cap
//!   (the rule errs high), passes the cap, the gateway stops reading, ends the stream with an
//!   `output_cap_exceeded` error event, and charges at most the hold.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use codexkey_common::Usage;
use codexkey_common::settlement::Settlement;
use codexkey_common::sse::{Span, Splitter};
use codexkey_common::usage::{InvalidUsage, StreamUsage, is_usage_only_chat_chunk};
use futures_util::{Stream, StreamExt as _};

use super::admitted::Exchange;
use super::error::ProxyError;
use super::estimate::crash_input_tokens;
use crate::joined::Joined;
use crate::metering::Hold;
use crate::upstream::Upstream;
use crate::upstream::body::OutBody;
use crate::upstream::http::UpstreamBody;

/// The most relayed bytes gathered before they are handed over, whatever upstream has ready.
const GATHER_LIMIT: usize = 64 * 1024;

/// Delivered-output estimates run high (a third of a delta's bytes); a stream is taken to have
/// passed its cap by estimate only beyond twice the cap plus this slack.
const ESTIMATE_SLACK: u64 = 64;

/// The body of a streamed response: relays, observes, and settles.
pub struct MeteredStream {
    upstream: Option<UpstreamBody>,
    splitter: Splitter,
    usage: StreamUsage,
    /// The client did not ask for chat stream usage; the gateway did, and hides it again.
    hide_usage: bool,
    /// Relayed bytes not yet handed to the client, gathered while upstream has more ready.
    out: Joined,
    /// Whether upstream gave something since the stream last let its connection run.
    progress: bool,
    /// What [`MeteredStream::prime`] got, handed over first.
    primed: Option<Option<std::io::Result<Bytes>>>,
    /// The output the hold covers, when charges are capped at the hold: past it, upstream is
    /// ignoring the cap it was sent and the stream is cut.
    cap: Option<u64>,
    meta: Option<Meta>,
}

/// What settlement needs, taken out on settling so it happens once.
struct Meta {
    exchange: Exchange,
    hold: Hold,
    upstream: Arc<Upstream>,
    ttfb_ms: i64,
    body_len: usize,
    status: u16,
}

impl MeteredStream {
    pub fn new(
        mut exchange: Exchange,
        hold: Hold,
        upstream: Arc<Upstream>,
        status: u16,
        body: UpstreamBody,
        ttfb_ms: i64,
    ) -> Self {
        let body_len = exchange.client_body_len;
        let cap = hold.ceiling().map(|_| exchange.output_cap);
        // The request body is not needed any more; do not keep it alive for the stream's life.
        exchange.body = OutBody::default();
        MeteredStream {
            upstream: Some(body),
            splitter: Splitter::new(),
            usage: StreamUsage::new(exchange.route.wire()),
            hide_usage: exchange.hide_usage,
            out: Joined::default(),
            progress: false,
            primed: None,
            cap,
            meta: Some(Meta {
                exchange,
                hold,
                upstream,
                ttfb_ms,
                body_len,
                status,
            }),
        }
    }

    /// Reads one upstream chunk, adding what the client gets of it (possibly nothing) to
    /// `out`.
    fn relay(&mut self, chunk: Bytes) {
        let usage = &mut self.usage;
        if !self.hide_usage {
            self.splitter
                .feed(&chunk, |ev| usage.on_event(ev.name, ev.data));
            self.out.push(chunk);
            return;
        }
        let out = &mut self.out;
        self.splitter.filter(
            &chunk,
            |ev| {
                usage.on_event(ev.name, ev.data);
                !is_usage_only_chat_chunk(ev.data)
            },
            |span| {
                out.push(match span {
                    Span::Held(bytes) => Bytes::copy_from_slice(bytes),
                    Span::Chunk(range) => chunk.slice(range),
                });
            },
        );
    }

    /// The cost-bearing usage when the final usage never came: what upstream reported so far,
    /// topped up by estimates.
    fn estimated(usage: &StreamUsage, body_len: usize) -> Usage {
        let mut u = usage.usage().unwrap_or_default();
        if u.total_input() == 0 {
            u.input_tokens = crash_input_tokens(body_len);
        }
        u.output_tokens = u.output_tokens.max(usage.delivered_output_estimate());
        u
    }

    fn settle(meta: Meta, usage: &StreamUsage, rule: Settlement, error: Option<&str>) {
        let Meta {
            exchange,
            hold,
            upstream,
            ttfb_ms,
            body_len,
            status,
        } = meta;
        let mut ev = exchange.event(hold.request_id(), Some(&upstream.name));
        let estimate = Self::estimated(usage, body_len);
        if usage.invalid() {
            exchange.charge(&mut ev, &hold, Err(InvalidUsage), rule, estimate);
        } else {
            match usage.is_final().then(|| usage.usage()).flatten() {
                Some(u) => exchange.charge(&mut ev, &hold, Ok(u), rule, estimate),
                None => {
                    exchange.charge_estimate(&mut ev, &hold, estimate, rule.without_final_usage())
                }
            }
        }
        ev.status = status;
        ev.error_code = error.map(str::to_owned);
        ev.ttfb_ms = Some(ttfb_ms);
        ev.latency_ms = Some(exchange.elapsed_ms());
        hold.settle(ev);
    }

    /// Whether upstream has produced more output than the hold covers: by its own running count
    /// (exact), or by the delivered estimate well past the cap.
    fn past_cap(&self) -> bool {
        let Some(cap) = self.cap else { return false };
        if self.usage.is_final() {
            return false;
        }
        let reported = self.usage.usage().map_or(0, |u| u.output_tokens);
        reported > cap
            || self.usage.delivered_output_estimate() > cap.saturating_mul(2) + ESTIMATE_SLACK
    }

    /// Stops reading an upstream that ignores the output cap: the client gets an error event
    /// after what was relayed, and the request is settled by the estimate, at most its hold.
    fn cut_at_cap(&mut self) {
        self.upstream = None;
        let Some(meta) = self.meta.take() else { return };
        let err = ProxyError::OutputCapExceeded {
            cap: meta.exchange.output_cap,
        };
        tracing::warn!(upstream = %meta.upstream.name, cap = meta.exchange.output_cap, "upstream ignored the output cap; cutting the stream");
        if self.splitter.pending_len() > 0 {
            self.out.push(Bytes::from_static(b"\n\n"));
        }
        self.out.push(err.stream_event(meta.exchange.route));
        Self::settle(meta, &self.usage, Settlement::FinalUsage, Some(err.code()));
    }

    /// Settles a stream whose client went away: drained if the final usage came, else the
    /// estimate.
    fn settle_disconnected(meta: Meta, usage: &StreamUsage) {
        Self::settle(
            meta,
            usage,
            Settlement::DisconnectDrained,
            Some("client_disconnected"),
        );
    }

    /// Waits for the first bytes to hand over, so that the response head goes out with them
    /// in one write instead of alone.
    pub async fn prime(&mut self) {
        let first = std::future::poll_fn(|cx| self.poll_relay(cx)).await;
        self.primed = Some(first);
    }

    /// Relays what upstream has, in as few writes to the client as it allows. Upstream's bytes
    /// reach this stream through its connection's task, which decodes only when asked; so when
    /// a chunk arrives and upstream has nothing more yet, the stream lets that task run once
    /// more (one turn of this thread's scheduler, no timer) and hands over only when a turn
    /// brings nothing new. Bytes upstream already sent, often the end of the stream, then go
    /// out in the same write: each write wakes the client, which costs far more than a turn.
    fn poll_relay(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        loop {
            let Some(upstream) = self.upstream.as_mut() else {
                if let Some(out) = self.out.take() {
                    return Poll::Ready(Some(Ok(out)));
                }
                return Poll::Ready(None);
            };
            match upstream.poll_next_unpin(cx) {
                Poll::Pending => {
                    if self.progress {
                        self.progress = false;
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    return match self.out.take() {
                        Some(out) => Poll::Ready(Some(Ok(out))),
                        None => Poll::Pending,
                    };
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    self.relay(chunk);
                    self.progress = true;
                    if self.past_cap() {
                        self.cut_at_cap();
                        continue;
                    }
                    // An upstream that keeps up with every turn must not be held back for long.
                    if self.out.len() >= GATHER_LIMIT {
                        self.progress = false;
                        return Poll::Ready(self.out.take().map(Ok));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    self.upstream = None;
                    if let Some(meta) = self.meta.take() {
                        tracing::warn!(upstream = %meta.upstream.name, error = %e, "upstream stream broke off");
                        let err = if e.is_timeout() {
                            ProxyError::UpstreamTimeout
                        } else {
                            ProxyError::UpstreamFailed(format!(
                                "`{}` broke off its stream",
                                meta.upstream.name
                            ))
                        };
                        // The stream ends with an error event in its own format, so the client
                        // reads why its answer stopped (rather than a torn connection, which
                        // can lose the response head and everything before it). A partial
                        // event already relayed is closed first.
                        if self.splitter.pending_len() > 0 {
                            self.out.push(Bytes::from_static(b"\n\n"));
                        }
                        self.out.push(err.stream_event(meta.exchange.route));
                        Self::settle(
                            meta,
                            &self.usage,
                            Settlement::FinalUsage,
                            Some("upstream_stream_error"),
                        );
                    }
                }
                Poll::Ready(None) => {
                    self.upstream = None;
                    if let Some(meta) = self.meta.take() {
                        let error = (!self.usage.is_final()).then_some("upstream_stream_cut");
                        Self::settle(meta, &self.usage, Settlement::FinalUsage, error);
                    }
                }
            }
        }
    }
}

impl Stream for MeteredStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.primed.take() {
            return Poll::Ready(first);
        }
        self.poll_relay(cx)
    }
}

impl Drop for MeteredStream {
    /// The client went away before the end (or the response was never polled): keep reading
    /// upstream in the background for the final usage, within the drain bound, then settle.
    fn drop(&mut self) {
        let Some(meta) = self.meta.take() else { return };
        let mut usage = std::mem::replace(
            &mut self.usage,
            StreamUsage::new(meta.exchange.route.wire()),
        );
        if usage.is_final() {
            Self::settle_disconnected(meta, &usage);
            return;
        }
        let Some(mut upstream) = self.upstream.take() else {
            Self::settle_disconnected(meta, &usage);
            return;
        };
        let mut splitter = std::mem::take(&mut self.splitter);
        let bound = meta.exchange.state.config.metering.disconnect_drain;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            Self::settle_disconnected(meta, &usage);
            return;
        };
        runtime.spawn(async move {
            let drain = async {
                while let Some(Ok(chunk)) = upstream.next().await {
                    splitter.feed(&chunk, |ev| usage.on_event(ev.name, ev.data));
                    if usage.is_final() {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(bound, drain).await;
            drop(upstream);
            Self::settle_disconnected(meta, &usage);
        });
    }
}
