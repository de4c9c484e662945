//! [`TestDb`]: a connection to a test gateway's database, SQLite or PostgreSQL, for checking what
//! the gateway wrote and for staging states the API cannot reach.
//!
//! Its API is the slice of rusqlite's that tests use (`query_row`, `execute`, `prepare` +
//! `query_map`, `execute_batch`, `?N` placeholders, `[]` / `[x]` / [`params!`] for parameters),
//! so a test reads the same on either store. On PostgreSQL each `?N` is replaced by a literal and
//! the statement goes through the simple query protocol, where every value comes back as text and
//! [`TestRow::get`] converts it: that spares the tests PostgreSQL's parameter typing (an `INT4`
//! column refuses an `i64` parameter), which is not what they are about.
//!
//! What belongs elsewhere: assertions (in `tests/*.rs`), the gateway's own row mapping (in
//! `gateway/src/store`).

use std::fmt;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::OpenFlags;
use rusqlite::types::ValueRef;

/// What went wrong with a statement: the database's own message, so a test that expects a
/// refusal (a trigger's) can look for its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(String);

impl DbError {
    fn new(message: impl Into<String>) -> DbError {
        DbError(message.into())
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// One value, as a parameter or as SQLite returned it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A value a statement can take as a parameter.
pub trait ToSql {
    fn to_value(&self) -> Value;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_value)
    }
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
int_to_sql!(i64, i32, u32, i16, u16, u8);

impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToSql for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToSql for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

/// The parameters of one statement: `[]`, `[a]`, `[a, b]` of one type, or [`params!`] of mixed
/// types, as with rusqlite.
pub trait Params {
    fn values(self) -> Vec<Value>;
}

impl Params for [&dyn ToSql; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}

impl Params for &[&dyn ToSql] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToSql::to_value).collect()
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8);

/// Parameters of mixed types: `params![email, id]`.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::db::ToSql]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToSql),+] as &[&dyn $crate::db::ToSql]
    };
}

/// One cell of a result row.
#[derive(Debug, Clone)]
enum Cell {
    /// As SQLite typed it.
    Sqlite(Value),
    /// PostgreSQL's text form (the simple query protocol's), `None` for NULL.
    Postgres(Option<String>),
}

/// A type a result cell converts to.
pub trait FromSql: Sized {
    /// From a SQLite value, which carries its type.
    fn from_sqlite(v: &Value) -> Result<Self>;
    /// From PostgreSQL's text form of a non-NULL value.
    fn from_pg_text(s: &str) -> Result<Self>;
    /// What NULL becomes: an error, except for `Option`.
    fn from_null() -> Result<Self> {
        Err(DbError::new("unexpected NULL"))
    }
}

fn wrong_type<T>(v: &Value, want: &str) -> Result<T> {
    Err(DbError::new(format!("cannot read {v:?} as {want}")))
}

fn parse<T: std::str::FromStr>(s: &str, want: &str) -> Result<T> {
    s.parse()
        .map_err(|_| DbError::new(format!("cannot read `{s}` as {want}")))
}

impl FromSql for i64 {
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Integer(i) => Ok(*i),
            Value::Null => Self::from_null(),
            other => wrong_type(other, "an integer"),
        }
    }
    fn from_pg_text(s: &str) -> Result<Self> {
        parse(s, "an integer")
    }
}

/// Narrower integers: read as `i64`, refused when the value does not fit.
macro_rules! narrow_integers {
    ($($t:ty => $name:literal),+ $(,)?) => {$(
        impl FromSql for $t {
            fn from_sqlite(v: &Value) -> Result<Self> {
                let i = i64::from_sqlite(v)?;
                <$t>::try_from(i).map_err(|_| DbError::new(format!("{i} does not fit {}", $name)))
            }
            fn from_pg_text(s: &str) -> Result<Self> {
                parse(s, $name)
            }
        }
    )+};
}

narrow_integers!(i32 => "an i32", u32 => "a u32");

impl FromSql for bool {
    /// SQLite keeps flags as 0 or 1; PostgreSQL as `BOOLEAN` (`t`/`f`), or as an integer where a
    /// query computes one.
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Integer(i) => Ok(*i != 0),
            Value::Null => Self::from_null(),
            other => wrong_type(other, "a flag"),
        }
    }
    fn from_pg_text(s: &str) -> Result<Self> {
        match s {
            "t" | "true" => Ok(true),
            "f" | "false" => Ok(false),
            other => parse::<i64>(other, "a flag").map(|i| i != 0),
        }
    }
}

impl FromSql for f64 {
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            Value::Null => Self::from_null(),
            other => wrong_type(other, "a number"),
        }
    }
    fn from_pg_text(s: &str) -> Result<Self> {
        parse(s, "a number")
    }
}

impl FromSql for String {
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Null => Self::from_null(),
            other => wrong_type(other, "text"),
        }
    }
    fn from_pg_text(s: &str) -> Result<Self> {
        Ok(s.to_owned())
    }
}

impl FromSql for Vec<u8> {
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Null => Self::from_null(),
            other => wrong_type(other, "bytes"),
        }
    }
    /// `bytea` in PostgreSQL's hex output form, `\x0a1b…`.
    fn from_pg_text(s: &str) -> Result<Self> {
        let Some(hex) = s.strip_prefix("\\x") else {
            return Err(DbError::new(format!("not bytea hex: `{s}`")));
        };
        (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| DbError::new(format!("not bytea hex: `{s}`")))
            })
            .collect()
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sqlite(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            other => T::from_sqlite(other).map(Some),
        }
    }
    fn from_pg_text(s: &str) -> Result<Self> {
        T::from_pg_text(s).map(Some)
    }
    fn from_null() -> Result<Self> {
        Ok(None)
    }
}

/// How a row's column is named: by position, from 0.
pub trait RowIndex {
    fn index(&self) -> usize;
}

impl RowIndex for usize {
    fn index(&self) -> usize {
        *self
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub struct TestRow {
    cells: Vec<Cell>,
}

impl TestRow {
    /// Column `idx` (from 0) as a `T`: `row.get(0)?` or `row.get::<_, i64>(0)?`.
    ///
    /// # Errors
    /// When there is no such column or its value is not a `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let i = idx.index();
        match self.cells.get(i) {
            None => Err(DbError::new(format!("no column {i}"))),
            Some(Cell::Sqlite(v)) => T::from_sqlite(v),
            Some(Cell::Postgres(None)) => T::from_null(),
            Some(Cell::Postgres(Some(s))) => T::from_pg_text(s),
        }
    }
}

/// Which store a test gateway uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection to a gateway's database.
pub struct TestDb {
    conn: Conn,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(PgConn),
}

impl TestDb {
    /// A connection to the SQLite file at `path`, read-only unless `writable`.
    ///
    /// # Panics
    /// If the file cannot be opened.
    pub fn sqlite(path: &Path, writable: bool) -> TestDb {
        let flags = if writable {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let conn = rusqlite::Connection::open_with_flags(path, flags)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        // The gateway's writer may hold the lock for a moment; wait rather than fail with BUSY.
        if let Err(e) = conn.busy_timeout(Duration::from_secs(5)) {
            panic!("cannot set a busy timeout: {e}");
        }
        TestDb {
            conn: Conn::Sqlite(conn),
        }
    }

    /// A connection to the PostgreSQL database at `url` (a scratch schema's).
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn postgres(url: &str) -> TestDb {
        Self::try_postgres(url)
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"))
    }

    /// [`TestDb::postgres`], returning the failure instead of panicking (for `Drop`).
    ///
    /// # Errors
    /// If the server cannot be reached.
    pub fn try_postgres(url: &str) -> Result<TestDb> {
        Ok(TestDb {
            conn: Conn::Postgres(PgConn::connect(url)?),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement and returns how many rows it changed.
    ///
    /// # Errors
    /// When the database refuses the statement.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let params = params.values();
        match &self.conn {
            Conn::Sqlite(c) => c
                .execute(
                    sql,
                    rusqlite::params_from_iter(params.iter().map(sqlite_value)),
                )
                .map_err(|e| DbError::new(e.to_string())),
            Conn::Postgres(c) => c.run(inline_params(sql, &params)?).map(|r| r.changed),
        }
    }

    /// Runs statements separated by `;`, without parameters (`BEGIN`, `COMMIT`, a fixture).
    ///
    /// # Errors
    /// When the database refuses one.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.conn {
            Conn::Sqlite(c) => c
                .execute_batch(sql)
                .map_err(|e| DbError::new(e.to_string())),
            Conn::Postgres(c) => c.run(sql.to_owned()).map(|_| ()),
        }
    }

    /// Every row of a query.
    ///
    /// # Errors
    /// When the database refuses the query.
    pub fn rows(&self, sql: &str, params: impl Params) -> Result<Vec<TestRow>> {
        let params = params.values();
        match &self.conn {
            Conn::Sqlite(c) => sqlite_rows(c, sql, &params),
            Conn::Postgres(c) => c.run(inline_params(sql, &params)?).map(|r| r.rows),
        }
    }

    /// The first row of a query, mapped by `f`; an error when there is none.
    ///
    /// # Errors
    /// When the query fails, returns no row, or `f` fails.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&TestRow) -> Result<T>,
    ) -> Result<T> {
        match self.rows(sql, params)?.first() {
            Some(row) => f(row),
            None => Err(DbError::new(format!("no row from: {sql}"))),
        }
    }

    /// A statement to run with [`Statement::query_map`].
    ///
    /// # Errors
    /// Never; the statement is checked when it runs. The `Result` keeps rusqlite's shape.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            db: self,
            sql: sql.to_owned(),
        })
    }
}

/// A query of a [`TestDb`], as rusqlite's `prepare` returns.
pub struct Statement<'a> {
    db: &'a TestDb,
    sql: String,
}

impl Statement<'_> {
    /// Every row, mapped by `f`, for `.collect::<Result<_, _>>()`.
    ///
    /// # Errors
    /// When the query fails (a failing `f` shows in its row's item).
    pub fn query_map<T, F: FnMut(&TestRow) -> Result<T>>(
        &mut self,
        params: impl Params,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.db.rows(&self.sql, params)?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }
}

fn sqlite_value(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(i) => rusqlite::types::Value::Integer(*i),
        Value::Real(f) => rusqlite::types::Value::Real(*f),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<TestRow>> {
    let err = |e: rusqlite::Error| DbError::new(e.to_string());
    let mut stmt = c.prepare(sql).map_err(err)?;
    let columns = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter().map(sqlite_value)))
        .map_err(err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let cells = (0..columns)
            .map(|i| {
                let v = match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                };
                Ok(Cell::Sqlite(v))
            })
            .collect::<Result<_>>()?;
        out.push(TestRow { cells });
    }
    Ok(out)
}

/// `sql` with each `?N` (or bare `?`, numbered in order) replaced by its value as a PostgreSQL
/// literal. Quoted text in `sql` is left alone.
fn inline_params(sql: &str, params: &[Value]) -> Result<String> {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut next = 0;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        let n = if digits.is_empty() {
            next += 1;
            next
        } else {
            parse::<usize>(&digits, "a parameter number")?
        };
        let Some(v) = n.checked_sub(1).and_then(|i| params.get(i)) else {
            return Err(DbError::new(format!(
                "?{n} has no value ({} given) in: {sql}",
                params.len()
            )));
        };
        out.push_str(&pg_literal(v));
    }
    Ok(out)
}

fn pg_literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_owned(),
        // In parentheses: `x - -5` would start a comment.
        Value::Integer(i) if *i < 0 => format!("({i})"),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("({f:?})"),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Blob(b) => {
            let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("'\\x{hex}'::bytea")
        }
    }
}

/// What a PostgreSQL statement returned.
struct PgReply {
    rows: Vec<TestRow>,
    changed: usize,
}

type PgJob = (String, mpsc::Sender<Result<PgReply>>);

/// A PostgreSQL connection on a thread of its own with its own runtime: tests call it from
/// synchronous code inside the test's runtime (of either flavour), where blocking on a future of
/// that runtime would panic or stall.
struct PgConn {
    jobs: Option<mpsc::Sender<PgJob>>,
    thread: Option<JoinHandle<()>>,
}

impl PgConn {
    fn connect(url: &str) -> Result<PgConn> {
        let (jobs, inbox) = mpsc::channel::<PgJob>();
        let (ready_tx, ready) = mpsc::channel::<std::result::Result<(), String>>();
        let url = url.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("no runtime: {e}")));
                    return;
                }
            };
            let client = match rt.block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls)) {
                Ok((client, conn)) => {
                    rt.spawn(conn);
                    client
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            // A test that waits on a row the gateway holds fails instead of hanging.
            if let Err(e) = rt.block_on(client.batch_execute("SET lock_timeout = '10s'")) {
                let _ = ready_tx.send(Err(e.to_string()));
                return;
            }
            let _ = ready_tx.send(Ok(()));
            for (sql, reply) in inbox {
                let result = rt
                    .block_on(client.simple_query(&sql))
                    .map(pg_reply)
                    .map_err(|e| DbError::new(pg_error(&e)));
                let _ = reply.send(result);
            }
        });
        match ready.recv() {
            Ok(Ok(())) => Ok(PgConn {
                jobs: Some(jobs),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(DbError::new(e)),
            Err(_) => Err(DbError::new("the PostgreSQL connection thread died")),
        }
    }

    fn run(&self, sql: String) -> Result<PgReply> {
        let (tx, rx) = mpsc::channel();
        let sent = self.jobs.as_ref().map(|jobs| jobs.send((sql, tx)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(DbError::new("the PostgreSQL connection is closed"));
        }
        rx.recv()
            .unwrap_or_else(|_| Err(DbError::new("the PostgreSQL connection thread died")))
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop, and with it the connection.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn pg_reply(messages: Vec<tokio_postgres::SimpleQueryMessage>) -> PgReply {
    let mut rows = Vec::new();
    let mut changed = 0;
    for m in messages {
        match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                let cells = (0..row.len())
                    .map(|i| Cell::Postgres(row.get(i).map(str::to_owned)))
                    .collect();
                rows.push(TestRow { cells });
            }
            tokio_postgres::SimpleQueryMessage::CommandComplete(n) => {
                changed = usize::try_from(n).unwrap_or(usize::MAX);
            }
            _ => {}
        }
    }
    PgReply { rows, changed }
}

/// The server's own message (a trigger's words) rather than the driver's "db error".
fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_literals() {
        let sql = "UPDATE t SET a = ?2, b = ?1, c = '?', d = ? WHERE e = x - ?3";
        let params = [
            Value::Text("it's".to_owned()),
            Value::Null,
            Value::Integer(-5),
        ];
        assert_eq!(
            inline_params(sql, &params).unwrap(),
            "UPDATE t SET a = NULL, b = 'it''s', c = '?', d = 'it''s' WHERE e = x - (-5)"
        );
        assert_eq!(pg_literal(&Value::Blob(vec![0, 0xab])), "'\\x00ab'::bytea");
        assert!(inline_params("SELECT ?4", &params).is_err());
    }

    #[test]
    fn text_cells_convert() {
        let row = TestRow {
            cells: vec![
                Cell::Postgres(Some("42".to_owned())),
                Cell::Postgres(Some("t".to_owned())),
                Cell::Postgres(None),
                Cell::Postgres(Some("\\x00ff".to_owned())),
            ],
        };
        assert_eq!(row.get::<_, i64>(0).unwrap(), 42);
        assert!(row.get::<_, bool>(1).unwrap());
        assert_eq!(row.get::<_, Option<i64>>(2).unwrap(), None);
        assert!(row.get::<_, i64>(2).is_err());
        assert_eq!(row.get::<_, Vec<u8>>(3).unwrap(), vec![0, 0xff]);
        assert!(row.get::<_, i64>(1).is_err());
    }
}
