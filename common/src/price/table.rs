//! A [`PriceTable`]: model names to [`PriceEntry`] rows, in codexkey's own JSON format, with
//! provider-prefix lookup and refusal of negative prices.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cost::Price;

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
}
