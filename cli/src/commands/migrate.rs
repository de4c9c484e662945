//! `codexkey admin migrate --from sqlite:///… --to postgres://…`: moves a stopped SQLite
//! deployment into an empty PostgreSQL database. Offline: it opens both databases itself
//! (`codexkey_gateway::store::copy`), not a gateway's HTTP API, and needs no login.
//!
//! Prints each table with its rows on both sides and the ledger check of the target; exit 0
//! only when they all match, 1 for a refusal or a failed check, 3 for a target that is not
//! empty. The target's URL may carry a password: it is only ever shown masked.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::LedgerCheck;
use codexkey_gateway::billing::ledger_check;
use codexkey_gateway::config::masked_url;
use codexkey_gateway::store::copy::{self, CopyError, CopyReport};
use serde::Serialize;
use tabled::Tabled;

use crate::args::MigrateArgs;
use crate::error::{EXIT_REFUSED, EXIT_TARGET_NOT_EMPTY, UserError};
use crate::output;

#[derive(Serialize, Tabled)]
struct TableRow {
    table: String,
    #[tabled(rename = "sqlite rows")]
    sqlite_rows: u64,
    #[tabled(rename = "postgresql rows")]
    postgres_rows: u64,
}

#[derive(Serialize)]
struct MigrateOutput<'a> {
    /// Every table has its rows on both sides and the ledger check passed.
    ok: bool,
    from: &'a Path,
    /// The target's URL, its password masked.
    to: String,
    tables: Vec<TableRow>,
    ledger: LedgerCheck,
}

pub async fn run(json: bool, args: MigrateArgs) -> Result<ExitCode> {
    let Some(from) = copy::sqlite_path(&args.from) else {
        return Err(UserError::new(
            "`--from` is not a SQLite URL",
            "give the gateway's database as `sqlite:///path/to/codexkey.db` (three slashes for an absolute path)",
        )
        .into());
    };
    // Never echoed: a URL that is not one may still hold a password.
    if !(args.to.starts_with("postgres://") || args.to.starts_with("postgresql://")) {
        return Err(UserError::new(
            "`--to` is not a PostgreSQL URL",
            "give the target as `postgres://user@host:5432/database` (add `?options=-csearch_path%3Dschema` for a schema)",
        )
        .into());
    }
    let to = masked_url(&args.to);
    if !json {
        output::notice(&format!(
            "copying {} into {to} (the gateway must be stopped)",
            from.display()
        ));
    }
    let report = copy::sqlite_to_postgres(&from, &args.to)
        .await
        .map_err(refusal)?;
    let ok = report.matches();
    let CopyReport { tables, ledger } = report;
    let rows: Vec<TableRow> = tables
        .into_iter()
        .map(|t| TableRow {
            table: t.table,
            sqlite_rows: t.sqlite_rows,
            postgres_rows: t.postgres_rows,
        })
        .collect();
    let ledger = ledger_check(ledger);
    if json {
        output::json(&MigrateOutput {
            ok,
            from: &from,
            to,
            tables: rows,
            ledger,
        })?;
    } else {
        output::table(rows, "the SQLite database has no tables")?;
        if ledger.ok {
            output::notice(&format!(
                "ledger ok on the target: {} accounts, {} entries; every balance equals the sum of its entries",
                ledger.accounts_checked, ledger.entries_checked
            ));
        } else {
            for m in &ledger.mismatches {
                output::notice(&format!(
                    "account {} ({}): balance {} but its ledger sums to {}",
                    m.account_id,
                    m.email,
                    output::credits(m.balance_micros),
                    output::credits(m.ledger_sum_micros)
                ));
            }
        }
        if ok {
            output::notice(
                "migrated: set `database_url` to the PostgreSQL URL and start the gateway",
            );
        }
    }
    if !ok {
        output::notice(
            "migration check FAILED: the copy was committed but the counts or the ledger above differ; \
             drop the target's tables (or schema) before trying again, and keep running on SQLite",
        );
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    Ok(ExitCode::SUCCESS)
}

/// A copy error with its next step; errors that are the software's (a schema the copy does
/// not cover) stay internal.
fn refusal(e: CopyError) -> anyhow::Error {
    let hint = match &e {
        CopyError::SourceMissing(_) => {
            "check the path after `sqlite://` (three slashes for an absolute path: `sqlite:///var/lib/codexkey/codexkey.db`)"
        }
        CopyError::NotCodexkey(_) => "point `--from` at the gateway's `codexkey.db`",
        CopyError::SourceBehind(_) => {
            "start the gateway (this version) once on the SQLite database so it brings its schema up to date, stop it, and retry"
        }
        CopyError::SourceNewer(_) => {
            "run `admin migrate` with the codexkey that last ran the gateway, or a newer one"
        }
        CopyError::HoldsLeft(_) => {
            "start the gateway once so it reconciles them, stop it, and retry"
        }
        CopyError::Source(_) => "stop the gateway first, and check the file and its permissions",
        CopyError::TargetNotEmpty(_) => {
            return UserError::new(
                e.to_string(),
                "nothing was changed; migrate into a new, empty database or schema (the migration may already have run)",
            )
            .with_exit(EXIT_TARGET_NOT_EMPTY)
            .into();
        }
        CopyError::Value { .. } | CopyError::Copy { .. } | CopyError::Commit(_) => {
            "nothing was written to PostgreSQL; run `codexkey admin verify-ledger` against the SQLite gateway to find what is inconsistent"
        }
        CopyError::Target(_) => {
            "check the URL, that PostgreSQL is reachable and that the schema exists (`CREATE SCHEMA …`)"
        }
        CopyError::NoCounterpart(_)
        | CopyError::ColumnsDiffer { .. }
        | CopyError::UnsupportedType { .. }
        | CopyError::ForeignKeyCycle(_) => {
            return anyhow::Error::new(e).context(
                "this codexkey's PostgreSQL schema does not cover its SQLite schema; nothing was copied",
            );
        }
    };
    UserError::new(e.to_string(), hint).into()
}
