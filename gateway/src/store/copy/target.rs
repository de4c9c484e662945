//! The PostgreSQL side of a copy: the target's tables and column types, the emptiness check,
//! the rows written by binary `COPY` inside the caller's transaction, and the identity
//! sequences moved past the copied ids.
//!
//! `COPY` fires the schema's row triggers as `INSERT` does, so the target's own guards (a
//! ledger entry following its account's previous one, an order pointing at its payment, a
//! balance equal to its ledger at commit) check every copied row.

use std::collections::BTreeMap;
use std::pin::pin;

use deadpool_postgres::GenericClient;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::ToSql;

use super::error::CopyError;
use super::source::{Chunk, EXCLUDED, SourceTable, quoted};
use super::value::{Kind, PgValue, convert};
use crate::store::StoreError;

/// One column of a target table.
#[derive(Debug, Clone)]
pub(crate) struct TargetColumn {
    pub name: String,
    /// `information_schema.columns.data_type`.
    pub data_type: String,
}

/// The target's tables (base tables of its current schema) and their columns, in order.
pub(crate) type TargetSchema = BTreeMap<String, Vec<TargetColumn>>;

pub(crate) async fn schema<C: GenericClient>(c: &C) -> Result<TargetSchema, StoreError> {
    let rows = c
        .query(
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
             ORDER BY c.table_name, c.ordinal_position",
            &[],
        )
        .await?;
    let mut schema = TargetSchema::new();
    for r in &rows {
        schema
            .entry(r.try_get::<_, String>(0)?)
            .or_default()
            .push(TargetColumn {
                name: r.try_get(1)?,
                data_type: r.try_get(2)?,
            });
    }
    Ok(schema)
}

/// For each of `tables` (in its own column order), the kind each column converts to; refuses a
/// SQLite table the target lacks, a column set that differs, or a column type with no
/// conversion. This is what keeps the copy complete: a SQLite migration without its
/// PostgreSQL counterpart stops here, loudly, before anything is written.
/// What only PostgreSQL has: the state of balance leases between replicas, which a SQLite
/// deployment (one process) never has (its table, `balance_leases`, starts empty). Left out of
/// the comparison; the copied rows start with the defaults (nothing leased, holds of no
/// replica).
const POSTGRES_ONLY_COLUMNS: &[(&str, &str)] = &[
    ("accounts", "leased_micros"),
    ("holds", "replica_id"),
    ("holds", "lease_epoch"),
];

pub(crate) fn column_kinds(
    tables: &[SourceTable],
    target: &TargetSchema,
) -> Result<Vec<Vec<Kind>>, CopyError> {
    tables
        .iter()
        .map(|t| {
            let Some(columns) = target.get(&t.name) else {
                return Err(CopyError::NoCounterpart(t.name.clone()));
            };
            let missing: Vec<String> = t
                .columns
                .iter()
                .filter(|c| !columns.iter().any(|tc| &tc.name == *c))
                .cloned()
                .collect();
            let extra: Vec<String> = columns
                .iter()
                .filter(|tc| {
                    !t.columns.contains(&tc.name)
                        && !POSTGRES_ONLY_COLUMNS.contains(&(t.name.as_str(), tc.name.as_str()))
                })
                .map(|tc| tc.name.clone())
                .collect();
            if !missing.is_empty() || !extra.is_empty() {
                return Err(CopyError::ColumnsDiffer {
                    table: t.name.clone(),
                    only_in_sqlite: missing,
                    only_in_postgres: extra,
                });
            }
            t.columns
                .iter()
                .map(|name| {
                    let column = columns.iter().find(|tc| &tc.name == name);
                    let data_type = column.map_or("", |c| c.data_type.as_str());
                    Kind::of(data_type).ok_or_else(|| CopyError::UnsupportedType {
                        table: t.name.clone(),
                        column: name.clone(),
                        data_type: data_type.to_owned(),
                    })
                })
                .collect()
        })
        .collect()
}

/// The target's data tables that hold at least one row (the migration bookkeeping aside).
pub(crate) async fn tables_with_rows<C: GenericClient>(
    c: &C,
    target: &TargetSchema,
) -> Result<Vec<String>, StoreError> {
    let mut full = Vec::new();
    for table in target.keys().filter(|t| !EXCLUDED.contains(&t.as_str())) {
        let any: bool = c
            .query_one(
                &format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table)),
                &[],
            )
            .await?
            .try_get(0)?;
        if any {
            full.push(table.clone());
        }
    }
    Ok(full)
}

/// Writes `table`'s rows, as they arrive on `rows` up to its [`Chunk::End`], into the target
/// table of the same name; returns how many.
pub(crate) async fn copy_table(
    tx: &deadpool_postgres::Transaction<'_>,
    table: &SourceTable,
    kinds: &[Kind],
    rows: &mut tokio::sync::mpsc::Receiver<Result<Chunk, CopyError>>,
) -> Result<u64, CopyError> {
    let failed = |e: tokio_postgres::Error| CopyError::Copy {
        table: table.name.clone(),
        source: e.into(),
    };
    let columns: Vec<String> = table.columns.iter().map(|c| quoted(c)).collect();
    let sink = tx
        .copy_in(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            quoted(&table.name),
            columns.join(", ")
        ))
        .await
        .map_err(failed)?;
    let types: Vec<_> = kinds.iter().map(|k| k.pg_type()).collect();
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let mut seen: u64 = 0;
    loop {
        let chunk = rows
            .recv()
            .await
            .ok_or_else(|| CopyError::Source("the reading thread ended early".into()))??;
        let Chunk::Rows(chunk) = chunk else {
            break;
        };
        for row in chunk {
            seen += 1;
            let values = row
                .into_iter()
                .zip(kinds)
                .zip(&table.columns)
                .map(|((v, kind), column)| {
                    convert(v, *kind).map_err(|why| CopyError::Value {
                        table: table.name.clone(),
                        column: column.clone(),
                        row: seen,
                        why,
                    })
                })
                .collect::<Result<Vec<PgValue>, _>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> =
                values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.as_mut().write(&refs).await.map_err(failed)?;
        }
    }
    writer.finish().await.map_err(failed)
}

/// Moves every identity (or serial) sequence of the target past the largest id its column
/// holds, so the next row gets a fresh id. A sequence is found by its column, so a future
/// table's is reset with no change here.
pub(crate) async fn reset_sequences(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<(), StoreError> {
    // The filter on the schema is applied first (a materialized CTE), and the table name is
    // qualified: `pg_get_serial_sequence` on another schema's unqualified name is an error.
    let columns = tx
        .query(
            "WITH own AS MATERIALIZED (
                 SELECT table_name::text AS t, column_name::text AS c
                 FROM information_schema.columns
                 WHERE table_schema = current_schema()
                   AND (is_identity = 'YES' OR column_default LIKE 'nextval(%'))
             SELECT t, c, pg_get_serial_sequence(format('%I.%I', current_schema(), t), c)
             FROM own ORDER BY t, c",
            &[],
        )
        .await?;
    for r in &columns {
        let table: String = r.try_get(0)?;
        let column: String = r.try_get(1)?;
        let Some(sequence) = r.try_get::<_, Option<String>>(2)? else {
            continue;
        };
        // `false`: the next value is the one given, not the one after it.
        tx.execute(
            &format!(
                "SELECT setval($1::text::regclass, GREATEST(COALESCE(MAX({}), 0) + 1, 1), false) FROM {}",
                quoted(&column),
                quoted(&table)
            ),
            &[&sequence],
        )
        .await?;
    }
    Ok(())
}

/// Rows of `table` in the target, as committed.
pub(crate) async fn count<C: GenericClient>(c: &C, table: &str) -> Result<u64, StoreError> {
    let n: i64 = c
        .query_one(&format!("SELECT COUNT(*) FROM {}", quoted(table)), &[])
        .await?
        .try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
