//! The PostgreSQL schema's embedded migrations, applied at start-up.
//!
//! All pending migrations run in one transaction that first takes a transaction-scoped
//! advisory lock, so replicas starting together apply them once: the second waits for the
//! first to commit, then finds nothing left to do. The lock is per schema (its name hashed
//! into the lock's second key), so test runs each in their own schema never wait on each
//! other. PostgreSQL's DDL is transactional: a failed migration leaves the schema as it was.

use crate::store::StoreError;

/// Migrations embedded in the binary, applied in order; shipped ones are never edited.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "balance_is_ledger",
        include_str!("../../../migrations/postgres/0002_balance_is_ledger.sql"),
    ),
    (
        3,
        "orders",
        include_str!("../../../migrations/postgres/0003_orders.sql"),
    ),
    (
        4,
        "account_security",
        include_str!("../../../migrations/postgres/0004_account_security.sql"),
    ),
    (
        5,
        "refunds_referrals",
        include_str!("../../../migrations/postgres/0005_refunds_referrals.sql"),
    ),
    (
        6,
        "account_lifecycle",
        include_str!("../../../migrations/postgres/0006_account_lifecycle.sql"),
    ),
    (
        7,
        "balance_leases",
        include_str!("../../../migrations/postgres/0007_balance_leases.sql"),
    ),
    (
        8,
        "change_notifications",
        include_str!("../../../migrations/postgres/0008_change_notifications.sql"),
    ),
    (
        9,
        "account_purge",
        include_str!("../../../migrations/postgres/0009_account_purge.sql"),
    ),
    (
        10,
        "key_tpm",
        include_str!("../../../migrations/postgres/0010_key_tpm.sql"),
    ),
];

/// The advisory lock's first key: "ck" and "mg" in ASCII, so the lock is recognisable in
/// `pg_locks` and unlikely to meet another application's.
const LOCK_CLASS: i32 = 0x636b_6d67;

/// Applies every embedded migration the database has not recorded yet.
pub(super) async fn migrate(client: &mut deadpool_postgres::Object) -> Result<(), StoreError> {
    migrate_with(client, MIGRATIONS).await
}

/// [`migrate`] with the given list of migrations.
pub(super) async fn migrate_with(
    client: &mut deadpool_postgres::Object,
    migrations: &[(i64, &str, &str)],
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    let schema: Option<String> = tx
        .query_one("SELECT current_schema()::text", &[])
        .await?
        .try_get(0)?;
    let Some(schema) = schema else {
        return Err(StoreError::Backend(
            "the connection's search_path names no existing schema: create it first (`CREATE SCHEMA …`) or fix `options=-csearch_path=…` in the URL"
                .into(),
        ));
    };
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_CLASS, &schema],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let latest = migrations.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {current}, newer than this gateway knows ({latest}); upgrade codexkey"
        )));
    }
    // Each migration not yet recorded, not only those above the newest, as on SQLite: branches
    // number their migrations ahead of each other, and a database that has 4 must still get 3
    // when it arrives.
    let applied: Vec<i64> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for (version, name, sql) in migrations.iter().filter(|m| !applied.contains(&m.0)) {
        tx.batch_execute(sql).await.map_err(|e| {
            StoreError::Backend(format!("migration {version} ({name}) failed: {e}"))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[version, name, &chrono::Utc::now().timestamp_millis()],
        )
        .await?;
        tracing::info!(version, name, "applied database migration");
    }
    tx.commit().await?;
    Ok(())
}
