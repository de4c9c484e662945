//! [`DbSnapshot`]: every table the control plane writes, read straight from the database, so a
//! test can show that a refused request changed nothing.

use crate::db::{Backend, Result, TestDb};

/// One `accounts` row, secrets included (a refused password change must not touch the hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub status: String,
    pub language: String,
    pub currency: String,
    pub balance_micros: i64,
    pub held_micros: i64,
    pub updated_at: i64,
}

/// One `api_keys` row, less nothing that a request could change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub account_id: i64,
    pub prefix: String,
    pub secret_hash: String,
    pub name: Option<String>,
    pub revoked_at: Option<i64>,
    pub rotated_from: Option<i64>,
}

/// One `ledger_entries` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub amount_micros: i64,
    pub balance_after_micros: i64,
    pub reason: Option<String>,
    pub actor_id: Option<i64>,
    pub promotional: bool,
}

/// One `sessions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub account_id: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

/// One `audit_log` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
}

/// The state of every table the control plane writes, in id order. Two snapshots compare equal
/// exactly when no request in between changed anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSnapshot {
    pub accounts: Vec<AccountRow>,
    pub keys: Vec<KeyRow>,
    pub ledger: Vec<LedgerRow>,
    pub sessions: Vec<SessionRow>,
    pub audit: Vec<AuditRow>,
}

impl DbSnapshot {
    /// Reads a snapshot in one read transaction, so it is consistent.
    pub fn read(conn: &TestDb) -> Result<DbSnapshot> {
        conn.execute_batch(match conn.backend() {
            Backend::Sqlite => "BEGIN",
            // PostgreSQL's default isolation takes a fresh snapshot per statement.
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        })?;
        let snapshot = Self::read_tables(conn);
        conn.execute_batch("COMMIT")?;
        snapshot
    }

    fn read_tables(conn: &TestDb) -> Result<DbSnapshot> {
        let accounts = conn
            .prepare(
                "SELECT id, email, password_hash, role, status, language, currency, balance_micros,
                        held_micros, updated_at
                 FROM accounts ORDER BY id",
            )?
            .query_map([], |r| {
                Ok(AccountRow {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    password_hash: r.get(2)?,
                    role: r.get(3)?,
                    status: r.get(4)?,
                    language: r.get(5)?,
                    currency: r.get(6)?,
                    balance_micros: r.get(7)?,
                    held_micros: r.get(8)?,
                    updated_at: r.get(9)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let keys = conn
            .prepare(
                "SELECT id, account_id, prefix, secret_hash, name, revoked_at, rotated_from
                 FROM api_keys ORDER BY id",
            )?
            .query_map([], |r| {
                Ok(KeyRow {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    prefix: r.get(2)?,
                    secret_hash: r.get(3)?,
                    name: r.get(4)?,
                    revoked_at: r.get(5)?,
                    rotated_from: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let ledger = conn
            .prepare(
                "SELECT id, account_id, kind, amount_micros, balance_after_micros, reason, actor_id,
                        promotional
                 FROM ledger_entries ORDER BY id",
            )?
            .query_map([], |r| {
                Ok(LedgerRow {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: r.get(2)?,
                    amount_micros: r.get(3)?,
                    balance_after_micros: r.get(4)?,
                    reason: r.get(5)?,
                    actor_id: r.get(6)?,
                    promotional: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let sessions = conn
            .prepare("SELECT id, account_id, expires_at, ended_at FROM sessions ORDER BY id")?
            .query_map([], |r| {
                Ok(SessionRow {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    expires_at: r.get(2)?,
                    ended_at: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let audit = conn
            .prepare("SELECT id, actor_id, action, target FROM audit_log ORDER BY id")?
            .query_map([], |r| {
                Ok(AuditRow {
                    id: r.get(0)?,
                    actor_id: r.get(1)?,
                    action: r.get(2)?,
                    target: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(DbSnapshot {
            accounts,
            keys,
            ledger,
            sessions,
            audit,
        })
    }

    pub fn account(&self, email: &str) -> Option<&AccountRow> {
        self.accounts.iter().find(|a| a.email == email)
    }
}
