//! What the fake answers and how it misbehaves: the [`Script`] of a normal answer, the
//! [`Usage`] it reports, an [`ErrorReply`], the [`Action`] per request and the [`Filter`] that
//! says which requests a queued action may take. Plain values; the server reads them.

use std::time::Duration;

/// The words deterministic completion text cycles through, one per content event.
const WORDS: &[&str] = &[
    "Lorem",
    " ipsum",
    " dolor",
    " sit",
    " amet,",
    " consectetur",
    " adipiscing",
    " elit.",
    " Sed",
    " do",
    " eiusmod",
    " tempor",
    " incididunt",
    " ut",
    " labore",
    " et",
];

/// Token counts a response reports, placed on the wire verbatim in each provider's own meaning.
///
/// | field | Chat Completions | Responses | Anthropic Messages |
/// |---|---|---|---|
/// | `input_tokens` | `prompt_tokens` (includes cached) | `input_tokens` (includes cached) | `input_tokens` (excludes cache reads and writes) |
/// | `cached_tokens` | `prompt_tokens_details.cached_tokens` | `input_tokens_details.cached_tokens` | `cache_read_input_tokens` |
/// | `cache_write_5m_tokens` + `cache_write_1h_tokens` | — | `cache_write_tokens` when [`Script::responses_cache_write_tokens`] | `cache_creation_input_tokens`, split in `cache_creation` |
/// | `output_tokens` | `completion_tokens` (includes reasoning) | `output_tokens` (includes reasoning) | `output_tokens` |
/// | `reasoning_tokens` | `completion_tokens_details.reasoning_tokens` | `output_tokens_details.reasoning_tokens` | — |
///
/// `total_tokens` is always `input_tokens + output_tokens`, as OpenAI computes it. Embeddings
/// report `input_tokens` as `prompt_tokens`; gpt-image reports `input_tokens`/`output_tokens`;
/// `count_tokens` answers `input_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens, in the provider's meaning (see the table).
    pub input_tokens: u64,
    /// Prompt tokens read from the cache.
    pub cached_tokens: u64,
    /// Prompt tokens written to the cache with the 5-minute TTL.
    pub cache_write_5m_tokens: u64,
    /// Prompt tokens written to the cache with the 1-hour TTL.
    pub cache_write_1h_tokens: u64,
    /// Completion tokens, reasoning included where the provider counts it separately.
    pub output_tokens: u64,
    /// Reasoning tokens (OpenAI only).
    pub reasoning_tokens: u64,
}

impl Default for Usage {
    /// 120 input tokens and 50 output tokens (one per default content event), nothing cached.
    fn default() -> Self {
        Usage {
            input_tokens: 120,
            cached_tokens: 0,
            cache_write_5m_tokens: 0,
            cache_write_1h_tokens: 0,
            output_tokens: 50,
            reasoning_tokens: 0,
        }
    }
}

impl Usage {
    /// Tokens written to the cache, both TTLs together (Anthropic's `cache_creation_input_tokens`).
    pub fn cache_write_tokens(&self) -> u64 {
        self.cache_write_5m_tokens + self.cache_write_1h_tokens
    }

    /// `input_tokens + output_tokens`.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// What a normal answer looks like. Change fields with struct update syntax:
/// `Script { events: 3, canary: Some("CANARY-1".into()), ..Script::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Content events in a stream, one word ("token") each; the non-stream text is the same words
    /// joined. Default 50.
    pub events: usize,
    /// The usage every route reports. Default [`Usage::default`].
    pub usage: Usage,
    /// A string placed whole, as one content event, in the completion text (replacing word
    /// `events / 2`), so a test can show it never reaches a database or a log. Ignored when
    /// `events` is 0. Default none.
    pub canary: Option<String>,
    /// The model the response names. Default none: the request's `model`, echoed.
    pub model: Option<String>,
    /// A pause before every stream event after the first. Default zero.
    pub event_delay: Duration,
    /// Anthropic only: `thinking_delta` events in a thinking block before the text (followed by
    /// a `signature_delta`); 0 sends no thinking block. Default 0.
    pub anthropic_thinking_events: usize,
    /// Anthropic only: whether `message_delta.usage` repeats the cumulative input and cache
    /// counts, as current API versions do (older ones sent `output_tokens` alone). Default true.
    pub anthropic_delta_repeats_input: bool,
    /// Send an event type no client has heard of, as providers do when they add one: Anthropic
    /// `event: future_event` after `ping`; Responses `event: response.future_event` (numbered
    /// like the rest) after `response.in_progress`. Default false.
    pub unknown_event: bool,
    /// Responses only: report `input_tokens_details.cache_write_tokens`, as the backend behind
    /// Codex CLI does. Default false.
    pub responses_cache_write_tokens: bool,
    /// Images only: whether to report token `usage`. Default none: when the model starts with
    /// `gpt-image`, as OpenAI does.
    pub image_usage: Option<bool>,
    /// Embedding length when the request does not ask for `dimensions`. Default 1536.
    pub embedding_dimensions: usize,
    /// The JSON sent as the final output token count (chat `completion_tokens`, Responses,
    /// Anthropic and gpt-image `output_tokens`) instead of `usage.output_tokens`: for what no
    /// provider should send (`-3`, `"100"`, `12.5`, `1e30`). Default none.
    pub output_tokens_json: Option<serde_json::Value>,
    /// Answer chat, Responses and Messages requests with a stream even when they did not ask
    /// for one, as some OpenAI-compatible servers do. Default false.
    pub stream_regardless: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            events: 50,
            usage: Usage::default(),
            canary: None,
            model: None,
            event_delay: Duration::ZERO,
            anthropic_thinking_events: 0,
            anthropic_delta_repeats_input: true,
            unknown_event: false,
            responses_cache_write_tokens: false,
            image_usage: None,
            embedding_dimensions: 1536,
            output_tokens_json: None,
            stream_regardless: false,
        }
    }
}

impl Script {
    /// The completion text, word by word: what each content event carries.
    pub fn tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = (0..self.events)
            .map(|i| WORDS[i % WORDS.len()].to_owned())
            .collect();
        if let Some(canary) = &self.canary
            && !tokens.is_empty()
        {
            let at = tokens.len() / 2;
            tokens[at] = if at == 0 {
                canary.clone()
            } else {
                format!(" {canary}")
            };
        }
        tokens
    }

    /// The final output token count as sent: [`Script::output_tokens_json`], else the count.
    pub fn output_count(&self) -> serde_json::Value {
        self.output_tokens_json
            .clone()
            .unwrap_or_else(|| serde_json::Value::from(self.usage.output_tokens))
    }

    /// The whole completion text.
    pub fn text(&self) -> String {
        self.tokens().concat()
    }

    /// The thinking text of an Anthropic thinking block, piece by piece.
    pub fn thinking_tokens(&self) -> Vec<String> {
        (0..self.anthropic_thinking_events)
            .map(|i| format!("Considering step {i}. "))
            .collect()
    }
}

/// An error answer: a status and the provider's real error body for it (or `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// The HTTP status.
    pub status: u16,
    /// A `retry-after` header, in seconds.
    pub retry_after: Option<u64>,
    /// The exact body to send (as `application/json`); none picks the provider's own body for
    /// `status`, in the route's format (502 and 504 are Cloudflare's HTML page, as in reality).
    pub body: Option<String>,
}

/// What the fake does with one request. See the module docs for how one is picked.
///
/// Counts of events (`after_events`) are SSE events from the start of the stream, every kind
/// included (Chat Completions' `data: [DONE]` is one). On a non-stream request, the body counts
/// as two halves: `after_events: 0` acts before the body, anything else after its first half.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Answer normally with this script (after checking the key and the request).
    Respond(Box<Script>),
    /// Answer with an error status and body, without looking at the key.
    Error(ErrorReply),
    /// Close the connection without sending anything back (over HTTP/2, the whole connection,
    /// with any other requests on it).
    CloseConnection,
    /// Wait this long before sending headers (for first-byte timeouts), then answer normally.
    HangBeforeHeaders(Duration),
    /// Send headers and `after_events` events, go silent for `stall` (for idle timeouts), then
    /// send the rest.
    StallMidStream {
        /// Events sent before the stall.
        after_events: usize,
        /// How long to stay silent.
        stall: Duration,
    },
    /// Answer 200 with a body that is not JSON ([`GARBAGE_BODY`], or [`GARBAGE_SSE`] when the
    /// request asked to stream).
    ///
    /// [`GARBAGE_BODY`]: super::GARBAGE_BODY
    /// [`GARBAGE_SSE`]: super::GARBAGE_SSE
    Garbage,
    /// Send `after_events` events, then break the connection mid-body: no usage, no end, the
    /// chunked body never terminated.
    CutStream {
        /// Events sent before the cut.
        after_events: usize,
    },
    /// Send `after_events` events, then end the body cleanly: the stream just stops, without
    /// its usage or terminator.
    EndStreamEarly {
        /// Events sent before the end.
        after_events: usize,
    },
    /// Send `after_events` events, then the provider's in-stream error (Anthropic
    /// `event: error` with `overloaded_error`; Chat Completions `data: {"error":…}`; Responses
    /// `response.failed`), and end cleanly. On a non-stream request it acts as
    /// [`Action::EndStreamEarly`].
    StreamError {
        /// Events sent before the error.
        after_events: usize,
    },
    /// Answer normally, pausing this long between stream events (a non-stream answer is not
    /// slowed).
    SlowStream(Duration),
}

impl Action {
    /// [`Action::Respond`] with `script`.
    pub fn respond(script: Script) -> Action {
        Action::Respond(Box::new(script))
    }

    /// An error with this status and the provider's real body for it (429 gets
    /// `retry-after: 1`).
    pub fn status(status: u16) -> Action {
        Action::Error(ErrorReply {
            status,
            retry_after: (status == 429).then_some(1),
            body: None,
        })
    }

    /// 429 with the provider's rate-limit body and `retry-after: {retry_after_secs}`.
    pub fn rate_limited(retry_after_secs: u64) -> Action {
        Action::Error(ErrorReply {
            status: 429,
            retry_after: Some(retry_after_secs),
            body: None,
        })
    }

    /// Anthropic's 529 `overloaded_error`.
    pub fn overloaded() -> Action {
        Action::status(529)
    }

    /// An error with this status and exactly this body (sent as `application/json`).
    pub fn error_body(status: u16, body: impl Into<String>) -> Action {
        Action::Error(ErrorReply {
            status,
            retry_after: None,
            body: Some(body.into()),
        })
    }
}

/// Which requests a queued [`Action`] may be consumed by. Empty fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The request path must be exactly this (no query), e.g. [`MESSAGES`](super::MESSAGES).
    pub path: Option<String>,
    /// The request must use exactly this upstream key.
    pub key: Option<String>,
}

impl Filter {
    /// Matches every request.
    pub fn any() -> Filter {
        Filter::default()
    }

    /// Matches requests to `path`.
    pub fn path(path: &str) -> Filter {
        Filter {
            path: Some(path.to_owned()),
            key: None,
        }
    }

    /// Matches requests that use `key`.
    pub fn key(key: &str) -> Filter {
        Filter {
            path: None,
            key: Some(key.to_owned()),
        }
    }

    /// This filter, narrowed to requests that use `key`.
    pub fn and_key(self, key: &str) -> Filter {
        Filter {
            key: Some(key.to_owned()),
            ..self
        }
    }

    pub(super) fn matches(&self, path: &str, key: Option<&str>) -> bool {
        self.path.as_deref().is_none_or(|p| p == path)
            && self.key.as_deref().is_none_or(|k| Some(k) == key)
    }
}
