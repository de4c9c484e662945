//! Known traffic and what it costs at the shipped prices, shared by the data-plane, proxy and
//! SDK tests so a price or usage shape is written once. Amounts are micro-credits, computed by
//! hand in the comments from the shipped prices (micro-credits per 1M tokens).

use crate::fake_upstream::Usage;

/// A balance of 100 credits.
pub const CREDITS_100: i64 = 100_000_000;

/// Chat usage with a cached share and reasoning, priced by [`CHAT_COST`] on gpt-5.5.
pub fn chat_usage() -> Usage {
    Usage {
        input_tokens: 1000,
        cached_tokens: 400,
        output_tokens: 200,
        reasoning_tokens: 50,
        ..Usage::default()
    }
}

/// gpt-5.5 = input 5_000_000, cached 500_000, output 30_000_000 per 1M:
/// (600 × 5e6 + 400 × 5e5 + 200 × 3e7) / 1e6 = 3000 + 200 + 6000 = 9200.
pub const CHAT_COST: i64 = 9_200;

/// Anthropic usage with every cache bucket, priced by [`MESSAGES_COST`] on claude-opus-4-8.
pub fn messages_usage() -> Usage {
    Usage {
        input_tokens: 100,
        cached_tokens: 2000,
        cache_write_5m_tokens: 300,
        cache_write_1h_tokens: 200,
        output_tokens: 150,
        reasoning_tokens: 0,
    }
}

/// claude-opus-4-8 = input 5_000_000, cached 500_000, write 5m 6_250_000, write 1h 10_000_000,
/// output 25_000_000: (100 × 5e6 + 2000 × 5e5 + 300 × 6.25e6 + 200 × 1e7 + 150 × 2.5e7) / 1e6
/// = 500 + 1000 + 1875 + 2000 + 3750 = 9125.
pub const MESSAGES_COST: i64 = 9_125;

/// A conversation of at least `bytes` bytes of text, as a client resends it each turn: what
/// makes a request's size, and so its admission bound, realistic for the usage a fake upstream
/// reports.
pub fn history(bytes: usize) -> serde_json::Value {
    let turn = "The compiler checks each borrow before the program runs. ";
    let text = turn.repeat(bytes.div_ceil(turn.len()));
    serde_json::json!([{ "role": "user", "content": text }])
}
