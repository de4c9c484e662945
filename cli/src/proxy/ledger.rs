//! What the proxy tells the user: one line per request (time, route, model, tokens, cost,
//! latency) and the session's total.
//!
//! The figures are the gateway's own: when an answer has ended, the proxy asks
//! `GET /api/v1/requests/{x-request-id}` how the request was settled, and prints that charge.
//! So a line is right whatever the client asked for (a streamed chat completion without
//! `include_usage` shows no usage to anyone but the gateway) and whatever the operator did to
//! prices or the margin meanwhile. Only when the gateway cannot say (an older gateway, an
//! answer without a request id) does the line fall back to the tokens read from the answer
//! as it passed, without a cost.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use codexkey_common::api::RequestOutcome;
use codexkey_common::sse::Splitter;
use codexkey_common::usage::{StreamUsage, WireFormat, usage_from_body};
use codexkey_common::{Micros, Secret, Usage};
use serde::Serialize;
use tokio::task::JoinSet;

/// Non-stream bodies are read for their usage up to this size (usage sits at the end of
/// OpenAI bodies, so a prefix is not enough; larger answers are images and embeddings).
const MAX_BODY_COPY: usize = 32 * 1024 * 1024;
/// How many times a lookup answered 409 (still settling: the gateway already waited 5 s) is
/// repeated before the line goes out without a cost.
const LOOKUP_ATTEMPTS: usize = 3;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionTotals {
    pub requests: u64,
    pub cost_micros: Micros,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub output_tokens: u64,
}

/// The running totals of a proxy session, and how to ask the gateway for each charge.
pub struct Tally {
    gateway: String,
    auth: HeaderValue,
    http: reqwest::Client,
    live: bool,
    display: Option<(String, codexkey_common::currency::Rate)>,
    totals: Mutex<SessionTotals>,
    /// Lookups of requests that have ended, still asking the gateway.
    pending: Mutex<JoinSet<()>>,
}

impl Tally {
    pub fn new(
        gateway: &str,
        key: &Secret<String>,
        live: bool,
        display: Option<(String, codexkey_common::currency::Rate)>,
    ) -> anyhow::Result<Tally> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
            .map_err(|_| anyhow::anyhow!("the stored API key is not a valid header value"))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Tally {
            gateway: gateway.to_owned(),
            auth,
            http,
            live,
            display,
            totals: Mutex::new(SessionTotals::default()),
            pending: Mutex::new(JoinSet::new()),
        })
    }

    /// Resolves once every request that has ended is counted (its lookup answered or gave up).
    pub async fn settled(&self) {
        loop {
            let mut set =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if set.is_empty() {
                return;
            }
            while set.join_next().await.is_some() {}
        }
    }

    /// The gateway's settlement of `request_id`, if it can say.
    async fn lookup(&self, request_id: &str) -> Option<RequestOutcome> {
        let url = format!("{}/api/v1/requests/{request_id}", self.gateway);
        for _ in 0..LOOKUP_ATTEMPTS {
            let resp = self
                .http
                .get(&url)
                .header(reqwest::header::AUTHORIZATION, self.auth.clone())
                .send()
                .await
                .ok()?;
            match resp.status() {
                reqwest::StatusCode::OK => return resp.json().await.ok(),
                reqwest::StatusCode::CONFLICT => {}
                _ => return None,
            }
        }
        None
    }

    /// Counts an ended request: at once without a request id, else once the gateway says what
    /// it charged.
    fn finish(tally: &Arc<Tally>, line: Line, request_id: Option<String>) {
        // The gateway's ids are `req_` and base62; anything else is not asked about (it would
        // end up in a URL path).
        let id = request_id.filter(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        let (Some(id), Ok(rt)) = (id, tokio::runtime::Handle::try_current()) else {
            tally.record(line, None);
            return;
        };
        let t = tally.clone();
        let mut pending = tally.pending.lock().unwrap_or_else(|p| p.into_inner());
        // Forget lookups that are done, so a long session does not keep them all.
        while pending.try_join_next().is_some() {}
        pending.spawn_on(
            async move {
                let outcome = t.lookup(&id).await;
                t.record(line, outcome);
            },
            &rt,
        );
    }

    /// A message for the user, on stderr.
    pub fn note(&self, text: &str) {
        // Messages meant for the tool name the proxy already; the terminal's prefix says it.
        let text = text.strip_prefix("codexkey proxy: ").unwrap_or(text);
        crate::output::notice(&format!("proxy: {text}"));
    }

    /// An amount in the display currency (`0.844 RUB`), when one is set.
    pub fn money(&self, credits: Option<Micros>) -> Option<String> {
        let (code, rate) = self.display.as_ref()?;
        Some(format!("{} {code}", rate.convert(credits?)?))
    }

    pub fn totals(&self) -> SessionTotals {
        self.totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn record(&self, mut line: Line, outcome: Option<RequestOutcome>) {
        let cost = match outcome {
            Some(o) => {
                line.usage = Some(Usage {
                    input_tokens: o.input_tokens,
                    cached_tokens: o.cached_tokens,
                    cache_write_5m_tokens: o.cache_write_tokens,
                    output_tokens: o.output_tokens,
                    reasoning_tokens: o.reasoning_tokens,
                    images: o.images,
                    ..Usage::default()
                });
                if line.model.is_none() {
                    line.model = o.model;
                }
                // The gateway knows whether the client stayed to the end.
                line.complete = !o.settlement.starts_with("disconnect");
                Some(o.cost_micros)
            }
            None => None,
        };
        {
            let mut t = self.totals.lock().unwrap_or_else(|p| p.into_inner());
            t.requests += 1;
            if let Some(u) = &line.usage {
                t.input_tokens +=
                    u.input_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens;
                t.cached_tokens += u.cached_tokens;
                t.output_tokens += u.output_tokens;
            }
            if let Some(c) = cost {
                t.cost_micros = Micros(t.cost_micros.0 + c.0);
            }
        }
        if self.live {
            crate::output::notice(&line.render(cost, self.money(cost)));
        }
    }
}

struct Line {
    at: chrono::DateTime<chrono::Local>,
    path: String,
    model: Option<String>,
    status: u16,
    usage: Option<Usage>,
    latency: Duration,
    complete: bool,
}

impl Line {
    fn render(&self, cost: Option<Micros>, display: Option<String>) -> String {
        let mut s = format!(
            "{}  {:<22} {:<24}",
            self.at.format("%H:%M:%S"),
            self.path.trim_start_matches("/v1/"),
            self.model.as_deref().unwrap_or("-")
        );
        if let Some(u) = &self.usage {
            s.push_str(&format!(
                " in {}",
                u.input_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens
            ));
            if u.cached_tokens > 0 {
                s.push_str(&format!(" (+{} cached)", u.cached_tokens));
            }
            s.push_str(&format!(" out {}", u.output_tokens));
        }
        match cost {
            Some(c) => {
                s.push_str(&format!("  {c} cr"));
                if let Some(d) = display {
                    s.push_str(&format!(" ({d})"));
                }
            }
            None if self.usage.is_some() => s.push_str("  ? cr"),
            None => {}
        }
        s.push_str(&format!("  {:.2}s", self.latency.as_secs_f64()));
        if self.status != 200 {
            s.push_str(&format!("  [{}]", self.status));
        }
        if !self.complete {
            s.push_str("  (client went away)");
        }
        s
    }
}

fn wire_format(path: &str) -> Option<WireFormat> {
    Some(match path {
        "/v1/chat/completions" => WireFormat::OpenAiChat,
        "/v1/responses" => WireFormat::OpenAiResponses,
        "/v1/messages" => WireFormat::AnthropicMessages,
        "/v1/embeddings" => WireFormat::OpenAiEmbeddings,
        "/v1/images/generations" => WireFormat::OpenAiImages,
        _ => return None,
    })
}

/// Watches one response go by and records it when it ends (or is abandoned).
pub struct Observer {
    tally: Arc<Tally>,
    request_id: Option<String>,
    path: String,
    model: Option<String>,
    status: u16,
    started: Instant,
    format: Option<WireFormat>,
    sse: Option<(Splitter, StreamUsage)>,
    body: Vec<u8>,
    ended: bool,
}

impl Observer {
    pub fn new(
        tally: Arc<Tally>,
        request_id: Option<String>,
        path: String,
        model: Option<String>,
        status: u16,
        is_sse: bool,
        started: Instant,
    ) -> Observer {
        let format = wire_format(&path);
        Observer {
            tally,
            request_id,
            path,
            model,
            status,
            started,
            format,
            sse: match (is_sse, format) {
                (true, Some(f)) => Some((Splitter::new(), StreamUsage::new(f))),
                _ => None,
            },
            body: Vec::new(),
            ended: false,
        }
    }

    pub fn see(&mut self, chunk: &[u8]) {
        match &mut self.sse {
            Some((splitter, usage)) => {
                splitter.feed(chunk, |ev| usage.on_event(ev.name, ev.data));
                if usage.is_final() {
                    self.ended = true;
                }
            }
            None if self.format.is_some() && self.body.len() + chunk.len() <= MAX_BODY_COPY => {
                self.body.extend_from_slice(chunk);
            }
            None => {}
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let usage = match (&self.sse, self.format) {
            (Some((_, u)), Some(f)) => u.usage().map(|u| u.billable(f)),
            (None, Some(f)) if (200..300).contains(&self.status) => {
                self.ended = true;
                usage_from_body(f, &self.body)
                    .and_then(Result::ok)
                    .map(|u| u.billable(f))
            }
            _ => {
                self.ended = true;
                None
            }
        };
        let line = Line {
            at: chrono::Local::now(),
            path: std::mem::take(&mut self.path),
            model: self.model.take(),
            status: self.status,
            usage,
            latency: self.started.elapsed(),
            complete: self.ended || self.sse.is_none(),
        };
        Tally::finish(&self.tally, line, self.request_id.take());
    }
}
