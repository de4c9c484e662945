//! Token usage as codexkey bills it, normalised across wire formats, and the readers that get
//! it from responses: [`usage_from_body`] for whole JSON bodies, [`StreamUsage`] for events as
//! they stream past.
//!
//! Upstreams count differently: OpenAI's `prompt_tokens`/`input_tokens` include cached tokens,
//! Anthropic's `input_tokens` exclude cache reads and writes. [`Usage`] holds disjoint buckets,
//! each billed at its own price, so nothing is counted twice.

use serde::{Deserialize, Serialize};

/// Billable quantities of one request. Token buckets are disjoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens read neither from nor into the prompt cache (billed at the input price).
    pub input_tokens: u64,
    /// Input tokens read from the prompt cache (billed at the cached-input price).
    pub cached_tokens: u64,
    /// Input tokens written to a 5-minute prompt cache (Anthropic's default TTL; also where
    /// OpenAI-style `cache_write_tokens` land).
    pub cache_write_5m_tokens: u64,
    /// Input tokens written to a 1-hour prompt cache.
    pub cache_write_1h_tokens: u64,
    /// Output tokens, reasoning included (billed at the output price).
    pub output_tokens: u64,
    /// Of `output_tokens`, how many were reasoning; shown, not billed separately.
    pub reasoning_tokens: u64,
    /// Images generated (billed per image).
    pub images: u64,
}

impl Usage {
    /// What is billed of this usage on a route of `format`: image models that report token
    /// usage (gpt-image) are billed by those tokens, like upstream bills them, the others
    /// (dall-e) per image; never both.
    pub fn billable(mut self, format: WireFormat) -> Usage {
        if matches!(format, WireFormat::OpenAiImages) && self.total_input() + self.output_tokens > 0
        {
            self.images = 0;
        }
        self
    }

    /// Every input token, whatever its cache bucket.
    pub fn total_input(&self) -> u64 {
        self.input_tokens
            + self.cached_tokens
            + self.cache_write_5m_tokens
            + self.cache_write_1h_tokens
    }
}

// Reading usage out of upstream responses. Everything below is per request and on the hot path
// for streams: events are prefiltered by name or by a `memchr` substring search, and only the
// one or two that can carry usage are parsed as JSON.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::de::IgnoredAny;

/// Which upstream API a response speaks; it decides where usage sits and how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// `POST /v1/chat/completions`.
    OpenAiChat,
    /// `POST /v1/responses`, what Codex CLI speaks.
    OpenAiResponses,
    /// `POST /v1/messages`, what Claude Code speaks.
    AnthropicMessages,
    /// `POST /v1/embeddings` (never streamed).
    OpenAiEmbeddings,
    /// `POST /v1/images/generations` (and edits).
    OpenAiImages,
}

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
/// A count that is `null`, negative or not a number reads as absent (zero); a float is
/// truncated. Unknown fields are ignored.
pub fn usage_from_body(format: WireFormat, body: &[u8]) -> Option<Usage> {
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
            tally.usage()
        }
        WireFormat::OpenAiEmbeddings => {
            let usage = parse::<WithUsage<ChatUsage>>(body)?.usage?;
            Some(Usage {
                input_tokens: usage.prompt_tokens.unwrap_or(0),
                ..Usage::default()
            })
        }
        WireFormat::OpenAiImages => {
            let body = parse::<ImagesBody>(body)?;
            if body.data.is_none() && body.usage.is_none() {
                return None;
            }
            let mut usage = body.usage.map(|u| u.to_usage()).unwrap_or_default();
            usage.images = body.data.map_or(0, |data| data.len() as u64);
            Some(usage)
        }
    }
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
    /// Chat, Responses and images: the latest usage read.
    latest: Option<Usage>,
    /// Anthropic: the latest value of each field.
    anthropic: AnthropicTally,
    /// Anthropic: `message_start` was seen.
    started: bool,
    final_seen: bool,
    delivered: u64,
}

impl StreamUsage {
    pub fn new(format: WireFormat) -> Self {
        Self {
            format,
            latest: None,
            anthropic: AnthropicTally::default(),
            started: false,
            final_seen: false,
            delivered: 0,
        }
    }

    /// Reads one dispatched event: its `event:` name (`None` when it had none) and its data.
    ///
    /// Events without a name in Responses and Anthropic streams (which neither upstream sends,
    /// but a re-serializing proxy might) are named by their first `"type"` key.
    pub fn on_event(&mut self, event: Option<&str>, data: &[u8]) {
        match self.format {
            WireFormat::OpenAiChat => self.on_chat(data),
            WireFormat::OpenAiResponses => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    self.on_responses(name, data);
                }
            }
            WireFormat::AnthropicMessages => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    self.on_anthropic(name, data);
                }
            }
            WireFormat::OpenAiImages => {
                if let Some(name) = event.or_else(|| sniff_type(data)) {
                    self.on_images(name, data);
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
            _ => self.latest,
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
        self.final_seen
    }

    /// An estimate of output tokens already relayed, for charging a stream whose final usage
    /// never came (the client went away, or upstream broke off). Combine it with
    /// [`StreamUsage::usage`] as `max(output_tokens, estimate)`.
    ///
    /// Rule: each content-delta event (chat chunks other than the usage-only one; Responses
    /// `response.*.delta` events except audio; Anthropic `content_block_delta`) counts
    /// `max(1, len / 3)` tokens, where `len` is the byte length of its delta string as sent
    /// (JSON escapes included), 0 if that string is empty, and 1 if no delta string is found
    /// (a finish chunk, a signature delta). Why: OpenAI streams about one token per delta, so
    /// the floor of one per event matches them; Anthropic batches several tokens per delta and
    /// English runs about 3.5-4 bytes per token (code about 3), so a third of the bytes stays
    /// at or above the true count for common text, while a typical one-token delta (up to five
    /// bytes) still counts once.
    /// It cannot see hidden reasoning (chat reasoning models, Anthropic's summarized thinking),
    /// which upstream bills but never streams.
    pub fn delivered_output_estimate(&self) -> u64 {
        self.delivered
    }

    fn on_chat(&mut self, data: &[u8]) {
        if data == b"[DONE]" {
            return;
        }
        // Every chunk of a stream with `include_usage` carries `"usage":null`; only a non-null
        // value is worth parsing.
        if key_value(data, &USAGE_KEY).is_some_and(|value| value.first() == Some(&b'{'))
            && let Some(chunk) = parse::<ChatChunk>(data)
            && let Some(usage) = chunk.usage
        {
            self.latest = Some(usage.to_usage());
            let finished = chunk.choices.as_deref().is_none_or(|choices| {
                choices.is_empty() || choices.iter().any(|c| c.finish_reason.is_some())
            });
            self.final_seen |= finished;
            if chunk
                .choices
                .as_deref()
                .is_none_or(<[ChatChoice]>::is_empty)
            {
                return;
            }
        }
        self.delivered += delta_tokens(data, &CHAT_DELTA_KEYS[..]);
    }

    fn on_responses(&mut self, name: &str, data: &[u8]) {
        match name {
            "response.completed" | "response.incomplete" | "response.failed" => {
                if let Some(event) = parse::<ResponsesEvent>(data) {
                    self.final_seen = true;
                    if let Some(usage) = event.response.and_then(|r| r.usage) {
                        self.latest = Some(usage.to_usage());
                    }
                }
            }
            // Audio deltas are base64 audio, not text; their tokens come with the final usage.
            "response.audio.delta" => {}
            _ if name.starts_with("response.") && name.ends_with(".delta") => {
                self.delivered += delta_tokens(data, &RESPONSES_DELTA_KEYS[..]);
            }
            _ => {}
        }
    }

    fn on_anthropic(&mut self, name: &str, data: &[u8]) {
        match name {
            "message_start" => {
                if let Some(event) = parse::<AnthropicEvent>(data) {
                    self.started = true;
                    if let Some(usage) = event.message.and_then(|m| m.usage) {
                        self.anthropic.merge(&usage);
                    }
                }
            }
            "message_delta" => {
                if let Some(usage) = parse::<AnthropicEvent>(data).and_then(|e| e.usage) {
                    self.anthropic.merge(&usage);
                    self.final_seen |= self.started;
                }
            }
            "content_block_delta" => {
                self.delivered += delta_tokens(data, &ANTHROPIC_DELTA_KEYS[..]);
            }
            _ => {}
        }
    }

    fn on_images(&mut self, name: &str, data: &[u8]) {
        if !matches!(name, "image_generation.completed" | "image_edit.completed") {
            // Partial images are previews of the one that completes; not billed.
            return;
        }
        if let Some(event) = parse::<ImagesEvent>(data) {
            let mut total = self.latest.unwrap_or_default();
            if let Some(usage) = event.usage {
                let usage = usage.to_usage();
                total.input_tokens += usage.input_tokens;
                total.cached_tokens += usage.cached_tokens;
                total.output_tokens += usage.output_tokens;
            }
            total.images += 1;
            self.latest = Some(total);
            self.final_seen = true;
        }
    }
}

/// Whether `data` is the chat chunk that carries only usage: `"choices":[]` and a non-null
/// `usage`. The gateway asks upstream for it even when the client did not, then hides it from
/// that client. Two substring searches, no JSON parse.
pub fn is_usage_only_chat_chunk(data: &[u8]) -> bool {
    let empty_choices = key_value(data, &CHOICES_KEY).is_some_and(|value| {
        value.first() == Some(&b'[') && skip_ws(&value[1..]).first() == Some(&b']')
    });
    empty_choices && key_value(data, &USAGE_KEY).is_some_and(|value| value.first() == Some(&b'{'))
}

// Substring searchers, built once per process. A key is searched with its quotes and
// `key_value` then wants a colon after it. Text inside a JSON string has its quotes escaped, so
// it can match `"usage"` only as the end of a string, and a string followed by a colon is a key:
// only a key whose name ended in an escaped `\"usage` could fool this, and upstream schemas have
// none. Where a false match would cost something (reading usage), a full parse confirms it.
static USAGE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"usage\""));
static CHOICES_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"choices\""));
static TYPE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"type\""));
static CHAT_DELTA_KEYS: LazyLock<[Finder<'static>; 5]> = LazyLock::new(|| {
    [
        Finder::new(b"\"content\""),
        Finder::new(b"\"reasoning_content\""),
        Finder::new(b"\"reasoning\""),
        Finder::new(b"\"arguments\""),
        Finder::new(b"\"refusal\""),
    ]
});
static RESPONSES_DELTA_KEYS: LazyLock<[Finder<'static>; 1]> =
    LazyLock::new(|| [Finder::new(b"\"delta\"")]);
static ANTHROPIC_DELTA_KEYS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
    [
        Finder::new(b"\"text\""),
        Finder::new(b"\"thinking\""),
        Finder::new(b"\"partial_json\""),
    ]
});

/// The value after the first occurrence of `key` (a quoted key) used as an object key, from its
/// first byte on; `None` if the key does not occur.
fn key_value<'a>(data: &'a [u8], key: &Finder<'_>) -> Option<&'a [u8]> {
    key.find_iter(data).find_map(|at| {
        let rest = skip_ws(&data[at + key.needle().len()..]);
        let rest = rest.strip_prefix(b":")?;
        Some(skip_ws(rest))
    })
}

fn skip_ws(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The byte length of the JSON string starting just after its opening quote, escapes as sent.
fn string_len(string: &[u8]) -> usize {
    let mut at = 0;
    while let Some(offset) = memchr::memchr2(b'"', b'\\', &string[at..]) {
        at += offset;
        if string[at] == b'"' {
            return at;
        }
        // Skip the escaped character (`\"` must not end the string).
        at += 2;
        if at >= string.len() {
            break;
        }
    }
    string.len()
}

/// Delivered output tokens of one delta event: see
/// [`StreamUsage::delivered_output_estimate`]. `keys` name the delta string, most likely first.
fn delta_tokens(data: &[u8], keys: &[Finder<'static>]) -> u64 {
    for key in keys {
        // A key whose value is not a string (`"content":null` beside `"reasoning_content"`)
        // does not decide; the next key may.
        if let Some(value) = key_value(data, key)
            && let Some(string) = value.strip_prefix(b"\"")
        {
            let len = string_len(string) as u64;
            return if len == 0 { 0 } else { (len / 3).max(1) };
        }
    }
    1
}

/// The value of the first `"type"` key, for events that came without an `event:` name.
/// OpenAI and Anthropic put the event's own type first.
fn sniff_type(data: &[u8]) -> Option<&str> {
    let string = key_value(data, &TYPE_KEY)?.strip_prefix(b"\"")?;
    std::str::from_utf8(&string[..string_len(string)]).ok()
}

fn parse<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    serde_json::from_slice(json).ok()
}

/// A token count as upstreams send it. `null`, negative or non-numeric counts read as absent;
/// floats (seen from some OpenAI-compatible servers) are truncated.
fn count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|value| {
        value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        })
    }))
}

#[derive(Deserialize)]
struct WithUsage<U> {
    usage: Option<U>,
}

/// OpenAI's `*_tokens_details` objects: what share of input came from or went into the cache,
/// what share of output was reasoning.
#[derive(Deserialize, Default)]
struct TokenDetails {
    #[serde(default, deserialize_with = "count")]
    cached_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    cache_write_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    reasoning_tokens: Option<u64>,
}

/// OpenAI's prompt/completion counts are totals that include their cached and reasoning
/// shares; splitting them is the same for chat and Responses.
fn openai_usage(
    input: Option<u64>,
    input_details: Option<&TokenDetails>,
    output: Option<u64>,
    output_details: Option<&TokenDetails>,
) -> Usage {
    let cached = input_details.and_then(|d| d.cached_tokens).unwrap_or(0);
    let cache_write = input_details
        .and_then(|d| d.cache_write_tokens)
        .unwrap_or(0);
    Usage {
        input_tokens: input
            .unwrap_or(0)
            .saturating_sub(cached)
            .saturating_sub(cache_write),
        cached_tokens: cached,
        cache_write_5m_tokens: cache_write,
        output_tokens: output.unwrap_or(0),
        reasoning_tokens: output_details.and_then(|d| d.reasoning_tokens).unwrap_or(0),
        ..Usage::default()
    }
}

#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default, deserialize_with = "count")]
    prompt_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<TokenDetails>,
    completion_tokens_details: Option<TokenDetails>,
}

impl ChatUsage {
    fn to_usage(&self) -> Usage {
        openai_usage(
            self.prompt_tokens,
            self.prompt_tokens_details.as_ref(),
            self.completion_tokens,
            self.completion_tokens_details.as_ref(),
        )
    }
}

#[derive(Deserialize)]
struct ChatChunk {
    choices: Option<Vec<ChatChoice>>,
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct ChatChoice {
    finish_reason: Option<IgnoredAny>,
}

/// Responses usage; gpt-image models report theirs in the same shape.
#[derive(Deserialize)]
struct ResponsesUsage {
    #[serde(default, deserialize_with = "count")]
    input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    output_tokens: Option<u64>,
    input_tokens_details: Option<TokenDetails>,
    output_tokens_details: Option<TokenDetails>,
}

impl ResponsesUsage {
    fn to_usage(&self) -> Usage {
        openai_usage(
            self.input_tokens,
            self.input_tokens_details.as_ref(),
            self.output_tokens,
            self.output_tokens_details.as_ref(),
        )
    }
}

#[derive(Deserialize)]
struct ResponsesEvent {
    response: Option<WithUsage<ResponsesUsage>>,
}

#[derive(Deserialize)]
struct ImagesBody {
    /// Counted, never looked into: the items hold base64 images.
    data: Option<Vec<IgnoredAny>>,
    usage: Option<ResponsesUsage>,
}

#[derive(Deserialize)]
struct ImagesEvent {
    usage: Option<ResponsesUsage>,
}

#[derive(Deserialize)]
struct AnthropicUsage {
    #[serde(default, deserialize_with = "count")]
    input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    output_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    cache_read_input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    cache_creation_input_tokens: Option<u64>,
    cache_creation: Option<AnthropicCacheCreation>,
}

#[derive(Deserialize)]
struct AnthropicCacheCreation {
    #[serde(default, deserialize_with = "count")]
    ephemeral_5m_input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct AnthropicEvent {
    /// `message_start`: the message, whose usage has input, cache and a first output count.
    message: Option<WithUsage<AnthropicUsage>>,
    /// `message_delta`: cumulative counts.
    usage: Option<AnthropicUsage>,
}

/// Anthropic usage as it arrives over a stream: `message_start` carries input, cache and a
/// first output count; each `message_delta` carries the cumulative output and may repeat the
/// cumulative input and cache counts. Keeping the latest value of each field, never a sum,
/// counts nothing twice.
#[derive(Debug, Clone, Copy, Default)]
struct AnthropicTally {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_creation: Option<u64>,
    cache_5m: Option<u64>,
    cache_1h: Option<u64>,
}

impl AnthropicTally {
    fn merge(&mut self, usage: &AnthropicUsage) {
        fn latest(field: &mut Option<u64>, value: Option<u64>) {
            if value.is_some() {
                *field = value;
            }
        }
        latest(&mut self.input, usage.input_tokens);
        latest(&mut self.output, usage.output_tokens);
        latest(&mut self.cache_read, usage.cache_read_input_tokens);
        latest(&mut self.cache_creation, usage.cache_creation_input_tokens);
        if let Some(split) = &usage.cache_creation {
            latest(&mut self.cache_5m, split.ephemeral_5m_input_tokens);
            latest(&mut self.cache_1h, split.ephemeral_1h_input_tokens);
        }
    }

    fn usage(&self) -> Option<Usage> {
        let fields = [
            self.input,
            self.output,
            self.cache_read,
            self.cache_creation,
            self.cache_5m,
            self.cache_1h,
        ];
        if fields.iter().all(Option::is_none) {
            return None;
        }
        // The split decides the 1-hour share. The 5-minute share is the split's own figure, or
        // the rest of the total when that is larger, so an upstream that reports a total with
        // a partial (or zeroed) split is never billed for fewer writes than it reported.
        let write_1h = self.cache_1h.unwrap_or(0);
        let write_5m = self
            .cache_5m
            .unwrap_or(0)
            .max(self.cache_creation.unwrap_or(0).saturating_sub(write_1h));
        Some(Usage {
            input_tokens: self.input.unwrap_or(0),
            cached_tokens: self.cache_read.unwrap_or(0),
            cache_write_5m_tokens: write_5m,
            cache_write_1h_tokens: write_1h,
            output_tokens: self.output.unwrap_or(0),
            ..Usage::default()
        })
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sse::Splitter;
    use crate::sse::tests::{check_all_splits, splits};

    /// An OpenAI chat stream with `stream_options.include_usage`: every chunk carries
    /// `"usage":null` until the usage-only chunk, then `[DONE]`. Split in three so filter tests
    /// can name the usage chunk.
    const CHAT_HEAD: &str = concat!(
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":" How can I help with \"usage\" today?\n"},"finish_reason":null}],"usage":null}"#,
        "\n\n",
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
        "\n\n",
    );
    const CHAT_USAGE: &str = concat!(
        r#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":32,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
        "\n\n",
    );
    const CHAT_DONE: &str = "data: [DONE]\n\n";

    const CHAT_USAGE_EXPECTED: Usage = Usage {
        input_tokens: 93,
        cached_tokens: 1024,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
        output_tokens: 46,
        reasoning_tokens: 32,
        images: 0,
    };

    /// A Responses stream as Codex CLI receives it: reasoning summary, text deltas, and usage
    /// with cached, cache-write and reasoning tokens in `response.completed`.
    const RESPONSES: &str = concat!(
        "event: response.created\n",
        r#"data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68a1","object":"response","created_at":1754400000,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"You are Codex.","max_output_tokens":null,"model":"gpt-5-codex","output":[],"parallel_tool_calls":false,"previous_response_id":null,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"truncation":"disabled","usage":null,"metadata":{}}}"#,
        "\n\n",
        "event: response.in_progress\n",
        r#"data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_68a1","object":"response","status":"in_progress","model":"gpt-5-codex","output":[],"usage":null}}"#,
        "\n\n",
        "event: response.output_item.added\n",
        r#"data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_68a1","type":"reasoning","encrypted_content":"gAAAAABo","summary":[]}}"#,
        "\n\n",
        "event: response.reasoning_summary_part.added\n",
        r#"data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_68a1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}"#,
        "\n\n",
        "event: response.reasoning_summary_text.delta\n",
        r#"data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_68a1","output_index":0,"summary_index":0,"delta":"**Greeting the user**"}"#,
        "\n\n",
        "event: response.reasoning_summary_text.done\n",
        r#"data: {"type":"response.reasoning_summary_text.done","sequence_number":5,"item_id":"rs_68a1","output_index":0,"summary_index":0,"text":"**Greeting the user**"}"#,
        "\n\n",
        "event: response.output_item.done\n",
        r#"data: {"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"rs_68a1","type":"reasoning","encrypted_content":"gAAAAABo","summary":[{"type":"summary_text","text":"**Greeting the user**"}]}}"#,
        "\n\n",
        "event: response.output_item.added\n",
        r#"data: {"type":"response.output_item.added","sequence_number":7,"output_index":1,"item":{"id":"msg_68a1","type":"message","status":"in_progress","content":[],"role":"assistant"}}"#,
        "\n\n",
        "event: response.content_part.added\n",
        r#"data: {"type":"response.content_part.added","sequence_number":8,"item_id":"msg_68a1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"#,
        "\n\n",
        "event: response.output_text.delta\n",
        r#"data: {"type":"response.output_text.delta","sequence_number":9,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":"Hi","logprobs":[]}"#,
        "\n\n",
        "event: response.output_text.delta\n",
        r#"data: {"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":" there","logprobs":[]}"#,
        "\n\n",
        "event: response.output_text.delta\n",
        r#"data: {"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_68a1","output_index":1,"content_index":0,"delta":"!","logprobs":[]}"#,
        "\n\n",
        "event: response.output_text.done\n",
        r#"data: {"type":"response.output_text.done","sequence_number":12,"item_id":"msg_68a1","output_index":1,"content_index":0,"text":"Hi there!","logprobs":[]}"#,
        "\n\n",
        "event: response.content_part.done\n",
        r#"data: {"type":"response.content_part.done","sequence_number":13,"item_id":"msg_68a1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there!"}}"#,
        "\n\n",
        "event: response.output_item.done\n",
        r#"data: {"type":"response.output_item.done","sequence_number":14,"output_index":1,"item":{"id":"msg_68a1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there!"}],"role":"assistant"}}"#,
        "\n\n",
        "event: response.completed\n",
        r#"data: {"type":"response.completed","sequence_number":15,"response":{"id":"resp_68a1","object":"response","created_at":1754400000,"status":"completed","error":null,"incomplete_details":null,"model":"gpt-5-codex","output":[{"id":"rs_68a1","type":"reasoning","summary":[{"type":"summary_text","text":"**Greeting the user**"}]},{"id":"msg_68a1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi there!"}],"role":"assistant"}],"usage":{"input_tokens":2417,"input_tokens_details":{"cached_tokens":2048,"cache_write_tokens":256},"output_tokens":145,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2562},"metadata":{}}}"#,
        "\n\n",
    );

    const RESPONSES_EXPECTED: Usage = Usage {
        input_tokens: 113,
        cached_tokens: 2048,
        cache_write_5m_tokens: 256,
        cache_write_1h_tokens: 0,
        output_tokens: 145,
        reasoning_tokens: 128,
        images: 0,
    };

    /// An Anthropic stream as Claude Code receives it, with extended thinking, a ping, an event
    /// type from the future, and a `message_delta` repeating the cumulative input and cache
    /// counts. Split before `message_delta` for truncation tests.
    const ANTHROPIC_HEAD: &str = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"cache_creation":{"ephemeral_5m_input_tokens":51,"ephemeral_1h_input_tokens":2000},"output_tokens":4,"service_tier":"standard"}}}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        "\n\n",
        "event: ping\n",
        r#"data: {"type": "ping"}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants a haiku about Rust. Five, seven, five syllables."}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+6z3y/sKAkxWPkN/WXa3Fq9lfn/Gw=="}}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":0}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Borrowed, never owned\u2014\n"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"the compiler guards each byte;\n"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"no data races here."}}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":1}"#,
        "\n\n",
        "event: some_future_event\n",
        r#"data: {"type":"some_future_event","detail":{"usage":{"output_tokens":999999}}}"#,
        "\n\n",
    );
    const ANTHROPIC_TAIL: &str = concat!(
        "event: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"output_tokens":87}}"#,
        "\n\n",
        "event: message_stop\n",
        r#"data: {"type":"message_stop"}"#,
        "\n\n",
    );

    const ANTHROPIC_EXPECTED: Usage = Usage {
        input_tokens: 12,
        cached_tokens: 15214,
        cache_write_5m_tokens: 51,
        cache_write_1h_tokens: 2000,
        output_tokens: 87,
        reasoning_tokens: 0,
        images: 0,
    };

    fn chat() -> String {
        [CHAT_HEAD, CHAT_USAGE, CHAT_DONE].concat()
    }

    fn anthropic() -> String {
        [ANTHROPIC_HEAD, ANTHROPIC_TAIL].concat()
    }

    /// Runs `input` in `chunks` through a splitter (observe-only) into a tracker.
    fn track(format: WireFormat, chunks: &[&[u8]]) -> StreamUsage {
        let mut splitter = Splitter::new();
        let mut usage = StreamUsage::new(format);
        for chunk in chunks {
            splitter.feed(chunk, |event| usage.on_event(event.name, event.data));
        }
        assert!(splitter.finish().is_empty());
        usage
    }

    fn not_usage_only(event: &crate::sse::Event<'_>) -> bool {
        !is_usage_only_chat_chunk(event.data)
    }

    #[test]
    fn chat_stream_usage() {
        let usage = track(WireFormat::OpenAiChat, &[chat().as_bytes()]);
        assert_eq!(usage.usage(), Some(CHAT_USAGE_EXPECTED));
        assert!(usage.is_final());
        // Role chunk 0, "Hello" 1, "!" 1, the question (39 bytes as escaped) 13, finish chunk 1.
        assert_eq!(usage.delivered_output_estimate(), 16);
    }

    #[test]
    fn responses_stream_usage() {
        let usage = track(WireFormat::OpenAiResponses, &[RESPONSES.as_bytes()]);
        assert_eq!(usage.usage(), Some(RESPONSES_EXPECTED));
        assert!(usage.is_final());
        // "**Greeting the user**" 7, "Hi" 1, " there" 2, "!" 1.
        assert_eq!(usage.delivered_output_estimate(), 11);
    }

    #[test]
    fn anthropic_stream_usage_takes_the_latest_of_each_field() {
        let usage = track(WireFormat::AnthropicMessages, &[anthropic().as_bytes()]);
        // The repeated cumulative counts in `message_delta` are not added twice, the 1-hour
        // split from `message_start` survives a delta that repeats only the total, and the
        // unknown event's `usage` is ignored.
        assert_eq!(usage.usage(), Some(ANTHROPIC_EXPECTED));
        assert!(usage.is_final());
        // Thinking 63 bytes: 21; signature 1; texts 29, 32, 19 bytes: 9, 10, 6.
        assert_eq!(usage.delivered_output_estimate(), 47);
    }

    #[test]
    fn every_split_gives_the_same_events_bytes_and_usage() {
        let cases = [
            (WireFormat::OpenAiChat, chat(), CHAT_USAGE_EXPECTED),
            (
                WireFormat::OpenAiResponses,
                RESPONSES.to_owned(),
                RESPONSES_EXPECTED,
            ),
            (
                WireFormat::AnthropicMessages,
                anthropic(),
                ANTHROPIC_EXPECTED,
            ),
        ];
        for (format, input, expected) in cases {
            let forwarded = match format {
                WireFormat::OpenAiChat => [CHAT_HEAD, CHAT_DONE].concat(),
                _ => input.clone(),
            };
            for end in ["\n", "\r\n", "\r"] {
                let input = input.replace('\n', end);
                // Events and filtered bytes at every cut point, in 1-byte chunks and more: only
                // the usage chunk is hidden, everything else (pings, signatures, the unknown
                // event type) passes untouched.
                let out = check_all_splits(input.as_bytes(), not_usage_only);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    forwarded.replace('\n', end)
                );
                // The tracker is a function of the events, so a sample of splits suffices.
                let whole = track(format, &[input.as_bytes()]);
                assert_eq!(whole.usage(), Some(expected));
                assert!(whole.is_final());
                for chunks in splits(input.as_bytes()).iter().step_by(11) {
                    let usage = track(format, chunks);
                    assert_eq!(usage.usage(), Some(expected));
                    assert!(usage.is_final());
                    assert_eq!(
                        usage.delivered_output_estimate(),
                        whole.delivered_output_estimate()
                    );
                }
            }
        }
    }

    #[test]
    fn filter_hides_exactly_the_usage_chunk() {
        let expected = [CHAT_HEAD, CHAT_DONE].concat();
        // The tracker still sees the hidden chunk when it rides along in `keep`.
        let mut splitter = Splitter::new();
        let mut usage = StreamUsage::new(WireFormat::OpenAiChat);
        let mut out = Vec::new();
        for chunk in chat().as_bytes().chunks(17) {
            splitter.filter_into(
                chunk,
                |event| {
                    usage.on_event(event.name, event.data);
                    !is_usage_only_chat_chunk(event.data)
                },
                &mut out,
            );
        }
        assert!(splitter.finish().is_empty());
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(usage.usage(), Some(CHAT_USAGE_EXPECTED));
        assert!(usage.is_final());
    }

    #[test]
    fn filter_passes_unknown_events_and_signatures_untouched() {
        for input in [anthropic(), RESPONSES.to_owned()] {
            let mut splitter = Splitter::new();
            let mut out = Vec::new();
            for chunk in input.as_bytes().chunks(1) {
                splitter.filter_into(chunk, not_usage_only, &mut out);
            }
            assert_eq!(String::from_utf8(out).unwrap(), input);
        }
    }

    #[test]
    fn cut_streams_are_not_final_and_estimate_what_was_sent() {
        let claude = track(WireFormat::AnthropicMessages, &[ANTHROPIC_HEAD.as_bytes()]);
        assert!(!claude.is_final());
        // Input and cache are known from `message_start`; output only its first count.
        assert_eq!(
            claude.usage(),
            Some(Usage {
                output_tokens: 4,
                ..ANTHROPIC_EXPECTED
            })
        );
        assert_eq!(claude.delivered_output_estimate(), 47);

        let chat = track(WireFormat::OpenAiChat, &[CHAT_HEAD.as_bytes()]);
        assert!(!chat.is_final());
        assert_eq!(chat.usage(), None);
        assert_eq!(chat.delivered_output_estimate(), 16);

        let cut = RESPONSES.find("event: response.completed").unwrap();
        let responses = track(WireFormat::OpenAiResponses, &[&RESPONSES.as_bytes()[..cut]]);
        assert!(!responses.is_final());
        assert_eq!(responses.usage(), None);
        assert_eq!(responses.delivered_output_estimate(), 11);

        // A cut inside the final event: nothing dispatched, `finish` reports the leftover.
        let input = anthropic();
        let cut = input.len() - 40;
        let mut splitter = Splitter::new();
        let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
        splitter.feed(&input.as_bytes()[..cut], |event| {
            usage.on_event(event.name, event.data);
        });
        assert!(usage.is_final(), "`message_delta` came before the cut");
        assert!(!splitter.finish().is_empty());
    }

    #[test]
    fn message_delta_without_message_start_is_not_final() {
        let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
        usage.on_event(
            Some("message_delta"),
            br#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
        );
        assert!(!usage.is_final());
        assert_eq!(usage.usage().unwrap().output_tokens, 15);
    }

    #[test]
    fn anthropic_cache_writes_without_split_are_five_minute() {
        let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
        usage.on_event(
            Some("message_start"),
            br#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3,"cache_creation_input_tokens":1500,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
        );
        usage.on_event(
            Some("message_delta"),
            br#"{"type":"message_delta","delta":{},"usage":{"output_tokens":20}}"#,
        );
        assert!(usage.is_final());
        assert_eq!(
            usage.usage(),
            Some(Usage {
                input_tokens: 3,
                cache_write_5m_tokens: 1500,
                output_tokens: 20,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn nameless_events_are_named_by_their_type() {
        let input = anthropic();
        let mut usage = StreamUsage::new(WireFormat::AnthropicMessages);
        let mut splitter = Splitter::new();
        splitter.feed(input.as_bytes(), |event| usage.on_event(None, event.data));
        assert_eq!(usage.usage(), Some(ANTHROPIC_EXPECTED));
        assert!(usage.is_final());

        let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
        let mut splitter = Splitter::new();
        splitter.feed(RESPONSES.as_bytes(), |event| {
            usage.on_event(None, event.data)
        });
        assert_eq!(usage.usage(), Some(RESPONSES_EXPECTED));
        assert_eq!(usage.delivered_output_estimate(), 11);
    }

    #[test]
    fn chat_running_usage_is_final_only_when_finished() {
        // Some OpenAI-compatible servers attach running usage to every chunk.
        let mut usage = StreamUsage::new(WireFormat::OpenAiChat);
        usage.on_event(
            None,
            br#"{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}"#,
        );
        assert!(!usage.is_final());
        assert_eq!(usage.usage().unwrap().output_tokens, 1);
        assert_eq!(usage.delivered_output_estimate(), 1);
        usage.on_event(
            None,
            br#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#,
        );
        assert!(usage.is_final());
        assert_eq!(
            usage.usage(),
            Some(Usage {
                input_tokens: 10,
                output_tokens: 2,
                ..Usage::default()
            })
        );
        usage.on_event(None, b"[DONE]");
        assert_eq!(usage.delivered_output_estimate(), 2);
    }

    #[test]
    fn responses_incomplete_and_failed_are_final() {
        let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
        usage.on_event(
            Some("response.incomplete"),
            br#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":50,"output_tokens":16,"output_tokens_details":{"reasoning_tokens":16}}}}"#,
        );
        assert!(usage.is_final());
        assert_eq!(
            usage.usage(),
            Some(Usage {
                input_tokens: 50,
                output_tokens: 16,
                reasoning_tokens: 16,
                ..Usage::default()
            })
        );
        let mut usage = StreamUsage::new(WireFormat::OpenAiResponses);
        usage.on_event(
            Some("response.failed"),
            br#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error"},"usage":null}}"#,
        );
        assert!(usage.is_final());
        assert_eq!(usage.usage(), None);
    }

    #[test]
    fn streamed_images_count_completed_images() {
        let mut usage = StreamUsage::new(WireFormat::OpenAiImages);
        usage.on_event(
            Some("image_generation.partial_image"),
            br#"{"type":"image_generation.partial_image","b64_json":"iVBORw0KGgo=","partial_image_index":0}"#,
        );
        assert!(!usage.is_final());
        usage.on_event(
            Some("image_generation.completed"),
            br#"{"type":"image_generation.completed","b64_json":"iVBORw0KGgo=","usage":{"total_tokens":4210,"input_tokens":50,"output_tokens":4160,"input_tokens_details":{"text_tokens":50,"image_tokens":0}}}"#,
        );
        assert!(usage.is_final());
        assert_eq!(
            usage.usage(),
            Some(Usage {
                input_tokens: 50,
                output_tokens: 4160,
                images: 1,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn usage_only_chat_chunk() {
        let usage_data = CHAT_USAGE.trim_end().strip_prefix("data: ").unwrap();
        assert!(is_usage_only_chat_chunk(usage_data.as_bytes()));
        assert!(is_usage_only_chat_chunk(
            br#"{ "choices" : [ ] , "usage" : { "prompt_tokens": 1 } }"#
        ));
        for data in CHAT_HEAD.split("\n\n").filter(|d| !d.is_empty()) {
            let data = data.strip_prefix("data: ").unwrap();
            assert!(!is_usage_only_chat_chunk(data.as_bytes()), "{data}");
        }
        for data in [
            &b"[DONE]"[..],
            br#"{"choices":[],"usage":null}"#,
            br#"{"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}"#,
            // The words in the text are escaped, so they are not keys.
            br#"{"choices":[{"delta":{"content":"\"choices\":[],\"usage\":{}"}}],"usage":null}"#,
            br#"{"choices":[{"delta":{"content":"choices"}}],"x":"usage"}"#,
        ] {
            assert!(
                !is_usage_only_chat_chunk(data),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn body_chat() {
        let body = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1754400000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_5d58a6052a"}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiChat, body),
            Some(Usage {
                input_tokens: 86,
                cached_tokens: 1920,
                output_tokens: 300,
                ..Usage::default()
            })
        );
        // Details may be null or missing.
        let body =
            br#"{"usage":{"prompt_tokens":7,"completion_tokens":3,"prompt_tokens_details":null}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiChat, body),
            Some(Usage {
                input_tokens: 7,
                output_tokens: 3,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn body_responses() {
        let body = br#"{"id":"resp_1","object":"response","created_at":1754400000,"status":"completed","model":"gpt-5","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],"usage":{"input_tokens":2417,"input_tokens_details":{"cached_tokens":2048,"cache_write_tokens":256},"output_tokens":145,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2562}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiResponses, body),
            Some(RESPONSES_EXPECTED)
        );
        // Inconsistent counts saturate rather than wrap.
        let body = br#"{"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":20},"output_tokens":1}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiResponses, body),
            Some(Usage {
                cached_tokens: 20,
                output_tokens: 1,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn body_anthropic() {
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":188086,"cache_read_input_tokens":5,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":188086},"output_tokens":393,"service_tier":"standard"}}"#;
        assert_eq!(
            usage_from_body(WireFormat::AnthropicMessages, body),
            Some(Usage {
                input_tokens: 21,
                cached_tokens: 5,
                cache_write_1h_tokens: 188_086,
                output_tokens: 393,
                ..Usage::default()
            })
        );
        // Without the split (older API versions, some clouds), all writes are 5-minute.
        let body = br#"{"usage":{"input_tokens":21,"cache_creation_input_tokens":100,"cache_read_input_tokens":null,"output_tokens":9}}"#;
        assert_eq!(
            usage_from_body(WireFormat::AnthropicMessages, body),
            Some(Usage {
                input_tokens: 21,
                cache_write_5m_tokens: 100,
                output_tokens: 9,
                ..Usage::default()
            })
        );
        // A zeroed split never hides a reported total.
        let body = br#"{"usage":{"input_tokens":1,"cache_creation_input_tokens":100,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1}}"#;
        assert_eq!(
            usage_from_body(WireFormat::AnthropicMessages, body)
                .unwrap()
                .cache_write_5m_tokens,
            100
        );
    }

    #[test]
    fn body_embeddings_and_images() {
        let body = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiEmbeddings, body),
            Some(Usage {
                input_tokens: 8,
                ..Usage::default()
            })
        );
        let body = br#"{"created":1754400000,"data":[{"url":"https://example.invalid/a.png","revised_prompt":"a"},{"url":"https://example.invalid/b.png"}]}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiImages, body),
            Some(Usage {
                images: 2,
                ..Usage::default()
            })
        );
        let body = br#"{"created":1754400000,"background":"opaque","data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAA"}],"output_format":"png","quality":"high","size":"1024x1024","usage":{"input_tokens":50,"input_tokens_details":{"image_tokens":40,"text_tokens":10},"output_tokens":4160,"total_tokens":4210}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiImages, body),
            Some(Usage {
                input_tokens: 50,
                output_tokens: 4160,
                images: 1,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn bodies_without_usage() {
        let error = br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        let anthropic_error =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        for format in [
            WireFormat::OpenAiChat,
            WireFormat::OpenAiResponses,
            WireFormat::AnthropicMessages,
            WireFormat::OpenAiEmbeddings,
            WireFormat::OpenAiImages,
        ] {
            assert_eq!(usage_from_body(format, error), None);
            assert_eq!(usage_from_body(format, anthropic_error), None);
            assert_eq!(usage_from_body(format, b"not json"), None);
            assert_eq!(usage_from_body(format, b""), None);
        }
    }

    #[test]
    fn odd_counts_are_read_leniently() {
        let body = br#"{"usage":{"prompt_tokens":12.0,"completion_tokens":-3,"prompt_tokens_details":{"cached_tokens":"2"}}}"#;
        assert_eq!(
            usage_from_body(WireFormat::OpenAiChat, body),
            Some(Usage {
                input_tokens: 12,
                ..Usage::default()
            })
        );
    }
}

/// Not run by default: `cargo test -p codexkey-common --release --lib -- --ignored
/// --nocapture cost_per_stream` prints the CPU cost of metering one streamed response.
#[cfg(test)]
mod cost {
    use super::*;
    use crate::sse::Splitter;

    fn stream(format: WireFormat) -> (Vec<u8>, &'static str) {
        let mut out = Vec::new();
        match format {
            WireFormat::OpenAiChat => {
                for i in 0..48 {
                    out.extend_from_slice(format!(r#"data: {{"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_5d58a6052a","choices":[{{"index":0,"delta":{{"content":" word{i}"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#).as_bytes());
                    out.extend_from_slice(b"\n\n");
                }
                out.extend_from_slice(br#"data: {"id":"chatcmpl-C1x9","object":"chat.completion.chunk","created":1754400000,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":48,"total_tokens":1165,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#);
                out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
                (out, "chat, 50 events")
            }
            _ => {
                out.extend_from_slice(b"event: message_start\n");
                out.extend_from_slice(br#"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"cache_creation":{"ephemeral_5m_input_tokens":2051,"ephemeral_1h_input_tokens":0},"output_tokens":4,"service_tier":"standard"}}}"#);
                out.extend_from_slice(b"\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
                for _ in 0..45 {
                    out.extend_from_slice(b"event: content_block_delta\n");
                    out.extend_from_slice(br#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the compiler guards each byte,"}}"#);
                    out.extend_from_slice(b"\n\n");
                }
                out.extend_from_slice(b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
                out.extend_from_slice(b"event: message_delta\n");
                out.extend_from_slice(br#"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":2051,"cache_read_input_tokens":15214,"output_tokens":300}}"#);
                out.extend_from_slice(
                    b"\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                );
                (out, "anthropic, 50 events")
            }
        }
    }

    #[test]
    #[ignore = "timing, run in release"]
    fn cost_per_stream() {
        for format in [WireFormat::OpenAiChat, WireFormat::AnthropicMessages] {
            let (input, label) = stream(format);
            // Chunks as a network read might cut them, straddling event boundaries.
            let chunks: Vec<&[u8]> = input.chunks(700).collect();
            let rounds = 20_000;
            let mut out = Vec::with_capacity(input.len());
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                let mut splitter = Splitter::new();
                let mut usage = StreamUsage::new(format);
                out.clear();
                for chunk in &chunks {
                    if format == WireFormat::OpenAiChat {
                        splitter.filter_into(
                            chunk,
                            |event| {
                                usage.on_event(event.name, event.data);
                                !is_usage_only_chat_chunk(event.data)
                            },
                            &mut out,
                        );
                    } else {
                        splitter.feed(chunk, |event| usage.on_event(event.name, event.data));
                    }
                }
                assert!(usage.is_final());
                std::hint::black_box(&usage);
            }
            let per_stream = started.elapsed() / rounds;
            eprintln!("{label}, {} bytes: {per_stream:?} per stream", input.len());
        }
    }
}
