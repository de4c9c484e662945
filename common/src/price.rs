//! Prices and the one cost formula. A [`Price`] row says what a model costs; [`cost`] turns a
//! request's [`Usage`] into [`Micros`], exactly and rounded once; a [`PriceTable`] maps model
//! names to prices, read from codexkey's own JSON format or imported from the litellm community
//! price list.
//!
//! All money arithmetic here is on integers. Nothing here does I/O or knows where a table came
//! from: the shipped default, operator overrides and their precedence belong to the gateway.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::{Micros, Usage};

/// Parts per million: a coefficient of `PPM` is ×1.0, a margin of `PPM / 5` is +20%.
pub const PPM: i64 = 1_000_000;

/// Token prices are quoted per this many tokens.
pub const TOKENS_PER_PRICE_UNIT: u64 = 1_000_000;

/// What a model costs. Token prices are micro-credits per 1M tokens; `per_image` and
/// `per_request` are micro-credits. A missing cache price falls back as [`cost`] describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    fn fields(&self) -> [(&'static str, Option<i64>); 7] {
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
/// `reasoning_tokens` are part of `output_tokens` and not billed again. A result beyond
/// `i64::MAX` saturates there instead of overflowing. A charge is never negative: negative
/// prices and a coefficient or margin factor below zero count as zero (parsers refuse negative
/// prices; this is the last guard against paying a caller).
pub fn cost(usage: &Usage, price: &Price, coefficient_ppm: i64, margin_ppm: i64) -> Micros {
    match exact_cost_rounded_up(usage, price, coefficient_ppm, margin_ppm) {
        Some(micros) => Micros(i64::try_from(micros).unwrap_or(i64::MAX)),
        None => Micros(i64::MAX),
    }
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

/// A model's row in a [`PriceTable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    /// Who serves the model, as the source named it (`openai`, `anthropic`, `gemini`, `xai`, …).
    pub provider: String,
    /// The kind of endpoint: `chat`, `responses`, `completion`, `embedding`,
    /// `image_generation`, … (litellm's `mode`).
    pub mode: String,
    pub price: Price,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
}

/// Prices by model name, in a stable order.
///
/// Our JSON format is `{"_source": "…", "models": {"<model>": PriceEntry, …}}`; unknown fields
/// are refused so a typo in an override is an error rather than a silently free model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Where the prices came from and in which units; for people, never read by code.
    #[serde(rename = "_source", default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub models: BTreeMap<String, PriceEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("the price list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the price list must be a JSON object keyed by model name")]
    NotAnObject,
    #[error("`{model}`: `{field}` is negative; prices are zero or more")]
    Negative { model: String, field: &'static str },
}

/// The `_source` note of a table imported from a litellm-format list.
pub const LITELLM_SOURCE_NOTE: &str = "Imported from a litellm-format price list (model name -> \
     USD per token as JSON floats). Token prices here (input, cached_input, cache_write_5m, \
     cache_write_1h, output) are integer micro-credits per 1M tokens; per_image and per_request \
     are integer micro-credits (1 credit = 1 USD = 1,000,000 micro-credits).";

impl PriceTable {
    /// The entry for `model`: an exact match, else the name without a leading `provider/`
    /// (`anthropic/claude-opus-4-8` finds `claude-opus-4-8`).
    pub fn get(&self, model: &str) -> Option<&PriceEntry> {
        self.models.get(model).or_else(|| {
            let (_, bare) = model.split_once('/')?;
            self.models.get(bare)
        })
    }

    /// Reads a table in our own format and refuses negative prices.
    pub fn from_json(text: &str) -> Result<PriceTable, PriceError> {
        let table: PriceTable = serde_json::from_str(text)?;
        for (model, entry) in &table.models {
            for (field, value) in entry.price.fields() {
                if value.is_some_and(|v| v < 0) {
                    return Err(PriceError::Negative {
                        model: model.clone(),
                        field,
                    });
                }
            }
        }
        Ok(table)
    }

    /// The table in our own format: pretty JSON with a stable key order (no trailing newline).
    pub fn to_json(&self) -> Result<String, PriceError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Imports the litellm community price list (`model_prices_and_context_window.json`:
    /// model name → fields such as `input_cost_per_token` in USD per token as floats).
    ///
    /// Field mapping (USD per token × 10^12 = micro-credits per 1M tokens; USD × 10^6 =
    /// micro-credits):
    /// - `input_cost_per_token` → `input`; `output_cost_per_token` → `output`, or, where that
    ///   is absent, `output_cost_per_image_token` (image models whose output tokens are image
    ///   tokens, e.g. `gpt-image-1`)
    /// - `cache_read_input_token_cost` → `cached_input`; `cache_creation_input_token_cost` →
    ///   `cache_write_5m`; `cache_creation_input_token_cost_above_1hr` → `cache_write_1h`
    /// - `output_cost_per_image` → `per_image`; for `image_generation` models without it,
    ///   `input_cost_per_image` (litellm's older name for the price of a generated image)
    /// - `input_cost_per_request` + `output_cost_per_request` → `per_request`
    /// - `litellm_provider` → `provider`; `mode` → `mode` (missing: `chat`, with a warning);
    ///   `max_input_tokens`, `max_output_tokens` as they are
    ///
    /// A key prefixed with its own provider (`gemini/gemini-2.5-flash`) is stored without the
    /// prefix, since upstreams are asked for the bare name and [`PriceTable::get`] strips a
    /// prefix from the asked name; where the bare name is also listed, the bare entry wins.
    ///
    /// Skipped with a warning: entries that are not objects or lack `litellm_provider`, entries
    /// with no price codexkey can meter or whose every price is zero (a model is never served
    /// free by accident), negative or non-numeric prices. `sample_spec`, litellm's
    /// documentation entry, is skipped silently. Other non-zero `*cost*` fields (service
    /// tiers, long-context tiers, audio/video/image token prices, tool fees, …) are not
    /// imported; one warning per kind names them. Numbers are converted exactly from their
    /// shortest decimal form; a value finer than the target unit is rounded half-up, with a
    /// warning.
    pub fn from_litellm_json(text: &str) -> Result<(PriceTable, Vec<String>), PriceError> {
        let root: Value = serde_json::from_str(text)?;
        let Value::Object(root) = root else {
            return Err(PriceError::NotAnObject);
        };
        let mut warnings = Vec::new();
        let mut ignored = IgnoredFields::default();
        let mut imported = Vec::new();
        // Sorted, so warnings and duplicate resolution never depend on the map's order.
        let mut entries: Vec<(&String, &Value)> = root.iter().collect();
        entries.sort_by_key(|(key, _)| *key);
        for (key, value) in entries {
            if key == "sample_spec" {
                continue;
            }
            let Value::Object(fields) = value else {
                warnings.push(format!("`{key}` skipped: not an object"));
                continue;
            };
            match import_litellm_entry(key, fields, &mut warnings) {
                Ok((entry, used)) => {
                    ignored.record(key, fields, &used, &entry.price);
                    let name = key
                        .strip_prefix(entry.provider.as_str())
                        .and_then(|rest| rest.strip_prefix('/'))
                        .filter(|rest| !rest.is_empty())
                        .unwrap_or(key)
                        .to_owned();
                    imported.push((key.clone(), name, entry));
                }
                Err(reason) => warnings.push(format!("`{key}` skipped: {reason}")),
            }
        }

        let mut models = BTreeMap::new();
        // Bare names first, so they win over a provider-prefixed duplicate whatever the order
        // of the source.
        imported.sort_by_key(|(key, name, _)| key != name);
        for (key, name, entry) in imported {
            match models.get(&name) {
                None => {
                    models.insert(name, entry);
                }
                Some(kept) if *kept == entry => {}
                Some(_) => warnings.push(format!(
                    "`{key}` skipped: it is `{name}` without its provider prefix, which is \
                     listed with different prices; kept `{name}`"
                )),
            }
        }
        warnings.extend(ignored.into_warnings());
        let table = PriceTable {
            source: Some(LITELLM_SOURCE_NOTE.to_owned()),
            models,
        };
        Ok((table, warnings))
    }
}

/// The litellm fields [`PriceTable::from_litellm_json`] maps.
mod litellm {
    pub const INPUT: &str = "input_cost_per_token";
    pub const OUTPUT: &str = "output_cost_per_token";
    pub const OUTPUT_IMAGE_TOKEN: &str = "output_cost_per_image_token";
    pub const OUTPUT_REASONING_TOKEN: &str = "output_cost_per_reasoning_token";
    pub const CACHE_READ: &str = "cache_read_input_token_cost";
    pub const CACHE_WRITE: &str = "cache_creation_input_token_cost";
    pub const CACHE_WRITE_1H: &str = "cache_creation_input_token_cost_above_1hr";
    pub const OUTPUT_IMAGE: &str = "output_cost_per_image";
    pub const INPUT_IMAGE: &str = "input_cost_per_image";
    pub const INPUT_REQUEST: &str = "input_cost_per_request";
    pub const OUTPUT_REQUEST: &str = "output_cost_per_request";
    pub const PROVIDER: &str = "litellm_provider";
    pub const MODE: &str = "mode";
    pub const MAX_INPUT: &str = "max_input_tokens";
    pub const MAX_OUTPUT: &str = "max_output_tokens";
    pub const IMAGE_GENERATION: &str = "image_generation";
    pub const EMBEDDING: &str = "embedding";
}

/// Scale of a litellm price: the power of ten that turns USD into our unit.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// USD per token → micro-credits per 1M tokens.
    PerMillionTokens,
    /// USD → micro-credits (per image, per request).
    Each,
}

impl Unit {
    fn exponent(self) -> usize {
        match self {
            Unit::PerMillionTokens => 12,
            Unit::Each => 6,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::PerMillionTokens => "micro-credit per 1M tokens",
            Unit::Each => "micro-credit",
        }
    }
}

/// One litellm entry as a [`PriceEntry`] and the cost fields it used, or why it is skipped.
fn import_litellm_entry(
    key: &str,
    fields: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<(PriceEntry, Vec<&'static str>), String> {
    use litellm::*;

    let provider = match fields.get(PROVIDER) {
        Some(Value::String(p)) if !p.is_empty() => p.clone(),
        _ => return Err(format!("no `{PROVIDER}`")),
    };
    let mode = match fields.get(MODE) {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => {
            warnings.push(format!("`{key}` has no `{MODE}`; taken as `chat`"));
            "chat".to_owned()
        }
    };
    let mut used = Vec::new();
    let mut read = |field: &'static str, unit: Unit| -> Result<Option<i64>, String> {
        let value = read_litellm_price(key, fields, field, unit, warnings)?;
        if value.is_some() {
            used.push(field);
        }
        Ok(value)
    };

    let input = read(INPUT, Unit::PerMillionTokens)?;
    let output = match read(OUTPUT, Unit::PerMillionTokens)? {
        Some(output) => Some(output),
        None => read(OUTPUT_IMAGE_TOKEN, Unit::PerMillionTokens)?,
    };
    let cached_input = read(CACHE_READ, Unit::PerMillionTokens)?;
    let cache_write_5m = read(CACHE_WRITE, Unit::PerMillionTokens)?;
    let cache_write_1h = read(CACHE_WRITE_1H, Unit::PerMillionTokens)?;
    let per_image = match read(OUTPUT_IMAGE, Unit::Each)? {
        Some(price) => Some(price),
        None if mode == IMAGE_GENERATION => read(INPUT_IMAGE, Unit::Each)?,
        None => None,
    };
    let per_request = match (
        read(INPUT_REQUEST, Unit::Each)?,
        read(OUTPUT_REQUEST, Unit::Each)?,
    ) {
        (None, None) => None,
        (a, b) => Some(
            a.unwrap_or(0)
                .checked_add(b.unwrap_or(0))
                .ok_or("the per-request price is too large")?,
        ),
    };
    // A separate reasoning price equal to the output price loses nothing: count it as used.
    if output.is_some() && read(OUTPUT_REASONING_TOKEN, Unit::PerMillionTokens)? != output {
        used.retain(|f| *f != OUTPUT_REASONING_TOKEN);
    }

    let prices = [
        input,
        output,
        cached_input,
        cache_write_5m,
        cache_write_1h,
        per_image,
        per_request,
    ];
    if prices.iter().all(Option::is_none) {
        return Err("no price codexkey can meter".to_owned());
    }
    if prices.iter().all(|p| p.unwrap_or(0) == 0) {
        return Err("every price is zero, and codexkey serves no model free".to_owned());
    }
    // Per-image models legitimately have no token prices, and embeddings no output price;
    // anywhere else a missing token price bills those tokens at zero, which deserves a word.
    if per_image.is_none() {
        if input.is_none() {
            warnings.push(format!(
                "`{key}` has no `{INPUT}`; its input tokens are billed at 0"
            ));
        }
        if output.is_none() && mode != EMBEDDING {
            warnings.push(format!(
                "`{key}` has no `{OUTPUT}`; its output tokens are billed at 0"
            ));
        }
    }

    let entry = PriceEntry {
        provider,
        mode,
        price: Price {
            input: input.unwrap_or(0),
            cached_input,
            cache_write_5m,
            cache_write_1h,
            output: output.unwrap_or(0),
            per_image,
            per_request,
        },
        max_input_tokens: fields.get(MAX_INPUT).and_then(Value::as_u64),
        max_output_tokens: fields.get(MAX_OUTPUT).and_then(Value::as_u64),
    };
    Ok((entry, used))
}

/// Reads one litellm price in `unit`: `None` when absent or `null`, an error (the entry is
/// skipped) when it is not a non-negative number that fits.
fn read_litellm_price(
    key: &str,
    fields: &Map<String, Value>,
    field: &str,
    unit: Unit,
    warnings: &mut Vec<String>,
) -> Result<Option<i64>, String> {
    let number = match fields.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n,
        Some(_) => return Err(format!("`{field}` is not a number")),
    };
    let decimal = shortest_decimal(number);
    match scale_decimal(&decimal, unit.exponent()) {
        Scaled::Exact(value) => Ok(Some(value)),
        Scaled::Rounded(value) => {
            warnings.push(format!(
                "`{key}`: `{field}` = {decimal} is finer than one {}; rounded half-up to {value}",
                unit.name()
            ));
            Ok(Some(value))
        }
        Scaled::Negative => Err(format!("`{field}` is negative")),
        Scaled::TooLarge => Err(format!("`{field}` = {decimal} is too large")),
        Scaled::Invalid => Err(format!("`{field}` = {decimal} is not a plain number")),
    }
}

/// The shortest plain decimal text (no exponent) that reads back as the same JSON number:
/// integers as they are, floats through Rust's shortest round-trip formatting, so `2.5e-06`
/// becomes `0.0000025`. Only formatting touches the float, never arithmetic.
fn shortest_decimal(number: &Number) -> String {
    if let Some(n) = number.as_u64() {
        n.to_string()
    } else if let Some(n) = number.as_i64() {
        n.to_string()
    } else {
        // JSON cannot hold NaN or infinities, so the float is finite.
        format!("{}", number.as_f64().unwrap_or(0.0))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Scaled {
    Exact(i64),
    /// Digits remained below the unit; the value is rounded half-up.
    Rounded(i64),
    Negative,
    TooLarge,
    /// Not plain decimal digits; [`shortest_decimal`] never writes such text.
    Invalid,
}

/// `decimal` (plain digits with an optional `.`, as [`shortest_decimal`] writes them) times
/// 10^`exponent`, by moving the decimal point over the digits.
fn scale_decimal(decimal: &str, exponent: usize) -> Scaled {
    if let Some(magnitude) = decimal.strip_prefix('-') {
        // `-0` is zero, not a negative price.
        return if magnitude.bytes().all(|b| matches!(b, b'0' | b'.')) {
            Scaled::Exact(0)
        } else {
            Scaled::Negative
        };
    }
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    if !(whole.bytes().chain(fraction.bytes())).all(|b| b.is_ascii_digit()) {
        return Scaled::Invalid;
    }
    let kept = &fraction[..fraction.len().min(exponent)];
    let dropped = &fraction[kept.len()..];
    let mut value: i64 = 0;
    let digits = whole
        .bytes()
        .chain(kept.bytes())
        .chain(std::iter::repeat_n(b'0', exponent - kept.len()));
    for digit in digits {
        let Some(next) = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(digit - b'0')))
        else {
            return Scaled::TooLarge;
        };
        value = next;
    }
    if dropped.bytes().all(|b| b == b'0') {
        return Scaled::Exact(value);
    }
    if dropped.as_bytes()[0] >= b'5' {
        match value.checked_add(1) {
            Some(v) => value = v,
            None => return Scaled::TooLarge,
        }
    }
    Scaled::Rounded(value)
}

/// Non-zero litellm cost fields that were not imported, grouped by why, for one warning each.
#[derive(Default)]
struct IgnoredFields {
    /// Kind → (labels: tiers, thresholds or field names; models).
    kinds: BTreeMap<IgnoredKind, (BTreeSet<String>, BTreeSet<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum IgnoredKind {
    ServiceTier,
    LongContext,
    Modality,
    InputImage,
    Reasoning,
    ToolFee,
    OtherUnit,
    Other,
}

impl IgnoredKind {
    /// What is not imported, and what that means for billing.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            IgnoredKind::ServiceTier => (
                "service-tier prices",
                "every request is billed at the standard price",
            ),
            IgnoredKind::LongContext => (
                "long-context prices",
                "requests past the threshold are billed at the base price",
            ),
            IgnoredKind::Modality => (
                "audio, video and image token prices",
                "those tokens are billed at the text price",
            ),
            IgnoredKind::InputImage => (
                "prices per input image",
                "images in a prompt are billed only as the tokens upstream counts",
            ),
            IgnoredKind::Reasoning => (
                "reasoning-token prices that differ from the output price",
                "reasoning is billed at the output price",
            ),
            IgnoredKind::ToolFee => (
                "tool fees (search, grounding, code interpreter)",
                "tool use is not metered",
            ),
            IgnoredKind::OtherUnit => (
                "prices per pixel, character or second",
                "codexkey does not meter these units",
            ),
            IgnoredKind::Other => ("other cost fields", "codexkey does not know them"),
        }
    }
}

const SERVICE_TIERS: [&str; 5] = ["batches", "flex", "priority", "ultrafast", "decisions"];

/// Why `field` (a cost field that was not imported) is ignored, and the label that names it in
/// the warning.
fn classify_ignored(field: &str) -> (IgnoredKind, String) {
    if let Some((_, tier)) = field.rsplit_once('_')
        && SERVICE_TIERS.contains(&tier)
    {
        return (IgnoredKind::ServiceTier, tier.to_owned());
    }
    if let Some(at) = field.rfind("_above_")
        && field.ends_with("k_tokens")
    {
        return (IgnoredKind::LongContext, field[at + 1..].to_owned());
    }
    let kind = if ["per_pixel", "per_character", "per_second"]
        .iter()
        .any(|unit| field.contains(unit))
    {
        IgnoredKind::OtherUnit
    } else if field == litellm::INPUT_IMAGE {
        IgnoredKind::InputImage
    } else if ["audio", "video", "image"]
        .iter()
        .any(|m| field.contains(m))
    {
        IgnoredKind::Modality
    } else if field == litellm::OUTPUT_REASONING_TOKEN {
        IgnoredKind::Reasoning
    } else if field.contains("per_query") || field.contains("per_session") {
        IgnoredKind::ToolFee
    } else {
        IgnoredKind::Other
    };
    (kind, field.to_owned())
}

impl IgnoredFields {
    /// Notes the non-zero cost fields of an imported entry that `used` does not cover. A field
    /// is a price when its name says `cost`; the rest (`supports_*`, `max_tokens`, …) is
    /// metadata.
    fn record(&mut self, key: &str, fields: &Map<String, Value>, used: &[&str], price: &Price) {
        for (field, value) in fields {
            if !field.contains("cost") || used.contains(&field.as_str()) || !is_nonzero(value) {
                continue;
            }
            // Per-image models bill the image, not the pixels or image tokens that make it up.
            if price.per_image.is_some() && field.contains("pixel") {
                continue;
            }
            let (kind, label) = classify_ignored(field);
            let (labels, models) = self.kinds.entry(kind).or_default();
            labels.insert(label);
            models.insert(key.to_owned());
        }
    }

    fn into_warnings(self) -> impl Iterator<Item = String> {
        self.kinds.into_iter().map(|(kind, (labels, models))| {
            let (what, consequence) = kind.describe();
            let labels: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
            let examples: Vec<String> = models.iter().take(3).map(|m| format!("`{m}`")).collect();
            format!(
                "{what} not imported ({}; {} models, e.g. {}): {consequence}",
                labels.join(", "),
                models.len(),
                examples.join(", "),
            )
        })
    }
}

/// Whether a litellm value holds any non-zero number (objects such as
/// `search_context_cost_per_query` count when any of their numbers does).
fn is_nonzero(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Object(map) => map.values().any(is_nonzero),
        Value::Array(items) => items.iter().any(is_nonzero),
        _ => false,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]
mod tests {
    use super::*;

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
                Micros(expected),
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
        assert_eq!(cost(&usage(1_000_001, 0), &price, PPM, 0), Micros(2));
        // 0.5 + 0.5 is exactly 1; rounding each bucket first would give 2.
        assert_eq!(cost(&usage(500_000, 500_000), &price, PPM, 0), Micros(1));
        // 0.6 × 1.5 = 0.9 → 1; rounding before the coefficient would give 1 × 1.5 → 2.
        assert_eq!(cost(&usage(600_000, 0), &price, 1_500_000, 0), Micros(1));
        // 0.6 × 0.5 = 0.3 is still a charge.
        assert_eq!(cost(&usage(600_000, 0), &price, 500_000, 0), Micros(1));
    }

    #[test]
    fn huge_values_saturate() {
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
        assert_eq!(cost(&all, &max, i64::MAX, i64::MAX), Micros(i64::MAX));
        // Fits u128 but not i64.
        assert_eq!(cost(&usage(u64::MAX, 0), &OPUS, PPM, 0), Micros(i64::MAX));
        // Exactly `i64::MAX`, then one micro-credit's worth more.
        let dearest = Price {
            input: i64::MAX,
            ..Price::default()
        };
        assert_eq!(
            cost(&usage(1_000_000, 0), &dearest, PPM, 0),
            Micros(i64::MAX)
        );
        assert_eq!(
            cost(&usage(1_000_000, 0), &dearest, PPM - 1, 0),
            Micros(i64::MAX - 9_223_372_036_854)
        );
        // Free by a zero coefficient, however large the usage.
        assert_eq!(cost(&all, &max, 0, 0), Micros(0));
    }

    #[test]
    fn cost_is_never_negative() {
        let negative = Price {
            input: -5_000_000,
            ..OPUS
        };
        assert_eq!(cost(&usage(1_000, 0), &negative, PPM, 0), Micros(0));
        assert_eq!(cost(&usage(1_000, 0), &OPUS, -PPM, 0), Micros(0));
        assert_eq!(cost(&usage(1_000, 0), &OPUS, PPM, -2 * PPM), Micros(0));
        // A -100% margin makes it free, as the operator asked.
        assert_eq!(cost(&usage(1_000, 0), &OPUS, PPM, -PPM), Micros(0));
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
}
