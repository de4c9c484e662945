use serde_json::Value;

use super::litellm::{Scaled, Unit, scale_decimal, shortest_decimal};
use super::*;
use crate::{Micros, Usage};

/// Claude Opus 4.x list prices: $5 in, $0.50 cache read, $6.25 / $10 cache write (5m / 1h),
/// $25 out per 1M tokens.
const OPUS: Price = Price {
    input: 5_000_000,
    cached_input: Some(500_000),
    cache_write_5m: Some(6_250_000),
    cache_write_1h: Some(10_000_000),
    output: 25_000_000,
    per_image: None,
    per_request: None,
};

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

#[test]
fn cost_table() {
    let plain = usage(1_000, 500);
    let cases: [(&str, Usage, Price, i64, i64, i64); 13] = [
        // 1000 × $5/M + 500 × $25/M = $0.0175.
        ("plain", plain, OPUS, PPM, 0, 17_500),
        (
            "cached",
            Usage {
                cached_tokens: 10_000,
                ..plain
            },
            OPUS,
            PPM,
            0,
            17_500 + 5_000,
        ),
        (
            "cached without a cache price is input",
            Usage {
                cached_tokens: 10_000,
                ..plain
            },
            Price {
                cached_input: None,
                ..OPUS
            },
            PPM,
            0,
            17_500 + 50_000,
        ),
        (
            "both cache writes",
            Usage {
                cache_write_5m_tokens: 1_000,
                cache_write_1h_tokens: 1_000,
                ..plain
            },
            OPUS,
            PPM,
            0,
            17_500 + 6_250 + 10_000,
        ),
        (
            "1h write falls back to 5m, 5m to input",
            Usage {
                cache_write_5m_tokens: 1_000,
                cache_write_1h_tokens: 1_000,
                ..plain
            },
            Price {
                cache_write_1h: None,
                ..OPUS
            },
            PPM,
            0,
            17_500 + 6_250 + 6_250,
        ),
        (
            "images",
            Usage {
                images: 3,
                ..Usage::default()
            },
            Price {
                per_image: Some(167_000),
                ..OPUS
            },
            PPM,
            0,
            501_000,
        ),
        (
            "per request",
            plain,
            Price {
                per_request: Some(10_000),
                ..OPUS
            },
            PPM,
            0,
            27_500,
        ),
        ("coefficient 1.5", plain, OPUS, 1_500_000, 0, 26_250),
        ("margin 20%", plain, OPUS, PPM, 200_000, 21_000),
        (
            "coefficient and margin",
            plain,
            OPUS,
            1_500_000,
            200_000,
            31_500,
        ),
        // One token at $0.001/M is 0.001 micro-credit: rounded up to 1, never to 0.
        (
            "sub-micro rounds up",
            usage(1, 0),
            Price {
                input: 1_000,
                ..OPUS
            },
            PPM,
            0,
            1,
        ),
        ("zero usage", Usage::default(), OPUS, PPM, 200_000, 0),
        (
            "reasoning is part of output",
            Usage {
                reasoning_tokens: 400,
                ..plain
            },
            OPUS,
            PPM,
            0,
            17_500,
        ),
    ];
    for (name, usage, price, coefficient, margin, expected) in cases {
        assert_eq!(
            cost(&usage, &price, coefficient, margin),
            Some(Micros(expected)),
            "{name}"
        );
    }
}

#[test]
fn cost_rounds_once_at_the_end() {
    // 1_000_001 tokens at 1 micro-credit per 1M is 1.000001: rounded up to 2.
    let price = Price {
        input: 1,
        output: 1,
        ..Price::default()
    };
    assert_eq!(cost(&usage(1_000_001, 0), &price, PPM, 0), Some(Micros(2)));
    // 0.5 + 0.5 is exactly 1; rounding each bucket first would give 2.
    assert_eq!(
        cost(&usage(500_000, 500_000), &price, PPM, 0),
        Some(Micros(1))
    );
    // 0.6 × 1.5 = 0.9 → 1; rounding before the coefficient would give 1 × 1.5 → 2.
    assert_eq!(
        cost(&usage(600_000, 0), &price, 1_500_000, 0),
        Some(Micros(1))
    );
    // 0.6 × 0.5 = 0.3 is still a charge.
    assert_eq!(
        cost(&usage(600_000, 0), &price, 500_000, 0),
        Some(Micros(1))
    );
}

#[test]
fn costs_beyond_the_largest_amount_are_refused_not_saturated() {
    let all = Usage {
        input_tokens: u64::MAX,
        cached_tokens: u64::MAX,
        cache_write_5m_tokens: u64::MAX,
        cache_write_1h_tokens: u64::MAX,
        output_tokens: u64::MAX,
        reasoning_tokens: u64::MAX,
        images: u64::MAX,
    };
    let max = Price {
        input: i64::MAX,
        cached_input: Some(i64::MAX),
        cache_write_5m: Some(i64::MAX),
        cache_write_1h: Some(i64::MAX),
        output: i64::MAX,
        per_image: Some(i64::MAX),
        per_request: Some(i64::MAX),
    };
    assert_eq!(cost(&all, &max, i64::MAX, i64::MAX), None);
    // Fits u128 but not i64.
    assert_eq!(cost(&usage(u64::MAX, 0), &OPUS, PPM, 0), None);
    // Exactly the largest amount, then one micro-credit more.
    let per_token = Price {
        input: Micros::MAX.0,
        ..Price::default()
    };
    assert_eq!(
        cost(&usage(1_000_000, 0), &per_token, PPM, 0),
        Some(Micros::MAX)
    );
    let per_request = Price {
        per_request: Some(Micros::MAX.0),
        ..per_token
    };
    assert_eq!(cost(&usage(1, 0), &per_request, PPM, 0), None);
    assert_eq!(cost(&usage(1_000_000, 0), &per_token, PPM, 1), None);
    // Free by a zero coefficient, however large the usage.
    assert_eq!(cost(&all, &max, 0, 0), Some(Micros(0)));
}

#[test]
fn cost_is_never_negative() {
    let negative = Price {
        input: -5_000_000,
        ..OPUS
    };
    assert_eq!(cost(&usage(1_000, 0), &negative, PPM, 0), Some(Micros(0)));
    assert_eq!(cost(&usage(1_000, 0), &OPUS, -PPM, 0), Some(Micros(0)));
    assert_eq!(
        cost(&usage(1_000, 0), &OPUS, PPM, -2 * PPM),
        Some(Micros(0))
    );
    // A -100% margin makes it free, as the operator asked.
    assert_eq!(cost(&usage(1_000, 0), &OPUS, PPM, -PPM), Some(Micros(0)));
}

fn scaled(json: &str, unit: Unit) -> Scaled {
    let Ok(Value::Number(n)) = serde_json::from_str::<Value>(json) else {
        panic!("{json} is not a JSON number");
    };
    scale_decimal(&shortest_decimal(&n), unit.exponent())
}

#[test]
fn converts_litellm_floats_exactly() {
    let per_token = [
        ("2.5e-06", 2_500_000),
        ("1.25e-07", 125_000),
        ("3e-05", 30_000_000),
        ("6.25e-06", 6_250_000),
        ("1.875e-06", 1_875_000),
        ("0.00018", 180_000_000),
        ("1e-12", 1),
        ("0", 0),
        ("0.0", 0),
        ("-0.0", 0),
        ("1", 1_000_000_000_000),
    ];
    for (json, micros) in per_token {
        assert_eq!(
            scaled(json, Unit::PerMillionTokens),
            Scaled::Exact(micros),
            "{json}"
        );
    }
    assert_eq!(scaled("0.167", Unit::Each), Scaled::Exact(167_000));
    assert_eq!(scaled("0.0336", Unit::Each), Scaled::Exact(33_600));
}

#[test]
fn rounds_values_finer_than_the_unit_half_up() {
    assert_eq!(
        scaled("1.2345e-12", Unit::PerMillionTokens),
        Scaled::Rounded(1)
    );
    assert_eq!(
        scaled("2.5e-12", Unit::PerMillionTokens),
        Scaled::Rounded(3)
    );
    assert_eq!(scaled("4e-13", Unit::PerMillionTokens), Scaled::Rounded(0));
    assert_eq!(scaled("1.59263611e-07", Unit::Each), Scaled::Rounded(0));
    assert_eq!(scaled("0.0000015", Unit::Each), Scaled::Rounded(2));
    assert_eq!(scaled("-1e-06", Unit::PerMillionTokens), Scaled::Negative);
    assert_eq!(scaled("1e300", Unit::PerMillionTokens), Scaled::TooLarge);
    assert_eq!(scale_decimal("1e-6", 6), Scaled::Invalid);
}

const LITELLM_SAMPLE: &str = r#"{
        "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of …", "mode": "one of …"},
        "claude-opus-4-8": {
            "input_cost_per_token": 5e-06, "output_cost_per_token": 2.5e-05,
            "cache_read_input_token_cost": 5e-07, "cache_creation_input_token_cost": 6.25e-06,
            "cache_creation_input_token_cost_above_1hr": 1e-05,
            "input_cost_per_token_batches": 2.5e-06,
            "litellm_provider": "anthropic", "mode": "chat",
            "max_input_tokens": 1000000, "max_output_tokens": 128000, "supports_vision": true
        },
        "gemini/gemini-fine": {
            "input_cost_per_token": 3.0000005e-07, "output_cost_per_token": 2.5e-06,
            "output_cost_per_reasoning_token": 2.5e-06,
            "litellm_provider": "gemini", "mode": "chat"
        },
        "gemini/gemma-free": {
            "input_cost_per_token": 0, "output_cost_per_token": 0,
            "litellm_provider": "gemini", "mode": "chat"
        },
        "high/1024-x-1024/gpt-image-1": {
            "input_cost_per_image": 0.167, "input_cost_per_pixel": 1.59263611e-07,
            "litellm_provider": "openai", "mode": "image_generation"
        },
        "gpt-image-1": {
            "input_cost_per_token": 5e-06, "output_cost_per_image_token": 4e-05,
            "input_cost_per_image_token": 1e-05,
            "litellm_provider": "openai", "mode": "image_generation"
        },
        "openai/container": {"code_interpreter_cost_per_session": 0.03, "litellm_provider": "openai", "mode": "chat"},
        "no-provider": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
        "request-priced": {
            "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "input_cost_per_request": 0.005, "litellm_provider": "openai"
        }
    }"#;

#[test]
fn imports_litellm() {
    let (table, warnings) = PriceTable::from_litellm_json(LITELLM_SAMPLE).unwrap();
    let names: Vec<&str> = table.models.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "claude-opus-4-8",
            "gemini-fine",
            "gpt-image-1",
            "high/1024-x-1024/gpt-image-1",
            "request-priced"
        ]
    );
    let opus = table.get("claude-opus-4-8").cloned();
    assert_eq!(
        opus,
        Some(PriceEntry {
            provider: "anthropic".into(),
            mode: "chat".into(),
            price: OPUS,
            max_input_tokens: Some(1_000_000),
            max_output_tokens: Some(128_000),
        })
    );
    let price = |model: &str| table.get(model).map(|e| e.price);
    assert_eq!(
        price("gemini-fine"),
        Some(Price {
            input: 300_000,
            output: 2_500_000,
            ..Price::default()
        })
    );
    assert_eq!(
        price("high/1024-x-1024/gpt-image-1"),
        Some(Price {
            per_image: Some(167_000),
            ..Price::default()
        })
    );
    assert_eq!(
        price("gpt-image-1"),
        Some(Price {
            input: 5_000_000,
            output: 40_000_000,
            ..Price::default()
        })
    );
    assert_eq!(
        price("request-priced").and_then(|p| p.per_request),
        Some(5_000)
    );
    assert_eq!(
        table.get("request-priced").map(|e| e.mode.as_str()),
        Some("chat")
    );

    let expected_warnings = [
        "`gemini/gemini-fine`: `input_cost_per_token` = 0.00000030000005 is finer than one \
             micro-credit per 1M tokens; rounded half-up to 300000",
        "`gemini/gemma-free` skipped: every price is zero, and codexkey serves no model free",
        "`no-provider` skipped: no `litellm_provider`",
        "`openai/container` skipped: no price codexkey can meter",
        "`request-priced` has no `mode`; taken as `chat`",
        "service-tier prices not imported (`batches`; 1 models, e.g. `claude-opus-4-8`): \
             every request is billed at the standard price",
        "audio, video and image token prices not imported (`input_cost_per_image_token`; 1 \
             models, e.g. `gpt-image-1`): those tokens are billed at the text price",
    ];
    assert_eq!(warnings, expected_warnings);
}

#[test]
fn bare_name_wins_over_provider_prefixed_duplicate() {
    let text = r#"{
            "gemini/gemini-x": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06,
                                "litellm_provider": "gemini", "mode": "chat"},
            "gemini-x": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-06,
                         "litellm_provider": "gemini", "mode": "chat"},
            "gemini/gemini-y": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06,
                                "litellm_provider": "gemini", "mode": "chat"},
            "gemini-y": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06,
                         "litellm_provider": "gemini", "mode": "chat"}
        }"#;
    let (table, warnings) = PriceTable::from_litellm_json(text).unwrap();
    assert_eq!(
        table.get("gemini-x").map(|e| e.price.input),
        Some(2_000_000)
    );
    assert_eq!(table.models.len(), 2);
    assert_eq!(
        warnings,
        [
            "`gemini/gemini-x` skipped: it is `gemini-x` without its provider prefix, which is \
              listed with different prices; kept `gemini-x`"
        ]
    );
}

#[test]
fn lookup_strips_a_provider_prefix() {
    let entry = PriceEntry {
        provider: "anthropic".into(),
        mode: "chat".into(),
        price: OPUS,
        max_input_tokens: None,
        max_output_tokens: None,
    };
    let mut table = PriceTable::default();
    table.models.insert("claude-opus-4-8".into(), entry.clone());
    table
        .models
        .insert("high/1024-x-1024/gpt-image-1".into(), entry.clone());
    assert_eq!(table.get("claude-opus-4-8"), Some(&entry));
    assert_eq!(table.get("anthropic/claude-opus-4-8"), Some(&entry));
    assert_eq!(table.get("high/1024-x-1024/gpt-image-1"), Some(&entry));
    assert_eq!(
        table.get("openai/high/1024-x-1024/gpt-image-1"),
        Some(&entry)
    );
    assert_eq!(table.get("claude-opus-4-9"), None);
    assert_eq!(table.get("a/b/claude-opus-4-8"), None);
    assert_eq!(table.get("/claude-opus-4-8"), Some(&entry));
}

#[test]
fn own_format_round_trips_and_refuses_mistakes() {
    let (table, _) = PriceTable::from_litellm_json(LITELLM_SAMPLE).unwrap();
    let json = table.to_json().unwrap();
    assert!(json.starts_with("{\n  \"_source\": "), "{json}");
    // `None` prices are left out, not written as null.
    assert!(!json.contains("null"), "{json}");
    assert_eq!(PriceTable::from_json(&json).ok(), Some(table));

    let typo = r#"{"models": {"m": {"provider": "p", "mode": "chat",
            "price": {"input": 1, "output": 1, "cached_inptu": 0}}}}"#;
    assert!(matches!(
        PriceTable::from_json(typo),
        Err(PriceError::Json(_))
    ));
    let missing_output = r#"{"models": {"m": {"provider": "p", "mode": "chat",
            "price": {"input": 1}}}}"#;
    assert!(PriceTable::from_json(missing_output).is_err());
    let negative = r#"{"models": {"m": {"provider": "p", "mode": "chat",
            "price": {"input": 1, "output": 1, "per_image": -1}}}}"#;
    assert!(matches!(
        PriceTable::from_json(negative),
        Err(PriceError::Negative {
            field: "per_image",
            ..
        })
    ));
}

#[test]
fn refuses_what_is_not_a_price_list() {
    assert!(matches!(
        PriceTable::from_litellm_json("[]"),
        Err(PriceError::NotAnObject)
    ));
    assert!(matches!(
        PriceTable::from_litellm_json("{"),
        Err(PriceError::Json(_))
    ));
}
