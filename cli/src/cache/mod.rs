//! The local-first usage cache: a SQLite file holding the caller's usage events (metadata
//! only), synced from the gateway incrementally by cursor, so `codexkey usage` answers from
//! disk, and offline too.
//!
//! Where: `usage-cache.db` in `$CODEXKEY_CLI_DATA_DIR`, else in the platform data dir
//! (`~/.local/share/codexkey` on Linux). One file serves every gateway and account: each pair
//! is a *source* with its own cursor. The schema is versioned ([`schema`]); opening a cache
//! from an older codexkey upgrades it in place, and one from a newer codexkey is refused
//! untouched. It is only a cache: deleting it loses nothing, the next sync rebuilds it.
//!
//! What does not belong here: HTTP (the sync takes any [`sync::EventSource`]) and output.

pub mod report;
mod rollup;
pub mod schema;
pub mod sync;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use codexkey_common::api::{ApiKey, CurrencyRate, UsageEvent};
use rusqlite::{Connection, OptionalExtension as _, Row, params};

use crate::error::UserError;

pub mod env {
    /// Overrides the directory of the cache (and of any other data the CLI keeps).
    pub const DATA_DIR: &str = "CODEXKEY_CLI_DATA_DIR";
}

/// The cache file's name in the data dir.
pub const FILE_NAME: &str = "usage-cache.db";

/// The directory the CLI keeps data in: `$CODEXKEY_CLI_DATA_DIR`, else the platform's.
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(env::DATA_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("codexkey"))
        .context("this system has no data directory; set `CODEXKEY_CLI_DATA_DIR`")
}

/// One gateway and account whose events the cache holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: i64,
    pub gateway: String,
    pub account_id: i64,
    pub email: String,
    /// The account's display currency.
    pub currency: String,
    /// The id of the newest event stored: where the next sync starts.
    pub cursor: i64,
    /// When the last complete sync ended (Unix ms); `None` if none has.
    pub synced_at: Option<i64>,
}

/// A key as the cache knows it, for naming groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    pub id: i64,
    pub prefix: String,
    pub name: Option<String>,
}

pub struct Cache {
    conn: Connection,
    path: PathBuf,
}

const SOURCE_COLUMNS: &str = "id, gateway, account_id, email, currency, cursor, synced_at";

fn source_row(r: &Row<'_>) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        gateway: r.get(1)?,
        account_id: r.get(2)?,
        email: r.get(3)?,
        currency: r.get(4)?,
        cursor: r.get(5)?,
        synced_at: r.get(6)?,
    })
}

impl Cache {
    /// Opens the cache in [`data_dir`], creating it if missing.
    pub fn open_default() -> Result<Cache> {
        Cache::open(&data_dir()?.join(FILE_NAME))
    }

    /// Opens (creating if missing) the cache at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Cache> {
        if let Some(dir) = path.parent() {
            crate::settings::create_private_dir(dir)?;
        }
        // Usage metadata (client IPs, user agents) is nobody else's business. The file exists
        // before SQLite opens it because SQLite gives its `-wal` and `-shm` files the main
        // file's mode; files left by an older version are fixed.
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                let file = Path::new(&file);
                if file.exists() {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("cannot make {} private", file.display()))?;
                }
            }
        }
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open the usage cache {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // A cache may lose its last transaction on a power loss: the next sync refills it.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut conn, path)?;
        Ok(Cache {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the file is at.
    pub fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The source for this gateway and account, created on first use; its email and display
    /// currency are refreshed from `email` and `currency`.
    pub fn source(
        &self,
        gateway: &str,
        account_id: i64,
        email: &str,
        currency: &str,
    ) -> Result<Source> {
        self.conn.execute(
            "INSERT INTO sources (gateway, account_id, email, currency) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (gateway, account_id) DO UPDATE SET email = excluded.email, currency = excluded.currency",
            params![gateway, account_id, email, currency],
        )?;
        Ok(self.conn.query_row(
            &format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE gateway = ?1 AND account_id = ?2"),
            params![gateway, account_id],
            source_row,
        )?)
    }

    /// The source of `gateway` synced last, for offline use when the account is not known.
    pub fn latest_source(&self, gateway: &str) -> Result<Option<Source>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {SOURCE_COLUMNS} FROM sources WHERE gateway = ?1
                     ORDER BY COALESCE(synced_at, 0) DESC, id DESC LIMIT 1"
                ),
                [gateway],
                source_row,
            )
            .optional()?)
    }

    pub fn source_by_id(&self, id: i64) -> Result<Source> {
        Ok(self.conn.query_row(
            &format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?1"),
            [id],
            source_row,
        )?)
    }

    /// Stores a page of events and moves the source's cursor to `cursor`, in one transaction:
    /// a sync interrupted between pages resumes after the last page stored, and a page stored
    /// twice changes nothing. Returns how many events were new.
    pub fn store_page(
        &mut self,
        source_id: i64,
        events: &[UsageEvent],
        cursor: i64,
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let mut stored = 0;
        let mut new: Vec<&UsageEvent> = Vec::with_capacity(events.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (source_id, id, request_id, key_id, route, provider, model,
                     input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images,
                     cost_micros, status, error_code, settlement, latency_ms, ttfb_ms, client_ip, user_agent, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?;
            for e in events {
                let inserted = stmt.execute(params![
                    source_id,
                    e.id,
                    e.request_id,
                    e.key_id,
                    e.route,
                    e.provider,
                    e.model,
                    e.input_tokens as i64,
                    e.cached_tokens as i64,
                    e.cache_write_tokens as i64,
                    e.output_tokens as i64,
                    e.reasoning_tokens as i64,
                    e.images as i64,
                    e.cost_micros.0,
                    e.status,
                    e.error_code,
                    e.settlement,
                    e.latency_ms,
                    e.ttfb_ms,
                    e.client_ip,
                    e.user_agent,
                    e.created_at.timestamp_millis()
                ])?;
                if inserted == 1 {
                    stored += 1;
                    new.push(e);
                }
            }
        }
        rollup::roll_up(&tx, source_id, new)?;
        tx.execute(
            "UPDATE sources SET cursor = MAX(cursor, ?2) WHERE id = ?1",
            params![source_id, cursor],
        )?;
        tx.commit()?;
        Ok(stored)
    }

    /// Records that a sync of the source completed at `at`.
    pub fn mark_synced(&self, source_id: i64, at: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sources SET synced_at = ?2 WHERE id = ?1",
            params![source_id, at],
        )?;
        Ok(())
    }

    /// Replaces the source's keys (kept to name report groups offline).
    pub fn set_keys(&mut self, source_id: i64, keys: &[ApiKey]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM keys WHERE source_id = ?1", [source_id])?;
        for k in keys {
            tx.execute(
                "INSERT INTO keys (source_id, id, prefix, name) VALUES (?1, ?2, ?3, ?4)",
                params![source_id, k.id, k.prefix, k.name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn keys(&self, source_id: i64) -> Result<Vec<CachedKey>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, prefix, name FROM keys WHERE source_id = ?1 ORDER BY id")?;
        let keys = stmt
            .query_map([source_id], |r| {
                Ok(CachedKey {
                    id: r.get(0)?,
                    prefix: r.get(1)?,
                    name: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    /// Replaces the source's display-currency rates.
    pub fn set_currencies(&mut self, source_id: i64, rates: &[CurrencyRate]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM currencies WHERE source_id = ?1", [source_id])?;
        for r in rates {
            tx.execute(
                "INSERT INTO currencies (source_id, code, rate, date) VALUES (?1, ?2, ?3, ?4)",
                params![source_id, r.code, r.rate.to_string(), r.date.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn currencies(&self, source_id: i64) -> Result<Vec<CurrencyRate>> {
        let mut stmt = self.conn.prepare(
            "SELECT code, rate, date FROM currencies WHERE source_id = ?1 ORDER BY code",
        )?;
        let rows = stmt
            .query_map([source_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(code, rate, date)| {
                Ok(CurrencyRate {
                    rate: rate
                        .parse()
                        .with_context(|| format!("the cached rate of {code}"))?,
                    date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                        .with_context(|| format!("the cached rate date of {code}"))?,
                    code,
                })
            })
            .collect()
    }

    /// How many events the source holds.
    pub fn count(&self, source_id: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE source_id = ?1",
            [source_id],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Brings the schema to the newest version, one transaction per step.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = schema::MIGRATIONS.len() as i64;
    if current > latest {
        return Err(UserError::new(
            format!(
                "the usage cache {} is at schema version {current}, newer than this codexkey knows ({latest})",
                path.display()
            ),
            format!(
                "upgrade codexkey, or delete the file: it is only a cache and the next sync rebuilds it (`rm {}`)",
                path.display()
            ),
        )
        .into());
    }
    for (i, sql) in schema::MIGRATIONS
        .iter()
        .enumerate()
        .skip(current.max(0) as usize)
    {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("cannot upgrade the usage cache to version {version}"))?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use codexkey_common::Micros;

    pub(crate) fn event(
        id: i64,
        at_ms: i64,
        model: &str,
        key: i64,
        status: u16,
        cost: i64,
    ) -> UsageEvent {
        UsageEvent {
            id,
            request_id: format!("req-{id}"),
            account_id: 1,
            key_id: Some(key),
            route: "chat.completions".into(),
            provider: Some("openai".into()),
            model: Some(model.into()),
            input_tokens: 100,
            cached_tokens: 10,
            cache_write_tokens: 1,
            output_tokens: 20,
            reasoning_tokens: 2,
            images: 0,
            cost_micros: Micros(cost),
            status,
            error_code: None,
            settlement: "final_usage".into(),
            uncapped_cost_micros: None,
            latency_ms: Some(5),
            ttfb_ms: Some(1),
            client_ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            created_at: chrono::DateTime::from_timestamp_millis(at_ms).unwrap(),
        }
    }

    #[test]
    fn pages_are_stored_once_and_move_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(cache.version().unwrap(), schema::MIGRATIONS.len() as i64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(cache.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let s = cache.source("http://gw", 1, "a@x", "RUB").unwrap();
        assert_eq!((s.cursor, s.synced_at), (0, None));
        let page = [
            event(1, 1000, "m", 1, 200, 5),
            event(2, 2000, "m", 1, 200, 7),
        ];
        assert_eq!(cache.store_page(s.id, &page, 2).unwrap(), 2);
        assert_eq!(
            cache.store_page(s.id, &page, 2).unwrap(),
            0,
            "a page stored twice adds nothing"
        );
        // A cursor never moves back.
        assert_eq!(cache.store_page(s.id, &page[..1], 1).unwrap(), 0);
        assert_eq!(cache.source_by_id(s.id).unwrap().cursor, 2);
        assert_eq!(cache.count(s.id).unwrap(), 2);
        // The rollup holds each stored event once.
        let sums = |table: &str| -> (i64, i64) {
            cache
                .conn()
                .query_row(
                    &format!("SELECT COUNT(*), SUM(cost_micros) FROM {table}"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap()
        };
        assert_eq!(sums("events"), (2, 12));
        let requests: i64 = cache
            .conn()
            .query_row("SELECT SUM(requests) FROM rollup", [], |r| r.get(0))
            .unwrap();
        assert_eq!((requests, sums("rollup").1), (2, 12));
        // Sources are per gateway and account; the email and currency follow the account.
        let other = cache.source("http://gw", 2, "b@x", "USD").unwrap();
        assert_ne!(other.id, s.id);
        assert_eq!(cache.count(other.id).unwrap(), 0);
        let again = cache.source("http://gw", 1, "a2@x", "EUR").unwrap();
        assert_eq!(
            (again.id, again.email.as_str(), again.currency.as_str()),
            (s.id, "a2@x", "EUR")
        );
        cache.mark_synced(s.id, 42).unwrap();
        assert_eq!(
            cache.latest_source("http://gw").unwrap().map(|s| s.id),
            Some(s.id)
        );
        assert_eq!(cache.latest_source("http://other").unwrap(), None);
    }

    #[test]
    fn keys_and_rates_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join(FILE_NAME)).unwrap();
        let s = cache.source("http://gw", 1, "a@x", "RUB").unwrap();
        let rate = |code: &str, r: &str| CurrencyRate {
            code: code.into(),
            rate: r.parse().unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        };
        cache
            .set_currencies(s.id, &[rate("RUB", "92.5312"), rate("EUR", "0.92")])
            .unwrap();
        cache.set_currencies(s.id, &[rate("RUB", "95")]).unwrap();
        assert_eq!(cache.currencies(s.id).unwrap(), vec![rate("RUB", "95")]);
    }

    /// A cache written by the first schema (raw events only) opens as the current one, its
    /// events and cursor intact and its rollup filled from them.
    #[test]
    fn an_old_cache_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(schema::V1).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO sources (id, gateway, account_id, email, currency, cursor, synced_at)
                     VALUES (1, 'http://gw', 7, 'old@x', 'RUB', 3, 1000);
                 INSERT INTO events (source_id, id, request_id, key_id, route, model, input_tokens, cached_tokens,
                     cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, settlement, created_at)
                 VALUES (1, 1, 'a', 1, 'r', 'm', 10, 0, 0, 5, 0, 0, 100, 200, 'final_usage', 1000),
                        (1, 2, 'b', 1, 'r', 'm', 20, 0, 0, 6, 0, 0, 200, 200, 'final_usage', 2000),
                        (1, 3, 'c', 1, 'r', 'n', 30, 0, 0, 7, 0, 0, 300, 502, 'upstream_error', 901000);",
            )
            .unwrap();
        }
        let mut cache = Cache::open(&path).unwrap();
        assert_eq!(cache.version().unwrap(), 2);
        let s = cache.latest_source("http://gw").unwrap().unwrap();
        assert_eq!((s.account_id, s.cursor, s.synced_at), (7, 3, Some(1000)));
        let rollup: Vec<(i64, String, i64, i64)> = cache
            .conn()
            .prepare(
                "SELECT bucket, model, requests, cost_micros FROM rollup ORDER BY bucket, model",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rollup,
            vec![(0, "m".into(), 2, 300), (900_000, "n".into(), 1, 300)]
        );
        // New events keep the rollup in step.
        cache
            .store_page(s.id, &[event(4, 1500, "m", 1, 200, 50)], 4)
            .unwrap();
        let cost: i64 = cache
            .conn()
            .query_row("SELECT SUM(cost_micros) FROM rollup", [], |r| r.get(0))
            .unwrap();
        assert_eq!(cost, 650);
    }

    #[test]
    fn a_newer_cache_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Cache::open(&path).err().unwrap();
        assert!(err.to_string().contains("schema version 99"), "{err}");
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
    }
}
