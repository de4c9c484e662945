//! The vocabulary every usage reader shares: [`Usage`], [`WireFormat`], and the
//! [`Progress`] a stream has shown so far. A leaf: the per-format readers and the stream
//! accumulator all build on it.

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

/// The largest token count a usage report may carry: ten times the largest context window
/// offered today. Anything above it is a broken or hostile upstream, not a request's usage.
pub const MAX_TOKENS: u64 = 100_000_000;

/// Usage upstream reported but the gateway cannot bill: a count that is negative, fractional,
/// not a number, or above [`MAX_TOKENS`]. Settled by the estimate rule, never as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("upstream reported token counts that are not whole numbers from 0 to {MAX_TOKENS}")]
pub struct InvalidUsage;

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

/// What a stream has shown so far, kept up to date by the per-format readers.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Chat, Responses and images: the latest usage read.
    pub latest: Option<Usage>,
    /// The event carrying upstream's final usage was seen.
    pub final_seen: bool,
    /// Output tokens estimated from the content deltas relayed.
    pub delivered: u64,
    /// Upstream reported usage that is [`InvalidUsage`] at least once.
    pub invalid: bool,
}
