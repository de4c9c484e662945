//! Anthropic Messages (what Claude Code speaks): the `message` object and the stream from
//! `message_start` to `message_stop`, with an optional thinking block.

use serde_json::{Value, json};

use super::body::sse_event;
use super::ctx::{Ctx, model_of};
use super::script::Usage;

/// A long base64-looking thinking signature, as Anthropic sends (deterministic here).
fn thinking_signature(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = id.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut sig = String::from("EqQBCkYIBxgCKkB");
    for _ in 0..560 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        sig.push(char::from(ALPHABET[(x >> 58) as usize]));
    }
    sig.push_str("==");
    sig
}

fn anthropic_usage(usage: &Usage, output_tokens: Value) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens(),
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

fn anthropic_message_id(ctx: &Ctx) -> String {
    format!("msg_01Fake{:016}", ctx.id)
}

pub(super) fn message_object(ctx: &Ctx, request: &Value) -> Value {
    let mut content = Vec::new();
    if ctx.script.anthropic_thinking_events > 0 {
        content.push(json!({
            "type": "thinking",
            "thinking": ctx.script.thinking_tokens().concat(),
            "signature": thinking_signature(ctx.id),
        }));
    }
    content.push(json!({ "type": "text", "text": ctx.script.text() }));
    json!({
        "id": anthropic_message_id(ctx),
        "type": "message",
        "role": "assistant",
        "model": model_of(ctx, request, "claude-sonnet-4-5"),
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": anthropic_usage(&ctx.script.usage, ctx.script.output_count()),
    })
}

pub(super) fn messages_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let script = &ctx.script;
    let usage = &script.usage;
    let mut events = Vec::new();
    let mut push = |name: &str, data: Value| events.push(sse_event(name, &data));
    push(
        "message_start",
        json!({
            "type": "message_start",
            "message": {
                "id": anthropic_message_id(ctx),
                "type": "message",
                "role": "assistant",
                "model": model_of(ctx, request, "claude-sonnet-4-5"),
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": anthropic_usage(usage, json!(1)),
            },
        }),
    );
    let mut index = 0;
    let mut pinged = false;
    let mut ping = |push: &mut dyn FnMut(&str, Value)| {
        if !pinged {
            pinged = true;
            push("ping", json!({ "type": "ping" }));
            if script.unknown_event {
                push(
                    "future_event",
                    json!({ "type": "future_event", "detail": { "note": "not yet documented" } }),
                );
            }
        }
    };
    if script.anthropic_thinking_events > 0 {
        push(
            "content_block_start",
            json!({
                "type": "content_block_start",
                "index": index,
                "content_block": { "type": "thinking", "thinking": "", "signature": "" },
            }),
        );
        ping(&mut push);
        for piece in script.thinking_tokens() {
            push(
                "content_block_delta",
                json!({
                    "type": "content_block_delta",
                    "index": index,
                    "delta": { "type": "thinking_delta", "thinking": piece },
                }),
            );
        }
        push(
            "content_block_delta",
            json!({
                "type": "content_block_delta",
                "index": index,
                "delta": { "type": "signature_delta", "signature": thinking_signature(ctx.id) },
            }),
        );
        push(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        );
        index += 1;
    }
    push(
        "content_block_start",
        json!({
            "type": "content_block_start",
            "index": index,
            "content_block": { "type": "text", "text": "" },
        }),
    );
    ping(&mut push);
    for token in script.tokens() {
        push(
            "content_block_delta",
            json!({
                "type": "content_block_delta",
                "index": index,
                "delta": { "type": "text_delta", "text": token },
            }),
        );
    }
    push(
        "content_block_stop",
        json!({ "type": "content_block_stop", "index": index }),
    );
    let delta_usage = if script.anthropic_delta_repeats_input {
        json!({
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_write_tokens(),
            "cache_read_input_tokens": usage.cached_tokens,
            "output_tokens": script.output_count(),
        })
    } else {
        json!({ "output_tokens": script.output_count() })
    };
    push(
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": "end_turn", "stop_sequence": null },
            "usage": delta_usage,
        }),
    );
    push("message_stop", json!({ "type": "message_stop" }));
    events
}
