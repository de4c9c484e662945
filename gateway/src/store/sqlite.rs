//! The SQLite store: the default, zero-setup backend.
//!
//! rusqlite blocks, so each connection lives on its own thread and work reaches it as closures
//! over a channel. One writer connection takes every write (SQLite allows one writer at a time
//! anyway, and a single thread means no `SQLITE_BUSY` between our own writes); a second
//! connection serves reads concurrently thanks to WAL. Nothing holds a connection across an
//! `.await`.
//!
//! Durability: WAL with `synchronous=NORMAL` survives a crash of the process (kill -9) but a power
//! loss may drop the last transactions; `FULL` would cost an fsync per transaction.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use async_trait::async_trait;
use codexkey_common::Micros;
use codexkey_common::api::{AccountStatus, LedgerKind, Role};
use codexkey_common::price::Price;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use tokio::sync::oneshot;

use super::*;

pub mod reports;

/// Migrations embedded in the binary, applied in order at start-up.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "metering",
        include_str!("../../migrations/sqlite/0002_metering.sql"),
    ),
    (
        3,
        "usage_reports",
        include_str!("../../migrations/sqlite/0003_usage_reports.sql"),
    ),
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A connection on its own thread.
struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    fn spawn(name: &str, mut conn: Connection) -> Result<Worker, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                // Ends when every sender is dropped, closing the connection.
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start database thread: {e}")))?;
        Ok(Worker { jobs: tx })
    }

    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

pub struct SqliteStore {
    writer: Worker,
    reader: Worker,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(f, ref msg)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict(msg.clone().unwrap_or_else(|| "constraint violated".into()))
            }
            other => StoreError::Backend(other.to_string()),
        }
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    // Room for every statement of the metering path and the control plane's busiest ones.
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 512 KiB of page cache per connection instead of 2 MiB: the metering writer appends at
    // the right edge of its B-trees and reports read the rollup, so a bigger cache only held
    // memory (measured: the same CPU per request, 1.3 MiB less RSS under load).
    conn.pragma_update(None, "cache_size", "-512")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`, applies pending migrations and
    /// starts the connection threads.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        private_files(path)?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&reader)?;
        Ok(SqliteStore {
            writer: Worker::spawn("sqlite-writer", conn)?,
            reader: Worker::spawn("sqlite-reader", reader)?,
        })
    }
}

/// The database holds password hashes, usage metadata and the sealed upstream keys: a data
/// directory it creates is 0700, and the database with its `-wal` and `-shm` files 0600,
/// whatever the umask. The file is created before SQLite opens it because SQLite gives its
/// `-wal` and `-shm` files the main file's mode; files left by an older version are fixed.
/// A directory that already exists is the operator's (it may be shared): a warning says so
/// when others can enter it.
fn private_files(path: &Path) -> Result<(), StoreError> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::Backend(format!("cannot {what} {}: {e}", p.display()))
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
        if let Some(dir) = dir {
            if dir.exists() {
                let mode = std::fs::metadata(dir)
                    .map_err(|e| io("read", dir, e))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        dir = %dir.display(),
                        "the database's directory is open to other users (mode {:o}); `chmod 700` it",
                        mode & 0o777
                    );
                }
            } else {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| io("create", dir, e))?;
            }
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| io("create", path, e))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = Path::new(&file);
            if file.exists() {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io("make private", file, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    }
    Ok(())
}

/// Applies every embedded migration newer than the database, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {current}, newer than this gateway knows ({latest}); upgrade codexkey"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Backend(format!("migration {version} ({name}) failed: {e}"))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, chrono::Utc::now().timestamp_millis()],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "applied database migration");
    }
    Ok(())
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

fn bad_value(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown {what}").into(),
    )
}

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.password_hash, a.role, a.status, a.language, a.currency, a.balance_micros, a.held_micros, a.created_at";

fn account_row(r: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    let role: String = r.get(3)?;
    let status: String = r.get(4)?;
    Ok(AccountRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        password_hash: r.get(2)?,
        role: match role.as_str() {
            "user" => Role::User,
            "admin" => Role::Admin,
            _ => return Err(bad_value(3, "role")),
        },
        status: match status.as_str() {
            "active" => AccountStatus::Active,
            "suspended" => AccountStatus::Suspended,
            _ => return Err(bad_value(4, "status")),
        },
        language: r.get(5)?,
        currency: r.get(6)?,
        balance: Micros(r.get(7)?),
        held: Micros(r.get(8)?),
        created_at: r.get(9)?,
    })
}

const KEY_COLUMNS: &str = "id, account_id, prefix, name, created_at, last_used_at, expires_at, revoked_at, \
                           allowed_models, budget_micros, spent_micros, rpm_limit";

fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let models: Option<String> = r.get(8)?;
    let allowed_models = match models {
        Some(json) => Some(serde_json::from_str(&json).map_err(|_| bad_value(8, "model list"))?),
        None => None,
    };
    Ok(KeyRecord {
        id: r.get(0)?,
        account_id: r.get(1)?,
        prefix: r.get(2)?,
        name: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        expires_at: r.get(6)?,
        revoked_at: r.get(7)?,
        allowed_models,
        budget: r.get::<_, Option<i64>>(9)?.map(Micros),
        spent: Micros(r.get(10)?),
        rpm_limit: r.get(11)?,
    })
}

const LEDGER_COLUMNS: &str = "l.id, l.account_id, l.kind, l.amount_micros, l.balance_after_micros, l.reason, \
                              actor.email, l.request_id, l.created_at";

fn ledger_row(r: &Row<'_>) -> rusqlite::Result<LedgerRecord> {
    let kind: String = r.get(2)?;
    Ok(LedgerRecord {
        id: r.get(0)?,
        account_id: r.get(1)?,
        kind: LedgerKind::parse(&kind).ok_or_else(|| bad_value(2, "ledger kind"))?,
        amount: Micros(r.get(3)?),
        balance_after: Micros(r.get(4)?),
        reason: r.get(5)?,
        actor_email: r.get(6)?,
        request_id: r.get(7)?,
        created_at: r.get(8)?,
    })
}

fn account_in(tx: &Connection, id: i64) -> rusqlite::Result<Option<AccountRecord>> {
    tx.query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"),
        [id],
        account_row,
    )
    .optional()
}

fn key_in(conn: &Connection, account_id: i64, key_id: i64) -> rusqlite::Result<Option<KeyRecord>> {
    conn.query_row(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1 AND account_id = ?2"),
        [key_id, account_id],
        key_row,
    )
    .optional()
}

fn insert_audit(tx: &Transaction<'_>, a: &NewAudit) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit_log (actor_id, action, target, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![a.actor_id, a.action, a.target, a.detail.to_string(), a.created_at],
    )?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.reader
            .call(|c| {
                Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                    .map(|_| ())?)
            })
            .await
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        self.reader
            .call(|c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))?
                        as u64,
                )
            })
            .await
    }

    async fn create_account(
        &self,
        a: NewAccount,
        audit: Option<NewAudit>,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let inserted = tx.execute(
                    "INSERT INTO accounts (email, password_hash, role, language, currency, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (email) DO NOTHING",
                    params![a.email, a.password_hash, role_str(a.role), a.language, a.currency, a.created_at],
                )?;
                if inserted == 0 {
                    return Err(StoreError::Conflict("an account with this email already exists".into()));
                }
                let id = tx.last_insert_rowid();
                if let Some(mut audit) = audit {
                    audit.actor_id = audit.actor_id.or(Some(id));
                    insert_audit(&tx, &audit)?;
                }
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let email = email.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = ?1"),
                    [email],
                    account_row,
                )
                .optional()?)
            })
            .await
    }

    async fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, StoreError> {
        self.reader.call(move |c| Ok(account_in(c, id)?)).await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.id"
                ))?;
                let rows = stmt
                    .query_map([], account_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn update_preferences(
        &self,
        id: i64,
        language: Option<String>,
        currency: Option<String>,
        at: Millis,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE accounts SET language = COALESCE(?2, language), currency = COALESCE(?3, currency),
                     updated_at = ?4 WHERE id = ?1",
                    params![id, language, currency, at],
                )?;
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }

    async fn set_account_status(
        &self,
        id: i64,
        status: AccountStatus,
        audit: NewAudit,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "UPDATE accounts SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, status_str(status), audit.created_at],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                insert_audit(&tx, &audit)?;
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }

    async fn create_session(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                c.execute(
                    "INSERT INTO sessions (account_id, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![account_id, token_hash, created_at, expires_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS}, s.expires_at, s.ended_at
                         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
                    ),
                    [token_hash],
                    |r| {
                        Ok(SessionRecord {
                            account: account_row(r)?,
                            expires_at: r.get(10)?,
                            ended_at: r.get(11)?,
                        })
                    },
                )
                .optional()?)
            })
            .await
    }

    async fn end_session(&self, token_hash: &str, at: Millis) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                let n = c.execute(
                    "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
                    params![token_hash, at],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn create_key(&self, k: NewKey) -> Result<KeyRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id = insert_key(&tx, &k, None)?;
                let key = key_in(&tx, k.account_id, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn keys(&self, account_id: i64) -> Result<Vec<KeyRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = ?1 ORDER BY id"
                ))?;
                let rows = stmt
                    .query_map([account_id], key_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn key(&self, account_id: i64, key_id: i64) -> Result<Option<KeyRecord>, StoreError> {
        self.reader
            .call(move |c| Ok(key_in(c, account_id, key_id)?))
            .await
    }

    async fn revoke_key(
        &self,
        account_id: i64,
        key_id: i64,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND account_id = ?2 AND revoked_at IS NULL",
                    params![key_id, account_id, at],
                )?;
                let key = key_in(&tx, account_id, key_id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn update_key(
        &self,
        account_id: i64,
        key_id: i64,
        k: KeySettings,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let models = k
            .allowed_models
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let Some(old) = key_in(&tx, account_id, key_id)? else {
                    return Ok(None);
                };
                if old.revoked_at.is_some() {
                    return Err(StoreError::Conflict(
                        "this key is revoked; create a new one instead".into(),
                    ));
                }
                tx.execute(
                    "UPDATE api_keys SET name = ?2, expires_at = ?3, allowed_models = ?4,
                                         budget_micros = ?5, rpm_limit = ?6
                     WHERE id = ?1",
                    params![
                        key_id,
                        k.name,
                        k.expires_at,
                        models,
                        k.budget.map(|b| b.0),
                        k.rpm_limit
                    ],
                )?;
                let key = key_in(&tx, account_id, key_id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn rotate_key(
        &self,
        account_id: i64,
        key_id: i64,
        prefix: &str,
        hash: &str,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let (prefix, hash) = (prefix.to_owned(), hash.to_owned());
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let Some(old) = key_in(&tx, account_id, key_id)? else {
                    return Ok(None);
                };
                if old.revoked_at.is_some() {
                    return Err(StoreError::Conflict(
                        "this key is revoked; create a new one instead".into(),
                    ));
                }
                tx.execute(
                    "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1",
                    params![key_id, at],
                )?;
                let new = NewKey {
                    account_id,
                    prefix,
                    hash,
                    name: old.name,
                    created_at: at,
                    expires_at: old.expires_at,
                    allowed_models: old.allowed_models,
                    budget: old.budget,
                    rpm_limit: old.rpm_limit,
                };
                let id = insert_key(&tx, &new, Some(key_id))?;
                tx.execute(
                    "UPDATE api_keys SET spent_micros = ?2 WHERE id = ?1",
                    params![id, old.spent.0],
                )?;
                let key = key_in(&tx, account_id, id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn append_ledger(
        &self,
        e: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let balance: i64 = tx
                    .query_row("SELECT balance_micros FROM accounts WHERE id = ?1", [e.account_id], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::NotFound)?;
                let after = Micros(balance)
                    .balance_after(e.amount, e.forbid_negative)
                    .map_err(|r| StoreError::Conflict(r.to_string()))?
                    .0;
                tx.execute(
                    "INSERT INTO ledger_entries
                     (account_id, kind, amount_micros, balance_after_micros, reason, actor_id, request_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![e.account_id, e.kind.as_str(), e.amount.0, after, e.reason, e.actor_id, e.request_id, e.created_at],
                )?;
                let id = tx.last_insert_rowid();
                tx.execute(
                    "UPDATE accounts SET balance_micros = ?2, updated_at = ?3 WHERE id = ?1",
                    params![e.account_id, after, e.created_at],
                )?;
                if let Some(audit) = audit {
                    insert_audit(&tx, &audit)?;
                }
                let record = tx.query_row(
                    &format!("SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id WHERE l.id = ?1"),
                    [id],
                    ledger_row,
                )?;
                tx.commit()?;
                Ok(record)
            })
            .await
    }

    async fn ledger(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id
                     WHERE l.account_id = ?1 AND l.id < ?2 ORDER BY l.id DESC LIMIT ?3"
                ))?;
                let rows = stmt
                    .query_map(params![account_id, before.unwrap_or(i64::MAX), limit], ledger_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn verify_ledger(&self) -> Result<LedgerCheckRecord, StoreError> {
        // On the writer, so the check sees one consistent snapshot that no write interleaves with.
        self.writer
            .call(|c| {
                let tx = c.transaction()?;
                let accounts: i64 = tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
                let entries: i64 = tx.query_row("SELECT COUNT(*) FROM ledger_entries", [], |r| r.get(0))?;
                let mut stmt = tx.prepare(
                    "SELECT a.id, a.email, a.balance_micros, COALESCE(s.total, 0)
                     FROM accounts a
                     LEFT JOIN (SELECT account_id, SUM(amount_micros) AS total FROM ledger_entries GROUP BY account_id) s
                       ON s.account_id = a.id
                     WHERE a.balance_micros != COALESCE(s.total, 0)
                     ORDER BY a.id",
                )?;
                let mismatches = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, Micros(r.get(2)?), Micros(r.get(3)?))))?
                    .collect::<Result<Vec<_>, _>>()?;
                drop(stmt);
                tx.commit()?;
                Ok(LedgerCheckRecord {
                    accounts: accounts as u64,
                    entries: entries as u64,
                    mismatches,
                })
            })
            .await
    }

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT l.id, actor.email, l.action, l.target, l.detail, l.created_at
                     FROM audit_log l LEFT JOIN accounts actor ON actor.id = l.actor_id
                     WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2",
                )?;
                let rows = stmt
                    .query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
                        let detail: String = r.get(4)?;
                        Ok(AuditRecord {
                            id: r.get(0)?,
                            actor_email: r.get(1)?,
                            action: r.get(2)?,
                            target: r.get(3)?,
                            detail: serde_json::from_str(&detail)
                                .unwrap_or(serde_json::Value::Null),
                            created_at: r.get(5)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn key_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<(KeyRecord, AccountRecord)>, StoreError> {
        let hash = hash.to_owned();
        self.reader
            .call(move |c| {
                let key = c
                    .query_row(
                        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?1"),
                        [hash],
                        key_row,
                    )
                    .optional()?;
                let Some(key) = key else { return Ok(None) };
                let account = account_in(c, key.account_id)?.ok_or(StoreError::NotFound)?;
                Ok(Some((key, account)))
            })
            .await
    }

    async fn apply_metering(&self, ops: Vec<MeterOp>) -> Result<(), (StoreError, Vec<MeterOp>)> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let result = match SqliteStore::apply_batch(c, &ops) {
                Ok(()) => Ok(()),
                Err(e) => Err((e, ops)),
            };
            let _ = tx.send(result);
        });
        if self.writer.jobs.send(job).is_err() {
            return Err((StoreError::Closed, Vec::new()));
        }
        rx.await.unwrap_or(Err((StoreError::Closed, Vec::new())))
    }

    async fn left_holds(&self) -> Result<Vec<LeftHold>, StoreError> {
        self.writer
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT request_id, account_id, key_id, crash_charge_micros, route, model, provider
                     FROM holds ORDER BY created_at",
                )?;
                let holds = stmt
                    .query_map([], |r| {
                        Ok(LeftHold {
                            request_id: r.get(0)?,
                            account_id: r.get(1)?,
                            key_id: r.get(2)?,
                            crash_charge: Micros(r.get(3)?),
                            route: r.get(4)?,
                            model: r.get(5)?,
                            provider: r.get(6)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(holds)
            })
            .await
    }

    async fn settle_left_holds(&self, events: Vec<UsageEventRecord>) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                for event in &events {
                    let mut totals = BatchTotals::default();
                    totals.settle(&tx, event, true)?;
                    totals.finish(&tx)?;
                }
                reports::roll_up(&tx, events.iter())?;
                tx.execute(
                    "UPDATE accounts SET held_micros = 0 WHERE held_micros != 0",
                    [],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn price_overrides(&self) -> Result<Vec<(String, PriceEntry)>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                            cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                            max_input_tokens, max_output_tokens
                     FROM price_overrides ORDER BY model",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            PriceEntry {
                                provider: r.get(1)?,
                                mode: r.get(2)?,
                                price: Price {
                                    input: r.get(3)?,
                                    cached_input: r.get(4)?,
                                    cache_write_5m: r.get(5)?,
                                    cache_write_1h: r.get(6)?,
                                    output: r.get(7)?,
                                    per_image: r.get(8)?,
                                    per_request: r.get(9)?,
                                },
                                max_input_tokens: r.get::<_, Option<i64>>(10)?.map(|v| v.max(0) as u64),
                                max_output_tokens: r.get::<_, Option<i64>>(11)?.map(|v| v.max(0) as u64),
                            },
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn coefficients(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT model, coefficient_ppm FROM model_coefficients ORDER BY model",
                )?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn upsert_prices(
        &self,
        rows: Vec<(String, PriceEntry)>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                {
                    let mut stmt = tx.prepare(
                        "INSERT OR REPLACE INTO price_overrides
                         (model, provider, mode, input_micros, cached_input_micros, cache_write_5m_micros,
                          cache_write_1h_micros, output_micros, per_image_micros, per_request_micros,
                          max_input_tokens, max_output_tokens, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    )?;
                    for (model, e) in &rows {
                        let p = &e.price;
                        stmt.execute(params![
                            model,
                            e.provider,
                            e.mode,
                            p.input,
                            p.cached_input,
                            p.cache_write_5m,
                            p.cache_write_1h,
                            p.output,
                            p.per_image,
                            p.per_request,
                            e.max_input_tokens.map(|v| v as i64),
                            e.max_output_tokens.map(|v| v as i64),
                            audit.created_at
                        ])?;
                    }
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn delete_price(&self, model: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let model = model.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute("DELETE FROM price_overrides WHERE model = ?1", [&model])?;
                if n > 0 {
                    insert_audit(&tx, &audit)?;
                }
                tx.commit()?;
                Ok(n > 0)
            })
            .await
    }

    async fn set_coefficient(
        &self,
        model: &str,
        ppm: Option<i64>,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let model = model.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                match ppm {
                    Some(ppm) => tx.execute(
                        "INSERT OR REPLACE INTO model_coefficients (model, coefficient_ppm, updated_at) VALUES (?1, ?2, ?3)",
                        params![model, ppm, audit.created_at],
                    )?,
                    None => tx.execute("DELETE FROM model_coefficients WHERE model = ?1", [&model])?,
                };
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn upstreams(&self) -> Result<Vec<StoredUpstream>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare("SELECT id, name, provider, base_url, models, created_at FROM upstreams ORDER BY id")?;
                let ups = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut keys_stmt = c.prepare(
                    "SELECT id, label, ciphertext, created_at FROM upstream_keys WHERE upstream_id = ?1 ORDER BY id",
                )?;
                let mut out = Vec::with_capacity(ups.len());
                for (id, name, provider, base_url, models, created_at) in ups {
                    let keys = keys_stmt
                        .query_map([id], |r| {
                            Ok(StoredUpstreamKey {
                                id: r.get(0)?,
                                label: r.get(1)?,
                                ciphertext: r.get(2)?,
                                created_at: r.get(3)?,
                            })
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    let models = match models {
                        Some(json) => Some(serde_json::from_str(&json).map_err(|e| StoreError::Backend(e.to_string()))?),
                        None => None,
                    };
                    out.push(StoredUpstream {
                        name,
                        provider,
                        base_url,
                        models,
                        keys,
                        created_at,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn create_upstream(&self, u: StoredUpstream, audit: NewAudit) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let models = u
                    .models
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                let inserted = tx.execute(
                    "INSERT INTO upstreams (name, provider, base_url, models, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (name) DO NOTHING",
                    params![u.name, u.provider, u.base_url, models, u.created_at],
                )?;
                if inserted == 0 {
                    return Err(StoreError::Conflict(format!("an upstream named `{}` already exists", u.name)));
                }
                let id = tx.last_insert_rowid();
                for k in &u.keys {
                    tx.execute(
                        "INSERT INTO upstream_keys (upstream_id, ciphertext, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![id, k.ciphertext, k.label, k.created_at],
                    )?;
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn delete_upstream(&self, name: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id: Option<i64> = tx
                    .query_row("SELECT id FROM upstreams WHERE name = ?1", [&name], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let Some(id) = id else { return Ok(false) };
                tx.execute("DELETE FROM upstream_keys WHERE upstream_id = ?1", [id])?;
                tx.execute("DELETE FROM upstreams WHERE id = ?1", [id])?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn add_upstream_key(
        &self,
        name: &str,
        key: StoredUpstreamKey,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id: i64 = tx
                    .query_row("SELECT id FROM upstreams WHERE name = ?1", [&name], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::NotFound)?;
                tx.execute(
                    "INSERT INTO upstream_keys (upstream_id, ciphertext, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![id, key.ciphertext, key.label, key.created_at],
                )?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn usage_report(
        &self,
        filter: super::usage::UsageFilter,
        group_by: Vec<codexkey_common::api::UsageDimension>,
        tz_offset_ms: i64,
    ) -> Result<Vec<super::usage::UsageGroupRecord>, StoreError> {
        self.reader
            .call(move |c| self::reports::report(c, &filter, &group_by, tz_offset_ms))
            .await
    }

    async fn usage_events(
        &self,
        filter: super::usage::UsageFilter,
        page: super::usage::EventPageQuery,
    ) -> Result<(Vec<codexkey_common::api::UsageEvent>, bool, Option<u64>), StoreError> {
        self.reader
            .call(move |c| self::reports::events(c, &filter, page))
            .await
    }

    async fn first_usage_at(
        &self,
        account_id: i64,
        since: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        self.reader
            .call(move |c| self::reports::first_usage_at(c, account_id, since))
            .await
    }

    async fn request_state(&self, request_id: &str) -> Result<super::RequestState, StoreError> {
        let request_id = request_id.to_owned();
        self.reader
            .call(move |c| self::reports::request_state(c, &request_id))
            .await
    }
}

fn insert_key(
    tx: &Transaction<'_>,
    k: &NewKey,
    rotated_from: Option<i64>,
) -> Result<i64, StoreError> {
    let models = k
        .allowed_models
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    tx.execute(
        "INSERT INTO api_keys (account_id, prefix, secret_hash, name, created_at, expires_at, allowed_models,
                               budget_micros, rpm_limit, rotated_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            k.account_id,
            k.prefix,
            k.hash,
            k.name,
            k.created_at,
            k.expires_at,
            models,
            k.budget.map(|b| b.0),
            k.rpm_limit,
            rotated_from
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

// The metering statements run for every request: `prepare_cached` compiles each once per
// connection instead of once per call (compiling was a quarter of the gateway's CPU).

fn insert_hold(tx: &Transaction<'_>, h: &NewHold) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros, route, model, provider, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        h.request_id,
        h.account_id,
        h.key_id,
        h.amount.0,
        h.crash_charge.0,
        h.route,
        h.model,
        h.provider,
        h.created_at
    ])?;
    Ok(())
}

/// What a batch changes in one account's row, written once at the end of the batch.
struct AccountChange {
    /// The balance after the batch's charges so far: each ledger row needs its own.
    balance: i64,
    charged: i64,
    held: i64,
    updated_at: Option<Millis>,
}

/// The per-row changes of a metering batch: `accounts` and `api_keys` get one update each per
/// batch instead of one per request (most batches are many requests of few accounts).
#[derive(Default)]
struct BatchTotals {
    accounts: HashMap<i64, AccountChange>,
    /// key id → (spent, last used)
    keys: HashMap<i64, (i64, Millis)>,
}

impl BatchTotals {
    fn account<'a>(
        &'a mut self,
        tx: &Transaction<'_>,
        id: i64,
    ) -> Result<&'a mut AccountChange, StoreError> {
        use std::collections::hash_map::Entry;
        Ok(match self.accounts.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let balance: i64 = tx
                    .prepare_cached("SELECT balance_micros FROM accounts WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                e.insert(AccountChange {
                    balance,
                    charged: 0,
                    held: 0,
                    updated_at: None,
                })
            }
        })
    }

    fn hold(&mut self, tx: &Transaction<'_>, h: &NewHold) -> Result<(), StoreError> {
        insert_hold(tx, h)?;
        self.account(tx, h.account_id)?.held += h.amount.0;
        Ok(())
    }

    /// Removes the request's hold (if it was written), charges its cost and records its event.
    fn settle(
        &mut self,
        tx: &Transaction<'_>,
        e: &UsageEventRecord,
        hold_written: bool,
    ) -> Result<(), StoreError> {
        if hold_written {
            let held: Option<i64> = tx
                .prepare_cached("DELETE FROM holds WHERE request_id = ?1 RETURNING amount_micros")?
                .query_row([&e.request_id], |r| r.get(0))
                .optional()?;
            if let Some(held) = held {
                self.account(tx, e.account_id)?.held -= held;
            }
        }
        if e.cost.0 != 0 {
            let a = self.account(tx, e.account_id)?;
            a.balance -= e.cost.0;
            a.charged += e.cost.0;
            a.updated_at = Some(a.updated_at.map_or(e.created_at, |t| t.max(e.created_at)));
            let after = a.balance;
            tx.prepare_cached(
                "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, request_id, created_at)
                 VALUES (?1, 'charge', ?2, ?3, ?4, ?5)",
            )?
            .execute(params![e.account_id, -e.cost.0, after, e.request_id, e.created_at])?;
        }
        if let Some(key_id) = e.key_id {
            let k = self.keys.entry(key_id).or_insert((0, e.created_at));
            k.0 += e.cost.0;
            k.1 = k.1.max(e.created_at);
        }
        let u = &e.usage;
        tx.prepare_cached(
            "INSERT INTO usage_events (request_id, account_id, key_id, route, provider, model, input_tokens, cached_tokens,
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, error_code, latency_ms,
                 ttfb_ms, client_ip, user_agent, price_snapshot, settlement, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        )?
        .execute(params![
            e.request_id,
            e.account_id,
            e.key_id,
            e.route,
            e.provider,
            e.model,
            u.input_tokens as i64,
            u.cached_tokens as i64,
            (u.cache_write_5m_tokens + u.cache_write_1h_tokens) as i64,
            u.output_tokens as i64,
            u.reasoning_tokens as i64,
            u.images as i64,
            e.cost.0,
            e.status,
            e.error_code,
            e.latency_ms,
            e.ttfb_ms,
            e.client_ip,
            e.user_agent,
            e.price_snapshot.as_deref(),
            e.settlement.as_str(),
            e.created_at
        ])?;
        Ok(())
    }

    /// Writes the accumulated account and key changes.
    fn finish(self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        for (id, a) in self.accounts {
            if a.charged == 0 && a.held == 0 {
                continue;
            }
            tx.prepare_cached(
                "UPDATE accounts SET balance_micros = balance_micros - ?2,
                        held_micros = MAX(held_micros + ?3, 0),
                        updated_at = COALESCE(?4, updated_at)
                 WHERE id = ?1",
            )?
            .execute(params![id, a.charged, a.held, a.updated_at])?;
        }
        for (id, (spent, last_used)) in self.keys {
            tx.prepare_cached(
                "UPDATE api_keys SET spent_micros = spent_micros + ?2,
                        last_used_at = MAX(COALESCE(last_used_at, 0), ?3) WHERE id = ?1",
            )?
            .execute(params![id, spent, last_used])?;
        }
        Ok(())
    }
}

impl SqliteStore {
    fn apply_batch(c: &mut Connection, ops: &[MeterOp]) -> Result<(), StoreError> {
        let tx = c.transaction()?;
        let mut totals = BatchTotals::default();
        for op in ops {
            match op {
                MeterOp::Hold(h) => totals.hold(&tx, h)?,
                MeterOp::Settle(s) => totals.settle(&tx, &s.event, s.hold_written)?,
            }
        }
        totals.finish(&tx)?;
        // The usage rollup of migration 0003, one upsert per group of the batch.
        reports::roll_up(
            &tx,
            ops.iter().filter_map(|op| match op {
                MeterOp::Settle(s) => Some(&s.event),
                MeterOp::Hold(_) => None,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Applies every migration, for tests of what they build.
#[cfg(test)]
pub(crate) fn migrate_for_tests(conn: &mut Connection) {
    if let Err(e) = migrate(conn) {
        panic!("migrations failed: {e}");
    }
}

/// Applies the migrations up to `version` only, as an older gateway would have.
#[cfg(test)]
pub(crate) fn migrate_to_for_tests(conn: &mut Connection, version: i64) {
    let applied = conn
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .and_then(|()| {
            for (v, name, sql) in MIGRATIONS.iter().filter(|m| m.0 <= version) {
                conn.execute_batch(sql)?;
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, 0)",
                    params![v, name],
                )?;
            }
            Ok(())
        });
    if let Err(e) = applied {
        panic!("migrations up to {version} failed: {e}");
    }
}

#[cfg(test)]
mod metering_tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use codexkey_common::settlement::Settlement;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_for_tests(&mut c);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at) VALUES
                 (1, 'a@x', 'h', 1000000, 0, 0), (2, 'b@x', 'h', 500, 0, 0);
             INSERT INTO api_keys (id, account_id, prefix, secret_hash, name, created_at) VALUES
                 (1, 1, 'ck-one', 'h1', 'one', 0), (2, 2, 'ck-two', 'h2', NULL, 0);",
        )
        .unwrap();
        c
    }

    fn hold(request: &str, account: i64, amount: i64) -> MeterOp {
        MeterOp::Hold(NewHold {
            request_id: request.into(),
            account_id: account,
            key_id: account,
            amount: Micros(amount),
            crash_charge: Micros(1),
            route: "chat.completions",
            model: "m".into(),
            provider: None,
            created_at: 10,
        })
    }

    fn settle(request: &str, account: i64, cost: i64, at: i64, hold_written: bool) -> MeterOp {
        MeterOp::Settle(Box::new(SettledRequest {
            event: UsageEventRecord {
                request_id: request.into(),
                account_id: account,
                key_id: Some(account),
                route: "chat.completions",
                provider: None,
                model: Some("m".into()),
                usage: Usage::default(),
                cost: Micros(cost),
                status: 200,
                error_code: None,
                latency_ms: None,
                ttfb_ms: None,
                client_ip: None,
                user_agent: None,
                price_snapshot: None,
                settlement: Settlement::FinalUsage,
                created_at: at,
            },
            hold_written,
        }))
    }

    fn ints(c: &Connection, sql: &str) -> Vec<i64> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// One update per account and key per batch, yet every ledger row carries the balance
    /// right after its own charge, and holds written earlier are released.
    #[test]
    fn a_batch_charges_in_order_and_releases_holds() {
        let mut c = db();
        SqliteStore::apply_batch(&mut c, &[hold("r1", 1, 500), hold("r2", 1, 700)]).unwrap();
        assert_eq!(
            ints(&c, "SELECT held_micros FROM accounts ORDER BY id"),
            [1200, 0]
        );
        SqliteStore::apply_batch(
            &mut c,
            &[
                settle("r1", 1, 100, 20, true),
                // Held and settled within one batch: its hold was never written.
                settle("r3", 1, 50, 30, false),
                hold("r4", 2, 300),
                settle("r5", 2, 0, 25, false),
            ],
        )
        .unwrap();
        assert_eq!(
            ints(
                &c,
                "SELECT balance_after_micros FROM ledger_entries WHERE account_id = 1 ORDER BY id"
            ),
            [999_900, 999_850]
        );
        assert_eq!(
            ints(&c, "SELECT amount_micros FROM ledger_entries ORDER BY id"),
            [-100, -50],
            "a zero cost writes no ledger row"
        );
        assert_eq!(
            ints(&c, "SELECT balance_micros FROM accounts ORDER BY id"),
            [999_850, 500]
        );
        assert_eq!(
            ints(&c, "SELECT held_micros FROM accounts ORDER BY id"),
            [700, 300]
        );
        assert_eq!(
            ints(&c, "SELECT spent_micros FROM api_keys ORDER BY id"),
            [150, 0]
        );
        assert_eq!(
            ints(&c, "SELECT last_used_at FROM api_keys ORDER BY id"),
            [30, 25]
        );
        assert_eq!(
            ints(
                &c,
                "SELECT COUNT(*) FROM holds WHERE request_id IN ('r2', 'r4')"
            ),
            [2]
        );
        assert_eq!(ints(&c, "SELECT COUNT(*) FROM usage_events"), [3]);
        assert_eq!(
            ints(&c, "SELECT updated_at FROM accounts ORDER BY id"),
            [30, 0],
            "an account is touched only by charges"
        );
    }
}
