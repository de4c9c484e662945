//! Why a copy stopped. Each variant says what was found; the next step is the caller's to
//! give (the CLI's `admin migrate` does), since it knows how the operator runs things.

use std::path::PathBuf;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("there is no SQLite database at {}", .0.display())]
    SourceMissing(PathBuf),
    #[error("{} is not a codexkey database (it has no `schema_migrations` table)", .0.display())]
    NotCodexkey(PathBuf),
    #[error("the SQLite database lacks migrations {0:?} that this codexkey has")]
    SourceBehind(Vec<i64>),
    #[error("the SQLite database has migration {0}, newer than this codexkey knows")]
    SourceNewer(i64),
    #[error("the SQLite database holds {0} hold(s) of requests in flight, left by a crash")]
    HoldsLeft(u64),
    #[error("{0}")]
    Source(String),
    #[error("the SQLite table `{0}` has no PostgreSQL counterpart")]
    NoCounterpart(String),
    #[error(
        "the table `{table}` differs between the schemas: columns only in SQLite {only_in_sqlite:?}, only in PostgreSQL {only_in_postgres:?}"
    )]
    ColumnsDiffer {
        table: String,
        only_in_sqlite: Vec<String>,
        only_in_postgres: Vec<String>,
    },
    #[error("`{table}.{column}` is `{data_type}` in PostgreSQL, a type the copy cannot fill")]
    UnsupportedType {
        table: String,
        column: String,
        data_type: String,
    },
    #[error("the foreign keys of the SQLite tables {0:?} form a cycle: no copy order exists")]
    ForeignKeyCycle(Vec<String>),
    #[error("the PostgreSQL database is not empty: {} hold rows", .0.join(", "))]
    TargetNotEmpty(Vec<String>),
    #[error("row {row} of `{table}`, column `{column}`: {why}")]
    Value {
        table: String,
        column: String,
        row: u64,
        why: String,
    },
    #[error("copying `{table}` failed: {source}")]
    Copy { table: String, source: StoreError },
    /// The target's deferred guards (every balance equal to its ledger's sum) refused the
    /// copy as a whole.
    #[error("PostgreSQL refused the copy at commit: {0}")]
    Commit(StoreError),
    /// Reaching, migrating or writing the target.
    #[error("{0}")]
    Target(#[from] StoreError),
}
