//! Moving a whole SQLite deployment into an empty PostgreSQL database, offline: what
//! `codexkey admin migrate` runs, with the gateway stopped.
//!
//! [`sqlite_to_postgres`] reads the SQLite database in one read transaction (`source`),
//! applies the PostgreSQL migrations to the target, refuses a target that holds any row, and
//! copies every table row for row, ids kept, in one PostgreSQL transaction: all or nothing
//! (`target`, with the type conversions of `value`). Identity sequences are then moved past
//! the copied ids. After the commit it counts each table on both sides and runs the ledger
//! check on the target; the caller reports and judges.
//!
//! The tables copied are the SQLite database's own (`sqlite_master`), not a list kept here, so
//! a table a future migration adds is copied too, or, without a PostgreSQL counterpart with
//! the same columns, refused before anything is written. Only the migration bookkeeping
//! ([`EXCLUDED`]) stays behind: each database records its own migrations.
//!
//! What does not belong here: argument parsing and printing (the CLI's `admin migrate`).

mod error;
mod source;
mod target;
mod value;

use std::path::Path;

pub use self::error::CopyError;
use self::source::Snapshot;
pub use self::source::{EXCLUDED, sqlite_path};
use super::postgres::PgStore;
use super::{LedgerCheckRecord, LedgerStore as _, StoreError};

/// One table, counted on both sides after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub sqlite_rows: u64,
    pub postgres_rows: u64,
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    /// In the order copied.
    pub tables: Vec<TableCount>,
    /// The ledger check, run on the target.
    pub ledger: LedgerCheckRecord,
}

impl CopyReport {
    /// Every table has as many rows on both sides and every balance is its ledger's sum.
    pub fn matches(&self) -> bool {
        self.tables.iter().all(|t| t.sqlite_rows == t.postgres_rows)
            && self.ledger.mismatches.is_empty()
    }
}

/// Copies the SQLite database at `sqlite` into the PostgreSQL database `postgres_url` names;
/// see the module's doc. On any error the target holds what it held before (its migrations
/// aside, which an empty target gets applied first).
pub async fn sqlite_to_postgres(
    sqlite: &Path,
    postgres_url: &str,
) -> Result<CopyReport, CopyError> {
    let Snapshot { tables, mut rows } = source::open(sqlite).await?;
    let store = PgStore::open(postgres_url).await?;
    let mut client = store.client().await?;
    let schema = target::schema(&client).await?;
    let kinds = target::column_kinds(&tables, &schema)?;
    let full = target::tables_with_rows(&client, &schema).await?;
    if !full.is_empty() {
        return Err(CopyError::TargetNotEmpty(full));
    }
    let tx = client.transaction().await.map_err(StoreError::from)?;
    for (table, kinds) in tables.iter().zip(&kinds) {
        target::copy_table(&tx, table, kinds, &mut rows).await?;
        tracing::info!(table = %table.name, rows = table.rows, "copied");
    }
    target::reset_sequences(&tx).await?;
    // The deferred guards (every balance equal to its ledger) run here.
    tx.commit().await.map_err(|e| CopyError::Commit(e.into()))?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in &tables {
        counts.push(TableCount {
            table: table.name.clone(),
            sqlite_rows: table.rows,
            postgres_rows: target::count(&client, &table.name).await?,
        });
    }
    drop(client);
    let ledger = store.verify_ledger().await?;
    Ok(CopyReport {
        tables: counts,
        ledger,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use rusqlite::Connection;

    use super::*;
    use crate::store::postgres::scratch::ScratchSchema;

    /// Tables only PostgreSQL has: the balance leases between replicas, which start empty.
    const POSTGRES_ONLY_TABLES: &[&str] = &["balance_leases"];

    /// Every SQLite data table maps onto a PostgreSQL table with the same columns, each of a
    /// type the copy fills: a SQLite migration shipped without its PostgreSQL counterpart
    /// fails here, not at an operator's migration.
    #[tokio::test]
    async fn every_sqlite_table_has_a_postgresql_counterpart() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        let tables = source::tables(&c).unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        for expected in ["accounts", "ledger_entries", "usage_events", "usage_rollup"] {
            assert!(names.contains(&expected), "{names:?}");
        }
        assert!(!names.contains(&"schema_migrations"), "{names:?}");
        // Foreign keys first: every table after the tables it points at.
        for (i, t) in tables.iter().enumerate() {
            for r in &t.references {
                let j = names.iter().position(|n| n == r).unwrap();
                assert!(j < i, "{} before {r}: {names:?}", t.name);
            }
        }

        let scratch = ScratchSchema::create().await;
        let store = PgStore::open(&scratch.url()).await.unwrap();
        let client = store.client().await.unwrap();
        let schema = target::schema(&client).await.unwrap();
        if let Err(e) = target::column_kinds(&tables, &schema) {
            panic!("{e}");
        }
        // And nothing on the PostgreSQL side is left out of the copy but the bookkeeping.
        let pg_only: Vec<&String> = schema
            .keys()
            .filter(|t| {
                !names.contains(&t.as_str())
                    && !EXCLUDED.contains(&t.as_str())
                    && !POSTGRES_ONLY_TABLES.contains(&t.as_str())
            })
            .collect();
        assert!(pg_only.is_empty(), "tables only in PostgreSQL: {pg_only:?}");
        assert!(
            target::tables_with_rows(&client, &schema)
                .await
                .unwrap()
                .is_empty(),
            "a migrated database is empty"
        );
    }

    /// A table SQLite has and PostgreSQL lacks, or a column of one side only, is refused by name.
    #[tokio::test]
    async fn a_table_or_column_of_one_side_only_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        let scratch = ScratchSchema::create().await;
        let store = PgStore::open(&scratch.url()).await.unwrap();
        let client = store.client().await.unwrap();
        let schema = target::schema(&client).await.unwrap();

        c.execute_batch("CREATE TABLE gift_cards (id INTEGER PRIMARY KEY, note TEXT)")
            .unwrap();
        let tables = source::tables(&c).unwrap();
        let Err(CopyError::NoCounterpart(t)) = target::column_kinds(&tables, &schema) else {
            panic!("a table without a counterpart is refused");
        };
        assert_eq!(t, "gift_cards");

        c.execute_batch("DROP TABLE gift_cards; ALTER TABLE accounts ADD COLUMN nickname TEXT")
            .unwrap();
        let tables = source::tables(&c).unwrap();
        let Err(CopyError::ColumnsDiffer {
            table,
            only_in_sqlite,
            only_in_postgres,
        }) = target::column_kinds(&tables, &schema)
        else {
            panic!("a column of one side only is refused");
        };
        assert_eq!(
            (table.as_str(), only_in_sqlite, only_in_postgres),
            ("accounts", vec!["nickname".to_owned()], vec![])
        );
    }
}
