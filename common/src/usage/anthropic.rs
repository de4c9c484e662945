//! Anthropic Messages usage: `input_tokens` excludes the cache, cache reads and writes come in
//! their own fields (writes split by TTL in `cache_creation`), and a stream repeats cumulative
//! counts from `message_start` through each `message_delta`, which [`AnthropicTally`] keeps
//! without counting anything twice.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::Deserialize;

use super::scan::{Count, WithUsage, count, delta_tokens, parse};
use super::types::{Progress, Usage};

static ANTHROPIC_DELTA_KEYS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
    [
        Finder::new(b"\"text\""),
        Finder::new(b"\"thinking\""),
        Finder::new(b"\"partial_json\""),
    ]
});

pub(super) fn on_anthropic(
    s: &mut Progress,
    tally: &mut AnthropicTally,
    started: &mut bool,
    name: &str,
    data: &[u8],
) {
    match name {
        "message_start" => {
            if let Some(event) = parse::<AnthropicEvent>(data) {
                *started = true;
                if let Some(usage) = event.message.and_then(|m| m.usage) {
                    tally.merge(&usage);
                }
            }
        }
        "message_delta" => {
            if let Some(usage) = parse::<AnthropicEvent>(data).and_then(|e| e.usage) {
                tally.merge(&usage);
                s.final_seen |= *started;
            }
        }
        "content_block_delta" => {
            s.delivered += delta_tokens(data, &ANTHROPIC_DELTA_KEYS[..]).unwrap_or(1);
        }
        _ => {}
    }
}

#[derive(Deserialize)]
pub(super) struct AnthropicUsage {
    #[serde(default, deserialize_with = "count")]
    input_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    output_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    cache_read_input_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    cache_creation_input_tokens: Option<Count>,
    cache_creation: Option<AnthropicCacheCreation>,
}

#[derive(Deserialize)]
struct AnthropicCacheCreation {
    #[serde(default, deserialize_with = "count")]
    ephemeral_5m_input_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    ephemeral_1h_input_tokens: Option<Count>,
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
pub(super) struct AnthropicTally {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_creation: Option<u64>,
    cache_5m: Option<u64>,
    cache_1h: Option<u64>,
    /// A count was [`InvalidUsage`].
    invalid: bool,
}

impl AnthropicTally {
    pub(super) fn merge(&mut self, usage: &AnthropicUsage) {
        let mut invalid = false;
        let mut latest = |field: &mut Option<u64>, value: Option<Count>| match value {
            Some(Count::Valid(n)) => *field = Some(n),
            Some(Count::Invalid) => invalid = true,
            None => {}
        };
        latest(&mut self.input, usage.input_tokens);
        latest(&mut self.output, usage.output_tokens);
        latest(&mut self.cache_read, usage.cache_read_input_tokens);
        latest(&mut self.cache_creation, usage.cache_creation_input_tokens);
        if let Some(split) = &usage.cache_creation {
            latest(&mut self.cache_5m, split.ephemeral_5m_input_tokens);
            latest(&mut self.cache_1h, split.ephemeral_1h_input_tokens);
        }
        self.invalid |= invalid;
    }

    /// Whether any count merged so far was [`InvalidUsage`].
    pub(super) fn invalid(&self) -> bool {
        self.invalid
    }

    /// The usage the valid counts make; `None` before any count.
    pub(super) fn usage(&self) -> Option<Usage> {
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
