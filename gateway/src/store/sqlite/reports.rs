//! Usage reports and event pages on SQLite (migration `0003_usage_reports.sql`), answered by
//! the shared engine [`codexkey_report`] over `usage_events` and `usage_rollup`, scoped by
//! account. What is the gateway's own: the records of its store API, and the accounts' emails
//! and keys' names that name report groups.
//!
//! [`roll_up`] adds new events to the rollup; the metering writer calls it in the transaction
//! that inserts them (updates and deletes are followed by triggers, see the migration).

use std::collections::HashMap;

use codexkey_common::api::{UsageDimension, UsageEvent};
use codexkey_report::{RollupEvent, Schema};
use rusqlite::{Connection, OptionalExtension};

use crate::store::usage::{EventPageQuery, UsageFilter, UsageGroupRecord};
use crate::store::{Millis, StoreError, UsageEventRecord};

/// The gateway's usage tables; an event's scope is its account.
const SCHEMA: Schema = Schema {
    events: "usage_events",
    rollup: "usage_rollup",
    scope: "account_id",
    account: "account_id",
    uncapped_cost: "uncapped_cost_micros",
};

/// Adds `events`, just inserted into `usage_events` in the transaction `tx`, to the rollup: one
/// upsert per distinct (account, quarter hour, key, model, status), so a batch of a thousand
/// requests of one key and model costs one statement. Whoever inserts usage events must call
/// it in the same transaction, or reports miss them.
pub fn roll_up<'a>(
    tx: &Connection,
    events: impl IntoIterator<Item = &'a UsageEventRecord>,
) -> Result<(), StoreError> {
    let events = events.into_iter().map(|e| {
        let u = &e.usage;
        RollupEvent {
            scope: e.account_id,
            created_at: e.created_at,
            key_id: e.key_id,
            model: e.model.as_deref(),
            status: e.status,
            input_tokens: u.input_tokens,
            cached_tokens: u.cached_tokens,
            cache_write_tokens: u.cache_write_5m_tokens + u.cache_write_1h_tokens,
            output_tokens: u.output_tokens,
            reasoning_tokens: u.reasoning_tokens,
            images: u.images,
            cost: e.cost,
        }
    });
    Ok(codexkey_report::rollup::roll_up(tx, &SCHEMA, events)?)
}

/// The grouped sums of the events `f` matches, by `dims` in that order. Day and hour groups
/// are taken in the fixed UTC offset `tz_offset_ms`, a multiple of
/// [`BUCKET_MS`](crate::store::usage::BUCKET_MS).
pub(crate) fn report(
    c: &Connection,
    f: &UsageFilter,
    dims: &[UsageDimension],
    tz_offset_ms: i64,
) -> Result<Vec<UsageGroupRecord>, StoreError> {
    let tz = crate::store::usage::fixed_offset(tz_offset_ms)
        .ok_or_else(|| StoreError::Backend(format!("no UTC offset of {tz_offset_ms} ms")))?;
    let groups = codexkey_report::report::report(c, &SCHEMA, f, dims, &tz)?;
    let mut names = Names::new(c)?;
    groups
        .into_iter()
        .map(|g| {
            let (key_prefix, key_name) = match g.key_id {
                Some(id) => names.key(id)?,
                None => (None, None),
            };
            Ok(UsageGroupRecord {
                period_start: g
                    .period
                    .map(|p| crate::store::usage::period_start(p, tz_offset_ms)),
                account_id: g.scope,
                email: g.scope.map(|id| names.email(id)).transpose()?.flatten(),
                key_id: g.key_id,
                key_prefix,
                key_name,
                model: g.model,
                totals: g.totals,
            })
        })
        .collect()
}

/// The emails of accounts and the prefixes and names of keys that groups name, each read once.
struct Names<'c> {
    email: rusqlite::CachedStatement<'c>,
    key: rusqlite::CachedStatement<'c>,
    emails: HashMap<i64, Option<String>>,
    keys: HashMap<i64, (Option<String>, Option<String>)>,
}

impl<'c> Names<'c> {
    fn new(c: &'c Connection) -> Result<Self, StoreError> {
        Ok(Names {
            email: c.prepare_cached("SELECT email FROM accounts WHERE id = ?1")?,
            key: c.prepare_cached("SELECT prefix, name FROM api_keys WHERE id = ?1")?,
            emails: HashMap::new(),
            keys: HashMap::new(),
        })
    }

    fn email(&mut self, account_id: i64) -> Result<Option<String>, StoreError> {
        if let Some(e) = self.emails.get(&account_id) {
            return Ok(e.clone());
        }
        let e = self
            .email
            .query_row([account_id], |r| r.get(0))
            .optional()?;
        self.emails.insert(account_id, e.clone());
        Ok(e)
    }

    fn key(&mut self, key_id: i64) -> Result<(Option<String>, Option<String>), StoreError> {
        if let Some(k) = self.keys.get(&key_id) {
            return Ok(k.clone());
        }
        let k = self
            .key
            .query_row([key_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .map_or((None, None), |(p, n)| (Some(p), n));
        self.keys.insert(key_id, k.clone());
        Ok(k)
    }
}

/// Up to `page.limit` events matching `f` past the cursor, in id order (or reversed); whether
/// more match; and with `page.count`, how many match past the cursor in all.
pub(crate) fn events(
    c: &Connection,
    f: &UsageFilter,
    page: EventPageQuery,
) -> Result<(Vec<UsageEvent>, bool, Option<u64>), StoreError> {
    let p = codexkey_report::events::events(c, &SCHEMA, f, page)?;
    Ok((p.events, p.has_more, p.remaining))
}

/// When the account's first event at or after `since` happened.
pub(crate) fn first_usage_at(
    c: &Connection,
    account_id: i64,
    since: Millis,
) -> Result<Option<Millis>, StoreError> {
    Ok(c.query_row(
        "SELECT MIN(created_at) FROM usage_events WHERE account_id = ?1 AND created_at >= ?2",
        [account_id, since],
        |r| r.get::<_, Option<i64>>(0),
    )
    .optional()?
    .flatten())
}

/// Where request `request_id` stands: its event (the unique `request_id` index finds it), else
/// its hold, else unknown.
pub(crate) fn request_state(
    c: &Connection,
    request_id: &str,
) -> Result<crate::store::RequestState, StoreError> {
    use crate::store::RequestState;
    let event = c
        .query_row(
            &format!(
                "SELECT {} FROM usage_events WHERE request_id = ?1",
                codexkey_report::events::event_columns(&SCHEMA)
            ),
            [request_id],
            codexkey_report::events::event_row,
        )
        .optional()?;
    if let Some(e) = event {
        return Ok(RequestState::Settled(Box::new(e)));
    }
    let held = c
        .query_row(
            "SELECT account_id FROM holds WHERE request_id = ?1",
            [request_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?;
    Ok(match held {
        Some(account_id) => RequestState::Held { account_id },
        None => RequestState::Unknown,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::store::usage::{BUCKET_MS, StatusFilter};
    use codexkey_common::Micros;

    const HOUR_MS: i64 = 3_600_000;
    const DAY_MS: i64 = 86_400_000;
    use crate::store::{MeterOp, SettledRequest};

    /// `(account, key, model, status, created_at, cost)`.
    type Row<'a> = (i64, Option<i64>, Option<&'a str>, i64, i64, i64);

    /// A store with accounts 1 and 2 and keys 1 (account 1) and 2 (account 2).
    fn db(rows: &[Row<'_>]) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Connection::open(dir.path().join("t.db")).unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at) VALUES
                 (1, 'a@x', 'h', 1000000, 0, 0), (2, 'b@x', 'h', 1000000, 0, 0);
             INSERT INTO api_keys (id, account_id, prefix, secret_hash, name, created_at) VALUES
                 (1, 1, 'ck-one', 'h1', 'one', 0), (2, 2, 'ck-two', 'h2', NULL, 0);",
        )
        .unwrap();
        for (i, (account, key, model, status, at, cost)) in rows.iter().enumerate() {
            insert(
                &mut c,
                i as i64 + 1,
                *account,
                *key,
                *model,
                *status,
                *at,
                *cost,
            );
        }
        (dir, c)
    }

    /// Writes one settled request the way the metering writer does (ledger, key spend, event,
    /// rollup), as a batch of one.
    #[expect(clippy::too_many_arguments)]
    fn insert(
        c: &mut Connection,
        n: i64,
        account: i64,
        key: Option<i64>,
        model: Option<&str>,
        status: i64,
        at: i64,
        cost: i64,
    ) {
        let event = UsageEventRecord {
            model: model.map(str::to_owned),
            key_id: key,
            account_id: account,
            usage: codexkey_common::Usage {
                input_tokens: n as u64 * 10,
                cached_tokens: n as u64,
                cache_write_5m_tokens: n as u64 % 3,
                cache_write_1h_tokens: 0,
                output_tokens: n as u64 * 2,
                reasoning_tokens: n as u64 % 2,
                images: n as u64 % 5,
            },
            cost: Micros(cost),
            status: status as u16,
            ..event_for_batch(n, at)
        };
        settle(c, vec![event]);
    }

    /// Applies settlements as one batch of the metering writer.
    fn settle(c: &mut Connection, events: Vec<UsageEventRecord>) {
        let ops: Vec<MeterOp> = events
            .into_iter()
            .map(|event| MeterOp::Settle(Box::new(SettledRequest::new(event, None))))
            .collect();
        crate::store::sqlite::SqliteStore::apply_batch(c, &ops).unwrap();
    }

    fn event_for_batch(n: i64, at: i64) -> UsageEventRecord {
        UsageEventRecord {
            model: None,
            usage: codexkey_common::Usage {
                input_tokens: 7,
                output_tokens: 3,
                ..Default::default()
            },
            ..crate::store::testkit::event(&format!("req-{n}"), 1, Some(1), 11, at)
        }
    }

    /// The same sums straight from `usage_events`, per `(account, key, model, status, bucket)`.
    fn raw_groups(c: &Connection) -> Vec<Vec<i64>> {
        let mut stmt = c
            .prepare(
                "SELECT account_id, COALESCE(key_id, 0), COALESCE(model, ''), status,
                        created_at - created_at % 900000, COUNT(*), SUM(input_tokens), SUM(cached_tokens),
                        SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(images),
                        SUM(cost_micros)
                 FROM usage_events GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..13)
                    .map(|i| match r.get::<_, i64>(i) {
                        Ok(v) => v,
                        // The model column: compare its length.
                        Err(_) => r.get::<_, String>(i).map(|s| s.len() as i64).unwrap_or(-1),
                    })
                    .collect())
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn rollup_groups(c: &Connection) -> Vec<Vec<i64>> {
        let mut stmt = c
            .prepare(
                "SELECT account_id, key_id, model, status, bucket, requests, input_tokens, cached_tokens,
                        cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros
                 FROM usage_rollup ORDER BY 1, 2, 3, 4, 5",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..13)
                    .map(|i| match r.get::<_, i64>(i) {
                        Ok(v) => v,
                        Err(_) => r.get::<_, String>(i).map(|s| s.len() as i64).unwrap_or(-1),
                    })
                    .collect())
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn the_rollup_follows_inserts_updates_and_deletes() {
        let q = BUCKET_MS;
        let (_d, c) = db(&[
            (1, Some(1), Some("gpt-5.5"), 200, 10, 100),
            (1, Some(1), Some("gpt-5.5"), 200, 20, 200),
            (1, Some(1), Some("gpt-5.5"), 502, 30, 0),
            (1, Some(1), Some("claude"), 200, q + 1, 300),
            (1, None, None, 0, q + 2, 7),
            (2, Some(2), Some("gpt-5.5"), 200, 2 * q, 400),
        ]);
        assert_eq!(rollup_groups(&c), raw_groups(&c));
        assert_eq!(rollup_groups(&c).len(), 5);
        // A batch of several events, three of one new group, one of a group that exists.
        let mut c = c;
        let batch: Vec<UsageEventRecord> = (0..4)
            .map(|i| UsageEventRecord {
                model: Some(if i < 3 { "gpt-5.5" } else { "claude" }.into()),
                ..event_for_batch(100 + i, if i < 3 { 3 * q + 40 } else { q + 9 })
            })
            .collect();
        settle(&mut c, batch);
        assert_eq!(rollup_groups(&c), raw_groups(&c));
        assert_eq!(rollup_groups(&c).len(), 6);
        // Move an event to another bucket, model and status; change a cost; delete one.
        c.execute(
            "UPDATE usage_events SET created_at = ?1, model = 'claude', status = 429 WHERE request_id = 'req-1'",
            [5 * q],
        )
        .unwrap();
        c.execute(
            "UPDATE usage_events SET cost_micros = 999 WHERE request_id = 'req-2'",
            [],
        )
        .unwrap();
        c.execute("DELETE FROM usage_events WHERE request_id = 'req-3'", [])
            .unwrap();
        c.execute("DELETE FROM usage_events WHERE request_id = 'req-6'", [])
            .unwrap();
        assert_eq!(rollup_groups(&c), raw_groups(&c));
        // A group emptied by deletes leaves no zero row behind.
        let zero: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM usage_rollup WHERE requests = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(zero, 0);
    }

    #[test]
    fn migration_backfills_the_rollup_from_existing_events() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Connection::open(dir.path().join("t.db")).unwrap();
        crate::store::sqlite::migrate_to_for_tests(&mut c, 2);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@x', 'h', 0, 0);
             INSERT INTO usage_events (request_id, account_id, route, model, status, cost_micros, input_tokens, created_at)
             VALUES ('a', 1, 'r', 'm', 200, 5, 1, 1000), ('b', 1, 'r', 'm', 200, 7, 2, 2000), ('c', 1, 'r', NULL, 500, 0, 3, 901000);",
        )
        .unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        assert_eq!(rollup_groups(&c), raw_groups(&c));
        assert_eq!(rollup_groups(&c).len(), 2);
    }

    fn totals(g: &UsageGroupRecord) -> (u64, u64, i64) {
        (g.totals.requests, g.totals.errors, g.totals.cost_micros.0)
    }

    #[test]
    fn reports_read_the_rollup_and_the_partial_ends_exactly() {
        let q = BUCKET_MS;
        let day = DAY_MS;
        let (_d, c) = db(&[
            (1, Some(1), Some("gpt-5.5"), 200, 10, 100),
            (1, Some(1), Some("gpt-5.5"), 200, q - 1, 200),
            (1, Some(1), Some("claude"), 502, q + 5, 1),
            (1, Some(1), Some("claude"), 200, day - 1, 300),
            (1, Some(1), Some("gpt-5.5"), 200, day, 400),
            (1, Some(1), Some("gpt-5.5"), 0, day + 3 * q + 7, 50),
            (2, Some(2), Some("gpt-5.5"), 200, 20, 1000),
        ]);
        let mine = UsageFilter {
            scope: Some(1),
            ..UsageFilter::default()
        };
        // Every range, aligned or not, sums exactly what the raw events hold.
        let bounds = [
            0,
            9,
            10,
            11,
            q - 1,
            q,
            q + 5,
            q + 6,
            day - 1,
            day,
            day + 3 * q + 7,
            day + 3 * q + 8,
            2 * day,
        ];
        for &from in &bounds {
            for &to in &bounds {
                let f = UsageFilter {
                    from: Some(from),
                    to: Some(to),
                    ..mine.clone()
                };
                let got: i64 = report(&c, &f, &[], 0)
                    .unwrap()
                    .first()
                    .map_or(0, |g| g.totals.cost_micros.0);
                let want: i64 = c
                    .query_row(
                        "SELECT COALESCE(SUM(cost_micros), 0) FROM usage_events WHERE account_id = 1 AND created_at >= ?1 AND created_at < ?2",
                        [from, to],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(got, want, "[{from}, {to})");
            }
        }
        // By day (UTC), then by model.
        let f = UsageFilter {
            from: Some(0),
            to: Some(2 * day),
            ..mine.clone()
        };
        let by_day = report(&c, &f, &[UsageDimension::Day], 0).unwrap();
        assert_eq!(
            by_day
                .iter()
                .map(|g| (g.period_start, totals(g)))
                .collect::<Vec<_>>(),
            vec![(Some(0), (4, 1, 601)), (Some(day), (2, 1, 450))]
        );
        // The same days three hours ahead of UTC: `day - 1` now falls on the second day.
        let three_hours = 3 * HOUR_MS;
        let by_day = report(&c, &f, &[UsageDimension::Day], three_hours).unwrap();
        assert_eq!(
            by_day
                .iter()
                .map(|g| (g.period_start, totals(g)))
                .collect::<Vec<_>>(),
            vec![
                (Some(-three_hours), (3, 1, 301)),
                (Some(day - three_hours), (3, 1, 750))
            ]
        );
        let by_model = report(&c, &f, &[UsageDimension::Model], 0).unwrap();
        assert_eq!(
            by_model
                .iter()
                .map(|g| (g.model.clone(), totals(g)))
                .collect::<Vec<_>>(),
            vec![
                (Some("claude".into()), (2, 1, 301)),
                (Some("gpt-5.5".into()), (4, 1, 750))
            ]
        );
        let by_key = report(&c, &f, &[UsageDimension::Key], 0).unwrap();
        assert_eq!(by_key.len(), 1);
        assert_eq!(
            (
                by_key[0].key_id,
                by_key[0].key_prefix.as_deref(),
                by_key[0].key_name.as_deref()
            ),
            (Some(1), Some("ck-one"), Some("one"))
        );
        // Filters.
        let ok = UsageFilter {
            status: Some(StatusFilter::Ok),
            model: Some("gpt-*".into()),
            ..f.clone()
        };
        assert_eq!(totals(&report(&c, &ok, &[], 0).unwrap()[0]), (3, 0, 700));
        let errors = UsageFilter {
            status: Some(StatusFilter::Error),
            ..f.clone()
        };
        assert_eq!(totals(&report(&c, &errors, &[], 0).unwrap()[0]), (2, 2, 51));
        let code = UsageFilter {
            status: Some(StatusFilter::Code(502)),
            ..f.clone()
        };
        assert_eq!(totals(&report(&c, &code, &[], 0).unwrap()[0]), (1, 1, 1));
        let nothing = UsageFilter {
            key_id: Some(2),
            ..f.clone()
        };
        assert!(report(&c, &nothing, &[], 0).unwrap().is_empty());
        // Every account, by account then day.
        let all = UsageFilter {
            scope: None,
            ..f.clone()
        };
        let by_account =
            report(&c, &all, &[UsageDimension::Account, UsageDimension::Day], 0).unwrap();
        assert_eq!(
            by_account
                .iter()
                .map(|g| (
                    g.account_id,
                    g.email.clone(),
                    g.period_start,
                    g.totals.cost_micros.0
                ))
                .collect::<Vec<_>>(),
            vec![
                (Some(1), Some("a@x".into()), Some(0), 601),
                (Some(1), Some("a@x".into()), Some(day), 450),
                (Some(2), Some("b@x".into()), Some(0), 1000),
            ]
        );
    }

    #[test]
    fn event_pages_follow_the_cursor_and_the_filter() {
        let (_d, c) = db(&[
            (1, Some(1), Some("a"), 200, 10, 1),
            (2, Some(2), Some("a"), 200, 20, 2),
            (1, Some(1), Some("b"), 500, 30, 3),
            (1, Some(1), Some("a"), 200, 40, 4),
            (1, Some(1), Some("a"), 200, 50, 5),
        ]);
        let f = UsageFilter {
            scope: Some(1),
            ..UsageFilter::default()
        };
        let page = |cursor: Option<i64>, limit: u32, count: bool| EventPageQuery {
            cursor,
            limit,
            count,
            newest_first: false,
        };
        let (page1, more, remaining) = events(&c, &f, page(None, 2, true)).unwrap();
        assert_eq!(page1.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 3]);
        assert!(more);
        assert_eq!(remaining, Some(4));
        let (page2, more, remaining) = events(&c, &f, page(Some(3), 2, false)).unwrap();
        assert_eq!(page2.iter().map(|e| e.id).collect::<Vec<_>>(), vec![4, 5]);
        assert!(!more);
        assert_eq!(remaining, None);
        let (page3, more, _) = events(&c, &f, page(Some(5), 2, false)).unwrap();
        assert!(page3.is_empty() && !more);
        // Newest first, from the end and then below a cursor.
        let newest = |cursor| EventPageQuery {
            newest_first: true,
            ..page(cursor, 3, true)
        };
        let (desc, more, remaining) = events(&c, &f, newest(None)).unwrap();
        assert_eq!(desc.iter().map(|e| e.id).collect::<Vec<_>>(), vec![5, 4, 3]);
        assert!(more);
        assert_eq!(remaining, Some(4));
        let (desc, more, _) = events(&c, &f, newest(Some(3))).unwrap();
        assert_eq!(desc.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1]);
        assert!(!more);
        let a_only = UsageFilter {
            model: Some("a".into()),
            from: Some(15),
            to: Some(50),
            ..f
        };
        let (found, _, remaining) = events(&c, &a_only, page(None, 10, true)).unwrap();
        assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), vec![4]);
        assert_eq!(remaining, Some(1));
        assert_eq!(found[0].cost_micros, Micros(4));
        assert_eq!(found[0].created_at.timestamp_millis(), 40);
        assert_eq!(first_usage_at(&c, 1, 11).unwrap(), Some(30));
        assert_eq!(first_usage_at(&c, 1, 51).unwrap(), None);
    }

    #[test]
    fn a_request_is_settled_held_or_unknown() {
        use crate::store::RequestState;
        let (_dir, c) = db(&[(2, Some(2), Some("gpt-4o"), 200, 10, 1234)]);
        c.execute(
            "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros, route, model, created_at)
             VALUES ('req-held', 1, 1, 500, 100, 'messages', 'claude-opus-4-8', 20)",
            [],
        )
        .unwrap();
        match request_state(&c, "req-1").unwrap() {
            RequestState::Settled(e) => {
                assert_eq!(
                    (e.account_id, e.model.as_deref(), e.cost_micros, e.status),
                    (2, Some("gpt-4o"), Micros(1234), 200)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            request_state(&c, "req-held").unwrap(),
            RequestState::Held { account_id: 1 }
        ));
        assert!(matches!(
            request_state(&c, "req-nope").unwrap(),
            RequestState::Unknown
        ));
    }
}
