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
use codexkey_common::api::{AccountStatus, LedgerKind, OrderState, RefundState, Role};
use codexkey_common::price::Price;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use tokio::sync::oneshot;

use super::*;

mod account_tokens;
mod accounts;
mod backup;
mod codes;
mod deletion;
mod invitations;
mod keys;
mod ledger;
mod metering;
mod orders;
mod prices;
mod referrals;
mod refunds;
pub mod reports;
mod retention;
mod two_factor;
mod upstreams;
mod usage;

/// Migrations embedded in the binary, applied in order at start-up. A copy to PostgreSQL
/// (`store::copy`) takes only a database that has every one of them.
pub(in crate::store) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "metering",
        include_str!("../../../migrations/sqlite/0002_metering.sql"),
    ),
    (
        3,
        "usage_reports",
        include_str!("../../../migrations/sqlite/0003_usage_reports.sql"),
    ),
    (
        4,
        "money_integrity",
        include_str!("../../../migrations/sqlite/0004_money_integrity.sql"),
    ),
    (
        5,
        "billing_codes",
        include_str!("../../../migrations/sqlite/0005_billing_codes.sql"),
    ),
    (
        6,
        "orders",
        include_str!("../../../migrations/sqlite/0006_orders.sql"),
    ),
    (
        7,
        "account_security",
        include_str!("../../../migrations/sqlite/0007_account_security.sql"),
    ),
    (
        8,
        "refunds_referrals",
        include_str!("../../../migrations/sqlite/0008_refunds_referrals.sql"),
    ),
    (
        9,
        "account_lifecycle",
        include_str!("../../../migrations/sqlite/0009_account_lifecycle.sql"),
    ),
    (
        10,
        "account_purge",
        include_str!("../../../migrations/sqlite/0010_account_purge.sql"),
    ),
    (
        11,
        "key_tpm",
        include_str!("../../../migrations/sqlite/0011_key_tpm.sql"),
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
    /// The database file; backups open their own connection to it.
    path: std::path::PathBuf,
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
            path: path.to_owned(),
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
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] with the given list of migrations.
fn migrate_with(conn: &mut Connection, migrations: &[(i64, &str, &str)]) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    let latest = migrations.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {current}, newer than this gateway knows ({latest}); upgrade codexkey"
        )));
    }
    // Each migration not yet recorded, not only those above the newest: branches number their
    // migrations ahead of each other (7 may ship before 6), and a database that has 7 must
    // still get 6 when it arrives.
    let applied: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT version FROM schema_migrations")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for (version, name, sql) in migrations.iter().filter(|m| !applied.contains(&m.0)) {
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

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.password_hash, a.role, a.status, a.language, a.currency, a.balance_micros, a.held_micros, a.created_at,
    EXISTS (SELECT 1 FROM account_totp t WHERE t.account_id = a.id AND t.confirmed_at IS NOT NULL),
    a.email_verified_at IS NOT NULL";
/// Columns of [`ACCOUNT_COLUMNS`]: what a query selects after them starts at this index.
const ACCOUNT_COLUMN_COUNT: usize = 12;

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
        two_factor: r.get(10)?,
        email_verified: r.get(11)?,
    })
}

const KEY_COLUMNS: &str = "id, account_id, prefix, name, created_at, last_used_at, expires_at, revoked_at, \
                           allowed_models, budget_micros, spent_micros, rpm_limit, tpm_limit";

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
        tpm_limit: r
            .get::<_, Option<i64>>(12)?
            .map(|v| u64::try_from(v).map_err(|_| bad_value(12, "tpm limit")))
            .transpose()?,
    })
}

const LEDGER_COLUMNS: &str = "l.id, l.account_id, l.kind, l.amount_micros, l.balance_after_micros, l.reason, \
                              actor.email, l.request_id, l.created_at, l.promotional";

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
        promotional: r.get(9)?,
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

/// Appends `e` and moves its account's balance, refusing an overdraft `e` forbids.
fn insert_entry(tx: &Transaction<'_>, e: &NewLedgerEntry) -> Result<LedgerRecord, StoreError> {
    let balance: i64 = tx
        .query_row(
            "SELECT balance_micros FROM accounts WHERE id = ?1",
            [e.account_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let after = Micros(balance)
        .balance_after(e.amount, e.forbid_negative)
        .map_err(|r| StoreError::Conflict(r.to_string()))?
        .0;
    tx.execute(
        "INSERT INTO ledger_entries
         (account_id, kind, amount_micros, balance_after_micros, reason, actor_id, request_id, created_at, promotional)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.account_id,
            e.kind.as_str(),
            e.amount.0,
            after,
            e.reason,
            e.actor_id,
            e.request_id,
            e.created_at,
            e.promotional
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE accounts SET balance_micros = ?2, updated_at = ?3 WHERE id = ?1",
        params![e.account_id, after, e.created_at],
    )?;
    Ok(tx.query_row(
        &format!("SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id WHERE l.id = ?1"),
        [id],
        ledger_row,
    )?)
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

    async fn backup(&self) -> Result<(std::fs::File, u64), StoreError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || backup::snapshot(&path))
            .await
            .map_err(|e| StoreError::Backend(format!("the backup task failed: {e}")))?
    }
}

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
mod money_integrity_tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    /// The database refuses any amount the gateway would not write: a REAL (what SQLite makes
    /// of an integer that overflows in arithmetic), text, or beyond the largest amount.
    #[test]
    fn money_columns_hold_only_whole_amounts_in_range() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_for_tests(&mut c);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
             VALUES (1, 'a@x', 'h', 1000, 0, 0)",
        )
        .unwrap();
        let refused = [
            "UPDATE accounts SET balance_micros = 1.5 WHERE id = 1",
            "UPDATE accounts SET balance_micros = balance_micros + 9223372036854775807 WHERE id = 1",
            "UPDATE accounts SET balance_micros = 'lots' WHERE id = 1",
            "UPDATE accounts SET balance_micros = 1000000000000001 WHERE id = 1",
            "INSERT INTO accounts (email, password_hash, balance_micros, created_at, updated_at)
             VALUES ('b@x', 'h', 2.5, 0, 0)",
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
             VALUES (1, 'adjustment', 'a hundred', 1100, 0)",
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
             VALUES (1, 'adjustment', 100, 1e30, 0)",
            "INSERT INTO usage_events (request_id, account_id, route, input_tokens, cached_tokens,
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status,
                 settlement, created_at)
             VALUES ('r', 1, 'chat.completions', -1, 0, 0, 0, 0, 0, 5, 200, 'final_usage', 0)",
            "INSERT INTO usage_events (request_id, account_id, route, input_tokens, cached_tokens,
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status,
                 settlement, created_at)
             VALUES ('r', 1, 'chat.completions', 1, 0, 0, 0, 0, 0, 0.5, 200, 'final_usage', 0)",
        ];
        for sql in refused {
            let Err(err) = c.execute_batch(sql) else {
                panic!("accepted: {sql}");
            };
            let err = err.to_string();
            assert!(
                err.contains("whole") || err.contains("non-negative"),
                "{sql}: {err}"
            );
        }
        let balance: i64 = c
            .query_row(
                "SELECT balance_micros FROM accounts WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(balance, 1000, "nothing changed");
        // What the gateway writes still goes in.
        c.execute_batch(
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, reason, created_at)
             VALUES (1, 'adjustment', 100, 1100, 'test', 0);
             UPDATE accounts SET balance_micros = 1100 WHERE id = 1;",
        )
        .unwrap();
    }
}

#[cfg(test)]
mod billing_codes_migration_tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    fn ints(c: &Connection, sql: &str) -> Vec<(String, i64, i64)> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A database of schema 4 keeps its entries and ids: `topup` becomes `payment`, credited
    /// bonuses and commissions become promotional, and the ledger stays append-only.
    #[test]
    fn ledger_rows_survive_the_rebuild_renamed_and_marked() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to_for_tests(&mut c, 4);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at)
             VALUES (1, 'a@x', 'h', 1500, 0, 0);
             INSERT INTO ledger_entries (id, account_id, kind, amount_micros, balance_after_micros, created_at)
             VALUES (7, 1, 'topup', 1000, 1000, 0), (8, 1, 'bonus', 700, 1700, 1),
                    (9, 1, 'charge', -300, 1400, 2), (10, 1, 'referral_commission', 100, 1500, 3);",
        )
        .unwrap();
        migrate_for_tests(&mut c);
        assert_eq!(
            ints(
                &c,
                "SELECT kind, id, promotional FROM ledger_entries ORDER BY id"
            ),
            [
                ("payment".to_owned(), 7, 0),
                ("bonus".to_owned(), 8, 1),
                ("charge".to_owned(), 9, 0),
                ("referral_commission".to_owned(), 10, 1),
            ]
        );
        for sql in [
            "UPDATE ledger_entries SET amount_micros = 1 WHERE id = 7",
            "DELETE FROM ledger_entries WHERE id = 7",
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
             VALUES (1, 'topup', 1, 1501, 4)",
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at)
             VALUES (1, 'code', 1.5, 1501, 4)",
        ] {
            assert!(c.execute_batch(sql).is_err(), "accepted: {sql}");
        }
        c.execute_batch(
            "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, created_at, promotional)
             VALUES (1, 'code', 1, 1501, 4, 1)",
        )
        .unwrap();
    }

    /// A redeemed code stays redeemed by whoever redeemed it; codes are never deleted.
    #[test]
    fn a_redemption_is_never_undone() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_for_tests(&mut c);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, created_at, updated_at)
             VALUES (1, 'a@x', 'h', 0, 0), (2, 'b@x', 'h', 0, 0);
             INSERT INTO code_batches (id, amount_micros, promotional, created_at) VALUES (1, 5, 0, 0);
             INSERT INTO redemption_codes (id, batch_id, code_hash) VALUES (1, 1, 'h1');
             UPDATE redemption_codes SET redeemed_by = 1, redeemed_at = 10 WHERE id = 1;",
        )
        .unwrap();
        for sql in [
            "UPDATE redemption_codes SET redeemed_by = NULL, redeemed_at = NULL WHERE id = 1",
            "UPDATE redemption_codes SET redeemed_by = 2 WHERE id = 1",
            "UPDATE redemption_codes SET disabled_at = 11 WHERE id = 1",
            "DELETE FROM redemption_codes WHERE id = 1",
            "INSERT INTO code_batches (amount_micros, promotional, created_at) VALUES (0, 0, 0)",
        ] {
            assert!(c.execute_batch(sql).is_err(), "accepted: {sql}");
        }
    }
}

#[cfg(test)]
mod migration_order_tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    /// A migration numbered below one already applied (a branch's 6 merged after another's 7)
    /// is still applied, once; the others are not run again.
    #[test]
    fn a_lower_numbered_migration_that_arrives_later_is_applied() {
        let mut conn = Connection::open_in_memory().unwrap();
        let first: &[(i64, &str, &str)] = &[
            (1, "one", "CREATE TABLE one (x INTEGER);"),
            (3, "three", "CREATE TABLE three (x INTEGER);"),
        ];
        migrate_with(&mut conn, first).unwrap();
        let later: &[(i64, &str, &str)] = &[
            (1, "one", "CREATE TABLE one (x INTEGER);"),
            (2, "two", "CREATE TABLE two (x INTEGER);"),
            (3, "three", "CREATE TABLE three (x INTEGER);"),
        ];
        migrate_with(&mut conn, later).unwrap();
        migrate_with(&mut conn, later).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(versions, [1, 2, 3]);
        conn.execute("INSERT INTO two (x) VALUES (1)", []).unwrap();
    }
}
