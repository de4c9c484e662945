//! The routes the fake answers on, and the fixed bodies and lists it serves.

/// `POST` OpenAI Chat Completions.
pub const CHAT_COMPLETIONS: &str = "/v1/chat/completions";
/// `POST` OpenAI Responses (what Codex CLI speaks).
pub const RESPONSES: &str = "/v1/responses";
/// `POST` OpenAI Embeddings.
pub const EMBEDDINGS: &str = "/v1/embeddings";
/// `POST` OpenAI image generation.
pub const IMAGES: &str = "/v1/images/generations";
/// `GET` the model list (OpenAI's, or Anthropic's when `anthropic-version` is sent).
pub const MODELS: &str = "/v1/models";
/// `POST` Anthropic Messages (what Claude Code speaks; it adds `?beta=true`).
pub const MESSAGES: &str = "/v1/messages";
/// `POST` Anthropic token counting.
pub const COUNT_TOKENS: &str = "/v1/messages/count_tokens";

/// The body of [`Action::Garbage`] on a non-stream request: not JSON, though it starts like it.
pub const GARBAGE_BODY: &str =
    "{\"id\": \"chatcmpl-\u{fffd}\u{fffd} <html>upstream garbage, not JSON";
/// The body of [`Action::Garbage`] on a stream request: an event stream whose data is not JSON.
pub const GARBAGE_SSE: &str =
    "data: {\"id\": <<not json>>\n\n: comment\n\nevent: ???\ndata: \u{fffd}\n\n";

/// The models `GET /v1/models` lists until [`FakeUpstream::set_models`] says otherwise.
pub const DEFAULT_MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-5",
    "gpt-5-codex",
    "o3",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "gpt-image-1",
    "dall-e-3",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
    "claude-haiku-4-5",
];
