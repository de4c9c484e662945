//! Display currencies: an exact decimal rate per configured currency, applied only when an
//! amount is shown. Credits stay the unit of account (1 credit = 1 USD); nothing is ever stored
//! in a display currency.
//!
//! **The rounding rule**, the only one: a display amount is `credits × rate`, computed exactly
//! in integers (the rate is a decimal with at most [`MAX_RATE_DECIMALS`] places) and rounded
//! once, to the nearest millionth of the display currency, halves away from zero. A total is
//! converted from the exact credit total, never summed from converted rows, so rows may differ
//! from the total by a millionth.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Micros;

/// Decimal places a rate may have; `92.531234567` is the most precise rate accepted.
pub const MAX_RATE_DECIMALS: u32 = 9;
/// Rates must be below this (in display units per credit). Keeps `micros × rate` inside `i128`.
const MAX_RATE_WHOLE: i128 = 1_000_000_000;

/// Units of a display currency per credit, as an exact decimal: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    mantissa: i128,
    scale: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("`{0}` is not a rate: write a positive decimal such as `92.5312`")]
    Invalid(String),
    #[error("`{0}` has more than {MAX_RATE_DECIMALS} decimal places")]
    TooPrecise(String),
    #[error("`{0}` is out of range: a rate is above 0 and below 1000000000")]
    OutOfRange(String),
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(input: &str) -> Result<Rate, RateError> {
        let s = input.trim();
        let invalid = || RateError::Invalid(input.to_owned());
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac.is_empty())
        {
            return Err(invalid());
        }
        let frac = frac.trim_end_matches('0');
        let scale = frac.len() as u32;
        if scale > MAX_RATE_DECIMALS {
            return Err(RateError::TooPrecise(input.to_owned()));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 10 {
            return Err(RateError::OutOfRange(input.to_owned()));
        }
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| invalid())?
        };
        if whole >= MAX_RATE_WHOLE || (whole == 0 && frac_value == 0) {
            return Err(RateError::OutOfRange(input.to_owned()));
        }
        Ok(Rate {
            mantissa: whole * 10_i128.pow(scale) + frac_value,
            scale,
        })
    }
}

/// The shortest exact decimal: `92.5312`, `1`, `0.0108`.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = 10_i128.pow(self.scale);
        let whole = self.mantissa / unit;
        let frac = self.mantissa % unit;
        if self.scale == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{frac:0width$}", width = self.scale as usize)
        }
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Serialized as the exact decimal string, never a JSON number (which clients would read as a
/// float).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Rate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "Units of a display currency per credit, as an exact positive decimal.",
            ))
            .pattern(Some("^[0-9]+(\\.[0-9]+)?$"))
            .examples(["92.5312"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Rate {}

impl Rate {
    /// `credits` in the display currency, in millionths of it, by the module's rounding rule.
    /// `None` only if the result does not fit an `i64` (far beyond any real amount).
    pub fn convert(&self, credits: Micros) -> Option<Micros> {
        let product = i128::from(credits.0) * self.mantissa;
        let unit = 10_i128.pow(self.scale);
        let (q, r) = (product / unit, product % unit);
        // Halves away from zero: round the magnitude up when the remainder is at least half.
        let rounded = if 2 * r.abs() >= unit {
            q + product.signum()
        } else {
            q
        };
        i64::try_from(rounded).ok().map(Micros)
    }
}

/// Whether `code` is an ISO 4217-style code: three ASCII capital letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The currency credits are denominated in; its rate is 1 by definition and never configured.
pub const BASE_CURRENCY: &str = "USD";

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        match s.parse() {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn parses_and_shows_exact_rates() {
        for (input, shown) in [
            ("92.5312", "92.5312"),
            ("92.53120", "92.5312"),
            ("1", "1"),
            ("1.0", "1"),
            ("0.0108", "0.0108"),
            ("007.5", "7.5"),
            ("0.000000001", "0.000000001"),
            ("999999999.999999999", "999999999.999999999"),
        ] {
            assert_eq!(rate(input).to_string(), shown, "{input}");
        }
        for bad in ["", "-1", "+1", "1.", ".5", "1e3", "1,5", "abc", " . "] {
            assert!(
                matches!(bad.parse::<Rate>(), Err(RateError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            "0.0000000001".parse::<Rate>(),
            Err(RateError::TooPrecise(_))
        ));
        for out in ["0", "0.000", "1000000000", "99999999999999999999"] {
            assert!(
                matches!(out.parse::<Rate>(), Err(RateError::OutOfRange(_))),
                "{out}"
            );
        }
    }

    #[test]
    fn converts_with_one_rounding_halves_away_from_zero() {
        let cases = [
            // credits (micros), rate, display (micros)
            (1_000_000, "92.5312", 92_531_200),
            (9_200, "92.5312", 851_287), // 851.28704 -> 851.287 (micro units)
            (1, "0.5", 1),               // 0.5 -> 1 (half away from zero)
            (-1, "0.5", -1),             // -0.5 -> -1
            (3, "0.5", 2),               // 1.5 -> 2
            (1, "0.4999", 0),            // 0.4999 -> 0
            (1, "1.5", 2),               // 1.5 -> 2
            (5, "0.3", 2),               // 1.5 -> 2
            (7, "0.3", 2),               // 2.1 -> 2
            (0, "92.5", 0),
            (123_456_789, "1", 123_456_789),
            (i64::MAX, "0.000000001", 9_223_372_037), // 9223372036.854775807 -> ...037
        ];
        for (credits, r, display) in cases {
            assert_eq!(
                rate(r).convert(Micros(credits)),
                Some(Micros(display)),
                "{credits} × {r}"
            );
        }
        assert_eq!(rate("2").convert(Micros(i64::MAX)), None, "overflow");
    }

    #[test]
    fn round_trips_through_serde_as_a_string() {
        let r = rate("92.5312");
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(json, "\"92.5312\"");
        let back: Rate = serde_json::from_str(&json).unwrap_or(Rate {
            mantissa: 0,
            scale: 0,
        });
        assert_eq!(back, r);
        assert!(
            serde_json::from_str::<Rate>("92.5").is_err(),
            "numbers are refused"
        );
    }

    #[test]
    fn currency_codes() {
        assert!(is_currency_code("RUB"));
        assert!(!is_currency_code("rub"));
        assert!(!is_currency_code("RUBL"));
        assert!(!is_currency_code("R1B"));
    }
}
