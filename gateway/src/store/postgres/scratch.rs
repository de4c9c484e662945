//! A throwaway schema for one test run, so runs on one PostgreSQL never see each other's
//! data: created with a unique name, reached through a URL whose connections put it first on
//! their `search_path`, dropped with everything in it when the value is dropped (a failing
//! test included). Test infrastructure: compiled for tests and the `conformance` feature only.
//!
//! A gateway that ran in the test's process may still hold connections in the schema when it
//! is dropped: its tasks belong to the test's runtime and are not run again, so a connection
//! can sit idle in a transaction that holds row locks, and `DROP SCHEMA` would wait for it
//! for ever (while blocking, in `drop`, the very runtime that could have ended it). So every
//! connection made through [`ScratchSchema::url`] carries the schema's name in its
//! `application_name` (a caller may add a prefix or a suffix, as the gateway's listener does),
//! and dropping the schema first ends those connections.

#![expect(clippy::expect_used, reason = "test infrastructure fails loudly")]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable that names the server tests use; CI sets it or uses the default.
pub const URL_VAR: &str = "CODEXKEY_TEST_POSTGRES_URL";

/// The machine's PostgreSQL in tests and CI.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";

/// The server tests run against: `$CODEXKEY_TEST_POSTGRES_URL`, else [`DEFAULT_URL`].
pub fn server_url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

pub struct ScratchSchema {
    server: String,
    name: String,
}

impl ScratchSchema {
    /// Creates a fresh schema on the test server. Panics, saying how to fix it, when the
    /// server cannot be reached: a test that needs PostgreSQL fails without it, never skips.
    pub async fn create() -> ScratchSchema {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "ck_test_{}_{}_{}",
            std::process::id(),
            nanos,
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let server = server_url();
        let client = connect(&server).await;
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .expect("the test schema is created");
        ScratchSchema { server, name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's URL with this schema first on every connection's `search_path` and its
    /// name as the connections' `application_name`. A caller may set another name that
    /// contains this one (a later `application_name` in the URL wins): dropping the schema
    /// ends every connection whose name contains it.
    pub fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}options=-csearch_path%3D{name}&application_name={name}",
            self.server,
            name = self.name
        )
    }
}

/// Runs the store's migration runner on `url` with `migrations` instead of the embedded ones,
/// so a test can give it lists the gateway never ships (a lower number arriving later).
pub async fn migrate_with(
    url: &str,
    migrations: &[(i64, &str, &str)],
) -> Result<(), crate::store::StoreError> {
    let target = super::Target::parse(url)?;
    let pool = target.pool()?;
    let mut client = pool.get().await.map_err(|e| target.unreachable(e))?;
    super::migrate::migrate_with(&mut client, migrations).await
}

/// A plain connection to the test server, its driver task spawned.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach the test PostgreSQL at `{url}`: {e}\n\
                 start it (CI and these machines run it on 127.0.0.1:5432, database `test`) or set {URL_VAR}"
            )
        });
    tokio::spawn(conn);
    client
}

/// How often the drop ends the schema's connections and tries again when `DROP SCHEMA` still
/// finds a lock held (a connection opened between the two, by a gateway still running).
const DROP_ATTEMPTS: u32 = 5;

/// Ends every connection named after `name`, then drops the schema, its lock wait bounded so
/// that a connection opened in between is ended on the next attempt instead of hanging.
async fn end_and_drop(server: &str, name: &str) -> Result<(), tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(conn);
    client.batch_execute("SET lock_timeout = '2s'").await?;
    let mut dropped = Ok(());
    for _ in 0..DROP_ATTEMPTS {
        client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE strpos(application_name, $1) > 0 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .await?;
        dropped = client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .await;
        if dropped.is_ok() {
            break;
        }
    }
    drop(client);
    let _ = driver.await;
    dropped
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        // On a thread of its own: the test's runtime may be gone or busy unwinding.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cleanup");
            rt.block_on(end_and_drop(&server, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            #[expect(clippy::print_stderr, reason = "a leftover schema is worth a line")]
            Ok(Err(e)) => eprintln!(
                "warning: could not drop the test schema {}: {}",
                self.name,
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |db| db.message().to_owned())
            ),
            #[expect(clippy::print_stderr, reason = "a leftover schema is worth a line")]
            Err(_) => eprintln!("warning: could not drop the test schema {}", self.name),
        }
    }
}
