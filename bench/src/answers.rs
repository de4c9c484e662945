//! The fake upstream's answers in each API's wire format: one JSON body, or an SSE stream of a
//! chosen number of events with the API's own framing (Chat Completions chunks and `[DONE]`;
//! Responses `response.*` events; Anthropic `message_start` … `message_stop` with a thinking
//! block before the text).

use serde_json::{Value, json};

use crate::Api;

/// What an answer is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ask {
    pub api: Api,
    pub stream: bool,
    /// Events of a stream, framing included (at least the API's framing).
    pub events: usize,
    /// Chat Completions: the request asked `stream_options.include_usage`.
    pub include_usage: bool,
    /// Reported input tokens (the fake counts a token per four bytes of body).
    pub input_tokens: u64,
}

const CREATED: u64 = 1_700_000_000;
const WORDS: &[&str] = &[
    "Lorem",
    " ipsum",
    " dolor",
    " sit",
    " amet,",
    " consectetur",
    " adipiscing",
    " elit.",
];

fn words(n: usize) -> impl Iterator<Item = &'static str> {
    WORDS.iter().copied().cycle().take(n)
}

pub fn render(ask: Ask, model: &str) -> String {
    match (ask.api, ask.stream) {
        (Api::Chat, false) => chat(ask, model),
        (Api::Chat, true) => chat_stream(ask, model),
        (Api::Responses, false) => responses(ask, model, deltas(ask, 8)).to_string(),
        (Api::Responses, true) => responses_stream(ask, model),
        (Api::Messages, false) => messages(ask, model),
        (Api::Messages, true) => messages_stream(ask, model),
    }
}

/// Content events once the API's fixed framing is taken off `ask.events`.
fn deltas(ask: Ask, framing: usize) -> usize {
    ask.events.saturating_sub(framing).max(1)
}

fn chat_usage(ask: Ask, output: usize) -> Value {
    json!({
        "prompt_tokens": ask.input_tokens,
        "completion_tokens": output,
        "total_tokens": ask.input_tokens + output as u64,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    })
}

fn chat(ask: Ask, model: &str) -> String {
    let n = deltas(ask, 2);
    json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": CREATED, "model": model,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": words(n).collect::<String>(), "refusal": null},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": chat_usage(ask, n), "service_tier": "default"
    })
    .to_string()
}

/// With `include_usage`, every chunk carries `"usage": null` and a last chunk with empty
/// `choices` carries the usage, as OpenAI sends it.
fn chat_stream(ask: Ask, model: &str) -> String {
    let n = deltas(ask, 2);
    let chunk = |choices: Value, usage: Option<Value>| {
        let mut c = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
            "created": CREATED, "model": model, "system_fingerprint": "fp_bench", "choices": choices});
        if ask.include_usage {
            c["usage"] = usage.unwrap_or(Value::Null);
        }
        format!("data: {c}\n\n")
    };
    let delta = |delta: Value, finish: Value| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]);
    let mut out = chunk(
        delta(
            json!({"role": "assistant", "content": "", "refusal": null}),
            Value::Null,
        ),
        None,
    );
    for word in words(n) {
        out.push_str(&chunk(delta(json!({"content": word}), Value::Null), None));
    }
    out.push_str(&chunk(delta(json!({}), json!("stop")), None));
    if ask.include_usage {
        out.push_str(&chunk(json!([]), Some(chat_usage(ask, n))));
    }
    out.push_str("data: [DONE]\n\n");
    out
}

fn responses(ask: Ask, model: &str, output: usize) -> Value {
    json!({
        "id": "resp_bench", "object": "response", "created_at": CREATED, "status": "completed",
        "model": model, "error": null, "incomplete_details": null,
        "output": [{"id": "msg_bench", "type": "message", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": words(output).collect::<String>(), "annotations": []}]}],
        "usage": {"input_tokens": ask.input_tokens, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": ask.input_tokens + output as u64}
    })
}

fn sse(out: &mut String, event: &str, data: &Value) {
    out.push_str("event: ");
    out.push_str(event);
    out.push_str("\ndata: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

fn responses_stream(ask: Ask, model: &str) -> String {
    // created, in_progress, item added, part added, text done, part done, item done, completed.
    let n = deltas(ask, 8);
    let mut seq = 0u64;
    let mut next = || {
        seq += 1;
        seq - 1
    };
    let mut out = String::new();
    let mut pending = responses(ask, model, n);
    pending["status"] = json!("in_progress");
    pending["output"] = json!([]);
    pending["usage"] = Value::Null;
    for kind in ["response.created", "response.in_progress"] {
        sse(
            &mut out,
            kind,
            &json!({"type": kind, "sequence_number": next(), "response": pending}),
        );
    }
    let item = json!({"id": "msg_bench", "type": "message", "status": "in_progress", "role": "assistant", "content": []});
    sse(
        &mut out,
        "response.output_item.added",
        &json!({"type": "response.output_item.added", "sequence_number": next(), "output_index": 0, "item": item}),
    );
    let part = json!({"type": "output_text", "text": "", "annotations": []});
    sse(
        &mut out,
        "response.content_part.added",
        &json!({"type": "response.content_part.added", "sequence_number": next(), "item_id": "msg_bench", "output_index": 0, "content_index": 0, "part": part}),
    );
    for word in words(n) {
        sse(
            &mut out,
            "response.output_text.delta",
            &json!({"type": "response.output_text.delta", "sequence_number": next(), "item_id": "msg_bench", "output_index": 0, "content_index": 0, "delta": word}),
        );
    }
    let done = responses(ask, model, n);
    let text = done["output"][0]["content"][0]["text"].clone();
    sse(
        &mut out,
        "response.output_text.done",
        &json!({"type": "response.output_text.done", "sequence_number": next(), "item_id": "msg_bench", "output_index": 0, "content_index": 0, "text": text}),
    );
    sse(
        &mut out,
        "response.content_part.done",
        &json!({"type": "response.content_part.done", "sequence_number": next(), "item_id": "msg_bench", "output_index": 0, "content_index": 0, "part": done["output"][0]["content"][0]}),
    );
    sse(
        &mut out,
        "response.output_item.done",
        &json!({"type": "response.output_item.done", "sequence_number": next(), "output_index": 0, "item": done["output"][0]}),
    );
    sse(
        &mut out,
        "response.completed",
        &json!({"type": "response.completed", "sequence_number": next(), "response": done}),
    );
    out
}

fn messages(ask: Ask, model: &str) -> String {
    let n = deltas(ask, 8);
    json!({
        "id": "msg_bench", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": words(n).collect::<String>()}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": ask.input_tokens, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": n}
    })
    .to_string()
}

/// A thinking block (a fifth of the deltas), then the text, as Claude streams with extended
/// thinking on.
fn messages_stream(ask: Ask, model: &str) -> String {
    // start, 2 × (block start, block stop), signature, message_delta, stop.
    let n = deltas(ask, 8);
    let thinking = n / 5;
    let text = n - thinking;
    let mut out = String::new();
    sse(
        &mut out,
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": ask.input_tokens, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "output_tokens": 1}}}),
    );
    sse(
        &mut out,
        "content_block_start",
        &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    );
    for word in words(thinking) {
        sse(
            &mut out,
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": word}}),
        );
    }
    sse(
        &mut out,
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCkgIAxABGAIiQL".repeat(8)}}),
    );
    sse(
        &mut out,
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    );
    sse(
        &mut out,
        "content_block_start",
        &json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
    );
    for word in words(text) {
        sse(
            &mut out,
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": word}}),
        );
    }
    sse(
        &mut out,
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 1}),
    );
    sse(
        &mut out,
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": n}}),
    );
    sse(&mut out, "message_stop", &json!({"type": "message_stop"}));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &str) -> usize {
        s.matches("\n\n").count()
    }

    #[test]
    fn streams_have_the_events_asked_and_end_as_their_api_does() {
        for api in Api::ALL {
            let ask = Ask {
                api,
                stream: true,
                events: 300,
                include_usage: false,
                input_tokens: 1000,
            };
            let s = render(ask, "m");
            // Chat's `data: [DONE]` ends the stream without being an event.
            let done = usize::from(api == Api::Chat);
            assert_eq!(events(&s), 300 + done, "{api:?}");
            assert!(
                memchr::memmem::find(s.as_bytes(), api.stream_end()).is_some(),
                "{api:?}"
            );
        }
    }
}
