//! A balance and the ledger entries that sum to it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Micros;
use crate::currency::Rate;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    /// The sum of the account's ledger entries.
    pub balance_micros: Micros,
    /// Reserved by requests in flight.
    pub held_micros: Micros,
    /// `balance_micros - held_micros`: what new requests may still spend.
    pub available_micros: Micros,
    /// The account's display currency.
    pub currency: String,
}

/// What a ledger entry is. Credits: `payment` (money paid in), `code` (a redemption code),
/// `bonus` and `referral_commission` (always promotional), `refund` of a charge, `adjustment` (an
/// admin's, either way). Debits: `charge` (a request), `adjustment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// Called `topup` before version 5 of the schema; older gateways still send that.
    #[serde(alias = "topup")]
    Payment,
    Code,
    Charge,
    Refund,
    Bonus,
    ReferralCommission,
    Adjustment,
}

impl LedgerKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Code => "code",
            Self::Charge => "charge",
            Self::Refund => "refund",
            Self::Bonus => "bonus",
            Self::ReferralCommission => "referral_commission",
            Self::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "payment" | "topup" => Self::Payment,
            "code" => Self::Code,
            "charge" => Self::Charge,
            "refund" => Self::Refund,
            "bonus" => Self::Bonus,
            "referral_commission" => Self::ReferralCommission,
            "adjustment" => Self::Adjustment,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: LedgerKind,
    pub amount_micros: Micros,
    /// The account's balance right after this entry.
    pub balance_after_micros: Micros,
    pub reason: Option<String>,
    /// Email of whoever caused the entry; `null` for the gateway itself (e.g. request charges).
    pub actor: Option<String>,
    pub request_id: Option<String>,
    /// Promotional credit (a bonus, a referral commission, a code of a promotional batch): spent
    /// first and never refunded. Older gateways do not send it; their entries are not.
    #[serde(default)]
    pub promotional: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Pass as `?before=` to fetch the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
    /// The account's display currency and its rate, when the gateway has one: amounts stay in
    /// credits, clients may show them converted beside.
    #[serde(default)]
    pub currency_rate: Option<CurrencyRate>,
}

/// A display currency's rate: `rate` units of `code` per credit, as of `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrencyRate {
    pub code: String,
    /// An exact decimal string, e.g. `"92.5312"`.
    pub rate: Rate,
    /// The day the rate was taken, as the operator configured it.
    pub date: NaiveDate,
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    /// A CLI reads what an older gateway sends: `topup` for a payment, and no `promotional`.
    #[test]
    fn older_gateways_entries_still_read() {
        let old = r#"{"id":1,"kind":"topup","amount_micros":5,"balance_after_micros":5,
                      "reason":null,"actor":null,"request_id":null,
                      "created_at":"2026-01-01T00:00:00Z"}"#;
        let e: LedgerEntry = serde_json::from_str(old).unwrap();
        assert_eq!(e.kind, LedgerKind::Payment);
        assert!(!e.promotional);
        let again = serde_json::to_value(&e).unwrap();
        assert_eq!(again["kind"], "payment");
        assert_eq!(again["promotional"], false);
        for kind in [
            LedgerKind::Payment,
            LedgerKind::Code,
            LedgerKind::Charge,
            LedgerKind::Refund,
            LedgerKind::Bonus,
            LedgerKind::ReferralCommission,
            LedgerKind::Adjustment,
        ] {
            assert_eq!(LedgerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
        assert_eq!(LedgerKind::parse("topup"), Some(LedgerKind::Payment));
    }
}
