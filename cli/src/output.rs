//! Output: stdout carries data only (a table, or JSON with `--json`); notices go to stderr.
//!
//! Every byte for stdout goes through [`write`]: a reader that goes away (`| head`) surfaces
//! as an `io::Error` of kind `BrokenPipe`, which `error::report` turns into a quiet exit 0.
//! Text for people (tables, fields, notices, errors) has its control and invisible characters
//! escaped ([`codexkey_common::text`]): model names, emails and messages come from other
//! people, and printed raw they could drive the terminal.

use std::io::Write as _;

use anyhow::Result;
use chrono::{DateTime, Local, Utc};
use codexkey_common::Micros;
use codexkey_common::text::{escape, escape_lines};
use serde::Serialize;
use tabled::settings::{Format, Style, object::Segment};
use tabled::{Table, Tabled};

/// Writes `text` to stdout as it is (data already made safe, or machine formats).
pub fn write(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Prints `value` as pretty JSON on stdout (JSON escapes control characters itself).
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(write(&text)?)
}

/// Escapes every cell of a table, headers included; before layout, so columns stay aligned.
pub fn escape_cells(t: &mut Table) {
    t.modify(
        Segment::all(),
        Format::content(|cell| escape_lines(cell).into_owned()),
    );
}

/// Prints rows as a table on stdout, or `empty` on stderr when there are none.
pub fn table<R: Tabled>(rows: Vec<R>, empty: &str) -> Result<()> {
    if rows.is_empty() {
        notice(empty);
        return Ok(());
    }
    let mut t = Table::new(rows);
    t.with(Style::rounded());
    escape_cells(&mut t);
    Ok(write(&format!("{t}\n"))?)
}

/// Prints `key: value` lines on stdout, aligned.
pub fn fields(pairs: &[(&str, String)]) -> Result<()> {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (k, v) in pairs {
        text.push_str(&format!("{k:>width$}  {}\n", escape(v)));
    }
    Ok(write(&text)?)
}

/// A status line for people, on stderr.
pub fn notice(text: &str) {
    #[expect(clippy::print_stderr, reason = "status messages go to stderr")]
    {
        eprintln!("{}", escape_lines(text));
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
