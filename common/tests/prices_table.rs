//! The gateway's shipped price table, `gateway/prices/default.json`, is exactly what
//! `scripts/gen-prices.sh` makes of the litellm-format list `../shared/data/model-prices.json`,
//! reads back as a `PriceTable`, and carries the source's prices exactly.
#![expect(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]

use std::path::PathBuf;

use codexkey_common::price::{Price, PriceTable};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .unwrap()
}

fn committed() -> String {
    read(repo_root().join("gateway/prices/default.json"))
}

#[test]
fn default_table_is_fresh() {
    let source = read(repo_root().join("../shared/data/model-prices.json"));
    let (table, _warnings) = PriceTable::from_litellm_json(&source).unwrap();
    // The generator prints the JSON with a trailing newline.
    let generated = format!("{}\n", table.to_json().unwrap());
    assert!(
        committed() == generated,
        "gateway/prices/default.json is stale: run `scripts/gen-prices.sh` and commit the result"
    );
}

#[test]
fn default_table_parses_and_names_its_units() {
    let table = PriceTable::from_json(&committed()).unwrap();
    assert!(table.models.len() > 300, "{} models", table.models.len());
    let source = table.source.unwrap_or_default();
    assert!(source.contains("litellm"), "{source}");
    assert!(source.contains("micro-credits per 1M tokens"), "{source}");
}

/// Prices computed by hand from the source's floats: USD per token × 10^12 is micro-credits per
/// 1M tokens, USD per image × 10^6 is micro-credits.
#[test]
fn default_table_has_the_source_prices() {
    let table = PriceTable::from_json(&committed()).unwrap();
    let cases = [
        // 5e-06, 5e-07, 6.25e-06, 1e-05, 2.5e-05
        (
            "claude-opus-4-8",
            "anthropic",
            Price {
                input: 5_000_000,
                cached_input: Some(500_000),
                cache_write_5m: Some(6_250_000),
                cache_write_1h: Some(10_000_000),
                output: 25_000_000,
                per_image: None,
                per_request: None,
            },
        ),
        // 2e-06, 1e-07, 2.5e-06, 1e-05
        (
            "gpt-6.1-sol",
            "openai",
            Price {
                input: 2_000_000,
                cached_input: Some(100_000),
                cache_write_5m: Some(2_500_000),
                output: 10_000_000,
                ..Price::default()
            },
        ),
        // 5e-06, 5e-07, 3e-05
        (
            "gpt-5.5",
            "openai",
            Price {
                input: 5_000_000,
                cached_input: Some(500_000),
                output: 30_000_000,
                ..Price::default()
            },
        ),
        // 1.75e-06, 1.75e-07, 1.4e-05
        (
            "gpt-5.3-codex",
            "openai",
            Price {
                input: 1_750_000,
                cached_input: Some(175_000),
                output: 14_000_000,
                ..Price::default()
            },
        ),
        // Listed as `gemini/gemini-2.5-flash`: 3e-07, 3e-08, 2.5e-06
        (
            "gemini-2.5-flash",
            "gemini",
            Price {
                input: 300_000,
                cached_input: Some(30_000),
                output: 2_500_000,
                ..Price::default()
            },
        ),
        // 0.167 per image
        (
            "high/1024-x-1024/gpt-image-1",
            "openai",
            Price {
                per_image: Some(167_000),
                ..Price::default()
            },
        ),
    ];
    for (model, provider, price) in cases {
        let entry = table.get(model).unwrap();
        assert_eq!(entry.provider, provider, "{model}");
        assert_eq!(entry.price, price, "{model}");
    }
    let opus = table.get("claude-opus-4-8").unwrap();
    assert_eq!(opus.max_input_tokens, Some(1_000_000));
    assert_eq!(opus.max_output_tokens, Some(128_000));
    // Clients may name the provider.
    assert_eq!(table.get("anthropic/claude-opus-4-8"), Some(opus));
    assert!(table.get("gemini/gemini-2.5-flash").is_some());
    // All-zero entries are left out rather than served free.
    assert!(table.get("gemini/gemma-3-27b-it").is_none());
}
