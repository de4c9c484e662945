//! The one cost formula: a [`Price`] row and [`cost`], which turns a request's [`Usage`] into
//! [`Micros`] exactly, on integers, rounded up once at the end.

use serde::{Deserialize, Serialize};

use crate::{Micros, Usage};

/// Parts per million: a coefficient of `PPM` is ×1.0, a margin of `PPM / 5` is +20%.
pub const PPM: i64 = 1_000_000;

/// Token prices are quoted per this many tokens.
pub const TOKENS_PER_PRICE_UNIT: u64 = 1_000_000;

/// What a model costs. Token prices are micro-credits per 1M tokens; `per_image` and
/// `per_request` are micro-credits. A missing cache price falls back as [`cost`] describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Input tokens neither read from nor written to the prompt cache.
    pub input: i64,
    /// Input tokens read from the prompt cache; `None` bills them as `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<i64>,
    /// Input tokens written to a 5-minute cache; `None` bills them as `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_5m: Option<i64>,
    /// Input tokens written to a 1-hour cache; `None` bills them as `cache_write_5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<i64>,
    /// Output tokens, reasoning included.
    pub output: i64,
    /// Each generated image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_image: Option<i64>,
    /// Each request, on top of everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request: Option<i64>,
}

impl Price {
    /// The price applied to cache reads: `cached_input`, else `input`.
    pub fn cached_input_or_input(&self) -> i64 {
        self.cached_input.unwrap_or(self.input)
    }

    /// The price applied to 5-minute cache writes: `cache_write_5m`, else `input`.
    pub fn cache_write_5m_or_input(&self) -> i64 {
        self.cache_write_5m.unwrap_or(self.input)
    }

    /// The price applied to 1-hour cache writes: `cache_write_1h`, else `cache_write_5m`, else
    /// `input`.
    pub fn cache_write_1h_or_fallback(&self) -> i64 {
        self.cache_write_1h
            .unwrap_or_else(|| self.cache_write_5m_or_input())
    }

    /// Every price with its field name, for validation and display.
    pub(super) fn fields(&self) -> [(&'static str, Option<i64>); 7] {
        [
            ("input", Some(self.input)),
            ("cached_input", self.cached_input),
            ("cache_write_5m", self.cache_write_5m),
            ("cache_write_1h", self.cache_write_1h),
            ("output", Some(self.output)),
            ("per_image", self.per_image),
            ("per_request", self.per_request),
        ]
    }
}

/// What `usage` costs at `price`, times a model coefficient and plus a global margin.
///
/// `coefficient_ppm` is in parts per million (`1_000_000` = ×1.0, `1_500_000` = ×1.5);
/// `margin_ppm` is added on top in parts per million (`200_000` = +20%, negative for a discount).
///
/// One rounding rule: the exact cost is rounded up to the next micro-credit, once, at the end; a
/// charge is never rounded to zero when anything billable was used.
///
/// Every token bucket is billed at its own price (see [`Price`] for the cache fallbacks);
/// `reasoning_tokens` are part of `output_tokens` and not billed again. `None` when the cost is
/// beyond [`Micros::MAX`]: no usage a real request can have costs that much, so the caller
/// treats it as an anomaly instead of a charge. A charge is never negative: negative prices and
/// a coefficient or margin factor below zero count as zero (parsers refuse negative prices;
/// this is the last guard against paying a caller).
pub fn cost(usage: &Usage, price: &Price, coefficient_ppm: i64, margin_ppm: i64) -> Option<Micros> {
    let micros = exact_cost_rounded_up(usage, price, coefficient_ppm, margin_ppm)?;
    Micros(i64::try_from(micros).ok()?).in_range()
}

/// The cost in micro-credits, rounded up; `None` when it does not fit in `u128`, which is far
/// beyond `i64::MAX`.
fn exact_cost_rounded_up(
    usage: &Usage,
    price: &Price,
    coefficient_ppm: i64,
    margin_ppm: i64,
) -> Option<u128> {
    let margin_factor = non_negative_i128(i128::from(PPM) + i128::from(margin_ppm));
    // Both factors are below 2^64, so their product fits.
    let factor = non_negative(coefficient_ppm) * margin_factor;
    if factor == 0 {
        // Free by the operator's choice, however large the usage: no overflow to report.
        return Some(0);
    }
    // Token quantities times prices per 1M tokens are in units of 1e-6 micro-credit; per-image
    // and per-request prices are scaled into the same unit so everything adds exactly.
    let unit = u128::from(TOKENS_PER_PRICE_UNIT);
    let per_image = non_negative(price.per_image.unwrap_or(0)).checked_mul(unit)?;
    let per_request = non_negative(price.per_request.unwrap_or(0)).checked_mul(unit)?;
    let terms = [
        (usage.input_tokens, non_negative(price.input)),
        (
            usage.cached_tokens,
            non_negative(price.cached_input_or_input()),
        ),
        (
            usage.cache_write_5m_tokens,
            non_negative(price.cache_write_5m_or_input()),
        ),
        (
            usage.cache_write_1h_tokens,
            non_negative(price.cache_write_1h_or_fallback()),
        ),
        (usage.output_tokens, non_negative(price.output)),
        (usage.images, per_image),
        (1, per_request),
    ];
    // An overflow here or below means a numerator above u128::MAX (3.4e38) and, since
    // `factor` is at least 1, a result above 3.4e20 micro-credits, past `i64::MAX` anyway.
    let mut base: u128 = 0;
    for (quantity, unit_price) in terms {
        base = base.checked_add(u128::from(quantity).checked_mul(unit_price)?)?;
    }
    // Divide by the token unit and both ppm scales at once: the only rounding.
    let divisor = unit * u128::from(PPM.unsigned_abs()) * u128::from(PPM.unsigned_abs());
    Some(base.checked_mul(factor)?.div_ceil(divisor))
}

fn non_negative(value: i64) -> u128 {
    u128::from(value.max(0).unsigned_abs())
}

fn non_negative_i128(value: i128) -> u128 {
    value.max(0).unsigned_abs()
}
