//! The PostgreSQL store: for deployments whose database is shared, or bigger than one machine
//! should hold.
//!
//! A pool of async connections (deadpool over tokio-postgres) serves every method; each
//! method is one transaction on one pooled connection. Unlike SQLite, writes may now come
//! from several connections at once (and, later, several gateways): every write that moves
//! money locks the account rows it reads before computing a balance, in id order when there
//! are several, so two writers never both read the same balance. The lock is
//! `FOR NO KEY UPDATE`, the one an `UPDATE` takes anyway: it queues writers of the balance but
//! not inserts that merely reference the account (a new key, a session), which would otherwise
//! deadlock against a metering batch that updates that account and then a key.
//!
//! What lives here: opening (connection, TLS, pool, migrations), error and row mapping, and
//! one file per trait as in `sqlite/`, plus `listen.rs`, the connection that hears other
//! replicas' changes. The schema is `migrations/postgres/`; its guards mirror the SQLite ones
//! (append-only ledger, audit log and provider events, amounts within range, a redemption never
//! undone, an order's terms fixed and its state moving forward only), and its triggers announce
//! changes to what replicas cache (`0007_change_notifications.sql`).

use std::collections::HashMap;

use async_trait::async_trait;
use codexkey_common::Micros;
use codexkey_common::api::{AccountStatus, LedgerKind, OrderState, RefundState, Role};
use codexkey_common::price::PriceEntry;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::*;

mod account_tokens;
mod accounts;
mod codes;
mod connect;
mod deletion;
mod invitations;
mod keys;
mod leases;
mod ledger;
mod listen;
mod metering;
mod migrate;
mod orders;
mod prices;
mod referrals;
mod refunds;
mod reports;
mod retention;
#[cfg(any(test, feature = "conformance"))]
pub mod scratch;
mod two_factor;
mod upstreams;

pub use connect::Target;
pub use listen::Listening;

/// The client of one pooled connection; its transactions borrow it.
type Client = deadpool_postgres::Object;
type Tx<'a> = deadpool_postgres::Transaction<'a>;

pub struct PgStore {
    pool: deadpool_postgres::Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://…` or `postgresql://…`), applies
    /// pending migrations and keeps a pool of connections. Fails when the database is
    /// unreachable; the error names the server, never the password.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let target = Target::parse(url)?;
        let pool = target.pool()?;
        let mut client = pool.get().await.map_err(|e| target.unreachable(e))?;
        migrate::migrate(&mut client).await?;
        drop(client);
        Ok(PgStore { pool })
    }

    /// One pooled connection; also the copy's (`store::copy`), which runs its own transaction.
    pub(in crate::store) async fn client(&self) -> Result<Client, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => e.into(),
        deadpool_postgres::PoolError::Closed => StoreError::Closed,
        other => StoreError::Backend(format!("no database connection: {other}")),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    /// Integrity errors (class 23: unique, check, foreign key, and the schema's own guards,
    /// which raise `integrity_constraint_violation`) are conflicts, as SQLite's constraint
    /// violations are; anything else is the backend's.
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            if db.code().code().starts_with("23") {
                return StoreError::Conflict(db.message().to_owned());
            }
            if *db.code() == SqlState::T_R_SERIALIZATION_FAILURE
                || *db.code() == SqlState::T_R_DEADLOCK_DETECTED
            {
                return StoreError::Conflict(format!("concurrent update: {}", db.message()));
            }
            // The error's own text is only "db error": say what the server said.
            return StoreError::Backend(format!("{} ({})", db.message(), db.code().code()));
        }
        StoreError::Backend(e.to_string())
    }
}

fn bad_value(what: &str) -> StoreError {
    StoreError::Backend(format!("unknown {what} in the database"))
}

fn role_str(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Admin => "admin",
    }
}

fn status_str(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
    }
}

/// A count as the database gives it (BIGINT), as the records want it.
fn count(n: i64) -> u64 {
    n.max(0) as u64
}

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.password_hash, a.role, a.status, a.language, a.currency, a.balance_micros, a.held_micros, a.created_at,
    EXISTS (SELECT 1 FROM account_totp t WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL),
    a.email_verified_at IS NOT NULL";
/// Columns of [`ACCOUNT_COLUMNS`]: what a query selects after them starts at this index.
const ACCOUNT_COLUMN_COUNT: usize = 12;

fn account_row(r: &Row) -> Result<AccountRecord, StoreError> {
    let role: &str = r.try_get(3)?;
    let status: &str = r.try_get(4)?;
    Ok(AccountRecord {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        password_hash: r.try_get(2)?,
        role: match role {
            "user" => Role::User,
            "admin" => Role::Admin,
            _ => return Err(bad_value("role")),
        },
        status: match status {
            "active" => AccountStatus::Active,
            "suspended" => AccountStatus::Suspended,
            _ => return Err(bad_value("status")),
        },
        language: r.try_get(5)?,
        currency: r.try_get(6)?,
        balance: Micros(r.try_get(7)?),
        held: Micros(r.try_get(8)?),
        created_at: r.try_get(9)?,
        two_factor: r.try_get(10)?,
        email_verified: r.try_get(11)?,
    })
}

const KEY_COLUMNS: &str = "id, account_id, prefix, name, created_at, last_used_at, expires_at, revoked_at, \
                           allowed_models, budget_micros, spent_micros, rpm_limit, tpm_limit";

fn key_row(r: &Row) -> Result<KeyRecord, StoreError> {
    let models: Option<&str> = r.try_get(8)?;
    let allowed_models = match models {
        Some(json) => Some(serde_json::from_str(json).map_err(|_| bad_value("model list"))?),
        None => None,
    };
    Ok(KeyRecord {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        prefix: r.try_get(2)?,
        name: r.try_get(3)?,
        created_at: r.try_get(4)?,
        last_used_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
        allowed_models,
        budget: r.try_get::<_, Option<i64>>(9)?.map(Micros),
        spent: Micros(r.try_get(10)?),
        rpm_limit: r
            .try_get::<_, Option<i64>>(11)?
            .map(|v| u32::try_from(v).map_err(|_| bad_value("rpm limit")))
            .transpose()?,
        tpm_limit: r
            .try_get::<_, Option<i64>>(12)?
            .map(|v| u64::try_from(v).map_err(|_| bad_value("tpm limit")))
            .transpose()?,
    })
}

const LEDGER_COLUMNS: &str = "l.id, l.account_id, l.kind, l.amount_micros, l.balance_after_micros, l.reason, \
                              actor.email, l.request_id, l.created_at, l.promotional";

fn ledger_row(r: &Row) -> Result<LedgerRecord, StoreError> {
    let kind: &str = r.try_get(2)?;
    Ok(LedgerRecord {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        kind: LedgerKind::parse(kind).ok_or_else(|| bad_value("ledger kind"))?,
        amount: Micros(r.try_get(3)?),
        balance_after: Micros(r.try_get(4)?),
        reason: r.try_get(5)?,
        actor_email: r.try_get(6)?,
        request_id: r.try_get(7)?,
        created_at: r.try_get(8)?,
        promotional: r.try_get(9)?,
    })
}

/// The account `id` as `c` (a client or a transaction) sees it.
async fn account_in<C: deadpool_postgres::GenericClient>(
    c: &C,
    id: i64,
) -> Result<Option<AccountRecord>, StoreError> {
    c.query_opt(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(account_row)
    .transpose()
}

async fn key_in<C: deadpool_postgres::GenericClient>(
    c: &C,
    account_id: i64,
    key_id: i64,
) -> Result<Option<KeyRecord>, StoreError> {
    c.query_opt(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 AND account_id = $2"),
        &[&key_id, &account_id],
    )
    .await?
    .as_ref()
    .map(key_row)
    .transpose()
}

/// Appends `e` and moves its account's balance, refusing an overdraft `e` forbids. The
/// account's row is locked first, so a concurrent writer waits for this balance instead of
/// computing from the same one (see the module doc of `postgres` for the lock's kind).
async fn insert_entry(tx: &Tx<'_>, e: &NewLedgerEntry) -> Result<LedgerRecord, StoreError> {
    let row = tx
        .query_opt(
            "SELECT balance_micros, leased_micros FROM accounts WHERE id = $1 FOR NO KEY UPDATE",
            &[&e.account_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    let (balance, leased): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let after = Micros(balance)
        .balance_after(e.amount, e.forbid_negative)
        .map_err(|r| StoreError::Conflict(r.to_string()))?
        .0;
    // Leased money is spoken for by requests replicas admit on it: a debit may take only
    // what is free, or a charge against a lease could find the balance gone.
    if leased > 0 && e.amount.is_negative() && after < leased {
        return Err(StoreError::Conflict(format!(
            "{} credits are leased by gateway replicas for this account's requests; at most {} credits can be debited now (leases idle for a few seconds return)",
            Micros(leased),
            Micros((balance - leased).max(0))
        )));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO ledger_entries
             (account_id, kind, amount_micros, balance_after_micros, reason, actor_id, request_id, created_at, promotional)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &e.account_id,
                &e.kind.as_str(),
                &e.amount.0,
                &after,
                &e.reason,
                &e.actor_id,
                &e.request_id,
                &e.created_at,
                &e.promotional,
            ],
        )
        .await?
        .try_get(0)?;
    tx.execute(
        "UPDATE accounts SET balance_micros = $2, updated_at = $3 WHERE id = $1",
        &[&e.account_id, &after, &e.created_at],
    )
    .await?;
    let row = tx
        .query_one(
            &format!("SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id WHERE l.id = $1"),
            &[&id],
        )
        .await?;
    ledger_row(&row)
}

async fn insert_audit(tx: &Tx<'_>, a: &NewAudit) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO audit_log (actor_id, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &a.actor_id,
            &a.action,
            &a.target,
            &a.detail.to_string(),
            &a.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// A JSON list of names as the `allowed_models` and `models` columns hold it, or NULL.
fn names_json(names: Option<&Vec<String>>) -> Result<Option<String>, StoreError> {
    names
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Backend(e.to_string()))
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    /// A PostgreSQL database is copied with its own tools: a file made by this process would
    /// be a second, weaker `pg_dump`.
    fn leases(&self) -> Option<&dyn LeaseStore> {
        Some(self)
    }

    async fn backup(&self) -> Result<(std::fs::File, u64), StoreError> {
        Err(StoreError::Unsupported(
            "this gateway keeps its data in PostgreSQL: back it up with `pg_dump` (see the README's PostgreSQL section)",
        ))
    }
}
