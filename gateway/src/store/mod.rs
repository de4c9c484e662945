//! Storage behind one trait, so the handlers never know which database they talk to.
//!
//! [`Store`] has one method per use case (`create_account`, `append_ledger`, …), not per table.
//! Each method is a single transaction: whatever it writes lands whole or not at all. Services
//! create IDs for the outside world and timestamps; the store writes them as given. Row mapping
//! stays inside the backend modules. [`sqlite`] is the default backend; [`postgres`] fills the
//! same trait for a shared database. A backend is done when it passes the conformance suite (`conformance`, with
//! the crate's feature of that name).

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
pub mod postgres;
pub mod sqlite;
#[cfg(any(test, feature = "conformance"))]
pub mod testkit;
pub mod usage;

use std::sync::Arc;

use async_trait::async_trait;
use codexkey_common::api::{AccountStatus, LedgerKind, OrderState, RefundState, Role};
use codexkey_common::price::PriceEntry;
use codexkey_common::{Micros, Usage};

use self::usage::{UsageFilter, UsageGroupRecord};

/// Unix time in milliseconds, the store's one time type.
pub use crate::clock::Millis;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or state rule refused the write; the message names which.
    #[error("{0}")]
    Conflict(String),
    #[error("the store is shut down")]
    Closed,
    #[error("database error: {0}")]
    Backend(String),
    /// The backend does not do this by design; the message says what to use instead.
    #[error("{0}")]
    Unsupported(&'static str),
}

#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub status: AccountStatus,
    pub language: String,
    pub currency: String,
    pub balance: Micros,
    pub held: Micros,
    pub created_at: Millis,
    /// Two-factor login is on: a confirmed TOTP enrolment exists.
    pub two_factor: bool,
    /// The address was proved: a verification link was followed, or a reset link used.
    pub email_verified: bool,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub language: String,
    pub currency: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: i64,
    pub account: AccountRecord,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
    /// When a request last used it (at first, its creation), recorded at most about once a
    /// minute; `None` only for sessions older than this column.
    pub last_used_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub account_id: i64,
    /// SHA-256 of the token, never the token.
    pub token_hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// The client's address as the gateway saw it (after trusted proxies).
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An open session as its owner sees it in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfoRecord {
    pub id: i64,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub last_used_at: Option<Millis>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An account's TOTP enrolment, pending or confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The secret, sealed under the gateway's `master_key`; never stored in clear.
    pub secret_sealed: Vec<u8>,
    pub created_at: Millis,
    /// `None`: enrolment started, not confirmed; two-factor login is not on yet.
    pub confirmed_at: Option<Millis>,
    /// The last time step whose code was accepted.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u64,
}

#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub id: i64,
    pub account_id: i64,
    pub prefix: String,
    pub name: Option<String>,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub allowed_models: Option<Vec<String>>,
    pub budget: Option<Micros>,
    pub spent: Micros,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
}

/// Everything about a new key but its owner-facing id; `hash` is the SHA-256 of the secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub account_id: i64,
    pub prefix: String,
    pub hash: String,
    pub name: Option<String>,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub allowed_models: Option<Vec<String>>,
    pub budget: Option<Micros>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
}

/// A limit as stored in an `i64` column; the key API refuses limits above `i64::MAX`.
pub fn limit_column(limit: u64) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The settings of a key an owner may change.
#[derive(Debug, Clone)]
pub struct KeySettings {
    pub name: Option<String>,
    pub expires_at: Option<Millis>,
    pub allowed_models: Option<Vec<String>>,
    pub budget: Option<Micros>,
    pub rpm_limit: Option<u32>,
    pub tpm_limit: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct NewLedgerEntry {
    pub account_id: i64,
    pub kind: LedgerKind,
    pub amount: Micros,
    pub reason: Option<String>,
    pub actor_id: Option<i64>,
    pub request_id: Option<String>,
    pub created_at: Millis,
    /// Refuse the entry if the balance would drop below zero.
    pub forbid_negative: bool,
    /// Promotional credit (bonus, referral commission, a promotional batch's code): spent
    /// first, never refunded. Only ever set on a credit.
    pub promotional: bool,
}

#[derive(Debug, Clone)]
pub struct LedgerRecord {
    pub id: i64,
    pub account_id: i64,
    pub kind: LedgerKind,
    pub amount: Micros,
    pub balance_after: Micros,
    pub reason: Option<String>,
    pub actor_email: Option<String>,
    pub request_id: Option<String>,
    pub promotional: bool,
    pub created_at: Millis,
}

/// What must hold for a credit to be written. The store checks it in the credit's own
/// transaction, before writing anything, so a credit that depends on a state change (a code
/// redeemed once, later an order paid once or a webhook event seen once) is written exactly
/// when that change is made, and not at all otherwise.
#[derive(Debug, Clone)]
pub enum CreditCondition {
    /// Nothing but the database itself.
    Unconditional,
    /// Redemption code `code_id` is neither redeemed, nor disabled, nor expired at the entry's
    /// `created_at`, and its batch is worth the entry's amount with the same promotional flag;
    /// the code becomes redeemed by the entry's account, pointing at the entry.
    CodeRedeemable { code_id: i64 },
    /// Order `order_id` is pending, belongs to the entry's account and to `provider`, buys the
    /// entry's amount (not promotional), and its checkout is `session_id` charging
    /// `amount_minor` of `currency`; the order becomes paid, pointing at the entry.
    OrderPending {
        order_id: i64,
        provider: String,
        session_id: String,
        currency: String,
        amount_minor: i64,
        /// The referral commission the payment earns, if the buyer was referred.
        commission: Option<CommissionTerms>,
    },
    /// The provider event `event` was never recorded, and `then` holds; the event is recorded
    /// (with its outcome) in the same transaction, so a re-delivery is refused.
    EventUnseen {
        event: NewProviderEvent,
        then: Box<CreditCondition>,
    },
    /// Refund `refund_id` is approved, of the entry's account, and its debit is the entry's
    /// amount negated; the refund becomes failed (with `reason`), pointing at the entry that
    /// gives its debit back.
    RefundFailed { refund_id: i64, reason: String },
}

impl CreditCondition {
    /// `(order, referrer)` when this credit pays an order that may earn a commission.
    pub fn commission(&self) -> Option<(i64, i64)> {
        match self {
            CreditCondition::OrderPending {
                order_id,
                commission: Some(terms),
                ..
            } => Some((*order_id, terms.referrer_id)),
            CreditCondition::EventUnseen { then, .. } => then.commission(),
            _ => None,
        }
    }
}

/// What must hold for a refund's debit to be written, checked in the debit's own transaction.
#[derive(Debug, Clone)]
pub enum DebitCondition {
    /// Refund `refund_id` is requested, of the entry's account, for at least the entry's
    /// amount negated, and its order is paid or partly refunded: the refund becomes approved,
    /// its amount frozen at the entry's (negated) with `amount_minor`, decided by
    /// `decided_by`, pointing at the entry.
    RefundRequested {
        refund_id: i64,
        amount_minor: i64,
        decided_by: Option<i64>,
    },
    /// A refund made at the provider without a request: the event was never recorded (it is,
    /// in the same transaction) and order `order_id` is the entry's account's, paid or partly
    /// refunded; a `succeeded` refund of source `provider` is written pointing at the entry,
    /// and the order's state follows its refunds.
    ProviderRefund {
        event: NewProviderEvent,
        order_id: i64,
        amount_minor: i64,
        provider_refund_id: Option<String>,
    },
    /// Refund `refund_id` of order `order_id` succeeded, the order earned the entry's account a
    /// commission, and none was taken back for this refund yet: the entry (a negative
    /// `referral_commission`, not promotional) is recorded as taken back for it, `due` being
    /// what the rule asked for.
    CommissionTakeBack {
        refund_id: i64,
        order_id: i64,
        due: Micros,
    },
}

/// How [`LedgerStore::debit`] ended when the database did not fail.
#[derive(Debug, Clone)]
pub enum DebitOutcome {
    /// The entry, and the refund it books (none for a commission taken back).
    Debited(Box<LedgerRecord>, Option<Box<RefundRecord>>),
    Refused(DebitRefusal),
}

/// Why a debit's condition did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebitRefusal {
    RefundUnknown,
    /// The refund is no longer requested (approved or denied already).
    RefundNotRequested(RefundState),
    /// The refund's account is not the entry's, or the entry is more than was asked.
    RefundMismatch,
    /// The order is not paid or partly refunded (or not the entry's account's).
    OrderNotRefundable,
    EventSeen,
    /// No commission of the order to take back, or taken back for this refund already.
    NothingToTakeBack,
}

/// A referral as its referrer sees it.
#[derive(Debug, Clone)]
pub struct RefereeRecord {
    pub email: String,
    pub linked_at: Millis,
    /// Commissions earned on the referee's top-ups, and what was taken back of them.
    pub earned: Micros,
    pub taken_back: Micros,
    pub topups: u32,
}

/// One commission of a referrer: earned on a referee's paid top-up, or taken back when that
/// top-up was refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionRecord {
    pub id: i64,
    /// `true`: earned; `false`: taken back.
    pub earned: bool,
    pub referee_email: String,
    /// What moved (credited when earned, debited when taken back).
    pub amount: Micros,
    /// What the rule asked for (more than `amount` when the balance could not give it back).
    pub due: Micros,
    pub created_at: Millis,
}

/// Why an account cannot be linked to a referrer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    UnknownCode,
    SelfReferral,
    AlreadyReferred,
}

/// A refund as stored.
#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub id: i64,
    pub order_id: i64,
    pub account_id: i64,
    pub account_email: String,
    pub state: RefundState,
    /// `request` or `provider`.
    pub source: String,
    pub amount: Micros,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub ledger_id: Option<i64>,
    pub provider_refund_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A refund to request.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub order_id: i64,
    pub account_id: i64,
    pub amount: Micros,
    pub created_at: Millis,
}

/// Which refunds [`RefundStore::refunds`] lists, newest first.
#[derive(Debug, Clone, Default)]
pub struct RefundFilter {
    pub account_id: Option<i64>,
    pub order_id: Option<i64>,
    pub state: Option<RefundState>,
}

/// One ledger entry as the spending replay reads it (see `billing::spending`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendingEntry {
    pub id: i64,
    pub kind: LedgerKind,
    pub amount: Micros,
    pub promotional: bool,
    /// The order this entry paid (a `payment` credit).
    pub paid_order: Option<i64>,
    /// The order this entry refunds (a refund's debit) or gives back (a failed refund's
    /// return credit).
    pub refund_of: Option<i64>,
}

/// The terms of a referral commission on a paid order (from the configuration). The store
/// applies them inside the payment's transaction: when the buyer's referrer is `referrer_id`,
/// the link is at most `max_age` old at the payment's time and the buyer's top-ups earned fewer
/// than `max_topups` commissions, the referrer is credited `rate_bps` of the order's amount
/// (rounded down; nothing when that is zero) as a promotional `referral_commission`, recorded
/// as the order's commission.
#[derive(Debug, Clone)]
pub struct CommissionTerms {
    pub referrer_id: i64,
    pub rate_bps: u32,
    pub max_topups: u32,
    pub max_age: Millis,
}

/// How [`LedgerStore::credit`] ended when the database did not fail.
#[derive(Debug, Clone)]
pub enum CreditOutcome {
    Credited(LedgerRecord),
    /// The condition did not hold: nothing was written.
    Refused(CreditRefusal),
}

/// Why a credit's condition did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditRefusal {
    CodeUnknown,
    CodeRedeemed,
    CodeDisabled,
    CodeExpired,
    /// No such order.
    OrderUnknown,
    /// The order is no longer pending (paid, expired or failed already).
    OrderNotPending(OrderState),
    /// The order's account, provider, session, amounts or currency are not the credit's.
    OrderMismatch,
    /// The provider event was recorded before: a re-delivery or a replay.
    EventSeen,
    /// The refund is not approved, or not of the entry's account and amount.
    RefundNotApproved,
}

/// A payment provider's event, recorded once by its id.
#[derive(Debug, Clone)]
pub struct NewProviderEvent {
    pub provider: String,
    pub event_id: String,
    pub event_type: String,
    pub order_id: Option<i64>,
    /// `paid`, `expired`, `failed`, `awaiting_payment` or `rejected`.
    pub outcome: &'static str,
    pub received_at: Millis,
}

/// A top-up order to create, pending.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub account_id: i64,
    pub provider: String,
    pub amount: Micros,
    pub currency: String,
    pub amount_minor: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: i64,
    pub account_id: i64,
    pub account_email: String,
    pub provider: String,
    pub amount: Micros,
    pub currency: String,
    pub amount_minor: i64,
    pub state: OrderState,
    pub session_id: Option<String>,
    pub checkout_url: Option<String>,
    pub ledger_id: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub paid_at: Option<Millis>,
}

/// Which orders [`OrderStore::orders`] lists.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub account_id: Option<i64>,
    pub state: Option<OrderState>,
    /// Only orders created at or before this time.
    pub created_before: Option<Millis>,
    /// Oldest first (the sweep, so no order waits behind newer ones); else newest first.
    pub oldest_first: bool,
}

/// A batch of redemption codes to create; `hashes` are the SHA-256 of its codes.
#[derive(Debug, Clone)]
pub struct NewCodeBatch {
    pub amount: Micros,
    pub promotional: bool,
    pub note: Option<String>,
    pub expires_at: Option<Millis>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub hashes: Vec<String>,
}

/// A batch with how many of its codes are in each state at the time asked about.
#[derive(Debug, Clone)]
pub struct CodeBatchRecord {
    pub id: i64,
    pub amount: Micros,
    pub promotional: bool,
    pub note: Option<String>,
    pub expires_at: Option<Millis>,
    pub created_by_email: Option<String>,
    pub created_at: Millis,
    pub count: u32,
    pub unused: u32,
    pub redeemed: u32,
    pub disabled: u32,
    pub expired: u32,
}

/// One redemption code (never its text) with what its batch says about it.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub id: i64,
    pub batch_id: i64,
    pub amount: Micros,
    pub promotional: bool,
    pub expires_at: Option<Millis>,
    pub redeemed_by_email: Option<String>,
    pub redeemed_at: Option<Millis>,
    pub disabled_at: Option<Millis>,
}

/// Which codes [`CodeStore::disable_codes`] disables.
#[derive(Debug, Clone)]
pub enum CodeTarget {
    /// Every code of the batch not yet redeemed or disabled.
    Batch(i64),
    /// The code with this hash, unless redeemed or disabled already.
    Code(String),
}

/// An audit-log row to write in the same transaction as the change it records.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub actor_id: Option<i64>,
    pub action: &'static str,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub actor_email: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct LedgerCheckRecord {
    pub accounts: u64,
    pub entries: u64,
    /// `(account id, email, balance column, sum of entries)` for every account where they differ.
    pub mismatches: Vec<(i64, String, Micros, Micros)>,
    /// Usage events settled `usage_invalid`.
    pub usage_invalid: u64,
    /// Usage events settled `capped_at_hold`, and their uncapped costs beyond what they were
    /// charged, summed (at most the largest amount).
    pub capped_at_hold: u64,
    pub capped_excess: Micros,
}

/// A hold placed when a request is admitted.
#[derive(Debug, Clone)]
pub struct NewHold {
    pub request_id: String,
    pub account_id: i64,
    pub key_id: i64,
    pub amount: Micros,
    /// What the request is charged if a crash leaves its hold behind.
    pub crash_charge: Micros,
    pub route: &'static str,
    pub model: String,
    pub provider: Option<String>,
    pub created_at: Millis,
    /// The lease the request was admitted under, when balances are leased.
    pub owner: Option<LeaseOwner>,
}

/// Which lease a request was admitted under, when several replicas share balances through
/// leases (see [`LeaseStore`]): its settlement counts only while that lease still exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOwner {
    pub replica: Arc<str>,
    pub epoch: i64,
}

/// One usage event: metadata of a request, never its prompt or completion.
#[derive(Debug, Clone)]
pub struct UsageEventRecord {
    pub request_id: String,
    pub account_id: i64,
    pub key_id: Option<i64>,
    pub route: &'static str,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub usage: Usage,
    pub cost: Micros,
    pub status: u16,
    pub error_code: Option<String>,
    pub latency_ms: Option<i64>,
    pub ttfb_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// Unit prices, coefficient and margin that produced `cost`.
    /// JSON, shared by every event priced from the same price book row.
    pub price_snapshot: Option<std::sync::Arc<str>>,
    /// Which documented rule produced the charge (`final_usage`, `disconnect_drained`, …).
    pub settlement: codexkey_common::settlement::Settlement,
    /// What upstream's usage came to when it was above the hold and `cost` is the hold
    /// (`capped_at_hold`); `None` otherwise.
    pub uncapped_cost: Option<Micros>,
    pub created_at: Millis,
}

impl UsageEventRecord {
    /// The event of a request of `key_id` on `route` for `model`, before anything is known of
    /// its outcome: no usage, no charge, no status, settled `final_usage` until told otherwise.
    /// The one place an event starts from; settlement fills in the rest.
    pub fn new(
        request_id: String,
        account_id: i64,
        key_id: Option<i64>,
        route: &'static str,
        model: String,
        created_at: Millis,
    ) -> UsageEventRecord {
        UsageEventRecord {
            request_id,
            account_id,
            key_id,
            route,
            provider: None,
            model: Some(model),
            usage: Usage::default(),
            cost: Micros::ZERO,
            status: 0,
            error_code: None,
            latency_ms: None,
            ttfb_ms: None,
            client_ip: None,
            user_agent: None,
            price_snapshot: None,
            uncapped_cost: None,
            settlement: codexkey_common::settlement::Settlement::FinalUsage,
            created_at,
        }
    }
}

/// The end of an admitted request: its hold goes, its cost is charged, its event recorded.
#[derive(Debug, Clone)]
pub struct SettledRequest {
    pub event: UsageEventRecord,
    /// Whether the request's hold may be in the database. The metering writer clears it when
    /// the hold was dropped unwritten because it settles in the same batch.
    pub hold_written: bool,
    /// The lease the request was admitted under, when balances are leased.
    pub owner: Option<LeaseOwner>,
}

impl SettledRequest {
    pub fn new(event: UsageEventRecord, owner: Option<LeaseOwner>) -> SettledRequest {
        SettledRequest {
            event,
            hold_written: true,
            owner,
        }
    }
}

/// A metering write, applied in batches (group commit) by [`Store::apply_metering`].
#[derive(Debug, Clone)]
pub enum MeterOp {
    Hold(NewHold),
    Settle(Box<SettledRequest>),
}

/// A hold found in the database at start-up: its request never settled (the gateway stopped
/// or crashed with it in flight).
#[derive(Debug, Clone)]
pub struct LeftHold {
    pub request_id: String,
    pub account_id: i64,
    pub key_id: Option<i64>,
    pub crash_charge: Micros,
    pub route: String,
    pub model: String,
    pub provider: Option<String>,
}

/// An upstream added through the admin API, its keys still sealed.
#[derive(Debug, Clone)]
pub struct StoredUpstream {
    pub name: String,
    pub provider: String,
    pub base_url: String,
    pub models: Option<Vec<String>>,
    pub keys: Vec<StoredUpstreamKey>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct StoredUpstreamKey {
    pub id: i64,
    pub label: Option<String>,
    /// Sealed with the gateway's master key; see `upstream::crypto`.
    pub ciphertext: Vec<u8>,
    pub created_at: Millis,
}

/// Where one data-plane request stands, as [`Store::request_state`] finds it.
#[derive(Debug, Clone)]
pub enum RequestState {
    /// Settled: its usage event, charge included.
    Settled(Box<codexkey_common::api::UsageEvent>),
    /// Admitted and still holding funds of this account.
    Held { account_id: i64 },
    /// No request with this id was admitted (or its hold is still in the writer's queue).
    Unknown,
}

/// Accounts: who they are, their status and preferences.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn count_accounts(&self) -> Result<u64, StoreError>;

    /// Fails with `Conflict` when the email is taken. Writes `audit` in the same transaction.
    async fn create_account(
        &self,
        account: NewAccount,
        audit: Option<NewAudit>,
    ) -> Result<AccountRecord, StoreError>;

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError>;

    async fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, StoreError>;

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError>;

    async fn update_preferences(
        &self,
        id: i64,
        language: Option<String>,
        currency: Option<String>,
        at: Millis,
    ) -> Result<AccountRecord, StoreError>;

    /// Sets the status and writes `audit` in one transaction.
    async fn set_account_status(
        &self,
        id: i64,
        status: AccountStatus,
        audit: NewAudit,
    ) -> Result<AccountRecord, StoreError>;

    /// Replaces the password hash, ends every open session of the account but `keep_session`
    /// (the one that asked), and writes `audit`, in one transaction. Returns how many sessions
    /// it ended; `NotFound` when there is no such account.
    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        audit: NewAudit,
    ) -> Result<u64, StoreError>;
}

/// Login sessions, by the hash of their token.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Fails with `Conflict` when the token hash is taken. Returns the new session's id; its
    /// last use is its creation.
    async fn create_session(&self, session: NewSession) -> Result<i64, StoreError>;

    /// The session with this token hash and its account, ended or expired ones included (the
    /// caller tells those apart to word its error).
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends a session; true when it was open.
    async fn end_session(&self, token_hash: &str, at: Millis) -> Result<bool, StoreError>;

    /// Records that session `id` was used at `at`. Callers rate-limit it (about once a minute
    /// per session), so a busy session does not cost a write per request.
    async fn touch_session(&self, id: i64, at: Millis) -> Result<(), StoreError>;

    /// The account's sessions still open at `at` (neither ended nor expired), oldest first.
    async fn open_sessions(
        &self,
        account_id: i64,
        at: Millis,
    ) -> Result<Vec<SessionInfoRecord>, StoreError>;

    /// Ends the account's open session `id`; false when the account has no such open session
    /// (another account's session is never touched).
    async fn end_session_by_id(
        &self,
        account_id: i64,
        id: i64,
        at: Millis,
    ) -> Result<bool, StoreError>;

    /// Ends every open session of the account but `keep`; returns how many it ended.
    async fn end_other_sessions(
        &self,
        account_id: i64,
        keep: i64,
        at: Millis,
    ) -> Result<u64, StoreError>;
}

/// Two-factor login: TOTP enrolments, recovery codes (hashed) and the login challenges that
/// stand between the password step and a session (hashed).
#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// The account's enrolment, pending or confirmed.
    async fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, StoreError>;

    /// Starts (or restarts) an enrolment with a new sealed secret. `Conflict` when a confirmed
    /// one exists: that is disabled first, with proof.
    async fn begin_totp(
        &self,
        account_id: i64,
        secret_sealed: Vec<u8>,
        at: Millis,
    ) -> Result<(), StoreError>;

    /// Confirms a pending enrolment with the step of the code that proved it, replaces the
    /// account's recovery codes with `recovery_hashes`, and writes `audit`, in one transaction.
    /// False (and nothing written) when there is no pending enrolment.
    async fn confirm_totp(
        &self,
        account_id: i64,
        step: i64,
        recovery_hashes: Vec<String>,
        audit: NewAudit,
    ) -> Result<bool, StoreError>;

    /// Accepts a code of time step `step` for a confirmed enrolment: true, and the step is
    /// recorded, only when it is later than the last step accepted, so no code (nor an older
    /// one) is accepted twice, even by two requests at once.
    async fn accept_totp_step(&self, account_id: i64, step: i64) -> Result<bool, StoreError>;

    /// Spends an unused recovery code of the account; false when it has none with this hash.
    async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        at: Millis,
    ) -> Result<bool, StoreError>;

    /// Removes the enrolment (pending or confirmed) and the recovery codes, writing `audit`
    /// when there was one; false (and no audit row) when there was none.
    async fn remove_totp(&self, account_id: i64, audit: NewAudit) -> Result<bool, StoreError>;

    /// Records a login challenge; challenges expired before `created_at` are forgotten.
    async fn create_login_challenge(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError>;

    /// Spends a challenge: its account, once, while it has not expired at `at`; `None` for an
    /// unknown, spent or expired one.
    async fn take_login_challenge(
        &self,
        token_hash: &str,
        at: Millis,
    ) -> Result<Option<i64>, StoreError>;
}

/// What a mailed (or admin-issued) single-use token is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Setting a new password without the old one.
    PasswordReset,
    /// Proving the account's address.
    VerifyEmail,
}

/// A single-use token to record; `token_hash` is the SHA-256 of the token, never the token.
#[derive(Debug, Clone)]
pub struct NewAccountToken {
    pub account_id: i64,
    pub purpose: TokenPurpose,
    pub token_hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A password reset by token that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenReset {
    pub account_id: i64,
    /// Open sessions it ended.
    pub sessions_ended: u64,
}

/// Single-use tokens for password resets and e-mail verification, by hash only.
#[async_trait]
pub trait AccountTokenStore: Send + Sync {
    /// Records a token, marking the account's unused tokens of the same purpose used (only the
    /// newest link works), and writes `audit` if given, in one transaction. `NotFound` when
    /// there is no such account; `Conflict` when the hash is taken.
    async fn create_account_token(
        &self,
        token: NewAccountToken,
        audit: Option<NewAudit>,
    ) -> Result<(), StoreError>;

    /// The account of an unused token of `purpose` that has not expired at `at`, without
    /// spending it. Runs before a reset, to check the new password against the account.
    async fn account_by_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        at: Millis,
    ) -> Result<Option<AccountRecord>, StoreError>;

    /// Spends an unused, unexpired password-reset token: replaces the account's password hash,
    /// ends every open session of the account, marks the address verified (the link reached
    /// the mailbox), and writes `audit` (its target given the account's email when it has
    /// none), in one transaction. `None`, and nothing written, for an unknown, used or expired
    /// token; two requests racing with one token: one wins.
    async fn reset_password_by_token(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Option<TokenReset>, StoreError>;

    /// Spends an unused, unexpired verification token and marks the address verified, writing
    /// `audit` (target filled in as above) in one transaction; the account's id, or `None`
    /// (nothing written) for an unknown, used or expired token.
    async fn verify_email_by_token(
        &self,
        token_hash: &str,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Option<i64>, StoreError>;
}

/// An invitation to record; `token_hash` is the SHA-256 of its token.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// Normalised.
    pub email: String,
    pub token_hash: String,
    pub invited_by: Option<i64>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// Invitations to register, by hash only.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Records an invitation, marking the address's unused invitations used (only the newest
    /// works), with `audit`, in one transaction. `Conflict` when the hash is taken.
    async fn create_invitation(
        &self,
        invitation: NewInvitation,
        audit: NewAudit,
    ) -> Result<(), StoreError>;

    /// Registers with an invitation: only when the invitation with this hash is unused, has not
    /// expired at the account's `created_at` and is for the account's email, creates the
    /// account, spends the invitation (pointing it at the account) and writes `audit` (its
    /// actor, when none, the new account), in one transaction. `None` (nothing written) when
    /// the invitation does not hold; `Conflict` (nothing written, the invitation unspent) when
    /// the email is taken.
    async fn create_invited_account(
        &self,
        account: NewAccount,
        token_hash: &str,
        audit: NewAudit,
    ) -> Result<Option<AccountRecord>, StoreError>;
}

/// What happens to a deleted account's remaining balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceRule {
    /// An adjustment takes it to zero, with the reason "account deleted".
    Forfeit,
    /// It stays on the pseudonymised account (for a refund by hand).
    Keep,
}

/// A deletion that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRecord {
    pub keys_revoked: u64,
    pub sessions_ended: u64,
    /// What the forfeit adjustment took (zero when nothing was left or the balance is kept).
    pub forfeited: Micros,
}

/// Deleting accounts: the person is pseudonymised, the billing records stay.
#[async_trait]
pub trait DeletionStore: Send + Sync {
    /// In one transaction: replaces the account's email with `pseudonym` everywhere it is kept
    /// (the account, invitations, audit targets), makes its password unusable, suspends it and
    /// marks it deleted; revokes its keys (their names erased) and ends its sessions; erases the
    /// client addresses and user agents of its sessions and usage events; removes its
    /// two-factor enrolment, recovery codes and unused tokens; with [`BalanceRule::Forfeit`],
    /// appends an adjustment taking a positive balance to zero ("account deleted"); writes
    /// `audit` (target: the pseudonym). The ledger, orders and usage sums stay. `NotFound`
    /// for no such account; `Conflict` (nothing written) when it is deleted already or has
    /// requests in flight (holds).
    async fn delete_account(
        &self,
        id: i64,
        pseudonym: &str,
        rule: BalanceRule,
        audit: NewAudit,
    ) -> Result<DeletionRecord, StoreError>;
}

/// What a retention purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeRecord {
    /// Usage events whose client address and user agent were erased.
    pub events_anonymised: u64,
    /// Sessions (ended or expired) whose client address and user agent were erased.
    pub sessions_anonymised: u64,
    /// Raw usage events deleted.
    pub events_deleted: u64,
}

/// Retention: request metadata and raw usage events kept only as long as configured.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// In one transaction: erases the client address and user agent of usage events created
    /// before `metadata_before`, and of sessions created before it that have ended or expired
    /// by then; deletes the raw usage events created before `events_before` (when given)
    /// **without** changing the usage rollup, so reports of those periods keep their totals
    /// at quarter-hour bounds. The ledger is never touched. Runs in the background and when an
    /// admin asks.
    async fn purge(
        &self,
        metadata_before: Millis,
        events_before: Option<Millis>,
    ) -> Result<PurgeRecord, StoreError>;

    /// Purges every account deleted before `deleted_before` and not purged yet, each in a
    /// transaction of its own: deletes its ledger entries, its orders (with their provider
    /// events) and refunds, the referral commissions it earned or its orders earned, its
    /// referral links (as referee and as referrer) and code, its usage events and rollup rows,
    /// holds, keys, sessions, tokens, login challenges and the invitations it registered with;
    /// a code it redeemed stays redeemed by it, without its ledger entry. The account's row
    /// stays as a tombstone: balance and holds zero, `purged_at` = `audit.created_at`. Writes
    /// `audit` per account (target: its pseudonym). Other accounts' rows are untouched (their
    /// ledgers included), so the ledger check passes after. Answers how many were purged.
    async fn purge_deleted_accounts(
        &self,
        deleted_before: Millis,
        audit: NewAudit,
    ) -> Result<u64, StoreError>;
}

/// API keys: only a display prefix and the hash of each secret.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn create_key(&self, key: NewKey) -> Result<KeyRecord, StoreError>;

    async fn keys(&self, account_id: i64) -> Result<Vec<KeyRecord>, StoreError>;

    /// A key of this account; another account's key is `None`, exactly like a missing one.
    async fn key(&self, account_id: i64, key_id: i64) -> Result<Option<KeyRecord>, StoreError>;

    /// Revokes a key (idempotent). `None` when the account has no such key.
    async fn revoke_key(
        &self,
        account_id: i64,
        key_id: i64,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError>;

    /// Replaces a key's settings. `None` when the account has no such key; `Conflict` when it
    /// is revoked.
    async fn update_key(
        &self,
        account_id: i64,
        key_id: i64,
        settings: KeySettings,
    ) -> Result<Option<KeyRecord>, StoreError>;

    /// Revokes `key_id` and creates its replacement with the same settings and spend, in one
    /// transaction. `Conflict` when the key is already revoked.
    async fn rotate_key(
        &self,
        account_id: i64,
        key_id: i64,
        prefix: &str,
        hash: &str,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError>;

    /// The key with this secret hash and its account, whatever their status (the caller words
    /// the refusal). Runs on a key-cache miss, not per request.
    async fn key_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<(KeyRecord, AccountRecord)>, StoreError>;
}

/// The append-only ledger and the audit log.
#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Appends an entry and moves the account's balance by its amount in one transaction, with
    /// `audit` if given. Afterwards the balance still equals the sum of the account's entries.
    /// `Conflict` (nothing written) for a promotional debit, or a bonus or referral commission
    /// credited without being promotional.
    async fn append_ledger(
        &self,
        entry: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, StoreError>;

    /// Runs when money comes in that may be refused (a code, later a payment): checks
    /// `condition` and, only when it holds, applies its state change, appends `entry` (a credit:
    /// its amount is positive) with the balance moved, and writes `audit`, all in one
    /// transaction. Refused, nothing is written, the audit row included.
    async fn credit(
        &self,
        entry: NewLedgerEntry,
        condition: CreditCondition,
        audit: NewAudit,
    ) -> Result<CreditOutcome, StoreError>;

    /// Runs when a refund is booked or a commission taken back: reserves nothing itself (the
    /// meter took the amount from memory first), checks `condition` and, only when it holds,
    /// applies its state change, appends `entry` (a debit of kind `refund` or
    /// `referral_commission`, never below zero) with the balance moved, and writes `audit`, all
    /// in one transaction. Refused, nothing is written.
    async fn debit(
        &self,
        entry: NewLedgerEntry,
        condition: DebitCondition,
        audit: NewAudit,
    ) -> Result<DebitOutcome, StoreError>;

    /// Every entry of the account in id order, with the orders they pay or refund: what the
    /// spending replay needs. Runs when a refund is asked for, approved or booked.
    async fn spending_history(&self, account_id: i64) -> Result<Vec<SpendingEntry>, StoreError>;

    /// Newest first, entries with `id < before` when given.
    async fn ledger(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerRecord>, StoreError>;

    /// Writes an audit row alone (a decision that moved no money, such as a commission that
    /// could not be taken back).
    async fn write_audit(&self, audit: NewAudit) -> Result<(), StoreError>;

    /// Compares every account's balance with the sum of its ledger entries.
    async fn verify_ledger(&self) -> Result<LedgerCheckRecord, StoreError>;

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

/// Redemption code batches and their codes, by hash only. Redeeming is a
/// [`LedgerStore::credit`] with [`CreditCondition::CodeRedeemable`].
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Creates a batch and its codes with `audit` (its detail given the batch's id as
    /// `batch`), in one transaction. `Conflict` if a hash is taken (a code generated twice),
    /// and then nothing is written.
    async fn create_code_batch(
        &self,
        batch: NewCodeBatch,
        audit: NewAudit,
    ) -> Result<CodeBatchRecord, StoreError>;

    /// Every batch, newest first, with its codes counted by state as of `at`.
    async fn code_batches(&self, at: Millis) -> Result<Vec<CodeBatchRecord>, StoreError>;

    /// One batch counted as of `at` and its codes in id order; `None` when there is none.
    async fn code_batch(
        &self,
        id: i64,
        at: Millis,
    ) -> Result<Option<(CodeBatchRecord, Vec<CodeRecord>)>, StoreError>;

    /// The code with this hash, whatever its state. Runs before a redemption, to learn the
    /// amount to credit; the credit's condition decides.
    async fn code_by_hash(&self, hash: &str) -> Result<Option<CodeRecord>, StoreError>;

    /// Disables the codes of `target` that are neither redeemed nor disabled, writing `audit`
    /// with them (its detail given how many as `disabled`), in one transaction; answers how
    /// many. `None` (nothing written, no audit row)
    /// when the batch or code does not exist.
    async fn disable_codes(
        &self,
        target: CodeTarget,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Option<u32>, StoreError>;
}

/// Top-up orders and the provider events that moved them. Paying an order is a
/// [`LedgerStore::credit`] with [`CreditCondition::OrderPending`] (inside
/// [`CreditCondition::EventUnseen`] when a webhook event pays it).
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Creates a pending order with `audit` (its detail given the order's id as `order`) in
    /// one transaction, unless the account already has `max_pending` pending orders: then
    /// `None`, and nothing is written.
    async fn create_order(
        &self,
        order: NewOrder,
        max_pending: u32,
        audit: NewAudit,
    ) -> Result<Option<OrderRecord>, StoreError>;

    /// Attaches the provider's checkout session to a pending order that has none yet. Runs
    /// once the provider created it. `Conflict` when the order has a session already or is not
    /// pending, `NotFound` when there is no such order.
    async fn attach_session(
        &self,
        order_id: i64,
        session_id: &str,
        checkout_url: &str,
        at: Millis,
    ) -> Result<OrderRecord, StoreError>;

    async fn order(&self, id: i64) -> Result<Option<OrderRecord>, StoreError>;

    /// The order of `provider` whose checkout session is `session_id`.
    async fn order_by_session(
        &self,
        provider: &str,
        session_id: &str,
    ) -> Result<Option<OrderRecord>, StoreError>;

    /// The orders `filter` matches, newest first (or oldest first), at most `limit`.
    async fn orders(&self, filter: OrderFilter, limit: u32)
    -> Result<Vec<OrderRecord>, StoreError>;

    /// Closes a pending order unpaid (`to` is `Expired` or `Failed`), recording `event` if
    /// given and writing `audit`, in one transaction. Refused (nothing written) when the order
    /// does not exist or is not pending, or the event was recorded before.
    async fn close_order(
        &self,
        order_id: i64,
        to: OrderState,
        event: Option<NewProviderEvent>,
        audit: NewAudit,
    ) -> Result<Result<OrderRecord, CreditRefusal>, StoreError>;

    /// Records an event that changes no order (`awaiting_payment`, `rejected`), with `audit`
    /// if given, in one transaction. False (nothing written) when it was recorded before.
    async fn record_event(
        &self,
        event: NewProviderEvent,
        audit: Option<NewAudit>,
    ) -> Result<bool, StoreError>;
}

/// Refunds of paid orders. Approving one is a [`LedgerStore::debit`] with
/// [`DebitCondition::RefundRequested`]; a failed one is given back by a [`LedgerStore::credit`]
/// with [`CreditCondition::RefundFailed`].
#[async_trait]
pub trait RefundStore: Send + Sync {
    /// Writes a requested refund with `audit`, in one transaction, unless the order has an open
    /// (requested or approved) refund already: then `None`, nothing written.
    async fn request_refund(
        &self,
        refund: NewRefund,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError>;

    async fn refund(&self, id: i64) -> Result<Option<RefundRecord>, StoreError>;

    /// The refunds `filter` matches, newest first, at most `limit`.
    async fn refunds(
        &self,
        filter: RefundFilter,
        limit: u32,
    ) -> Result<Vec<RefundRecord>, StoreError>;

    /// Denies a requested refund with `reason`, writing `audit`; `None` (nothing written) when
    /// it is not requested.
    async fn deny_refund(
        &self,
        id: i64,
        decided_by: Option<i64>,
        reason: &str,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError>;

    /// Marks an approved refund succeeded with the provider's refund id and moves its order to
    /// `partly_refunded` or `refunded` (by the sum of its succeeded refunds), recording `event`
    /// when given and writing `audit`, in one transaction. `None` (nothing written) when the
    /// refund is not approved or the event was recorded before.
    async fn complete_refund(
        &self,
        id: i64,
        provider_refund_id: Option<String>,
        event: Option<NewProviderEvent>,
        audit: NewAudit,
        at: Millis,
    ) -> Result<Option<RefundRecord>, StoreError>;

    /// Records the payment intent an order was paid through, once (a later call changes
    /// nothing).
    async fn set_payment_intent(
        &self,
        order_id: i64,
        payment_intent: &str,
    ) -> Result<(), StoreError>;

    /// The payment intent recorded for an order.
    async fn payment_intent(&self, order_id: i64) -> Result<Option<String>, StoreError>;

    /// The order of `provider` paid through `payment_intent`.
    async fn order_by_payment_intent(
        &self,
        provider: &str,
        payment_intent: &str,
    ) -> Result<Option<OrderRecord>, StoreError>;
}

/// Referral codes, links between a referee and its referrer, and the commissions of the
/// referee's top-ups. Earning one is part of paying an order ([`CommissionTerms`]); taking one
/// back is a [`LedgerStore::debit`] with [`DebitCondition::CommissionTakeBack`].
#[async_trait]
pub trait ReferralStore: Send + Sync {
    /// The account's referral code; `code` becomes it when it has none yet. `Conflict` when
    /// `code` is another account's (the caller draws another).
    async fn referral_code(
        &self,
        account_id: i64,
        code: &str,
        at: Millis,
    ) -> Result<String, StoreError>;

    /// The account whose referral code is `code`.
    async fn account_by_referral_code(&self, code: &str) -> Result<Option<i64>, StoreError>;

    /// Links `referee_id` to the owner of `code`, with `audit`, in one transaction; refused
    /// (nothing written) for an unknown code, the referee's own code, or a referee linked
    /// before. Answers the referrer's id.
    async fn link_referral(
        &self,
        referee_id: i64,
        code: &str,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Result<i64, LinkRefusal>, StoreError>;

    /// The referrer of `account_id` and when they were linked.
    async fn referrer_of(&self, account_id: i64) -> Result<Option<(i64, Millis)>, StoreError>;

    /// The account's referees, oldest link first, with their commissions.
    async fn referees(&self, referrer_id: i64) -> Result<Vec<RefereeRecord>, StoreError>;

    /// Every commission `referrer_id` earned or had taken back, oldest first (for its data
    /// export).
    async fn commissions(&self, referrer_id: i64) -> Result<Vec<CommissionRecord>, StoreError>;

    /// The commission order `order_id` earned: `(referrer, amount, taken back so far)`.
    async fn order_commission(
        &self,
        order_id: i64,
    ) -> Result<Option<(i64, Micros, Micros)>, StoreError>;
}

/// The data plane's writes (holds and settlements, in batches) and what is left of them.
#[async_trait]
pub trait MeteringStore: Send + Sync {
    /// Applies a batch of metering writes in one transaction: holds placed, and settlements
    /// (hold removed, charge appended to the ledger with the balance moved, key spend and last
    /// use updated, usage event inserted). Afterwards every balance still equals the sum of its
    /// ledger entries. Runs on the group-commit writer only. On failure nothing of the batch is
    /// applied and the writes come back with the error, to be retried.
    async fn apply_metering(&self, ops: Vec<MeterOp>) -> Result<(), (StoreError, Vec<MeterOp>)>;

    /// Holds left in the database by a previous run, oldest first: read at start-up, before
    /// serving, so that the crash rule (in `metering`) can settle them.
    async fn left_holds(&self) -> Result<Vec<LeftHold>, StoreError>;

    /// Settles left holds with the given events in one transaction (each hold removed, its
    /// charge appended, its event recorded and rolled up), and zeroes every held counter:
    /// nothing is in flight before the gateway serves.
    async fn settle_left_holds(&self, events: Vec<UsageEventRecord>) -> Result<(), StoreError>;

    /// Where request `request_id` stands: its usage event when settled, else whether a hold
    /// for it is in the database. Runs when a client asks how its request was charged
    /// (`GET /api/v1/requests/{id}`), after flushing the metering writer.
    async fn request_state(&self, request_id: &str) -> Result<RequestState, StoreError>;
}

/// The operator's price overrides and coefficients.
#[async_trait]
pub trait PriceStore: Send + Sync {
    /// The operator's price rows, replacing the shipped ones model by model.
    async fn price_overrides(&self) -> Result<Vec<(String, PriceEntry)>, StoreError>;

    /// Per-model coefficients, parts per million.
    async fn coefficients(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Inserts or replaces price rows, all in one transaction with `audit`.
    async fn upsert_prices(
        &self,
        rows: Vec<(String, PriceEntry)>,
        audit: NewAudit,
    ) -> Result<(), StoreError>;

    /// Removes a model's price row (the shipped one applies again). True when there was one.
    async fn delete_price(&self, model: &str, audit: NewAudit) -> Result<bool, StoreError>;

    /// Sets a model's coefficient, or removes it with `None`.
    async fn set_coefficient(
        &self,
        model: &str,
        ppm: Option<i64>,
        audit: NewAudit,
    ) -> Result<(), StoreError>;
}

/// Upstreams added through the admin API, their keys sealed.
#[async_trait]
pub trait UpstreamStore: Send + Sync {
    async fn upstreams(&self) -> Result<Vec<StoredUpstream>, StoreError>;

    /// `Conflict` when the name is taken.
    async fn create_upstream(
        &self,
        upstream: StoredUpstream,
        audit: NewAudit,
    ) -> Result<(), StoreError>;

    /// Deletes an upstream and its keys. True when there was one.
    async fn delete_upstream(&self, name: &str, audit: NewAudit) -> Result<bool, StoreError>;

    /// `NotFound` when there is no such upstream.
    async fn add_upstream_key(
        &self,
        name: &str,
        key: StoredUpstreamKey,
        audit: NewAudit,
    ) -> Result<(), StoreError>;
}

/// Usage reports and event pages.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Usage of the events `filter` matches, grouped by `group_by` in that order (nothing: one
    /// group of everything, or none when nothing matched), days and hours taken at the fixed
    /// UTC offset `tz_offset_ms` (a multiple of [`usage::BUCKET_MS`]). Runs per report request;
    /// reads a per-quarter-hour rollup, so its cost does not grow with the number of events.
    async fn usage_report(
        &self,
        filter: UsageFilter,
        group_by: Vec<codexkey_common::api::UsageDimension>,
        tz_offset_ms: i64,
    ) -> Result<Vec<UsageGroupRecord>, StoreError>;

    /// A page of the events `filter` matches past `page.cursor`, in id order (or reversed),
    /// whether more match, and with `page.count` how many match past the cursor in all. Ids
    /// only grow, so a cursor resumes exactly where the last page ended.
    async fn usage_events(
        &self,
        filter: UsageFilter,
        page: usage::EventPageQuery,
    ) -> Result<(Vec<codexkey_common::api::UsageEvent>, bool, Option<u64>), StoreError>;

    /// When the account's first usage event at or after `since` happened, if any.
    async fn first_usage_at(
        &self,
        account_id: i64,
        since: Millis,
    ) -> Result<Option<Millis>, StoreError>;
}

/// What a replica asks of an account's unleased balance: `need`, or all that is free when
/// less is (admission then sizes the request to it, as with a small balance on one replica),
/// and up to `extra` more when there is plenty, never more than a quarter of what is free
/// beyond `need`, so the other replicas find money too.
#[derive(Debug, Clone, Copy)]
pub struct LeaseAsk {
    pub need: Micros,
    pub extra: Micros,
}

impl LeaseAsk {
    /// What to grant out of `free` unleased money: `None` when nothing is free.
    pub fn grant(&self, free: Micros) -> Option<Micros> {
        if !free.is_positive() || !self.need.is_positive() {
            return None;
        }
        if free < self.need {
            return Some(free);
        }
        let spare = Micros((free.0 - self.need.0) / 4);
        let more = self.extra.min(spare).max(Micros::ZERO);
        Some(Micros(self.need.0.saturating_add(more.0).min(free.0)))
    }
}

/// A lease as granted: its epoch, what this grant added, and what the lease holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseGrant {
    pub epoch: i64,
    pub granted: Micros,
    pub amount: Micros,
}

/// What ending expired leases did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseSweep {
    pub leases: u64,
    /// Unspent lease money back in its accounts' free balance.
    pub returned: Micros,
    /// Holds of ended leases settled by the crash rule.
    pub holds: u64,
    pub charged: Micros,
}

/// Escrow leases on balances, for several replicas on one database (README, "Balances across
/// replicas"). Only a shared database has them.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Grants `replica` money of `account_id` per `ask`, under the account's row lock, out of
    /// its balance not leased to anyone: adds to the replica's lease of the account if it has
    /// one (whatever epoch: the replica may have lost track of it), else starts a new lease
    /// (new epoch). Either way the lease runs until `expires_at`. `None` when nothing is free.
    async fn grant_lease(
        &self,
        account_id: i64,
        replica: &str,
        ask: LeaseAsk,
        expires_at: Millis,
    ) -> Result<Option<LeaseGrant>, StoreError>;

    /// Extends every lease of `replica` to `expires_at`; answers the `(account, epoch)` of
    /// each, so the replica learns which of its leases ended.
    async fn refresh_leases(
        &self,
        replica: &str,
        expires_at: Millis,
    ) -> Result<Vec<(i64, i64)>, StoreError>;

    /// Ends `replica`'s lease of `account_id` if it is still `epoch`: what it holds returns to
    /// the free balance. The replica has no request in flight on it and none queued.
    async fn end_lease(
        &self,
        account_id: i64,
        replica: &str,
        epoch: i64,
    ) -> Result<Micros, StoreError>;

    /// Ends every lease expired at `now`, and settles by `crash` every hold whose lease is
    /// gone (charged at most what the account has free, so never below zero): the rest of
    /// each lease returns to its account. One transaction.
    async fn expire_leases(
        &self,
        now: Millis,
        crash: fn(LeftHold, Millis) -> UsageEventRecord,
    ) -> Result<LeaseSweep, StoreError>;
}

/// Everything the gateway keeps, one trait per concern; a backend implements them all.
#[async_trait]
pub trait Store:
    AccountStore
    + SessionStore
    + TwoFactorStore
    + AccountTokenStore
    + InvitationStore
    + RetentionStore
    + DeletionStore
    + KeyStore
    + LedgerStore
    + CodeStore
    + OrderStore
    + RefundStore
    + ReferralStore
    + MeteringStore
    + PriceStore
    + UpstreamStore
    + UsageStore
    + Send
    + Sync
    + 'static
{
    /// Cheap liveness check for `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// A consistent copy of the whole database taken while it serves, as an open file that is
    /// private to this process (already unlinked where the platform allows) and its length.
    async fn backup(&self) -> Result<(std::fs::File, u64), StoreError>;

    /// Balance leases, on a database several replicas share; `None` on a store only one
    /// process uses, whose balances live whole in that process.
    fn leases(&self) -> Option<&dyn LeaseStore> {
        None
    }
}
