//! Usage reports, event pages and request states on PostgreSQL, and the rollup that keeps
//! reports cheap.
//!
//! The report engine ([`codexkey_report`]) speaks SQLite, so the queries are written here in
//! PostgreSQL's SQL, shaped like the engine's: the rollup for the whole quarter hours of the
//! range and the raw events for its partial ends, one grouped query. What is backend-neutral
//! is the engine's: the filter ([`UsageFilter`]), how a range splits
//! ([`codexkey_common::rollup::split_range`]), what is summed ([`SUM_COLUMNS`]) and how grouped
//! rows become the report's groups, local days and hours included
//! ([`codexkey_report::report::groups`]). So both stores answer every report identically; the
//! conformance suite's usage stories check it.

use codexkey_common::api::{UsageDimension, UsageEvent};
use codexkey_common::rollup::{BUCKET_MS, split_range};
use codexkey_report::report::{GroupRow, MAX_TIME, SUM_COLUMNS, Sums};
use codexkey_report::{EventPageQuery, StatusFilter};

use super::*;
use crate::store::usage::{UsageFilter, UsageGroupRecord};

/// Bound values of a query being assembled, numbered as they are pushed.
#[derive(Default)]
struct Args(Vec<Box<dyn ToSql + Sync + Send>>);

impl Args {
    /// Binds `v` and answers its placeholder (`$n`).
    fn bind(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
    }
}

/// The filter's conditions (not its time range), as the engine's `filter::conditions` writes
/// them for SQLite. The columns are named alike in `usage_events` and `usage_rollup`.
fn conditions(f: &UsageFilter, sql: &mut String, args: &mut Args) {
    if let Some(scope) = f.scope {
        sql.push_str(&format!(" AND account_id = {}", args.bind(scope)));
    }
    if let Some(k) = f.key_id {
        sql.push_str(&format!(" AND key_id = {}", args.bind(k)));
    }
    if let Some(m) = &f.model {
        if m.contains('*') {
            // Only `*` is special in a pattern (SQLite's GLOB with its other specials
            // escaped): LIKE's own specials and its escape are matched literally.
            let pattern = m
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
                .replace('*', "%");
            // The rollup keeps "no model" as '' and the events as NULL: both read as ''.
            sql.push_str(&format!(
                " AND COALESCE(model, '') LIKE {} ESCAPE '\\'",
                args.bind(pattern)
            ));
        } else {
            sql.push_str(&format!(" AND model = {}", args.bind(m.clone())));
        }
    }
    match f.status {
        None => {}
        Some(StatusFilter::Ok) => sql.push_str(" AND status BETWEEN 200 AND 299"),
        Some(StatusFilter::Error) => sql.push_str(" AND status NOT BETWEEN 200 AND 299"),
        Some(StatusFilter::Code(c)) => {
            sql.push_str(&format!(" AND status = {}", args.bind(i64::from(c))));
        }
    }
}

/// Adds `events`, just inserted into `usage_events` in the transaction `tx`, to the rollup:
/// one upsert per distinct (account, quarter hour, key, model, status). Whoever inserts usage
/// events must call it in the same transaction, or reports miss them.
pub(super) async fn roll_up<'a>(
    tx: &Tx<'_>,
    events: impl Iterator<Item = &'a UsageEventRecord>,
) -> Result<(), StoreError> {
    /// requests, input, cached, cache writes, output, reasoning, images, cost
    type Rolled = [i64; 8];
    let mut groups: HashMap<(i64, i64, i64, &str, u16), Rolled> = HashMap::new();
    for e in events {
        let u = &e.usage;
        let key = (
            e.account_id,
            // As SQL's `%`: the bucket of a time before 1970 rounds toward zero too.
            e.created_at - e.created_at % BUCKET_MS,
            e.key_id.unwrap_or(0),
            e.model.as_deref().unwrap_or(""),
            e.status,
        );
        let add = [
            1,
            u.input_tokens as i64,
            u.cached_tokens as i64,
            (u.cache_write_5m_tokens + u.cache_write_1h_tokens) as i64,
            u.output_tokens as i64,
            u.reasoning_tokens as i64,
            u.images as i64,
            e.cost.0,
        ];
        for (a, b) in groups.entry(key).or_default().iter_mut().zip(add) {
            *a += b;
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO usage_rollup (account_id, bucket, key_id, model, status, requests, input_tokens,
                 cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (account_id, bucket, key_id, model, status) DO UPDATE SET
                 requests           = usage_rollup.requests + excluded.requests,
                 input_tokens       = usage_rollup.input_tokens + excluded.input_tokens,
                 cached_tokens      = usage_rollup.cached_tokens + excluded.cached_tokens,
                 cache_write_tokens = usage_rollup.cache_write_tokens + excluded.cache_write_tokens,
                 output_tokens      = usage_rollup.output_tokens + excluded.output_tokens,
                 reasoning_tokens   = usage_rollup.reasoning_tokens + excluded.reasoning_tokens,
                 images             = usage_rollup.images + excluded.images,
                 cost_micros        = usage_rollup.cost_micros + excluded.cost_micros",
        )
        .await?;
    for ((account, bucket, key, model, status), s) in groups {
        tx.execute(
            &stmt,
            &[
                &account,
                &bucket,
                &key,
                &model,
                &i64::from(status),
                &s[0],
                &s[1],
                &s[2],
                &s[3],
                &s[4],
                &s[5],
                &s[6],
                &s[7],
            ],
        )
        .await?;
    }
    Ok(())
}

/// The grouped sums of the events `f` matches, by `dims` in that order, days and hours taken
/// at the fixed UTC offset `tz_offset_ms`.
async fn report(
    c: &Client,
    f: &UsageFilter,
    dims: &[UsageDimension],
    tz_offset_ms: i64,
) -> Result<Vec<UsageGroupRecord>, StoreError> {
    let tz = crate::store::usage::fixed_offset(tz_offset_ms)
        .ok_or_else(|| StoreError::Backend(format!("no UTC offset of {tz_offset_ms} ms")))?;
    let from = f.from.unwrap_or(0).clamp(0, MAX_TIME);
    let to = f.to.unwrap_or(MAX_TIME).clamp(0, MAX_TIME);
    let (whole, edges) = split_range(from, to);
    if whole.is_none() && edges.is_empty() {
        return Ok(Vec::new());
    }
    let has = |d: UsageDimension| dims.contains(&d);
    let by_time = has(UsageDimension::Day) || has(UsageDimension::Hour);
    let (by_scope, by_key, by_model) = (
        has(UsageDimension::Account),
        has(UsageDimension::Key),
        has(UsageDimension::Model),
    );
    let mut sql = String::from("SELECT ");
    sql.push_str(if by_time {
        "bucket, "
    } else {
        "NULL::bigint, "
    });
    sql.push_str(if by_scope {
        "account_id, "
    } else {
        "NULL::bigint, "
    });
    sql.push_str(if by_key { "key_id, " } else { "NULL::bigint, " });
    sql.push_str(if by_model { "model, " } else { "NULL::text, " });
    // SUM of BIGINT is NUMERIC here; every sum fits a BIGINT as in SQLite.
    let sums: Vec<String> = SUM_COLUMNS
        .iter()
        .map(|c| format!("SUM({c})::bigint"))
        .collect();
    sql.push_str(&sums.join(", "));
    sql.push_str(" FROM (");
    let mut args = Args::default();
    let mut parts = Vec::new();
    if let Some((a, b)) = whole {
        let mut part = format!(
            "SELECT bucket, account_id, key_id, model, status, requests, input_tokens, cached_tokens, \
             cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros \
             FROM usage_rollup WHERE bucket >= {} AND bucket < {}",
            args.bind(a),
            args.bind(b)
        );
        conditions(f, &mut part, &mut args);
        parts.push(part);
    }
    for (a, b) in edges {
        let mut part = format!(
            "SELECT created_at - created_at % 900000 AS bucket, account_id, \
             COALESCE(key_id, 0) AS key_id, COALESCE(model, '') AS model, status, 1::bigint AS requests, \
             input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, \
             images, cost_micros FROM usage_events WHERE created_at >= {} AND created_at < {}",
            args.bind(a),
            args.bind(b)
        );
        conditions(f, &mut part, &mut args);
        parts.push(part);
    }
    sql.push_str(&parts.join(" UNION ALL "));
    sql.push_str(") AS matched");
    let group: Vec<&str> = [
        by_time.then_some("bucket"),
        by_scope.then_some("account_id"),
        by_key.then_some("key_id"),
        by_model.then_some("model"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group.join(", "));
    }
    sql.push_str(" HAVING COUNT(*) > 0");

    let rows = c.query(&sql, &args.refs()).await?;
    let mut read = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut sums = Sums::default();
        for (i, v) in sums.iter_mut().enumerate() {
            *v = r.try_get::<_, Option<i64>>(4 + i)?.unwrap_or(0);
        }
        read.push(GroupRow {
            bucket: r.try_get(0)?,
            scope: r.try_get(1)?,
            key_id: r.try_get(2)?,
            model: r.try_get(3)?,
            sums,
        });
    }
    let groups = codexkey_report::report::groups(read, dims, &tz);
    let names = Names::read(c, &groups).await?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let (key_prefix, key_name) = g
                .key_id
                .and_then(|id| names.keys.get(&id).cloned())
                .unwrap_or((None, None));
            UsageGroupRecord {
                period_start: g
                    .period
                    .map(|p| crate::store::usage::period_start(p, tz_offset_ms)),
                account_id: g.scope,
                email: g.scope.and_then(|id| names.emails.get(&id).cloned()),
                key_id: g.key_id,
                key_prefix,
                key_name,
                model: g.model,
                totals: g.totals,
            }
        })
        .collect())
}

/// The emails of the accounts and the prefixes and names of the keys that groups name, read
/// in one query each.
struct Names {
    emails: HashMap<i64, String>,
    keys: HashMap<i64, (Option<String>, Option<String>)>,
}

impl Names {
    async fn read(c: &Client, groups: &[codexkey_report::Group]) -> Result<Names, StoreError> {
        let accounts: Vec<i64> = groups.iter().filter_map(|g| g.scope).collect();
        let keys: Vec<i64> = groups.iter().filter_map(|g| g.key_id).collect();
        let mut names = Names {
            emails: HashMap::new(),
            keys: HashMap::new(),
        };
        if !accounts.is_empty() {
            for r in c
                .query(
                    "SELECT id, email FROM accounts WHERE id = ANY($1)",
                    &[&accounts],
                )
                .await?
            {
                names.emails.insert(r.try_get(0)?, r.try_get(1)?);
            }
        }
        if !keys.is_empty() {
            for r in c
                .query(
                    "SELECT id, prefix, name FROM api_keys WHERE id = ANY($1)",
                    &[&keys],
                )
                .await?
            {
                names
                    .keys
                    .insert(r.try_get(0)?, (Some(r.try_get(1)?), r.try_get(2)?));
            }
        }
        Ok(names)
    }
}

/// The columns [`event_row`] reads, in its order: the engine's, so both stores show an
/// event alike.
fn event_columns() -> String {
    codexkey_report::events::event_columns(&codexkey_report::Schema {
        events: "usage_events",
        rollup: "usage_rollup",
        scope: "account_id",
        account: "account_id",
        uncapped_cost: "uncapped_cost_micros",
    })
}

/// An event from a row of [`event_columns`], as the engine's `event_row` reads one.
fn event_row(r: &Row) -> Result<UsageEvent, StoreError> {
    let n = |i: usize| -> Result<u64, StoreError> { Ok(count(r.try_get(i)?)) };
    Ok(UsageEvent {
        id: r.try_get(0)?,
        request_id: r.try_get(1)?,
        account_id: r.try_get(2)?,
        key_id: r.try_get(3)?,
        route: r.try_get(4)?,
        provider: r.try_get(5)?,
        model: r.try_get(6)?,
        input_tokens: n(7)?,
        cached_tokens: n(8)?,
        cache_write_tokens: n(9)?,
        output_tokens: n(10)?,
        reasoning_tokens: n(11)?,
        images: n(12)?,
        cost_micros: Micros(r.try_get(13)?),
        status: u16::try_from(r.try_get::<_, i64>(14)?).unwrap_or(0),
        error_code: r.try_get(15)?,
        settlement: r.try_get(16)?,
        latency_ms: r.try_get(17)?,
        ttfb_ms: r.try_get(18)?,
        client_ip: r.try_get(19)?,
        user_agent: r.try_get(20)?,
        created_at: chrono::DateTime::from_timestamp_millis(r.try_get(21)?)
            .unwrap_or(chrono::DateTime::UNIX_EPOCH),
        uncapped_cost_micros: r.try_get::<_, Option<i64>>(22)?.map(Micros),
    })
}

/// `WHERE …` of an event page: past the cursor, in the time range, matching the filter.
fn event_where(f: &UsageFilter, page: &EventPageQuery, sql: &mut String, args: &mut Args) {
    match (page.newest_first, page.cursor) {
        (false, c) => sql.push_str(&format!(" WHERE id > {}", args.bind(c.unwrap_or(0)))),
        (true, Some(c)) => sql.push_str(&format!(" WHERE id < {}", args.bind(c))),
        (true, None) => sql.push_str(" WHERE TRUE"),
    }
    if let Some(from) = f.from {
        sql.push_str(&format!(" AND created_at >= {}", args.bind(from)));
    }
    if let Some(to) = f.to {
        sql.push_str(&format!(" AND created_at < {}", args.bind(to)));
    }
    conditions(f, sql, args);
}

/// Up to `page.limit` events matching `f` past the cursor, in id order (or reversed); whether
/// more match; and with `page.count`, how many match past the cursor in all.
async fn events(
    c: &Client,
    f: &UsageFilter,
    page: EventPageQuery,
) -> Result<(Vec<UsageEvent>, bool, Option<u64>), StoreError> {
    let mut sql = format!("SELECT {} FROM usage_events", event_columns());
    let mut args = Args::default();
    event_where(f, &page, &mut sql, &mut args);
    let limit = args.bind(i64::from(page.limit) + 1);
    sql.push_str(&if page.newest_first {
        format!(" ORDER BY id DESC LIMIT {limit}")
    } else {
        format!(" ORDER BY id LIMIT {limit}")
    });
    let mut events = c
        .query(&sql, &args.refs())
        .await?
        .iter()
        .map(event_row)
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = events.len() > page.limit as usize;
    events.truncate(page.limit as usize);
    let remaining = if page.count {
        let mut sql = String::from("SELECT COUNT(*) FROM usage_events");
        let mut args = Args::default();
        event_where(f, &page, &mut sql, &mut args);
        Some(count(c.query_one(&sql, &args.refs()).await?.try_get(0)?))
    } else {
        None
    };
    Ok((events, has_more, remaining))
}

/// Where request `request_id` stands: its event, else its hold, else unknown.
pub(super) async fn request_state(
    c: &Client,
    request_id: &str,
) -> Result<RequestState, StoreError> {
    let event = c
        .query_opt(
            &format!(
                "SELECT {} FROM usage_events WHERE request_id = $1",
                event_columns()
            ),
            &[&request_id],
        )
        .await?;
    if let Some(e) = event {
        return Ok(RequestState::Settled(Box::new(event_row(&e)?)));
    }
    let held = c
        .query_opt(
            "SELECT account_id FROM holds WHERE request_id = $1",
            &[&request_id],
        )
        .await?;
    Ok(match held {
        Some(r) => RequestState::Held {
            account_id: r.try_get(0)?,
        },
        None => RequestState::Unknown,
    })
}

#[async_trait]
impl UsageStore for PgStore {
    async fn usage_report(
        &self,
        filter: UsageFilter,
        group_by: Vec<UsageDimension>,
        tz_offset_ms: i64,
    ) -> Result<Vec<UsageGroupRecord>, StoreError> {
        let c = self.client().await?;
        report(&c, &filter, &group_by, tz_offset_ms).await
    }

    async fn usage_events(
        &self,
        filter: UsageFilter,
        page: EventPageQuery,
    ) -> Result<(Vec<UsageEvent>, bool, Option<u64>), StoreError> {
        let c = self.client().await?;
        events(&c, &filter, page).await
    }

    async fn first_usage_at(
        &self,
        account_id: i64,
        since: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_one(
            "SELECT MIN(created_at) FROM usage_events WHERE account_id = $1 AND created_at >= $2",
            &[&account_id, &since],
        )
        .await?
        .try_get(0)?)
    }
}
