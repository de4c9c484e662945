//! Pages of raw usage events, in id order or newest first, and how an event row reads.

use chrono::DateTime;
use codexkey_common::Micros;
use codexkey_common::api::UsageEvent;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use crate::filter::{Filter, conditions};
use crate::schema::Schema;

/// Which page of events [`events`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPageQuery {
    /// Oldest first: events with a greater id (from the first when `None`). Newest first:
    /// events with a smaller id (from the last when `None`).
    pub cursor: Option<i64>,
    pub limit: u32,
    /// Also count every match past the cursor.
    pub count: bool,
    pub newest_first: bool,
}

/// A page of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<UsageEvent>,
    /// Whether more events match past the page.
    pub has_more: bool,
    /// With [`EventPageQuery::count`]: how many match past the cursor in all.
    pub remaining: Option<u64>,
}

/// The columns [`event_row`] reads, in its order.
pub fn event_columns(s: &Schema) -> String {
    format!(
        "id, request_id, {}, key_id, route, provider, model, input_tokens, cached_tokens, \
         cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, \
         error_code, settlement, latency_ms, ttfb_ms, client_ip, user_agent, created_at, {}",
        s.account, s.uncapped_cost
    )
}

/// An event from a row of [`event_columns`].
pub fn event_row(r: &Row<'_>) -> rusqlite::Result<UsageEvent> {
    let count = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    Ok(UsageEvent {
        id: r.get(0)?,
        request_id: r.get(1)?,
        account_id: r.get(2)?,
        key_id: r.get(3)?,
        route: r.get(4)?,
        provider: r.get(5)?,
        model: r.get(6)?,
        input_tokens: count(7)?,
        cached_tokens: count(8)?,
        cache_write_tokens: count(9)?,
        output_tokens: count(10)?,
        reasoning_tokens: count(11)?,
        images: count(12)?,
        cost_micros: Micros(r.get(13)?),
        status: u16::try_from(r.get::<_, i64>(14)?).unwrap_or(0),
        error_code: r.get(15)?,
        settlement: r.get(16)?,
        latency_ms: r.get(17)?,
        ttfb_ms: r.get(18)?,
        client_ip: r.get(19)?,
        user_agent: r.get(20)?,
        created_at: DateTime::from_timestamp_millis(r.get(21)?).unwrap_or(DateTime::UNIX_EPOCH),
        uncapped_cost_micros: r.get::<_, Option<i64>>(22)?.map(Micros),
    })
}

/// `WHERE …` of an event page: past the cursor, in the time range, matching the filter.
fn event_where(
    s: &Schema,
    f: &Filter,
    page: &EventPageQuery,
    sql: &mut String,
    args: &mut Vec<Value>,
) {
    match (page.newest_first, page.cursor) {
        (false, c) => {
            sql.push_str(" WHERE id > ?");
            args.push(Value::Integer(c.unwrap_or(0)));
        }
        (true, Some(c)) => {
            sql.push_str(" WHERE id < ?");
            args.push(Value::Integer(c));
        }
        (true, None) => sql.push_str(" WHERE 1"),
    }
    // `+created_at` keeps SQLite from walking the time index and sorting: pages are read in id
    // order, and a time range only filters them.
    if let Some(from) = f.from {
        sql.push_str(" AND +created_at >= ?");
        args.push(Value::Integer(from));
    }
    if let Some(to) = f.to {
        sql.push_str(" AND +created_at < ?");
        args.push(Value::Integer(to));
    }
    conditions(s, f, sql, args);
}

/// Up to `page.limit` events matching `f` past the cursor, in id order (or reversed); whether
/// more match; and with `page.count`, how many match past the cursor in all.
pub fn events(
    c: &Connection,
    s: &Schema,
    f: &Filter,
    page: EventPageQuery,
) -> rusqlite::Result<EventPage> {
    let mut sql = format!("SELECT {} FROM {}", event_columns(s), s.events);
    let mut args = Vec::new();
    event_where(s, f, &page, &mut sql, &mut args);
    sql.push_str(if page.newest_first {
        " ORDER BY id DESC LIMIT ?"
    } else {
        " ORDER BY id LIMIT ?"
    });
    args.push(Value::Integer(i64::from(page.limit) + 1));
    let mut stmt = c.prepare(&sql)?;
    let mut events = stmt
        .query_map(params_from_iter(args), event_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = events.len() > page.limit as usize;
    events.truncate(page.limit as usize);
    let remaining = if page.count {
        let mut sql = format!("SELECT COUNT(*) FROM {}", s.events);
        let mut args = Vec::new();
        event_where(s, f, &page, &mut sql, &mut args);
        let n: i64 = c.query_row(&sql, params_from_iter(args), |r| r.get(0))?;
        Some(n.max(0) as u64)
    } else {
        None
    };
    Ok(EventPage {
        events,
        has_more,
        remaining,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{S, db};

    #[test]
    fn pages_follow_the_cursor_and_the_filter() {
        let c = db(&[
            (1, 10, Some(1), Some("a"), 200, 1),
            (2, 20, Some(2), Some("a"), 200, 2),
            (1, 30, Some(1), Some("b"), 500, 3),
            (1, 40, Some(1), Some("a"), 200, 4),
            (1, 50, None, None, 200, 5),
        ]);
        let mine = Filter {
            scope: Some(1),
            ..Filter::default()
        };
        let page = |cursor, limit, newest_first| EventPageQuery {
            cursor,
            limit,
            count: true,
            newest_first,
        };
        let ids = |p: &EventPage| p.events.iter().map(|e| e.id).collect::<Vec<_>>();
        let p = events(&c, &S, &mine, page(None, 2, false)).unwrap();
        assert_eq!(
            (ids(&p), p.has_more, p.remaining),
            (vec![1, 3], true, Some(4))
        );
        let p = events(&c, &S, &mine, page(Some(3), 2, false)).unwrap();
        assert_eq!(
            (ids(&p), p.has_more, p.remaining),
            (vec![4, 5], false, Some(2))
        );
        let p = events(&c, &S, &mine, page(None, 3, true)).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec![5, 4, 3], true));
        let p = events(&c, &S, &mine, page(Some(3), 3, true)).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec![1], false));
        let a_between = Filter {
            model: Some("a".into()),
            from: Some(15),
            to: Some(50),
            ..Filter::default()
        };
        let p = events(&c, &S, &a_between, page(None, 10, false)).unwrap();
        assert_eq!((ids(&p), p.remaining), (vec![2, 4], Some(2)));
        // The row as stored, its account from the schema's expression.
        let e = &p.events[1];
        assert_eq!(
            (
                e.account_id,
                e.key_id,
                e.model.as_deref(),
                e.cost_micros,
                e.status
            ),
            (10, Some(1), Some("a"), Micros(4), 200)
        );
        assert_eq!(
            (e.request_id.as_str(), e.input_tokens, e.settlement.as_str()),
            ("req-4", 40, "final_usage")
        );
        assert_eq!(e.created_at.timestamp_millis(), 40);
    }
}
