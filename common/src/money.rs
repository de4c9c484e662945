//! Money is an integer count of micro-credits. One credit is one USD; display currencies are a
//! rate applied only when shown. No floating point touches an amount.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Micro-credits per credit.
pub const MICROS_PER_CREDIT: i64 = 1_000_000;

/// An amount of money in micro-credits (1 credit = 1,000,000 micro-credits).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Micros(pub i64);

impl Micros {
    pub const ZERO: Micros = Micros(0);

    /// The largest amount of money there is: no balance, hold, charge or ledger entry may be
    /// beyond it either way (one billion credits). Far above any prepaid account, and small
    /// enough that thousands of such amounts add up inside `i64`: arithmetic that would leave
    /// this range is refused as an overflow rather than wrapped or saturated.
    pub const MAX: Micros = Micros(1_000_000_000 * MICROS_PER_CREDIT);

    pub const fn from_credits(credits: i64) -> Option<Micros> {
        match credits.checked_mul(MICROS_PER_CREDIT) {
            Some(m) => Micros(m).in_range(),
            None => None,
        }
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// `Some(self)` when within `±MAX`.
    pub const fn in_range(self) -> Option<Micros> {
        if self.0 >= -Self::MAX.0 && self.0 <= Self::MAX.0 {
            Some(self)
        } else {
            None
        }
    }

    /// The sum, `None` when it would leave `±MAX`.
    pub fn checked_add(self, other: Micros) -> Option<Micros> {
        self.0
            .checked_add(other.0)
            .and_then(|m| Micros(m).in_range())
    }

    /// The difference, `None` when it would leave `±MAX`.
    pub fn checked_sub(self, other: Micros) -> Option<Micros> {
        self.0
            .checked_sub(other.0)
            .and_then(|m| Micros(m).in_range())
    }

    /// The negated amount (a charge's ledger entry), `None` when out of range.
    pub fn checked_neg(self) -> Option<Micros> {
        self.0.checked_neg().and_then(|m| Micros(m).in_range())
    }

    /// The sum of `amounts`, `None` when any partial sum would leave `±MAX`.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Micros>) -> Option<Micros> {
        amounts
            .into_iter()
            .try_fold(Micros::ZERO, |total, m| total.checked_add(m))
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// Why a ledger entry cannot be applied to a balance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BalanceError {
    #[error("the balance would overflow")]
    Overflow,
    #[error("this would make the balance negative ({0} credits)")]
    Negative(Micros),
}

impl Micros {
    /// The balance after adding `amount` to this one: the ledger's one rule, kept by the
    /// data plane's memory and by the store's transaction alike. Never wraps; below zero only
    /// when the entry allows it.
    pub fn balance_after(
        self,
        amount: Micros,
        forbid_negative: bool,
    ) -> Result<Micros, BalanceError> {
        let after = self.checked_add(amount).ok_or(BalanceError::Overflow)?;
        if forbid_negative && after.0 < 0 {
            return Err(BalanceError::Negative(after));
        }
        Ok(after)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseMoneyError {
    #[error(
        "`{0}` is not an amount: use digits with an optional sign and decimal point, e.g. `10` or `-2.5`"
    )]
    Invalid(String),
    #[error("`{0}` has more than 6 decimal places; the smallest unit is 0.000001 credits")]
    TooPrecise(String),
    #[error("`{0}` is too large")]
    Overflow(String),
}

/// Parses a credit amount written in decimal (`10`, `-2.5`, `+0.000001`) exactly, without
/// passing through a float.
impl FromStr for Micros {
    type Err = ParseMoneyError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        let invalid = || ParseMoneyError::Invalid(input.to_owned());
        let (negative, digits) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        if (whole.is_empty() && frac.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(invalid());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 6 {
            return Err(ParseMoneyError::TooPrecise(input.to_owned()));
        }
        let overflow = || ParseMoneyError::Overflow(input.to_owned());
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        let mut frac_micros: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
        }
        let magnitude = whole
            .checked_mul(MICROS_PER_CREDIT)
            .and_then(|m| m.checked_add(frac_micros))
            .ok_or_else(overflow)?;
        Micros(if negative { -magnitude } else { magnitude })
            .in_range()
            .ok_or_else(overflow)
    }
}

/// Shows credits with at least two decimals and no more than needed: `10.00`, `-2.50`,
/// `0.000123`.
impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / MICROS_PER_CREDIT as u64;
        let frac = abs % MICROS_PER_CREDIT as u64;
        let mut frac_str = format!("{frac:06}");
        while frac_str.len() > 2 && frac_str.ends_with('0') {
            frac_str.pop();
        }
        write!(f, "{sign}{whole}.{frac_str}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimal_amounts() {
        let cases = [
            ("10", 10_000_000),
            ("-2.5", -2_500_000),
            ("+0.000001", 1),
            ("0.1", 100_000),
            (".5", 500_000),
            ("1.230000", 1_230_000),
            ("-0", 0),
        ];
        for (input, micros) in cases {
            assert_eq!(input.parse::<Micros>(), Ok(Micros(micros)), "{input}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for input in ["", "-", "1.", "1e3", "1,5", "abc", "--1", "1.2.3", " . "] {
            assert!(
                matches!(input.parse::<Micros>(), Err(ParseMoneyError::Invalid(_))),
                "{input}"
            );
        }
        assert!(matches!(
            "0.0000001".parse::<Micros>(),
            Err(ParseMoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            "99999999999999999".parse::<Micros>(),
            Err(ParseMoneyError::Overflow(_))
        ));
        assert_eq!("1000000000".parse::<Micros>(), Ok(Micros::MAX));
        assert!(matches!(
            "-1000000000.000001".parse::<Micros>(),
            Err(ParseMoneyError::Overflow(_))
        ));
    }

    #[test]
    fn arithmetic_is_checked_against_the_range() {
        let max = Micros::MAX;
        assert_eq!(max.checked_add(Micros(1)), None);
        assert_eq!(max.checked_add(Micros::ZERO), Some(max));
        assert_eq!(Micros(-max.0).checked_sub(Micros(1)), None);
        assert_eq!(Micros(i64::MAX).in_range(), None);
        assert_eq!(Micros(i64::MIN).checked_neg(), None);
        assert_eq!(Micros(5).checked_neg(), Some(Micros(-5)));
        assert_eq!(Micros(i64::MAX).checked_add(Micros(i64::MAX)), None);
        assert_eq!(
            Micros::checked_sum([Micros(2), Micros(-5), Micros(4)]),
            Some(Micros(1))
        );
        assert_eq!(Micros::checked_sum([max, Micros(1), Micros(-1)]), None);
        assert_eq!(Micros::from_credits(1_000_000_000), Some(max));
        assert_eq!(Micros::from_credits(1_000_000_001), None);
        assert_eq!(
            Micros(10).balance_after(Micros(max.0), false),
            Err(BalanceError::Overflow)
        );
    }

    #[test]
    fn displays_credits() {
        assert_eq!(Micros(10_000_000).to_string(), "10.00");
        assert_eq!(Micros(-2_500_000).to_string(), "-2.50");
        assert_eq!(Micros(123).to_string(), "0.000123");
        assert_eq!(Micros(0).to_string(), "0.00");
        assert_eq!(Micros(i64::MIN).to_string(), "-9223372036854.775808");
    }

    #[test]
    fn display_round_trips_through_parse() {
        for m in [0, 1, -1, 999_999, 1_000_001, 123_456_789, -42_000_000] {
            let shown = Micros(m).to_string();
            assert_eq!(shown.parse::<Micros>(), Ok(Micros(m)), "{shown}");
        }
    }
}
