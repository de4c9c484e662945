//! Storage behind one trait, so the handlers never know which database they talk to.
//!
//! [`Store`] has one method per use case (`create_account`, `append_ledger`, …), not per table.
//! Each method is a single transaction: whatever it writes lands whole or not at all. Services
//! create IDs for the outside world and timestamps; the store writes them as given. Row mapping
//! stays inside the backend modules. [`sqlite`] is the default backend; a PostgreSQL backend fills
//! the same trait.

pub mod sqlite;

use async_trait::async_trait;
use codexkey_common::Micros;
use codexkey_common::api::{AccountStatus, LedgerKind, Role};

/// Unix time in milliseconds, the store's one time type.
pub type Millis = i64;

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
    pub account: AccountRecord,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
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
    pub created_at: Millis,
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
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap liveness check for `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

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

    async fn create_session(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError>;
    /// The session with this token hash and its account, ended or expired ones included (the
    /// caller tells those apart to word its error).
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends a session; true when it was open.
    async fn end_session(&self, token_hash: &str, at: Millis) -> Result<bool, StoreError>;

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
    /// Revokes `key_id` and creates its replacement with the same settings, in one transaction.
    /// `Conflict` when the key is already revoked.
    async fn rotate_key(
        &self,
        account_id: i64,
        key_id: i64,
        prefix: &str,
        hash: &str,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError>;

    /// Appends an entry and moves the account's balance by its amount in one transaction, with
    /// `audit` if given. Afterwards the balance still equals the sum of the account's entries.
    async fn append_ledger(
        &self,
        entry: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, StoreError>;
    /// Newest first, entries with `id < before` when given.
    async fn ledger(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerRecord>, StoreError>;
    /// Compares every account's balance with the sum of its ledger entries.
    async fn verify_ledger(&self) -> Result<LedgerCheckRecord, StoreError>;

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}
