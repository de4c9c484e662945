//! [`TestSchema`]: the gateway crate's scratch PostgreSQL schema, made safe to drop while a
//! gateway still has connections in it.
//!
//! An in-process gateway's connections are tasks of the test's runtime. When the test ends (or
//! fails) the gateway is dropped but those tasks are not run again, so a connection may sit
//! idle in a transaction holding locks, and `DROP SCHEMA` would wait for it forever, blocking
//! the very runtime it waits on. So every connection a gateway opens is named after the schema
//! (`application_name`), and dropping the schema first ends them.

use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};

use crate::TestDb;

pub struct TestSchema {
    inner: ScratchSchema,
}

impl TestSchema {
    /// A fresh schema on the test PostgreSQL, created on a thread of its own so that
    /// synchronous code may call it inside or outside a runtime.
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn create() -> TestSchema {
        let created = std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot build a runtime: {e}"));
            rt.block_on(ScratchSchema::create())
        })
        .join();
        match created {
            Ok(inner) => TestSchema { inner },
            Err(_) => panic!("cannot create a scratch PostgreSQL schema (see the panic above)"),
        }
    }

    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The URL a gateway and a [`TestDb`] connect with: this schema first on the
    /// `search_path`, and the connections named after it.
    pub fn url(&self) -> String {
        format!("{}&application_name={}", self.inner.url(), self.name())
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // The gateway's listener names its connection `<name>-listener`.
        let ended = TestDb::try_postgres(&scratch::server_url()).and_then(|db| {
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name IN (?1, ?1 || '-listener') AND pid <> pg_backend_pid()",
                [self.name()],
            )
        });
        if let Err(e) = ended {
            eprintln!(
                "warning: could not end the connections to {}: {e}",
                self.name()
            );
        }
    }
}
