//! OpenAI's usage shapes: Chat Completions (`prompt_tokens`/`completion_tokens`, streamed in
//! the last chunk), Responses (`input_tokens`/`output_tokens` in `response.completed` and its
//! siblings), embeddings and images (gpt-image reports Responses-shaped usage). Their totals
//! include the cached and reasoning shares; [`openai_usage`] splits them.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::scan::{
    CHOICES_KEY, Count, USAGE_KEY, WithUsage, count, delta_tokens, key_value, parse, skip_ws,
    tokens,
};
use super::types::{InvalidUsage, Progress, Usage};

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

pub(super) fn on_chat(s: &mut Progress, data: &[u8]) {
    if data == b"[DONE]" {
        return;
    }
    // Every chunk of a stream with `include_usage` carries `"usage":null`; only a non-null
    // value is worth parsing.
    if key_value(data, &USAGE_KEY).is_some_and(|value| value.first() == Some(&b'{'))
        && let Some(chunk) = parse::<ChatChunk>(data)
        && let Some(usage) = chunk.usage
    {
        match usage.to_usage() {
            Ok(usage) => s.latest = Some(usage),
            Err(InvalidUsage) => s.invalid = true,
        }
        let finished = chunk.choices.as_deref().is_none_or(|choices| {
            choices.is_empty() || choices.iter().any(|c| c.finish_reason.is_some())
        });
        s.final_seen |= finished;
        if chunk
            .choices
            .as_deref()
            .is_none_or(<[ChatChoice]>::is_empty)
        {
            return;
        }
    }
    // Only chunks with a delta string count: a finish or error chunk delivers no output.
    s.delivered += delta_tokens(data, &CHAT_DELTA_KEYS[..]).unwrap_or(0);
}

pub(super) fn on_responses(s: &mut Progress, name: &str, data: &[u8]) {
    match name {
        "response.completed" | "response.incomplete" | "response.failed" => {
            if let Some(event) = parse::<ResponsesEvent>(data) {
                s.final_seen = true;
                if let Some(usage) = event.response.and_then(|r| r.usage) {
                    match usage.to_usage() {
                        Ok(usage) => s.latest = Some(usage),
                        Err(InvalidUsage) => s.invalid = true,
                    }
                }
            }
        }
        // Audio deltas are base64 audio, not text; their tokens come with the final usage.
        "response.audio.delta" => {}
        _ if name.starts_with("response.") && name.ends_with(".delta") => {
            s.delivered += delta_tokens(data, &RESPONSES_DELTA_KEYS[..]).unwrap_or(1);
        }
        _ => {}
    }
}

pub(super) fn on_images(s: &mut Progress, name: &str, data: &[u8]) {
    if !matches!(name, "image_generation.completed" | "image_edit.completed") {
        // Partial images are previews of the one that completes; not billed.
        return;
    }
    if let Some(event) = parse::<ImagesEvent>(data) {
        let mut total = s.latest.unwrap_or_default();
        match event.usage.map(|u| u.to_usage()) {
            Some(Ok(usage)) => {
                total.input_tokens = total.input_tokens.saturating_add(usage.input_tokens);
                total.cached_tokens = total.cached_tokens.saturating_add(usage.cached_tokens);
                total.output_tokens = total.output_tokens.saturating_add(usage.output_tokens);
            }
            Some(Err(InvalidUsage)) => s.invalid = true,
            None => {}
        }
        total.images = total.images.saturating_add(1);
        s.latest = Some(total);
        s.final_seen = true;
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

/// OpenAI's `*_tokens_details` objects: what share of input came from or went into the cache,
/// what share of output was reasoning.
#[derive(Deserialize, Default)]
struct TokenDetails {
    #[serde(default, deserialize_with = "count")]
    cached_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    cache_write_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    reasoning_tokens: Option<Count>,
}

/// OpenAI's prompt/completion counts are totals that include their cached and reasoning
/// shares; splitting them is the same for chat and Responses.
fn openai_usage(
    input: Option<Count>,
    input_details: Option<&TokenDetails>,
    output: Option<Count>,
    output_details: Option<&TokenDetails>,
) -> Result<Usage, InvalidUsage> {
    let cached = tokens(input_details.and_then(|d| d.cached_tokens))?;
    let cache_write = tokens(input_details.and_then(|d| d.cache_write_tokens))?;
    Ok(Usage {
        // Saturating: shares reported larger than their total never underflow.
        input_tokens: tokens(input)?
            .saturating_sub(cached)
            .saturating_sub(cache_write),
        cached_tokens: cached,
        cache_write_5m_tokens: cache_write,
        output_tokens: tokens(output)?,
        reasoning_tokens: tokens(output_details.and_then(|d| d.reasoning_tokens))?,
        ..Usage::default()
    })
}

#[derive(Deserialize)]
pub(super) struct ChatUsage {
    #[serde(default, deserialize_with = "count")]
    pub(super) prompt_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    pub(super) completion_tokens: Option<Count>,
    prompt_tokens_details: Option<TokenDetails>,
    completion_tokens_details: Option<TokenDetails>,
}

impl ChatUsage {
    pub(super) fn to_usage(&self) -> Result<Usage, InvalidUsage> {
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
pub(super) struct ResponsesUsage {
    #[serde(default, deserialize_with = "count")]
    input_tokens: Option<Count>,
    #[serde(default, deserialize_with = "count")]
    output_tokens: Option<Count>,
    input_tokens_details: Option<TokenDetails>,
    output_tokens_details: Option<TokenDetails>,
}

impl ResponsesUsage {
    pub(super) fn to_usage(&self) -> Result<Usage, InvalidUsage> {
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
pub(super) struct ImagesBody {
    /// Counted, never looked into: the items hold base64 images.
    pub(super) data: Option<Vec<IgnoredAny>>,
    pub(super) usage: Option<ResponsesUsage>,
}

#[derive(Deserialize)]
struct ImagesEvent {
    usage: Option<ResponsesUsage>,
}
