//! Retention purges: request metadata erased before its cut-off (events, and sessions that are
//! over), raw events deleted before theirs, and reports of the purged period unchanged.

use codexkey_common::api::UsageDimension;

use crate::store::conformance::setup::{
    DAY, Database, HOUR, T0, account, assert_ledger_balanced, top_up,
};
use crate::store::usage::{EventPageQuery, UsageFilter};
use crate::store::{PurgeRecord, UsageEventRecord, testkit};

fn with_client(mut e: UsageEventRecord) -> UsageEventRecord {
    e.client_ip = Some("203.0.113.7".into());
    e.user_agent = Some("agent/1.0".into());
    e
}

pub async fn retention(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    top_up(store, alice.id, 1_000_000, T0).await;
    let events = [
        with_client(testkit::event("r-1", alice.id, None, 100, T0 + HOUR)),
        with_client(testkit::event("r-2", alice.id, None, 200, T0 + DAY + HOUR)),
        with_client(testkit::event(
            "r-3",
            alice.id,
            None,
            300,
            T0 + 3 * DAY + HOUR,
        )),
    ];
    store
        .apply_metering(events.iter().cloned().map(testkit::settle).collect())
        .await
        .expect("events are recorded");
    let mut old = testkit::session(alice.id, "s-old", T0, T0 + HOUR);
    old.client_ip = Some("203.0.113.7".into());
    old.user_agent = Some("agent/1.0".into());
    store.create_session(old).await.expect("session");
    let mut open = testkit::session(alice.id, "s-open", T0, T0 + 30 * DAY);
    open.client_ip = Some("198.51.100.1".into());
    store.create_session(open).await.expect("session");

    let mine = || UsageFilter {
        scope: Some(alice.id),
        ..UsageFilter::default()
    };
    let report = async |dims: Vec<UsageDimension>| {
        store
            .usage_report(mine(), dims, 0)
            .await
            .expect("a report")
            .iter()
            .map(|g| (g.period_start, g.totals.requests, g.totals.cost_micros.0))
            .collect::<Vec<_>>()
    };
    let whole = report(vec![]).await;
    let by_day = report(vec![UsageDimension::Day]).await;
    assert_eq!(whole, vec![(None, 3, 600)]);

    let cut = T0 + 2 * DAY;
    let purged = store.purge(cut, Some(cut)).await.expect("purge");
    assert_eq!(
        purged,
        PurgeRecord {
            events_anonymised: 2,
            sessions_anonymised: 1,
            events_deleted: 2,
        }
    );
    // The period keeps its totals; the raw events before the cut are gone.
    assert_eq!(report(vec![]).await, whole);
    assert_eq!(report(vec![UsageDimension::Day]).await, by_day);
    let (left, _, _) = store
        .usage_events(
            mine(),
            EventPageQuery {
                cursor: None,
                limit: 10,
                count: false,
                newest_first: false,
            },
        )
        .await
        .expect("events");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].request_id, "r-3");
    assert_eq!(
        left[0].client_ip.as_deref(),
        Some("203.0.113.7"),
        "after the cut: kept"
    );
    // An open session keeps where it comes from; the ended one does not.
    let open = store
        .open_sessions(alice.id, T0 + 2 * DAY)
        .await
        .expect("sessions");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_ip.as_deref(), Some("198.51.100.1"));
    assert_ledger_balanced(store).await;

    // Metadata only (no event cut-off): nothing is deleted; and a second run finds nothing.
    let again = store.purge(T0 + 5 * DAY, None).await.expect("purge");
    assert_eq!(
        again,
        PurgeRecord {
            events_anonymised: 1,
            sessions_anonymised: 0,
            events_deleted: 0,
        }
    );
    assert_eq!(report(vec![]).await, whole);
    assert_eq!(
        store.purge(T0 + 5 * DAY, None).await.expect("purge"),
        PurgeRecord::default()
    );
}
