//! OpenAI embeddings (float or base64 vectors) and image generation (`b64_json` or `url`, with
//! gpt-image usage).

use serde_json::{Value, json};

use super::ctx::{Ctx, model_of, now_secs};

/// A 1×1 transparent PNG, the image every generation returns.
const PNG_1X1_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// Deterministic unit-ish vector components in (-1, 1).
fn embedding_values(input_index: usize, dims: usize) -> Vec<f32> {
    (0..dims)
        .map(|j| {
            let x = ((input_index * 31 + j * 17) % 200) as f32;
            (x - 100.0) / 1000.0
        })
        .collect()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(super) fn embeddings(ctx: &Ctx, request: &Value) -> Value {
    let inputs = match &request["input"] {
        Value::Array(items) if !items.is_empty() => {
            // An array of token ids is one input; an array of strings or of arrays is many.
            if items.iter().all(Value::is_number) {
                1
            } else {
                items.len()
            }
        }
        _ => 1,
    };
    let dims = request["dimensions"]
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(ctx.script.embedding_dimensions);
    let base64 = request["encoding_format"].as_str() == Some("base64");
    let data: Vec<Value> = (0..inputs)
        .map(|i| {
            let values = embedding_values(i, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                json!(base64_encode(&bytes))
            } else {
                json!(values)
            };
            json!({ "object": "embedding", "index": i, "embedding": embedding })
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model_of(ctx, request, "text-embedding-3-small"),
        "usage": {
            "prompt_tokens": ctx.script.usage.input_tokens,
            "total_tokens": ctx.script.usage.input_tokens,
        },
    })
}

pub(super) fn images(ctx: &Ctx, request: &Value) -> Value {
    let model = model_of(ctx, request, "dall-e-2");
    let n = request["n"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1);
    let gpt_image = model.starts_with("gpt-image");
    let as_url = !gpt_image && request["response_format"].as_str() == Some("url");
    let data: Vec<Value> = (0..n)
        .map(|i| {
            let mut item = if as_url {
                json!({ "url": format!("https://images.fake-upstream.invalid/{}/{i}.png", ctx.id) })
            } else {
                json!({ "b64_json": PNG_1X1_B64 })
            };
            if model == "dall-e-3" {
                item["revised_prompt"] = request["prompt"].clone();
            }
            item
        })
        .collect();
    let mut body = json!({ "created": now_secs(), "data": data });
    if gpt_image {
        body["background"] = json!("opaque");
        body["output_format"] = json!("png");
        body["quality"] = request.get("quality").cloned().unwrap_or(json!("medium"));
        body["size"] = request.get("size").cloned().unwrap_or(json!("1024x1024"));
    }
    if ctx.script.image_usage.unwrap_or(gpt_image) {
        let usage = &ctx.script.usage;
        body["usage"] = json!({
            "input_tokens": usage.input_tokens,
            "input_tokens_details": { "image_tokens": 0, "text_tokens": usage.input_tokens },
            "output_tokens": ctx.script.output_count(),
            "total_tokens": usage.total_tokens(),
        });
    }
    body
}
