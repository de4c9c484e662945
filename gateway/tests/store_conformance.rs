//! The store conformance suite on both backends: on SQLite each story gets a new database file
//! in a temporary directory, on PostgreSQL a new schema; each is opened again for a restart.

#![expect(clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use codexkey_gateway::store::Store;
use codexkey_gateway::store::conformance::{self, Database};
use codexkey_gateway::store::postgres::PgStore;
use codexkey_gateway::store::postgres::scratch::ScratchSchema;
use codexkey_gateway::store::sqlite::SqliteStore;

struct SqliteDatabase {
    dir: tempfile::TempDir,
}

#[async_trait]
impl Database for SqliteDatabase {
    async fn open(&self) -> Arc<dyn Store> {
        let path = self.dir.path().join("codexkey.db");
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
            .await
            .expect("the open task finishes")
            .expect("the database opens");
        Arc::new(store)
    }
}

#[tokio::test]
async fn sqlite_passes_the_store_conformance_suite() {
    conformance::run(|| async {
        SqliteDatabase {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    })
    .await;
}

/// Each story on a schema of its own on the test PostgreSQL (`CODEXKEY_TEST_POSTGRES_URL`,
/// else the machine's 127.0.0.1:5432 `test` database), opened again through the same URL for a
/// restart, and dropped afterwards. Fails, not skips, without PostgreSQL.
struct PgDatabase {
    schema: ScratchSchema,
}

#[async_trait]
impl Database for PgDatabase {
    async fn open(&self) -> Arc<dyn Store> {
        let store = PgStore::open(&self.schema.url())
            .await
            .expect("the PostgreSQL store opens");
        Arc::new(store)
    }
}

#[tokio::test]
async fn postgres_passes_the_store_conformance_suite() {
    conformance::run(|| async {
        PgDatabase {
            schema: ScratchSchema::create().await,
        }
    })
    .await;
}
