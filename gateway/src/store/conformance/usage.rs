//! Usage reports and event pages over a known set of events: hand-checked groups, then every
//! report compared with the same sums taken straight from the events, over ranges whose ends
//! fall on and between quarter hours (a backend may answer whole quarter hours from a rollup
//! and only the partial ends from raw events; the answer must not show it).

use std::collections::BTreeMap;

use codexkey_common::Micros;
use codexkey_common::api::UsageDimension;

use crate::store::conformance::setup::{DAY, Database, HOUR, T0, account};
use crate::store::conformance::usage_sums::{Ev, Names, expected, range, usage_of};
use crate::store::usage::{BUCKET_MS, EventPageQuery, StatusFilter, UsageFilter, UsageGroupRecord};
use crate::store::{Millis, NewKey, Store, testkit};

const Q: Millis = BUCKET_MS;

/// `(account, key, model, status, created_at, cost)` of one event.
type Row = (i64, Option<i64>, Option<&'static str>, u16, Millis, i64);

/// The request ids of a page, and whether more match, and how many past the cursor.
async fn page(
    store: &dyn Store,
    f: UsageFilter,
    cursor: Option<i64>,
    limit: u32,
    newest_first: bool,
) -> (Vec<String>, Option<i64>, bool, Option<u64>) {
    let (events, more, count) = store
        .usage_events(
            f,
            EventPageQuery {
                cursor,
                limit,
                count: true,
                newest_first,
            },
        )
        .await
        .expect("an event page");
    let last = events.last().map(|e| e.id);
    (
        events.into_iter().map(|e| e.request_id).collect(),
        last,
        more,
        count,
    )
}

pub async fn reports(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await.id;
    let bob = account(store, "bob@example.com", T0).await.id;
    let mut names = Names {
        emails: BTreeMap::new(),
        keys: BTreeMap::new(),
    };
    names.emails.insert(alice, "alice@example.com".into());
    names.emails.insert(bob, "bob@example.com".into());
    let mut key = async |account: i64, hash: &str, name: Option<&str>| {
        let k = store
            .create_key(NewKey {
                name: name.map(str::to_owned),
                ..testkit::key(account, hash, T0)
            })
            .await
            .expect("a key is created");
        names.keys.insert(k.id, (k.prefix, k.name));
        k.id
    };
    let ka1 = key(alice, "hash-a1", Some("one")).await;
    let ka2 = key(alice, "hash-a2", None).await;
    let kb = key(bob, "hash-b", Some("bee")).await;

    let gpt = Some("gpt-5.5");
    let claude = Some("claude-opus-4-8");
    #[rustfmt::skip]
    let rows: [Row; 9] = [
        (alice, Some(ka1), gpt, 200, T0 + 10, 100),
        (alice, Some(ka1), gpt, 200, T0 + Q - 1, 200),
        (alice, Some(ka1), gpt, 502, T0 + Q, 0),
        (alice, Some(ka2), claude, 200, T0 + Q + 7, 300),
        (alice, None, None, 0, T0 + 2 * Q + 5, 7),
        (bob, Some(kb), gpt, 429, T0 + HOUR + 1, 0),
        (bob, Some(kb), Some("gpt-5.5-mini"), 200, T0 + DAY - 1, 50),
        (alice, Some(ka1), gpt, 200, T0 + DAY + 3 * Q + 1, 400),
        (alice, Some(ka2), claude, 200, T0 + DAY + 4 * Q, 30),
    ];
    let evs: Vec<Ev> = rows
        .iter()
        .enumerate()
        .map(|(i, &(account, key, model, status, at, cost))| Ev {
            request: format!("r-{}", i + 1),
            account,
            key,
            model,
            status,
            at,
            usage: usage_of(i as u64 + 1),
            cost,
        })
        .collect();
    for batch in [&evs[..7], &evs[7..]] {
        store
            .apply_metering(batch.iter().map(|e| testkit::settle(e.record())).collect())
            .await
            .expect("events are recorded");
    }
    let report = async |f: UsageFilter, dims: &[UsageDimension], tz: i64| {
        store
            .usage_report(f, dims.to_vec(), tz)
            .await
            .expect("a report")
    };
    let summary = |groups: &[UsageGroupRecord]| -> Vec<(Option<i64>, u64, u64, Micros)> {
        groups
            .iter()
            .map(|g| {
                (
                    g.period_start,
                    g.totals.requests,
                    g.totals.errors,
                    g.totals.cost_micros,
                )
            })
            .collect()
    };

    // By hand first.
    let all = report(UsageFilter::default(), &[], 0).await;
    assert_eq!(summary(&all), [(None, 9, 3, Micros(1087))]);
    let t = &all[0].totals;
    assert_eq!(
        (
            t.input_tokens,
            t.cached_tokens,
            t.cache_write_tokens,
            t.output_tokens,
            t.reasoning_tokens,
            t.images,
            t.cost_display_micros
        ),
        (450, 45, 9 + 20, 90, 5, 9, None)
    );
    assert_eq!(
        (all[0].account_id, all[0].key_id, all[0].model.clone()),
        (None, None, None)
    );
    let by_day = report(UsageFilter::default(), &[UsageDimension::Day], 0).await;
    assert_eq!(
        summary(&by_day),
        [
            (Some(T0), 7, 3, Micros(657)),
            (Some(T0 + DAY), 2, 0, Micros(430))
        ]
    );
    let by_local_day = report(UsageFilter::default(), &[UsageDimension::Day], 2 * HOUR).await;
    assert_eq!(
        summary(&by_local_day),
        [
            (Some(T0 - 2 * HOUR), 6, 3, Micros(607)),
            (Some(T0 + DAY - 2 * HOUR), 3, 0, Micros(480))
        ],
        "days start at local midnight"
    );
    let by_key: Vec<_> = report(
        UsageFilter::default(),
        &[UsageDimension::Account, UsageDimension::Key],
        0,
    )
    .await
    .into_iter()
    .map(|g| {
        (
            g.account_id,
            g.email,
            g.key_id,
            g.key_prefix,
            g.key_name,
            g.totals.requests,
            g.totals.cost_micros,
        )
    })
    .collect();
    let alice_email = Some("alice@example.com".to_owned());
    assert_eq!(
        by_key,
        [
            (
                Some(alice),
                alice_email.clone(),
                None,
                None,
                None,
                1,
                Micros(7)
            ),
            (
                Some(alice),
                alice_email.clone(),
                Some(ka1),
                Some("ck-hash-a1".into()),
                Some("one".into()),
                4,
                Micros(700)
            ),
            (
                Some(alice),
                alice_email,
                Some(ka2),
                Some("ck-hash-a2".into()),
                None,
                2,
                Micros(330)
            ),
            (
                Some(bob),
                Some("bob@example.com".into()),
                Some(kb),
                Some("ck-hash-b".into()),
                Some("bee".into()),
                2,
                Micros(50)
            ),
        ]
    );
    let edges = report(range(Some(T0 + 11), Some(T0 + 3 * Q + 1)), &[], 0).await;
    assert_eq!(
        summary(&edges),
        [(None, 4, 2, Micros(507))],
        "partial quarter hours at both ends"
    );
    let models: Vec<(Option<String>, u64)> = report(
        UsageFilter {
            model: Some("gpt-5.5*".into()),
            ..UsageFilter::default()
        },
        &[UsageDimension::Model],
        0,
    )
    .await
    .into_iter()
    .map(|g| (g.model, g.totals.requests))
    .collect();
    assert_eq!(
        models,
        [
            (Some("gpt-5.5".into()), 5),
            (Some("gpt-5.5-mini".into()), 1)
        ]
    );
    let no_model: Vec<Option<String>> = report(UsageFilter::default(), &[UsageDimension::Model], 0)
        .await
        .into_iter()
        .map(|g| g.model)
        .collect();
    assert_eq!(
        no_model[0].as_deref(),
        Some(""),
        "events without a model group under \"\""
    );
    let none = UsageFilter {
        scope: Some(alice),
        key_id: Some(kb),
        ..UsageFilter::default()
    };
    assert!(
        report(none, &[], 0).await.is_empty(),
        "nothing matched, no group"
    );
    assert!(
        report(range(Some(T0 + Q), Some(T0 + Q)), &[], 0)
            .await
            .is_empty()
    );

    // Then every report against the events themselves.
    let names = &names;
    let points = [
        None,
        Some(0),
        Some(T0),
        Some(T0 + 10),
        Some(T0 + 11),
        Some(T0 + Q - 1),
        Some(T0 + Q),
        Some(T0 + Q + 7),
        Some(T0 + 3 * Q + 1),
        Some(T0 + HOUR),
        Some(T0 + DAY),
        Some(T0 + DAY + 4 * Q),
        Some(T0 + DAY + 4 * Q + 1),
    ];
    let dims_sets: [&[UsageDimension]; 3] = [
        &[],
        &[UsageDimension::Hour],
        &[
            UsageDimension::Day,
            UsageDimension::Account,
            UsageDimension::Key,
            UsageDimension::Model,
        ],
    ];
    for from in points {
        for to in points {
            for dims in dims_sets {
                let f = range(from, to);
                assert_eq!(
                    report(f.clone(), dims, 0).await,
                    expected(&evs, names, &f, dims, 0),
                    "{f:?} by {dims:?}"
                );
            }
        }
    }
    let filters = [
        UsageFilter {
            scope: Some(bob),
            ..UsageFilter::default()
        },
        UsageFilter {
            key_id: Some(ka1),
            ..UsageFilter::default()
        },
        UsageFilter {
            model: Some("claude-opus-4-8".into()),
            ..UsageFilter::default()
        },
        // A pattern matching every name matches events without a model too ("no model" reads
        // as the empty name), in the rollup and in the raw events alike.
        UsageFilter {
            model: Some("*".into()),
            ..UsageFilter::default()
        },
        UsageFilter {
            model: Some("*-5.5".into()),
            ..UsageFilter::default()
        },
        UsageFilter {
            status: Some(StatusFilter::Ok),
            ..UsageFilter::default()
        },
        UsageFilter {
            status: Some(StatusFilter::Error),
            ..UsageFilter::default()
        },
        UsageFilter {
            status: Some(StatusFilter::Code(429)),
            ..UsageFilter::default()
        },
        UsageFilter {
            scope: Some(alice),
            model: Some("gpt*".into()),
            status: Some(StatusFilter::Ok),
            ..UsageFilter::default()
        },
    ];
    let dims_sets: [&[UsageDimension]; 4] = [
        &[UsageDimension::Model, UsageDimension::Hour],
        &[UsageDimension::Key],
        &[UsageDimension::Account, UsageDimension::Day],
        &[
            UsageDimension::Hour,
            UsageDimension::Account,
            UsageDimension::Model,
            UsageDimension::Key,
        ],
    ];
    for filter in filters {
        for (from, to) in [(None, None), (Some(T0 + 5), Some(T0 + DAY + 4 * Q + 1))] {
            for dims in dims_sets {
                for tz in [0, 2 * HOUR, -5 * HOUR, 22 * Q] {
                    let f = UsageFilter {
                        from,
                        to,
                        ..filter.clone()
                    };
                    assert_eq!(
                        report(f.clone(), dims, tz).await,
                        expected(&evs, names, &f, dims, tz),
                        "{f:?} by {dims:?} at {tz}"
                    );
                }
            }
        }
    }

    // Event pages: ids only grow, so a cursor resumes exactly.
    let all = UsageFilter::default();
    let (first, cursor, more, count) = page(store, all.clone(), None, 4, false).await;
    assert_eq!(
        (first, more, count),
        (
            vec!["r-1".into(), "r-2".into(), "r-3".into(), "r-4".into()],
            true,
            Some(9)
        )
    );
    let (second, cursor, more, count) = page(store, all.clone(), cursor, 4, false).await;
    assert_eq!(
        (second, more, count),
        (
            vec!["r-5".into(), "r-6".into(), "r-7".into(), "r-8".into()],
            true,
            Some(5)
        )
    );
    let (third, cursor, more, count) = page(store, all.clone(), cursor, 4, false).await;
    assert_eq!((third, more, count), (vec!["r-9".into()], false, Some(1)));
    let (rest, _, more, count) = page(store, all.clone(), cursor, 4, false).await;
    assert_eq!((rest.len(), more, count), (0, false, Some(0)));
    let (newest, cursor, more, _) = page(store, all.clone(), None, 5, true).await;
    assert_eq!(
        (newest, more),
        (
            vec![
                "r-9".into(),
                "r-8".into(),
                "r-7".into(),
                "r-6".into(),
                "r-5".into()
            ],
            true
        )
    );
    let (older, _, more, count) = page(store, all.clone(), cursor, 5, true).await;
    assert_eq!(
        (older, more, count),
        (
            vec!["r-4".into(), "r-3".into(), "r-2".into(), "r-1".into()],
            false,
            Some(4)
        )
    );
    let (events, more, count) = store
        .usage_events(
            all.clone(),
            EventPageQuery {
                cursor: None,
                limit: 2,
                count: false,
                newest_first: false,
            },
        )
        .await
        .expect("a page");
    assert_eq!(
        (events.len(), more, count),
        (2, true, None),
        "no count unless asked"
    );
    assert!(events[0].id < events[1].id);
    let e = &events[0];
    let u = usage_of(1);
    assert_eq!(
        (
            e.account_id,
            e.key_id,
            e.model.as_deref(),
            e.status,
            e.cost_micros,
            e.input_tokens,
            e.cache_write_tokens,
            e.images
        ),
        (
            alice,
            Some(ka1),
            gpt,
            200,
            Micros(100),
            u.input_tokens,
            u.cache_write_5m_tokens + u.cache_write_1h_tokens,
            u.images
        )
    );
    for filter in [
        UsageFilter {
            scope: Some(bob),
            ..UsageFilter::default()
        },
        UsageFilter {
            key_id: Some(ka2),
            ..UsageFilter::default()
        },
        UsageFilter {
            model: Some("claude*".into()),
            ..UsageFilter::default()
        },
        UsageFilter {
            status: Some(StatusFilter::Error),
            ..range(Some(T0), Some(T0 + DAY))
        },
        UsageFilter {
            status: Some(StatusFilter::Code(200)),
            ..range(Some(T0 + Q - 1), Some(T0 + DAY + 4 * Q))
        },
    ] {
        let want: Vec<String> = evs
            .iter()
            .filter(|e| e.matches(&filter))
            .map(|e| e.request.clone())
            .collect();
        let (got, _, more, count) = page(store, filter.clone(), None, 100, false).await;
        assert_eq!(
            (got, more, count),
            (want.clone(), false, Some(want.len() as u64)),
            "{filter:?}"
        );
    }

    // The first use at or after a time.
    let first = async |account: i64, since: Millis| {
        store
            .first_usage_at(account, since)
            .await
            .expect("first use")
    };
    assert_eq!(first(alice, T0).await, Some(T0 + 10));
    assert_eq!(first(alice, T0 + 11).await, Some(T0 + Q - 1));
    assert_eq!(first(alice, T0 + DAY).await, Some(T0 + DAY + 3 * Q + 1));
    assert_eq!(first(alice, T0 + 3 * DAY).await, None);
    assert_eq!(first(bob, 0).await, Some(T0 + HOUR + 1));
}
