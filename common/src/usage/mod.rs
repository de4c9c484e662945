//! Token usage as codexkey bills it, normalised across wire formats, and the readers that get
//! it from responses: [`usage_from_body`] for whole JSON bodies, [`StreamUsage`] for events as
//! they stream past.
//!
//! Upstreams count differently: OpenAI's `prompt_tokens`/`input_tokens` include cached tokens,
//! Anthropic's `input_tokens` exclude cache reads and writes. [`Usage`] holds disjoint buckets,
//! each billed at its own price, so nothing is counted twice.

mod anthropic;
mod openai;
mod scan;
mod types;

use anthropic::{AnthropicTally, AnthropicUsage};
use openai::{ChatUsage, ImagesBody, ResponsesUsage};
use scan::{WithUsage, parse, sniff_type, tokens};

pub use openai::is_usage_only_chat_chunk;
use types::Progress;
pub use types::{InvalidUsage, MAX_TOKENS, Usage, WireFormat};

/// Usage of a non-streamed JSON response body; `None` when it reports none (an error body, or
/// a body that is not JSON).
///
/// - Chat: `usage.prompt_tokens` includes `prompt_tokens_details.cached_tokens` (and, from
///   providers that report it, `prompt_tokens_details.cache_write_tokens`), so input is the
///   prompt less both. Output is `completion_tokens`, which includes
///   `completion_tokens_details.reasoning_tokens`; those are recorded as reasoning.
/// - Responses: `usage.input_tokens` includes `input_tokens_details.cached_tokens` and, as Codex
///   CLI reports, `input_tokens_details.cache_write_tokens`: input is the rest (saturating, so
///   inconsistent counts never underflow) and cache writes land in the 5-minute bucket. Output
///   is `output_tokens`, which includes `output_tokens_details.reasoning_tokens`.
/// - Anthropic: `usage.input_tokens` excludes the cache. Cached is `cache_read_input_tokens`.
///   Cache writes come from `cache_creation.ephemeral_5m_input_tokens` and
///   `ephemeral_1h_input_tokens` when upstream splits them, else all of
///   `cache_creation_input_tokens` are 5-minute writes. (Should a split add up to less than
///   the reported total, the rest counts as 5-minute writes: never bill fewer than reported.)
///   Output is `output_tokens`.
/// - Embeddings: `usage.prompt_tokens` is input.
/// - Images: each item of `data` is one image; gpt-image models also report token usage
///   (`usage.input_tokens`, `usage.output_tokens`), read as in Responses.
///
/// A count that is `null` reads as absent (zero); `12.0` reads as 12. A count that is
/// negative, fractional, not a number or above [`MAX_TOKENS`] makes the usage
/// `Some(Err(InvalidUsage))`: upstream answered, but not with usage the gateway can bill.
/// Unknown fields are ignored.
pub fn usage_from_body(format: WireFormat, body: &[u8]) -> Option<Result<Usage, InvalidUsage>> {
    match format {
        WireFormat::OpenAiChat => parse::<WithUsage<ChatUsage>>(body)?
            .usage
            .map(|usage| usage.to_usage()),
        WireFormat::OpenAiResponses => parse::<WithUsage<ResponsesUsage>>(body)?
            .usage
            .map(|usage| usage.to_usage()),
        WireFormat::AnthropicMessages => {
            let usage = parse::<WithUsage<AnthropicUsage>>(body)?.usage?;
            let mut tally = AnthropicTally::default();
            tally.merge(&usage);
            if tally.invalid() {
                return Some(Err(InvalidUsage));
            }
            tally.usage().map(Ok)
        }
        WireFormat::OpenAiEmbeddings => {
            let usage = parse::<WithUsage<ChatUsage>>(body)?.usage?;
            Some(tokens(usage.prompt_tokens).map(|input_tokens| Usage {
                input_tokens,
                ..Usage::default()
            }))
        }
        WireFormat::OpenAiImages => {
            let body = parse::<ImagesBody>(body)?;
            if body.data.is_none() && body.usage.is_none() {
                return None;
            }
            let mut usage = match body.usage.map(|u| u.to_usage()) {
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(u)) => u,
                None => Usage::default(),
            };
            usage.images = body.data.map_or(0, |data| data.len() as u64);
            Some(Ok(usage))
        }
    }
}

/// Usage of a whole response body that came as server-sent events although no stream was
/// asked for (some upstreams stream regardless): the events are read as a stream would be.
/// `None` when they carry no final usage.
pub fn usage_from_events(format: WireFormat, body: &[u8]) -> Option<Result<Usage, InvalidUsage>> {
    let mut usage = StreamUsage::new(format);
    let mut splitter = crate::sse::Splitter::new();
    splitter.feed(body, |ev| usage.on_event(ev.name, ev.data));
    splitter.feed(b"\n\n", |ev| usage.on_event(ev.name, ev.data));
    if usage.invalid() {
        return Some(Err(InvalidUsage));
    }
    if !usage.is_final() {
        return None;
    }
    usage.usage().map(Ok)
}

/// Follows usage through one streamed response, fed every event the [`crate::sse::Splitter`]
/// dispatches.
///
/// Cost per event: a name comparison, or for nameless chat chunks a `memchr` search for a
/// `"usage"` key; only events that can carry usage are parsed as JSON, and counting delivered
/// output scans just the delta string. No allocation except while parsing a usage event.
#[derive(Debug, Clone)]
pub struct StreamUsage {
    format: WireFormat,
    progress: Progress,
    /// Anthropic: the latest value of each field.
    anthropic: AnthropicTally,
    /// Anthropic: `message_start` was seen.
    started: bool,
}

impl StreamUsage {
    pub fn new(format: WireFormat) -> Self {
        Self {
            format,
            progress: Progress::default(),
            anthropic: AnthropicTally::default(),
            started: false,
        }
    }

    /// Reads one dispatched event: its `event:` name (`None` when it had none) and its data.
    ///
    /// Events without a name in Responses and Anthropic streams (which neither upstream sends,
    /// but a re-serializing proxy might) are named by their first `"type"` key.
    pub fn on_event(&mut self, event: Option<&str>, data: &[u8]) {
        match self.format {
            WireFormat::OpenAiChat => openai::on_chat(&mut self.progress, data),
            WireFormat::OpenAiResponses => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    openai::on_responses(&mut self.progress, name, data);
                }
            }
            WireFormat::AnthropicMessages => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    anthropic::on_anthropic(
                        &mut self.progress,
                        &mut self.anthropic,
                        &mut self.started,
                        name,
                        data,
                    );
                }
            }
            WireFormat::OpenAiImages => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    openai::on_images(&mut self.progress, name, data);
                }
            }
            // Embeddings are never streamed; nothing to read.
            WireFormat::OpenAiEmbeddings => {}
        }
    }

    /// The best usage known so far, normalised like [`usage_from_body`]; `None` if upstream
    /// reported none yet. Before [`StreamUsage::is_final`] it may lack output (Anthropic's
    /// `message_start` carries only a first output count) or be missing entirely (chat and
    /// Responses report usage only at the end).
    pub fn usage(&self) -> Option<Usage> {
        match self.format {
            WireFormat::AnthropicMessages => self.anthropic.usage(),
            _ => self.progress.latest,
        }
    }

    /// Whether the event carrying upstream's final usage has been seen:
    /// - chat: a chunk with a non-null `usage` (sent last when `stream_options.include_usage`
    ///   is set) whose `choices` are empty or finished; providers that attach running usage to
    ///   every chunk are final only at the finished one;
    /// - Responses: `response.completed`, `response.incomplete` or `response.failed` (usage in
    ///   `response.usage`, possibly `null` for a failure);
    /// - Anthropic: a `message_delta` with usage after `message_start`;
    /// - images: an `image_generation.completed` or `image_edit.completed` event.
    pub fn is_final(&self) -> bool {
        self.progress.final_seen
    }

    /// Whether upstream reported usage the gateway cannot bill ([`InvalidUsage`]) in any event
    /// so far; [`StreamUsage::usage`] then holds only what came valid.
    pub fn invalid(&self) -> bool {
        self.progress.invalid || self.anthropic.invalid()
    }

    /// An estimate of output tokens already relayed, for charging a stream whose final usage
    /// never came (the client went away, or upstream broke off). Combine it with
    /// [`StreamUsage::usage`] as `max(output_tokens, estimate)`.
    ///
    /// Rule: each content-delta event (chat chunks with a delta string — content, reasoning,
    /// tool-call arguments or refusal; Responses `response.*.delta` events except audio;
    /// Anthropic `content_block_delta`) counts `max(1, len / 3)` tokens, where `len` is the
    /// byte length of its delta string as sent (JSON escapes included), and 0 if that string is
    /// empty. A chat chunk without a delta string (a finish or an error chunk) counts 0; a
    /// Responses or Anthropic delta without one (a signature delta) counts 1. Why: OpenAI streams about one token per delta, so
    /// the floor of one per event matches them; Anthropic batches several tokens per delta and
    /// English runs about 3.5-4 bytes per token (code about 3), so a third of the bytes stays
    /// at or above the true count for common text, while a typical one-token delta (up to five
    /// bytes) still counts once.
    /// It cannot see hidden reasoning (chat reasoning models, Anthropic's summarized thinking),
    /// which upstream bills but never streams.
    pub fn delivered_output_estimate(&self) -> u64 {
        self.progress.delivered
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests;

/// Not run by default: `cargo test -p codexkey-common --release --lib -- --ignored
/// --nocapture cost_per_stream` prints the CPU cost of metering one streamed response.
#[cfg(test)]
mod cost;
