//! The litellm community price list (`model_prices_and_context_window.json`) imported into a
//! [`PriceTable`]: USD-per-token floats converted exactly to integer micro-credits, with a
//! warning for everything skipped, rounded or not imported.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Number, Value};

use super::cost::Price;
use super::table::{PriceEntry, PriceError, PriceTable};

/// The `_source` note of a table imported from a litellm-format list.
pub const LITELLM_SOURCE_NOTE: &str = "Imported from a litellm-format price list (model name -> \
     USD per token as JSON floats). Token prices here (input, cached_input, cache_write_5m, \
     cache_write_1h, output) are integer micro-credits per 1M tokens; per_image and per_request \
     are integer micro-credits (1 credit = 1 USD = 1,000,000 micro-credits).";

impl PriceTable {
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
mod keys {
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
pub(super) enum Unit {
    /// USD per token → micro-credits per 1M tokens.
    PerMillionTokens,
    /// USD → micro-credits (per image, per request).
    Each,
}

impl Unit {
    pub(super) fn exponent(self) -> usize {
        match self {
            Unit::PerMillionTokens => 12,
            Unit::Each => 6,
        }
    }

    pub(super) fn name(self) -> &'static str {
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
    use keys::*;

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
pub(super) fn shortest_decimal(number: &Number) -> String {
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
pub(super) enum Scaled {
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
pub(super) fn scale_decimal(decimal: &str, exponent: usize) -> Scaled {
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
    } else if field == keys::INPUT_IMAGE {
        IgnoredKind::InputImage
    } else if ["audio", "video", "image"]
        .iter()
        .any(|m| field.contains(m))
    {
        IgnoredKind::Modality
    } else if field == keys::OUTPUT_REASONING_TOKEN {
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
