//! A fake OpenAI + Anthropic upstream on `127.0.0.1:0`, for loopback tests of the data plane.
//!
//! Tests never reach a real provider. They point the gateway's provider base URLs at a
//! [`FakeUpstream`], which answers on the real routes in the real wire formats, records every
//! request it gets, and misbehaves on demand:
//!
//! | route | format |
//! |---|---|
//! | `POST /v1/chat/completions` | OpenAI `chat.completion` / `chat.completion.chunk` stream |
//! | `POST /v1/responses` | OpenAI Responses object / semantic `event:` stream |
//! | `POST /v1/embeddings` | OpenAI `list` of `embedding` (float or base64) |
//! | `POST /v1/images/generations` | OpenAI images (`b64_json` or `url`, gpt-image usage) |
//! | `GET /v1/models` | OpenAI model list; Anthropic's when `anthropic-version` is sent |
//! | `POST /v1/messages` | Anthropic `message` / `message_start` … `message_stop` stream |
//! | `POST /v1/messages/count_tokens` | Anthropic `{"input_tokens": N}` |
//!
//! **What it answers** is a [`Script`]: how many content events a stream has, the [`Usage`] it
//! reports, a canary string to place in the text, and format options (an Anthropic thinking block,
//! an unknown event type, Codex's `cache_write_tokens`). Text is deterministic; ids count up.
//! Usage numbers go on the wire verbatim, in each provider's own meaning (see [`Usage`]).
//!
//! **How it misbehaves** is an [`Action`] per request. The fake picks one for each request, in
//! this order: the first queued action whose [`Filter`] matches (FIFO, consumed once:
//! [`FakeUpstream::push`]), else the rule for the request's key
//! ([`FakeUpstream::set_key_rule`], for "key A always fails" tests), else
//! [`Action::Respond`] with the default script ([`FakeUpstream::set_script`]). Faults sit in
//! front of authentication, as a provider's edge does; only a normal answer checks the key
//! ([`FakeUpstream::set_valid_keys`]) and the request.
//!
//! **What it saw**: [`FakeUpstream::requests`], [`FakeUpstream::count`],
//! [`FakeUpstream::last_request`] return [`RecordedRequest`]s (method, path, query, lower-cased
//! headers, body bytes, the key used), recorded before any fault is applied.
//!
//! Streams really stream: each SSE event is its own HTTP chunk and the body yields to the
//! connection between events, so it is flushed; accepted sockets have `TCP_NODELAY`. The server
//! runs on the test's tokio runtime and stops when the [`FakeUpstream`] is dropped.
//!
//! Assertions about the gateway do not belong here; they live in `tests/*.rs`.

mod anthropic;
mod body;
mod consts;
mod ctx;
mod dispatch;
mod embeddings_images;
mod errors;
mod models;
mod openai_chat;
mod recording;
mod responses;
mod script;
mod server;
mod state;

pub use consts::*;
pub use recording::RecordedRequest;
pub use script::{Action, ErrorReply, Filter, Script, Usage};
pub use server::FakeUpstream;
