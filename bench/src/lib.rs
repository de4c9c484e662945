//! What the benchmark's load generator sends and its fake upstream answers, in the wire formats
//! of the three APIs coding agents use: OpenAI Chat Completions, OpenAI Responses (Codex CLI)
//! and Anthropic Messages (Claude Code).
//!
//! - [`history`]: request bodies of a chosen size, built from a realistic agent conversation
//!   (instructions, questions, answers with code, tool calls and their file-sized outputs), so
//!   that a body of a megabyte looks like what an agent resends each turn rather than one long
//!   string.
//! - [`answers`]: the upstream's answers, non-streamed or as SSE streams of a chosen number of
//!   events, in each API's own event sequence.

pub mod answers;
pub mod history;

/// One of the APIs the benchmark speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Chat,
    Responses,
    Messages,
}

impl Api {
    pub const ALL: [Api; 3] = [Api::Chat, Api::Responses, Api::Messages];

    pub fn parse(s: &str) -> Option<Api> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Api::Chat => "chat",
            Api::Responses => "responses",
            Api::Messages => "messages",
        }
    }

    pub const fn path(self) -> &'static str {
        match self {
            Api::Chat => "/v1/chat/completions",
            Api::Responses => "/v1/responses",
            Api::Messages => "/v1/messages",
        }
    }

    pub fn from_path(path: &str) -> Option<Api> {
        Self::ALL.into_iter().find(|a| a.path() == path)
    }

    /// Bytes every complete stream of this API contains once, in its last event: a client
    /// that has not seen them got a cut stream.
    pub const fn stream_end(self) -> &'static [u8] {
        match self {
            Api::Chat => b"data: [DONE]\n\n",
            Api::Responses => b"event: response.completed\n",
            Api::Messages => b"event: message_stop\n",
        }
    }
}

/// How a request tells the fake upstream the length of the stream it wants: a tag in a field
/// each API forwards untouched (`user`, or Anthropic's `metadata.user_id`), found by a byte
/// search so the upstream never parses a multi-megabyte body.
pub const EVENTS_TAG: &str = "bench-events-";

/// The number of events a body's tag asks for.
pub fn events_asked(body: &[u8]) -> Option<usize> {
    let at = memchr::memmem::find(body, EVENTS_TAG.as_bytes())? + EVENTS_TAG.len();
    let digits = body[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&body[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// Whether a JSON body sets `key` to `true` (compact JSON, as serde_json and every SDK write it).
pub fn flag_set(body: &[u8], key: &str) -> bool {
    let needle = format!("\"{key}\":true");
    memchr::memmem::find(body, needle.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_events_tag_is_found_anywhere_in_a_body() {
        assert_eq!(
            events_asked(br#"{"user":"bench-events-500","x":1}"#),
            Some(500)
        );
        assert_eq!(events_asked(br#"{"x":1}"#), None);
        assert!(flag_set(br#"{"a":1,"stream":true}"#, "stream"));
        assert!(!flag_set(br#"{"stream":false}"#, "stream"));
    }
}
