//! Output: stdout carries data only (a table, or JSON with `--json`); notices go to stderr.

use std::io::Write as _;

use anyhow::Result;
use chrono::{DateTime, Local, Utc};
use codexkey_common::Micros;
use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints rows as a table on stdout, or `empty` on stderr when there are none.
pub fn table<R: Tabled>(rows: Vec<R>, empty: &str) -> Result<()> {
    if rows.is_empty() {
        notice(empty);
        return Ok(());
    }
    let mut t = Table::new(rows);
    t.with(Style::rounded());
    writeln!(std::io::stdout().lock(), "{t}")?;
    Ok(())
}

/// Prints `key: value` lines on stdout, aligned.
pub fn fields(pairs: &[(&str, String)]) -> Result<()> {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for (k, v) in pairs {
        writeln!(out, "{k:>width$}  {v}")?;
    }
    Ok(())
}

/// A status line for people, on stderr.
pub fn notice(text: &str) {
    #[expect(clippy::print_stderr, reason = "status messages go to stderr")]
    {
        eprintln!("{text}");
    }
}

pub fn credits(m: Micros) -> String {
    format!("{m} cr")
}

pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "-".into())
}

pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}
