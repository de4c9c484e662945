//! The SQLite side of a copy: what the database holds, read in one snapshot.
//!
//! One read-only connection on a thread of its own (rusqlite blocks) opens one read
//! transaction and keeps it from the first check to the last row, so the schema, the checks,
//! the row counts and the rows all come from the same moment. The rows go to the copying side
//! in chunks over a bounded channel, so a large usage history never sits in memory whole; when
//! the copying side gives up, the channel closes and the thread ends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _};
use tokio::sync::{mpsc, oneshot};

use super::error::CopyError;
use crate::store::sqlite;

/// Tables never copied: the migration bookkeeping, which each database keeps for itself (the
/// target's is written by its own migrations).
pub const EXCLUDED: &[&str] = &["schema_migrations"];

/// Rows per chunk sent to the copying side.
const CHUNK_ROWS: usize = 1000;
/// Chunks read ahead of the copying side.
const CHUNKS_AHEAD: usize = 4;

/// One data table of the SQLite database.
#[derive(Debug, Clone)]
pub(crate) struct SourceTable {
    pub name: String,
    /// In the table's own order.
    pub columns: Vec<String>,
    /// Tables this one's foreign keys point at (itself excluded).
    pub references: BTreeSet<String>,
    /// `WITHOUT ROWID`: read in primary-key order, the only order it has.
    pub without_rowid: bool,
    /// Rows in the snapshot (0 until counted).
    pub rows: u64,
}

/// What the copying side receives for the tables, in the order of [`Snapshot::tables`]: each
/// table's rows in chunks, then [`Chunk::End`].
#[derive(Debug)]
pub(crate) enum Chunk {
    Rows(Vec<Vec<Value>>),
    End,
}

/// A consistent snapshot being read: its tables in an order that respects foreign keys, with
/// their row counts, and their rows on the way.
pub(crate) struct Snapshot {
    pub tables: Vec<SourceTable>,
    pub rows: mpsc::Receiver<Result<Chunk, CopyError>>,
}

/// Opens `path` read-only, checks it can be copied (schema as this binary's, no holds left
/// by a crash) and starts reading it. Returns once the checks and counts are done; the rows
/// follow on [`Snapshot::rows`].
pub(crate) async fn open(path: &Path) -> Result<Snapshot, CopyError> {
    if !path.is_file() {
        return Err(CopyError::SourceMissing(path.to_owned()));
    }
    let (plan_tx, plan_rx) = oneshot::channel();
    let (rows_tx, rows_rx) = mpsc::channel(CHUNKS_AHEAD);
    let path = path.to_owned();
    std::thread::Builder::new()
        .name("copy-sqlite-reader".into())
        .spawn(move || read(&path, plan_tx, &rows_tx))
        .map_err(|e| CopyError::Source(format!("cannot start the reading thread: {e}")))?;
    let tables = plan_rx
        .await
        .map_err(|_| CopyError::Source("the reading thread ended early".into()))??;
    Ok(Snapshot {
        tables,
        rows: rows_rx,
    })
}

fn read(
    path: &Path,
    plan: oneshot::Sender<Result<Vec<SourceTable>, CopyError>>,
    rows: &mpsc::Sender<Result<Chunk, CopyError>>,
) {
    let mut conn = match connect(path) {
        Ok(c) => c,
        Err(e) => {
            let _ = plan.send(Err(e));
            return;
        }
    };
    // The snapshot starts at the transaction's first read and lasts until it ends.
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            let _ = plan.send(Err(source_error(path, &e)));
            return;
        }
    };
    let tables = match check(path, &tx)
        .and_then(|()| tables(&tx))
        .and_then(|mut t| {
            for table in &mut t {
                table.rows = count(&tx, &table.name).map_err(|e| source_error(path, &e))?;
            }
            Ok(t)
        }) {
        Ok(t) => t,
        Err(e) => {
            let _ = plan.send(Err(e));
            return;
        }
    };
    if plan.send(Ok(tables.clone())).is_err() {
        return;
    }
    for table in &tables {
        if let Err(e) = send_rows(&tx, table, rows) {
            // A closed channel: the copying side gave up and says why itself.
            let _ = rows.blocking_send(Err(e));
            return;
        }
        if rows.blocking_send(Ok(Chunk::End)).is_err() {
            return;
        }
    }
}

fn connect(path: &Path) -> Result<Connection, CopyError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| source_error(path, &e))?;
    // A gateway still running (which the command asks to stop first) holds the write lock
    // only for moments: wait rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| source_error(path, &e))?;
    Ok(conn)
}

fn source_error(path: &Path, e: &rusqlite::Error) -> CopyError {
    CopyError::Source(format!("cannot read {}: {e}", path.display()))
}

/// The database is a codexkey database with exactly this binary's migrations, and no hold of a
/// request in flight is left in it.
fn check(path: &Path, c: &Connection) -> Result<(), CopyError> {
    let bookkeeping: Option<String> = c
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| source_error(path, &e))?;
    if bookkeeping.is_none() {
        return Err(CopyError::NotCodexkey(path.to_owned()));
    }
    let applied: BTreeSet<i64> = c
        .prepare("SELECT version FROM schema_migrations")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| source_error(path, &e))?;
    let known: BTreeSet<i64> = sqlite::MIGRATIONS.iter().map(|m| m.0).collect();
    if let Some(newer) = applied.difference(&known).max() {
        return Err(CopyError::SourceNewer(*newer));
    }
    let missing: Vec<i64> = known.difference(&applied).copied().collect();
    if !missing.is_empty() {
        return Err(CopyError::SourceBehind(missing));
    }
    let holds: i64 = c
        .query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))
        .map_err(|e| source_error(path, &e))?;
    if holds > 0 {
        return Err(CopyError::HoldsLeft(u64::try_from(holds).unwrap_or(0)));
    }
    Ok(())
}

/// Every data table, from `sqlite_master`, in an order where a table comes after every table
/// its foreign keys point at. Not copied: SQLite's own tables (`sqlite_…`, a name SQLite
/// reserves) and the migration bookkeeping ([`EXCLUDED`]).
pub(crate) fn tables(c: &Connection) -> Result<Vec<SourceTable>, CopyError> {
    let err = |e: rusqlite::Error| CopyError::Source(format!("cannot read the schema: {e}"));
    let names: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(err)?;
    let mut found = BTreeMap::new();
    for name in names
        .into_iter()
        .filter(|n| !EXCLUDED.contains(&n.as_str()))
    {
        let columns: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            .and_then(|mut s| s.query_map([&name], |r| r.get(0))?.collect())
            .map_err(err)?;
        let references: BTreeSet<String> = c
            .prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")
            .and_then(|mut s| s.query_map([&name], |r| r.get(0))?.collect())
            .map_err(err)?;
        let without_rowid: bool = c
            .query_row(
                "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
                [&name],
                |r| r.get(0),
            )
            .map_err(err)?;
        let references = references.into_iter().filter(|r| *r != name).collect();
        found.insert(
            name.clone(),
            SourceTable {
                name,
                columns,
                references,
                without_rowid,
                rows: 0,
            },
        );
    }
    in_dependency_order(found)
}

/// Kahn's algorithm, alphabetical among the tables ready at each step (so the order is stable).
/// A cycle of foreign keys has no such order and is refused by name.
fn in_dependency_order(
    mut left: BTreeMap<String, SourceTable>,
) -> Result<Vec<SourceTable>, CopyError> {
    let mut ordered: Vec<SourceTable> = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left
            .values()
            .find(|t| {
                t.references
                    .iter()
                    .all(|r| !left.contains_key(r) || ordered.iter().any(|o| &o.name == r))
            })
            .map(|t| t.name.clone());
        let Some(name) = ready else {
            return Err(CopyError::ForeignKeyCycle(left.into_keys().collect()));
        };
        if let Some(t) = left.remove(&name) {
            ordered.push(t);
        }
    }
    Ok(ordered)
}

/// Double-quoted for SQL, quotes doubled: names come from the database's own catalog, and are
/// identifiers, which cannot be bound.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn count(c: &Connection, table: &str) -> rusqlite::Result<u64> {
    let n: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM {}", quoted(table)),
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Sends `table`'s rows in insertion order (rowid; primary key for `WITHOUT ROWID`), so
/// rows that point at earlier rows of their own table (a rotated key, a ledger's chain) arrive
/// after them.
fn send_rows(
    c: &Connection,
    table: &SourceTable,
    out: &mpsc::Sender<Result<Chunk, CopyError>>,
) -> Result<(), CopyError> {
    let columns: Vec<String> = table.columns.iter().map(|c| quoted(c)).collect();
    let order = if table.without_rowid {
        ""
    } else {
        " ORDER BY rowid"
    };
    let sql = format!(
        "SELECT {} FROM {}{order}",
        columns.join(", "),
        quoted(&table.name)
    );
    let err = |e: rusqlite::Error| CopyError::Source(format!("cannot read {}: {e}", table.name));
    let mut stmt = c.prepare(&sql).map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    while let Some(row) = rows.next().map_err(err)? {
        let values = (0..table.columns.len())
            .map(|i| row.get::<_, Value>(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        chunk.push(values);
        if chunk.len() == CHUNK_ROWS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            if out.blocking_send(Ok(Chunk::Rows(full))).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = out.blocking_send(Ok(Chunk::Rows(chunk)));
    }
    Ok(())
}

/// The path a `sqlite://` URL names: `sqlite:///abs/path.db`, or `sqlite://rel.db` relative
/// to the working directory.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    (!rest.is_empty()).then(|| PathBuf::from(rest))
}
