//! `GET /v1/models`: OpenAI's model list, or Anthropic's when `anthropic-version` is sent.

use serde_json::{Value, json};

use super::ctx::{Ctx, Provider};

pub(super) fn models(ctx: &Ctx) -> Value {
    match ctx.provider {
        Provider::OpenAi => json!({
            "object": "list",
            "data": ctx.models.iter().map(|id| json!({
                "id": id,
                "object": "model",
                "created": 1_715_367_049,
                "owned_by": if id.starts_with("claude") { "anthropic" } else { "system" },
            })).collect::<Vec<_>>(),
        }),
        Provider::Anthropic => json!({
            "data": ctx.models.iter().map(|id| json!({
                "type": "model",
                "id": id,
                "display_name": id,
                "created_at": "2025-09-29T00:00:00Z",
            })).collect::<Vec<_>>(),
            "has_more": false,
            "first_id": ctx.models.first(),
            "last_id": ctx.models.last(),
        }),
    }
}
