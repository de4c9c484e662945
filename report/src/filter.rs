//! Which usage events a report or a page covers, and the SQL conditions that select them.

use rusqlite::types::Value;

use crate::schema::Schema;

/// Which statuses an event may have to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// 2xx.
    Ok,
    /// Anything else, 0 (interrupted by a crash) included.
    Error,
    /// Exactly this status.
    Code(u16),
}

/// Which usage events a report or a page covers. Every present field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Whose events, matched against [`Schema::scope`]: the gateway's account, the cache's
    /// source; `None`: everyone's (the gateway's admins).
    pub scope: Option<i64>,
    /// Inclusive, Unix ms; `None`: from the first event.
    pub from: Option<i64>,
    /// Exclusive, Unix ms; `None`: to the last event.
    pub to: Option<i64>,
    pub key_id: Option<i64>,
    /// A model name, or a pattern where `*` matches any run of characters (case-sensitive).
    pub model: Option<String>,
    pub status: Option<StatusFilter>,
}

/// Appends the filter's conditions (not its time range) to `sql`, binding into `args`. The
/// column names are the same in the events and the rollup of a [`Schema`].
pub(crate) fn conditions(s: &Schema, f: &Filter, sql: &mut String, args: &mut Vec<Value>) {
    if let Some(scope) = f.scope {
        sql.push_str(" AND ");
        sql.push_str(s.scope);
        sql.push_str(" = ?");
        args.push(Value::Integer(scope));
    }
    if let Some(k) = f.key_id {
        sql.push_str(" AND key_id = ?");
        args.push(Value::Integer(k));
    }
    if let Some(m) = &f.model {
        if m.contains('*') {
            // GLOB's own specials other than `*` are matched literally.
            let pattern = m.replace('[', "[[]").replace('?', "[?]");
            // The rollup keeps "no model" as '' and the events as NULL: both read as ''.
            sql.push_str(" AND COALESCE(model, '') GLOB ?");
            args.push(Value::Text(pattern));
        } else {
            sql.push_str(" AND model = ?");
            args.push(Value::Text(m.clone()));
        }
    }
    match f.status {
        None => {}
        Some(StatusFilter::Ok) => sql.push_str(" AND status BETWEEN 200 AND 299"),
        Some(StatusFilter::Error) => sql.push_str(" AND status NOT BETWEEN 200 AND 299"),
        Some(StatusFilter::Code(c)) => {
            sql.push_str(" AND status = ?");
            args.push(Value::Integer(i64::from(c)));
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use rusqlite::{Connection, params_from_iter};

    const S: Schema = Schema {
        events: "events",
        rollup: "rollup",
        scope: "owner",
        account: "owner",
        uncapped_cost: "NULL",
    };

    /// The models of the rows `f` selects.
    fn matching(f: &Filter) -> Vec<String> {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (owner INTEGER, key_id INTEGER, model TEXT, status INTEGER);
             INSERT INTO t VALUES (1, 1, 'gpt-5', 200), (1, 2, 'gpt-[x]?', 502), (2, 1, 'claude', 0),
                                  (1, 1, 'gpt-5x', 299), (1, 1, 'gpt-', 300);",
        )
        .unwrap();
        let mut sql = String::from("SELECT model FROM t WHERE 1");
        let mut args = Vec::new();
        conditions(&S, f, &mut sql, &mut args);
        sql.push_str(" ORDER BY rowid");
        let mut stmt = c.prepare(&sql).unwrap();
        stmt.query_map(params_from_iter(args), |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn each_field_narrows_the_match() {
        let f = |f: Filter| matching(&f);
        assert_eq!(f(Filter::default()).len(), 5);
        assert_eq!(
            f(Filter {
                scope: Some(2),
                ..Filter::default()
            }),
            vec!["claude"]
        );
        assert_eq!(
            f(Filter {
                key_id: Some(2),
                ..Filter::default()
            }),
            vec!["gpt-[x]?"]
        );
        assert_eq!(
            f(Filter {
                model: Some("gpt-5".into()),
                ..Filter::default()
            }),
            vec!["gpt-5"]
        );
        assert_eq!(
            f(Filter {
                model: Some("gpt-*".into()),
                ..Filter::default()
            }),
            vec!["gpt-5", "gpt-[x]?", "gpt-5x", "gpt-"]
        );
        // `[` and `?` are literal in a pattern: only `*` is special.
        assert_eq!(
            f(Filter {
                model: Some("gpt-[x]*".into()),
                ..Filter::default()
            }),
            vec!["gpt-[x]?"]
        );
        assert_eq!(
            f(Filter {
                model: Some("gpt-?*".into()),
                ..Filter::default()
            }),
            Vec::<String>::new()
        );
        assert_eq!(
            f(Filter {
                status: Some(StatusFilter::Ok),
                ..Filter::default()
            }),
            vec!["gpt-5", "gpt-5x"]
        );
        assert_eq!(
            f(Filter {
                status: Some(StatusFilter::Error),
                ..Filter::default()
            }),
            vec!["gpt-[x]?", "claude", "gpt-"]
        );
        assert_eq!(
            f(Filter {
                status: Some(StatusFilter::Code(0)),
                ..Filter::default()
            }),
            vec!["claude"]
        );
    }
}
