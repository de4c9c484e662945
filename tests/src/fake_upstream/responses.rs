//! OpenAI Responses (what Codex CLI speaks): the `response` object and the semantic `event:`
//! stream from `response.created` to `response.completed`.

use serde_json::{Value, json};

use super::body::sse_event;
use super::ctx::{Ctx, model_of, now_secs};
use super::openai_chat::obfuscation;
use super::script::Script;

fn responses_usage(script: &Script) -> Value {
    let usage = &script.usage;
    let mut input_details = json!({ "cached_tokens": usage.cached_tokens });
    if script.responses_cache_write_tokens {
        input_details["cache_write_tokens"] = json!(usage.cache_write_tokens());
    }
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": input_details,
        "output_tokens": script.output_count(),
        "output_tokens_details": { "reasoning_tokens": usage.reasoning_tokens },
        "total_tokens": usage.total_tokens(),
    })
}

fn response_ids(ctx: &Ctx) -> (String, String, String) {
    (
        format!("resp_fake{:040x}", ctx.id),
        format!("msg_fake{:040x}", ctx.id),
        format!("rs_fake{:040x}", ctx.id),
    )
}

fn output_text_part(text: &str) -> Value {
    json!({ "type": "output_text", "annotations": [], "logprobs": [], "text": text })
}

fn message_item(id: &str, status: &str, content: Vec<Value>) -> Value {
    json!({
        "id": id,
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    })
}

fn reasoning_item(id: &str) -> Value {
    json!({ "id": id, "type": "reasoning", "summary": [] })
}

/// The `response` object, in progress (no output, no usage) or complete.
fn response_object(ctx: &Ctx, request: &Value, complete: bool, created: u64) -> Value {
    let (resp_id, msg_id, rs_id) = response_ids(ctx);
    let mut output = Vec::new();
    if complete {
        if ctx.script.usage.reasoning_tokens > 0 {
            output.push(reasoning_item(&rs_id));
        }
        output.push(message_item(
            &msg_id,
            "completed",
            vec![output_text_part(&ctx.script.text())],
        ));
    }
    let field = |name: &str, default: Value| request.get(name).cloned().unwrap_or(default);
    json!({
        "id": resp_id,
        "object": "response",
        "created_at": created,
        "status": if complete { "completed" } else { "in_progress" },
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": field("instructions", Value::Null),
        "max_output_tokens": field("max_output_tokens", Value::Null),
        "model": model_of(ctx, request, "gpt-4.1"),
        "output": output,
        "parallel_tool_calls": field("parallel_tool_calls", json!(true)),
        "previous_response_id": field("previous_response_id", Value::Null),
        "prompt_cache_key": field("prompt_cache_key", Value::Null),
        "reasoning": field("reasoning", json!({ "effort": null, "summary": null })),
        "service_tier": "default",
        "store": field("store", json!(true)),
        "temperature": field("temperature", json!(1.0)),
        "text": field("text", json!({ "format": { "type": "text" }, "verbosity": "medium" })),
        "tool_choice": field("tool_choice", json!("auto")),
        "tools": field("tools", json!([])),
        "top_p": field("top_p", json!(1.0)),
        "truncation": "disabled",
        "usage": if complete { responses_usage(&ctx.script) } else { Value::Null },
        "user": null,
        "metadata": field("metadata", json!({})),
    })
}

pub(super) fn responses_object(ctx: &Ctx, request: &Value) -> Value {
    response_object(ctx, request, true, now_secs())
}

pub(super) fn responses_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let (_, msg_id, rs_id) = response_ids(ctx);
    let created = now_secs();
    let text = ctx.script.text();
    let mut events = Vec::new();
    let mut push = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(events.len());
        events.push(sse_event(name, &data));
    };
    let in_progress = response_object(ctx, request, false, created);
    push("response.created", json!({ "response": in_progress }));
    push("response.in_progress", json!({ "response": in_progress }));
    if ctx.script.unknown_event {
        push(
            "response.future_event",
            json!({ "detail": { "note": "not yet documented" } }),
        );
    }
    let mut output_index = 0;
    if ctx.script.usage.reasoning_tokens > 0 {
        push(
            "response.output_item.added",
            json!({ "output_index": 0, "item": reasoning_item(&rs_id) }),
        );
        push(
            "response.output_item.done",
            json!({ "output_index": 0, "item": reasoning_item(&rs_id) }),
        );
        output_index = 1;
    }
    push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": message_item(&msg_id, "in_progress", vec![]),
        }),
    );
    push(
        "response.content_part.added",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "part": output_text_part(""),
        }),
    );
    for (i, token) in ctx.script.tokens().into_iter().enumerate() {
        push(
            "response.output_text.delta",
            json!({
                "item_id": msg_id,
                "output_index": output_index,
                "content_index": 0,
                "delta": token,
                "logprobs": [],
                "obfuscation": obfuscation(i),
            }),
        );
    }
    push(
        "response.output_text.done",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        }),
    );
    push(
        "response.content_part.done",
        json!({
            "item_id": msg_id,
            "output_index": output_index,
            "content_index": 0,
            "part": output_text_part(&text),
        }),
    );
    push(
        "response.output_item.done",
        json!({
            "output_index": output_index,
            "item": message_item(&msg_id, "completed", vec![output_text_part(&text)]),
        }),
    );
    push(
        "response.completed",
        json!({ "response": response_object(ctx, request, true, created) }),
    );
    events
}
