//! Request bodies of a chosen size: an agent's conversation, resent whole each turn.
//!
//! Each turn is what a coding agent accumulates: the user's question, the model's answer with
//! code, a shell tool call and the file it printed. Turns are added while they fit, and the
//! last user message is padded to the exact size asked, so a 10 MB body is ten megabytes of
//! nested, escaped JSON like the real thing, not one long string.

use serde_json::{Value, json};

use crate::{Api, EVENTS_TAG};

/// What to build.
#[derive(Debug, Clone)]
pub struct Shape<'a> {
    pub api: Api,
    pub model: &'a str,
    pub stream: bool,
    /// Stream length asked of the fake upstream.
    pub events: Option<usize>,
    /// The body's size in bytes; `None` for the small request of the original benchmark.
    pub bytes: Option<usize>,
    /// The output cap the client sends (`max_tokens`, `max_output_tokens`).
    pub max_output: Option<u64>,
}

const INSTRUCTIONS: &str = "You are a coding agent working in the user's repository. Read files \
before you change them, run the tests after every change, keep diffs small, and explain what \
you did in a sentence or two. Never invent file contents: use the shell tool to look.";

const QUESTION: &str = "The test `ledger::tests::balance_equals_sum` fails after my last change \
with \"assertion `left == right` failed: left: 1200, right: 1150\". Can you find why and fix it? \
The change was in src/ledger.rs, around the refund path.";

const ANSWER: &str = "The refund path subtracts the held amount twice: once in `release_hold` \
and again when the refund entry is appended. Here is the fix:\n\n```rust\npub fn refund(&mut \
self, entry: &Entry) -> Result<(), LedgerError> {\n    let held = self.holds.remove(&entry.request_id)\
.unwrap_or_default();\n    // The hold was already released by `release_hold`; only the refund \
moves the balance.\n    self.balance = self.balance.checked_add(entry.amount).ok_or(LedgerError::\
Overflow)?;\n    self.entries.push(entry.clone());\n    debug_assert_eq!(self.balance, self.entries\
.iter().map(|e| e.amount).sum::<i64>());\n    let _ = held;\n    Ok(())\n}\n```\n\nI ran `cargo \
test ledger` and all 48 tests pass now.";

/// A source file as a shell tool prints it: quotes, braces, indentation, long lines.
fn file(turn: usize) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(&format!(
        "// src/module_{turn}.rs\nuse std::collections::HashMap;\n\n"
    ));
    for f in 0..12 {
        out.push_str(&format!(
            "/// Returns the {f}th entry's \"display\" name, or `None` when the map lacks it.\n\
             pub fn entry_{f}(map: &HashMap<String, Vec<u64>>, key: &str) -> Option<String> {{\n\
             \tlet values = map.get(key)?;\n\
             \tlet total: u64 = values.iter().copied().sum();\n\
             \tSome(format!(\"{{key}}={{total}} ({{}} values)\", values.len()))\n}}\n\n"
        ));
    }
    out
}

fn command(turn: usize) -> String {
    format!("sed -n '1,200p' src/module_{turn}.rs")
}

fn call_id(turn: usize) -> String {
    format!("call_{turn:08}")
}

/// The turn's messages, in the API's format.
fn turn(api: Api, i: usize) -> Vec<Value> {
    let id = call_id(i);
    match api {
        Api::Chat => vec![
            json!({"role": "user", "content": QUESTION}),
            json!({"role": "assistant", "content": ANSWER, "tool_calls": [{
                "id": id, "type": "function",
                "function": {"name": "shell", "arguments": json!({"command": ["bash", "-lc", command(i)]}).to_string()}
            }]}),
            json!({"role": "tool", "tool_call_id": id, "content": file(i)}),
        ],
        Api::Responses => vec![
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": QUESTION}]}),
            json!({"type": "reasoning", "summary": [], "encrypted_content": "gAAAAAB".repeat(40)}),
            json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": ANSWER}]}),
            json!({"type": "function_call", "call_id": id, "name": "shell",
                   "arguments": json!({"command": ["bash", "-lc", command(i)]}).to_string()}),
            json!({"type": "function_call_output", "call_id": id, "output": file(i)}),
        ],
        Api::Messages => vec![
            json!({"role": "user", "content": [{"type": "text", "text": QUESTION}]}),
            json!({"role": "assistant", "content": [
                {"type": "thinking", "thinking": "The balance is off by the held amount, so the hold is released twice. Check release_hold and the refund append.", "signature": "EqQBCkgIAxABGAIiQL".repeat(12)},
                {"type": "text", "text": ANSWER},
                {"type": "tool_use", "id": format!("toolu_{i:08}"), "name": "Bash", "input": {"command": command(i)}}
            ]}),
            json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": format!("toolu_{i:08}"), "content": file(i)}]}),
        ],
    }
}

/// The last user message, padded with `pad` bytes of text.
fn last_question(api: Api, pad: usize) -> Value {
    let mut text = String::from("Now run the whole test suite and tell me what else fails.");
    // Plain words: each byte of padding is one byte of JSON.
    let words = " and check the module again";
    while text.len() < pad {
        text.push_str(words);
    }
    text.truncate(pad.max(16));
    match api {
        Api::Chat => json!({"role": "user", "content": text}),
        Api::Responses => {
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
        }
        Api::Messages => json!({"role": "user", "content": [{"type": "text", "text": text}]}),
    }
}

fn tools(api: Api) -> Value {
    let parameters = json!({"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}, "description": "The command and its arguments."}}, "required": ["command"]});
    match api {
        Api::Chat => {
            json!([{"type": "function", "function": {"name": "shell", "description": "Runs a shell command and returns its output.", "parameters": parameters}}])
        }
        Api::Responses => {
            json!([{"type": "function", "name": "shell", "description": "Runs a shell command and returns its output.", "strict": false, "parameters": parameters}])
        }
        Api::Messages => {
            json!([{"name": "Bash", "description": "Runs a shell command and returns its output.", "input_schema": parameters}])
        }
    }
}

/// The request's body, with `messages` (or `input`) left empty for the caller to fill.
fn envelope(shape: &Shape<'_>) -> Value {
    let tag = shape.events.map(|n| format!("{EVENTS_TAG}{n}"));
    let large = shape.bytes.is_some();
    let mut body = match shape.api {
        Api::Chat => json!({"model": shape.model, "messages": [], "stream": shape.stream}),
        Api::Responses => json!({
            "model": shape.model, "instructions": INSTRUCTIONS, "input": [],
            "stream": shape.stream, "store": false,
            "reasoning": {"effort": "medium", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
        }),
        Api::Messages => json!({
            "model": shape.model, "messages": [], "stream": shape.stream,
            "system": [{"type": "text", "text": INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}],
        }),
    };
    if large {
        body["tools"] = tools(shape.api);
    }
    if shape.api == Api::Messages {
        body["max_tokens"] = json!(shape.max_output.unwrap_or(32_000));
        if let Some(tag) = tag {
            body["metadata"] = json!({"user_id": tag});
        }
    } else {
        if let Some(tag) = tag {
            body["user"] = json!(tag);
        }
        if let Some(cap) = shape.max_output {
            let field = if shape.api == Api::Chat {
                "max_tokens"
            } else {
                "max_output_tokens"
            };
            body[field] = json!(cap);
        }
    }
    body
}

fn list_field(api: Api) -> &'static str {
    match api {
        Api::Responses => "input",
        Api::Chat | Api::Messages => "messages",
    }
}

/// The original benchmark's request: a system prompt and a one-line question.
fn small(shape: &Shape<'_>) -> Vec<u8> {
    let question = "Say hello in a few words.";
    let mut body = match shape.api {
        Api::Chat => json!({"model": shape.model, "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": question}]}),
        Api::Responses => {
            json!({"model": shape.model, "instructions": "You are a terse assistant.",
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": question}]}]})
        }
        Api::Messages => json!({"model": shape.model, "system": "You are a terse assistant.",
            "messages": [{"role": "user", "content": question}]}),
    };
    let cap = shape.max_output.unwrap_or(64);
    match shape.api {
        Api::Chat | Api::Messages => body["max_tokens"] = json!(cap),
        Api::Responses => body["max_output_tokens"] = json!(cap),
    }
    body["stream"] = json!(shape.stream);
    if let Some(n) = shape.events {
        let tag = format!("{EVENTS_TAG}{n}");
        if shape.api == Api::Messages {
            body["metadata"] = json!({"user_id": tag});
        } else {
            body["user"] = json!(tag);
        }
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The serialized body.
pub fn body(shape: &Shape<'_>) -> Vec<u8> {
    let mut body = envelope(shape);
    let field = list_field(shape.api);
    let mut items: Vec<Value> = Vec::new();
    if shape.api == Api::Chat {
        items.push(json!({"role": "system", "content": INSTRUCTIONS}));
    }
    let Some(target) = shape.bytes else {
        return small(shape);
    };
    // The size of the body so far, and of each item with its separating comma.
    let size = |items: &[Value], body: &mut Value| {
        body[field] = Value::Array(items.to_vec());
        serde_json::to_vec(body).map_or(0, |b| b.len())
    };
    let mut len = size(&items, &mut body);
    let question = serde_json::to_vec(&last_question(shape.api, 0)).map_or(0, |b| b.len());
    for i in 0.. {
        let t = turn(shape.api, i);
        let add: usize = t
            .iter()
            .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len()) + 1)
            .sum();
        if len + add + question + 1 > target {
            break;
        }
        items.extend(t);
        len += add;
    }
    // Pad the last question to land on the size asked.
    items.push(last_question(shape.api, 0));
    let now = size(&items, &mut body);
    let text_now = last_text_len(shape.api, &items);
    items.pop();
    items.push(last_question(
        shape.api,
        (text_now + target.saturating_sub(now)).max(16),
    ));
    body[field] = Value::Array(items);
    serde_json::to_vec(&body).unwrap_or_default()
}

fn last_text_len(api: Api, items: &[Value]) -> usize {
    let Some(last) = items.last() else { return 0 };
    let text = match api {
        Api::Chat => &last["content"],
        Api::Responses | Api::Messages => &last["content"][0]["text"],
    };
    text.as_str().map_or(0, str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_land_on_the_size_asked_in_every_api() {
        for api in Api::ALL {
            for bytes in [1_000, 100_000, 1_000_000] {
                let b = body(&Shape {
                    api,
                    model: "m",
                    stream: true,
                    events: Some(300),
                    bytes: Some(bytes),
                    max_output: None,
                });
                assert_eq!(b.len(), bytes, "{api:?}");
                let v: Value = serde_json::from_slice(&b).unwrap_or_default();
                assert_eq!(v["stream"], true);
                assert_eq!(crate::events_asked(&b), Some(300));
            }
        }
    }
}
