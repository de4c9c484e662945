//! The store conformance suite on the SQLite backend: each story on a new database file in a
//! temporary directory, opened again from the same file for a restart.

#![expect(clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use codexkey_gateway::store::Store;
use codexkey_gateway::store::conformance::{self, Database};
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
