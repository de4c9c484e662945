//! Money in: top-up orders paid through a payment provider, redemption codes and bonuses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ledger::{Balance, LedgerEntry};
use super::usage::{row, text_cell};
use crate::Micros;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// As typed: case, spaces and dashes do not matter.
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemResponse {
    pub entry: LedgerEntry,
    pub balance: Balance,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCodesRequest {
    /// What each code credits.
    pub amount_micros: Micros,
    pub count: u32,
    /// After this the codes no longer redeem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Credit from these codes is promotional: spent first, never refunded.
    #[serde(default)]
    pub promotional: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateCodesResponse {
    pub batch: CodeBatch,
    /// The codes themselves, shown this once: the gateway keeps only their hashes.
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBatch {
    pub id: i64,
    pub amount_micros: Micros,
    pub count: u32,
    pub promotional: bool,
    pub note: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Email of the admin who created it.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    /// How many of its codes are in each state now.
    pub unused: u32,
    pub redeemed: u32,
    pub disabled: u32,
    pub expired: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    Unused,
    Redeemed,
    Disabled,
    Expired,
}

impl CodeState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unused => "unused",
            Self::Redeemed => "redeemed",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
        }
    }
}

/// One code of a batch, without its text (which the gateway does not have).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeInfo {
    pub id: i64,
    pub state: CodeState,
    pub redeemed_by: Option<String>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeBatchDetail {
    pub batch: CodeBatch,
    pub codes: Vec<CodeInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisableCodeRequest {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisableCodesResponse {
    /// Codes disabled by this call; codes already redeemed or disabled are left as they were.
    pub disabled: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BonusRequest {
    pub amount_micros: Micros,
    pub reason: String,
}

/// `POST /api/v1/topup`: buy credit through the gateway's payment provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopupRequest {
    /// The credit to buy (1 credit = 1,000,000 micro-credits).
    pub amount_micros: Micros,
}

/// Where a top-up order stands. It starts `pending` and ends `paid`, `expired` (never paid
/// before its checkout closed) or `failed` (the payment failed, or no checkout could be
/// created); it never goes back to `pending`. A paid order becomes `partly_refunded` or
/// `refunded` as refunds of it succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Pending,
    Paid,
    Expired,
    Failed,
    /// Paid, and part of it refunded.
    PartlyRefunded,
    /// Paid, and all of it refunded.
    Refunded,
}

impl OrderState {
    pub const ALL: [OrderState; 6] = [
        OrderState::Pending,
        OrderState::Paid,
        OrderState::Expired,
        OrderState::Failed,
        OrderState::PartlyRefunded,
        OrderState::Refunded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::PartlyRefunded => "partly_refunded",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A top-up order: credit bought from one payment provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: i64,
    /// The buyer's email.
    pub account: String,
    pub state: OrderState,
    /// The credit the order buys.
    pub amount_micros: Micros,
    /// What the provider charges, in the currency's minor units (cents for `usd`).
    pub amount_minor: i64,
    /// ISO 4217, lower case (`usd`).
    pub currency: String,
    /// The payment provider (`stripe`).
    pub provider: String,
    /// The hosted payment page to open in a browser while the order is pending.
    pub checkout_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// What of the order can be refunded now (its unspent part, see the README's spending
    /// order); only in the answer about one order (`GET /api/v1/orders/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refundable_micros: Option<Micros>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupResponse {
    pub order: Order,
    /// Open this page in any browser to pay; the credit arrives once the provider confirms.
    pub checkout_url: String,
}

/// What one sweep of pending orders past `billing.order_ttl_secs` did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepReport {
    /// Pending orders old enough to be looked at.
    pub checked: u32,
    /// Paid after all (the provider said so): credited now.
    pub paid: u32,
    /// Closed unpaid: their checkout expired.
    pub expired: u32,
    /// Never got a checkout session: failed.
    pub failed: u32,
    /// Left pending: a payment is still being processed, or the provider could not be asked.
    pub left_pending: u32,
    /// Settled meanwhile by a webhook: nothing more was done.
    pub already_settled: u32,
}

/// The answer to a provider's webhook: 2xx, so the provider does not deliver it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAck {
    pub received: bool,
    /// What the event did: `paid`, `expired`, `failed`, `awaiting_payment`, `duplicate`
    /// (seen before, or its order was settled already: nothing changed), `rejected` (no such
    /// order, or not this order's terms: nothing changed, recorded and audited) or `ignored`
    /// (an event type the gateway does not act on).
    pub outcome: String,
}

/// `POST /api/v1/orders/{id}/refund`: ask for unused credit of a paid order back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// How much to refund; all of what is refundable when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_micros: Option<Micros>,
}

/// `POST /api/v1/admin/refunds/{id}/deny`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DenyRefundRequest {
    /// Why, shown to the user.
    pub reason: String,
}

/// Where a refund stands: `requested`, then `denied`, or `approved` (amount frozen, the
/// ledger debited), then `succeeded` (the provider refunded it) or `failed` (the provider
/// refused; the debit was given back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    Requested,
    Approved,
    Succeeded,
    Failed,
    Denied,
}

impl RefundState {
    pub const ALL: [RefundState; 5] = [
        RefundState::Requested,
        RefundState::Approved,
        RefundState::Succeeded,
        RefundState::Failed,
        RefundState::Denied,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<RefundState> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A refund of unused credit of one paid order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    pub id: i64,
    pub order_id: i64,
    /// The buyer's email.
    pub account: String,
    pub state: RefundState,
    /// `request` (asked for through the gateway) or `provider` (made at the provider, e.g.
    /// in Stripe's dashboard, and booked from its webhook).
    pub source: String,
    /// The credit refunded (asked for until approved, then frozen).
    pub amount_micros: Micros,
    /// What the provider pays back, in the currency's minor units, once approved.
    pub amount_minor: Option<i64>,
    pub currency: String,
    /// Why it was denied or failed.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/v1/referral`: the caller's referral code, the terms, referees and earnings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferralSummary {
    /// Given at registration (`codexkey register --referral CODE`) it links the new account.
    pub code: String,
    /// What a referrer earns of a referee's paid top-up, in basis points (1000 = 10%).
    pub rate_bps: u32,
    /// Commissions are earned on a referee's first this many paid top-ups …
    pub max_topups: u32,
    /// … paid within this many seconds of the link.
    pub max_age_secs: u64,
    pub referees: Vec<Referee>,
    /// Earned in all, and taken back (top-ups refunded) in all.
    pub earned_micros: Micros,
    pub taken_back_micros: Micros,
}

/// One account the caller referred, its email pseudonymised.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Referee {
    /// Like `a***@example.com`.
    pub email: String,
    pub linked_at: DateTime<Utc>,
    /// Paid top-ups that earned a commission.
    pub topups: u32,
    pub earned_micros: Micros,
    pub taken_back_micros: Micros,
}

fn time_cell(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl CreateCodesResponse {
    /// The new codes as CSV (RFC 4180, CRLF line ends, a header line), one per line with
    /// their batch, amount in exact decimal credits, promotional flag and expiry.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let b = &self.batch;
        row(
            &mut out,
            [
                "code",
                "batch",
                "amount_credits",
                "promotional",
                "expires_at",
            ]
            .map(String::from),
        );
        for code in &self.codes {
            row(
                &mut out,
                [
                    code.clone(),
                    b.id.to_string(),
                    b.amount_micros.to_string(),
                    b.promotional.to_string(),
                    time_cell(b.expires_at),
                ],
            );
        }
        out
    }
}

impl CodeBatchDetail {
    /// The batch's codes as CSV: each code's id and state, who redeemed it and when, when it
    /// was disabled. Never the code itself, which the gateway does not keep.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let b = &self.batch;
        row(
            &mut out,
            [
                "code_id",
                "batch",
                "amount_credits",
                "promotional",
                "state",
                "redeemed_by",
                "redeemed_at",
                "disabled_at",
                "expires_at",
            ]
            .map(String::from),
        );
        for c in &self.codes {
            row(
                &mut out,
                [
                    c.id.to_string(),
                    b.id.to_string(),
                    b.amount_micros.to_string(),
                    b.promotional.to_string(),
                    c.state.as_str().to_owned(),
                    text_cell(c.redeemed_by.as_deref()),
                    time_cell(c.redeemed_at),
                    time_cell(c.disabled_at),
                    time_cell(b.expires_at),
                ],
            );
        }
        out
    }
}
