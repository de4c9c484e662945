//! What the proxy tells the user: one line per request (time, route, model, tokens, cost,
//! latency) and the session's total. Costs are computed here from the gateway's public price
//! list with the same integer arithmetic the gateway charges with, so the line shows what the
//! ledger will say.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use codexkey_common::api::Pricing;
use codexkey_common::price::{Price, cost};
use codexkey_common::sse::Splitter;
use codexkey_common::usage::{StreamUsage, WireFormat, usage_from_body};
use codexkey_common::{Micros, Usage};
use serde::Serialize;

/// Non-stream bodies are read for their usage up to this size (usage sits at the end of
/// OpenAI bodies, so a prefix is not enough; larger answers are images and embeddings).
const MAX_BODY_COPY: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionTotals {
    pub requests: u64,
    pub cost_micros: Micros,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub output_tokens: u64,
}

/// Prices, and the running totals of a proxy session.
pub struct Tally {
    prices: HashMap<String, (Price, i64)>,
    margin_ppm: i64,
    live: bool,
    display: Option<(String, codexkey_common::currency::Rate)>,
    totals: Mutex<SessionTotals>,
}

impl Tally {
    pub async fn new(
        gateway: &str,
        live: bool,
        display: Option<(String, codexkey_common::currency::Rate)>,
    ) -> Tally {
        let pricing = async {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .ok()?;
            let resp = http
                .get(format!("{gateway}/api/v1/pricing"))
                .send()
                .await
                .ok()?;
            resp.json::<Pricing>().await.ok()
        }
        .await;
        let (prices, margin_ppm) = match pricing {
            Some(p) => (
                p.models
                    .into_iter()
                    .map(|m| (m.model, (m.price, m.coefficient_ppm)))
                    .collect(),
                p.margin_ppm,
            ),
            None => {
                if live {
                    crate::output::notice(
                        "proxy: cannot read the gateway's prices yet; costs show as `?`",
                    );
                }
                (HashMap::new(), 0)
            }
        };
        Tally {
            prices,
            margin_ppm,
            live,
            display,
            totals: Mutex::new(SessionTotals::default()),
        }
    }

    /// A message for the user, on stderr.
    pub fn note(&self, text: &str) {
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

    fn price(&self, model: &str, usage: &Usage) -> Option<Micros> {
        let (price, coefficient) = self.prices.get(model)?;
        Some(cost(usage, price, *coefficient, self.margin_ppm))
    }

    fn record(&self, line: Line) {
        let cost = line
            .usage
            .and_then(|u| self.price(line.model.as_deref()?, &u));
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
    tally: std::sync::Arc<Tally>,
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
        tally: std::sync::Arc<Tally>,
        path: String,
        model: Option<String>,
        status: u16,
        is_sse: bool,
        started: Instant,
    ) -> Observer {
        let format = wire_format(&path);
        Observer {
            tally,
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
                usage_from_body(f, &self.body).map(|u| u.billable(f))
            }
            _ => {
                self.ended = true;
                None
            }
        };
        self.tally.record(Line {
            at: chrono::Local::now(),
            path: std::mem::take(&mut self.path),
            model: self.model.take(),
            status: self.status,
            usage,
            latency: self.started.elapsed(),
            complete: self.ended || self.sse.is_none(),
        });
    }
}
