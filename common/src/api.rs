//! Request and response types of the management API (`/api/v1/…`). The gateway serializes them
//! and the CLI deserializes them, so both ends of the contract share one definition. The CLI's
//! `--json` output prints these same documents, which makes them a stable, documented format:
//! fields are only ever added, never renamed or removed.
//!
//! Requests reject unknown fields so a typo is an error rather than a silently ignored setting.
//! Responses accept them so an older CLI keeps working against a newer gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Micros;

/// What an account may do: an `admin` also manages users, prices and upstreams
/// (`/api/v1/admin/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    /// The token of an invitation for this address (`ck_invite_…`): required when the gateway
    /// registers by invitation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Another account's referral code: the new account becomes its referee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// The session token, shown once. Send it as `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: Account,
}

/// What `POST /auth/login` answers: a session, or, when two-factor login is on, a challenge
/// for the second step (`POST /auth/login/2fa`). Untagged: a session has `token`, a challenge
/// `challenge`, so clients that only knew sessions still read one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginOutcome {
    Session(LoginResponse),
    SecondStep(LoginChallenge),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub status: AccountStatus,
    /// Preferred language, a BCP 47 tag such as `en` or `ru`.
    pub language: String,
    /// Display currency, an ISO 4217 code such as `USD` or `RUB`.
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Two-factor login is on. Older gateways do not send it.
    #[serde(default)]
    pub two_factor: bool,
    /// The address was proved (a verification or reset link was followed). Older gateways do
    /// not send it.
    #[serde(default)]
    pub email_verified: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Models this key may call; absent means every model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Vec<String>>,
    /// The most this key may spend in its lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_micros: Option<Micros>,
    /// Requests per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm_limit: Option<u32>,
    /// Tokens per minute (input and output tokens of settled requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm_limit: Option<u64>,
}

/// A change to a key's settings (`PATCH /api/v1/keys/{id}`): a field left out keeps its value;
/// a field sent as `null` removes the setting (no expiry, every model, no budget, no limit).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_models: Option<Option<Vec<String>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub budget_micros: Option<Option<Micros>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rpm_limit: Option<Option<u32>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub tpm_limit: Option<Option<u64>>,
}

impl UpdateKeyRequest {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.expires_at.is_none()
            && self.allowed_models.is_none()
            && self.budget_micros.is_none()
            && self.rpm_limit.is_none()
            && self.tpm_limit.is_none()
    }
}

/// A field that is present, `null` included (`Some(None)`); an absent one stays `None` through
/// `#[serde(default)]`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: i64,
    /// The first characters of the secret (`ck-AbCd1234`), enough to recognise it.
    pub prefix: String,
    pub name: Option<String>,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub allowed_models: Option<Vec<String>>,
    pub budget_micros: Option<Micros>,
    pub spent_micros: Micros,
    pub rpm_limit: Option<u32>,
    /// Tokens per minute; absent from gateways older than the limit.
    #[serde(default)]
    pub tpm_limit: Option<u64>,
}

/// A key just created or rotated: the only time its secret is ever shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUser {
    #[serde(flatten)]
    pub account: Account,
    pub balance_micros: Micros,
    pub held_micros: Micros,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdjustBalanceRequest {
    /// Positive to credit, negative to debit.
    pub amount_micros: Micros,
    /// Why: mandatory, kept in the ledger and the audit log.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdjustBalanceResponse {
    pub entry: LedgerEntry,
    pub account: AdminUser,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BonusResponse {
    pub entry: LedgerEntry,
    pub account: AdminUser,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    /// True when every account's balance equals the sum of its ledger entries.
    pub ok: bool,
    pub accounts_checked: u64,
    pub entries_checked: u64,
    pub mismatches: Vec<LedgerMismatch>,
    /// Requests whose upstream reported usage the gateway did not charge as reported.
    #[serde(default)]
    pub anomalies: UsageAnomalies,
}

/// The money-floor anomalies recorded in usage events: counted here so an operator sees an
/// upstream that misreports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageAnomalies {
    /// Settled `usage_invalid`: counts that were not whole numbers from 0 to 100M.
    pub usage_invalid: u64,
    /// Settled `capped_at_hold`: usage priced above the request's hold.
    pub capped_at_hold: u64,
    /// What those capped requests would have cost beyond their holds, in all.
    pub capped_excess_micros: Micros,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerMismatch {
    pub account_id: i64,
    pub email: String,
    pub balance_micros: Micros,
    pub ledger_sum_micros: Micros,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// One model's price as `GET /api/v1/pricing` shows it. Token prices are micro-credits per 1M
/// tokens; `per_image`/`per_request` are micro-credits. The charge is `price × coefficient ×
/// (1 + margin)`, rounded up to the micro-credit once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelPrice {
    pub model: String,
    pub provider: String,
    pub mode: String,
    pub price: crate::price::Price,
    pub coefficient_ppm: i64,
    /// True when the operator's row replaces the shipped one.
    pub overridden: bool,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pricing {
    /// The global margin in parts per million (200000 = +20%).
    pub margin_ppm: i64,
    pub models: Vec<ModelPrice>,
}

/// Sets one model's price row (replacing the shipped one).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPriceRequest {
    /// Which upstream provider serves it (`openai`, `anthropic`, …): used for routing.
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    pub price: crate::price::Price,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
}

/// A price list in the widely used litellm format (model → USD per token), imported as
/// overrides.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportPricesRequest {
    pub litellm: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPricesResponse {
    pub imported: usize,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetCoefficientRequest {
    /// A decimal multiplier such as `"1.25"`; `"1"` removes the coefficient.
    pub coefficient: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamKeyInfo {
    /// Database id; absent for keys from the configuration file or environment.
    pub id: Option<i64>,
    pub label: Option<String>,
}

/// An upstream as the admin API shows it: never its keys, only their labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamInfo {
    pub name: String,
    pub provider: String,
    pub base_url: String,
    pub models: Option<Vec<String>>,
    pub keys: Vec<UpstreamKeyInfo>,
    /// `config` (file or environment; read-only here) or `database` (admin API).
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUpstreamRequest {
    pub name: String,
    /// `openai`, `anthropic` or `openai_compatible`.
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddUpstreamKeyRequest {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// An admin creates an account without a password; its owner sets one through a one-time link
/// (mailed, or returned to the admin when the gateway sends no mail).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: String,
    /// `user` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// An account an admin created, and how its owner learns of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    pub account: Account,
    /// The link to set a password was mailed to the account's address.
    pub mailed: bool,
    /// The link to hand on, when it was not mailed. Shown once; works once, for 7 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<OneTimeLink>,
}

mod account;
mod billing;
mod error;
mod ledger;
mod usage;
pub use account::*;
pub use billing::*;
pub use error::*;
pub use ledger::*;
pub use usage::*;
