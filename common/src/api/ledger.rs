//! A balance and the ledger entries that sum to it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Micros;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Topup,
    Charge,
    Refund,
    Bonus,
    ReferralCommission,
    Adjustment,
}

impl LedgerKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Topup => "topup",
            Self::Charge => "charge",
            Self::Refund => "refund",
            Self::Bonus => "bonus",
            Self::ReferralCommission => "referral_commission",
            Self::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "topup" => Self::Topup,
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
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Pass as `?before=` to fetch the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}
