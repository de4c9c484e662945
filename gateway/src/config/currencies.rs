//! `[currencies.X]`: display-currency rates from the file and `CODEXKEY_CURRENCIES`, merged by
//! code. Amounts are converted with them only when shown; nothing here touches credits.

use std::collections::BTreeMap;

use codexkey_common::currency::{BASE_CURRENCY, Rate, is_currency_code};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;

/// Display-currency rates, `CODE=RATE@DATE` separated by commas
/// (`RUB=92.5312@2026-11-20,EUR=0.9215@2026-11-20`); each replaces the file's entry.
pub const CURRENCIES: &str = "CODEXKEY_CURRENCIES";

/// A display currency: how many of its units one credit (1 USD) is worth, and as of when.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCurrency {
    /// An exact decimal string (`"92.5312"`), never a float.
    pub rate: Option<String>,
    /// The day the rate was taken (`"2026-11-20"`), shown with every converted amount.
    pub date: Option<String>,
}

/// A validated display-currency rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyConfig {
    /// Units of the currency per credit.
    pub rate: Rate,
    pub date: chrono::NaiveDate,
}

impl CurrencyConfig {
    /// The rate as the API shows it, for the currency `code`.
    pub fn rate_of(&self, code: &str) -> codexkey_common::api::CurrencyRate {
        codexkey_common::api::CurrencyRate {
            code: code.to_owned(),
            rate: self.rate,
            date: self.date,
        }
    }
}

/// `CODEXKEY_CURRENCIES`: `CODE=RATE@DATE`, comma-separated. Validated with the file's entries.
pub fn from_env(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, RawCurrency>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(v) = get(CURRENCIES) else {
        return Ok(out);
    };
    for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let parsed = item
            .split_once('=')
            .and_then(|(code, rest)| rest.split_once('@').map(|(rate, date)| (code, rate, date)));
        let Some((code, rate, date)) = parsed else {
            return Err(ConfigError::Invalid {
                key: CURRENCIES.to_owned(),
                message: format!("`{item}`: write `CODE=RATE@DATE`, e.g. `RUB=92.5312@2026-11-20`"),
            });
        };
        out.insert(
            code.trim().to_owned(),
            RawCurrency {
                rate: Some(rate.trim().to_owned()),
                date: Some(date.trim().to_owned()),
            },
        );
    }
    Ok(out)
}

/// A higher layer's entry replaces the lower one's whole (a rate and its date belong
/// together).
pub fn merge(
    higher: BTreeMap<String, RawCurrency>,
    mut lower: BTreeMap<String, RawCurrency>,
) -> BTreeMap<String, RawCurrency> {
    lower.extend(higher);
    lower
}

/// Validates display-currency entries: a code of three capital letters (not the base
/// currency), an exact positive rate, and a date.
pub fn validate(
    raw: BTreeMap<String, RawCurrency>,
) -> Result<BTreeMap<String, CurrencyConfig>, ConfigError> {
    let mut out = BTreeMap::new();
    for (code, c) in raw {
        let key = format!("currencies.{code}");
        let invalid = |key: String, message: String| ConfigError::Invalid { key, message };
        if !is_currency_code(&code) {
            return Err(invalid(
                key,
                "a currency code is three capital letters, like `RUB`".into(),
            ));
        }
        if code == BASE_CURRENCY {
            return Err(invalid(
                key,
                format!("credits are {BASE_CURRENCY}: its rate is always 1"),
            ));
        }
        let rate = c
            .rate
            .ok_or_else(|| invalid(format!("{key}.rate"), "is required".into()))?
            .parse::<Rate>()
            .map_err(|e| invalid(format!("{key}.rate"), e.to_string()))?;
        let date_text = c.date.ok_or_else(|| {
            invalid(
                format!("{key}.date"),
                "is required: the day the rate was taken".into(),
            )
        })?;
        let date = chrono::NaiveDate::parse_from_str(&date_text, "%Y-%m-%d").map_err(|e| {
            invalid(
                format!("{key}.date"),
                format!("`{date_text}` is not a date like 2026-11-20 ({e})"),
            )
        })?;
        out.insert(code, CurrencyConfig { rate, date });
    }
    Ok(out)
}

/// The file form of validated rates.
pub fn effective(currencies: &BTreeMap<String, CurrencyConfig>) -> BTreeMap<String, RawCurrency> {
    currencies
        .iter()
        .map(|(code, cur)| {
            (
                code.clone(),
                RawCurrency {
                    rate: Some(cur.rate.to_string()),
                    date: Some(cur.date.format("%Y-%m-%d").to_string()),
                },
            )
        })
        .collect()
}
