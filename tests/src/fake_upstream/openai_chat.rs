//! OpenAI Chat Completions: the `chat.completion` object and the `chat.completion.chunk` stream
//! that ends in `data: [DONE]`.

use serde_json::{Value, json};

use super::body::sse_data;
use super::ctx::{Ctx, model_of, now_secs};
use super::script::Script;

/// Padding OpenAI adds to stream deltas so that their lengths do not reveal the tokens.
pub(super) fn obfuscation(i: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..(3 + i % 9))
        .map(|j| char::from(ALPHABET[(i * 7 + j * 13) % ALPHABET.len()]))
        .collect()
}

fn chat_usage(script: &Script) -> Value {
    let usage = &script.usage;
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": script.output_count(),
        "total_tokens": usage.total_tokens(),
        "prompt_tokens_details": { "cached_tokens": usage.cached_tokens, "audio_tokens": 0 },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

fn chat_id(ctx: &Ctx) -> String {
    format!("chatcmpl-Fake{:025}", ctx.id)
}

pub(super) fn chat_completion(ctx: &Ctx, request: &Value) -> Value {
    json!({
        "id": chat_id(ctx),
        "object": "chat.completion",
        "created": now_secs(),
        "model": model_of(ctx, request, "gpt-4o"),
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": ctx.script.text(),
                "refusal": null,
                "annotations": [],
            },
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": chat_usage(&ctx.script),
        "service_tier": "default",
        "system_fingerprint": "fp_fake0001",
    })
}

pub(super) fn chat_stream(ctx: &Ctx, request: &Value) -> Vec<String> {
    let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
    let obfuscate = request["stream_options"]["include_obfuscation"].as_bool() != Some(false);
    let id = chat_id(ctx);
    let created = now_secs();
    let model = model_of(ctx, request, "gpt-4o");
    let chunk = |choices: Value, obfuscation_of: Option<usize>| {
        let mut chunk = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
            "choices": choices,
        });
        if include_usage {
            // With `include_usage`, every chunk but the last carries `"usage": null`.
            chunk["usage"] = Value::Null;
        }
        if let Some(i) = obfuscation_of.filter(|_| obfuscate) {
            chunk["obfuscation"] = Value::String(obfuscation(i));
        }
        sse_data(&chunk)
    };
    let mut events = vec![chunk(
        json!([{
            "index": 0,
            "delta": { "role": "assistant", "content": "", "refusal": null },
            "logprobs": null,
            "finish_reason": null,
        }]),
        Some(0),
    )];
    for (i, token) in ctx.script.tokens().into_iter().enumerate() {
        events.push(chunk(
            json!([{
                "index": 0,
                "delta": { "content": token },
                "logprobs": null,
                "finish_reason": null,
            }]),
            Some(i + 1),
        ));
    }
    events.push(chunk(
        json!([{ "index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop" }]),
        Some(ctx.script.events + 1),
    ));
    if include_usage {
        let mut last = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
            "choices": [],
            "usage": chat_usage(&ctx.script),
        });
        if obfuscate {
            last["obfuscation"] = Value::String(obfuscation(ctx.script.events + 2));
        }
        events.push(sse_data(&last));
    }
    events.push("data: [DONE]\n\n".to_owned());
    events
}
