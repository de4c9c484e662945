//! The data plane's writes: holds, batches of settlements (charge, key spend, usage event), a
//! failed batch that writes nothing, and a restart that finds the holds still in flight and
//! settles them.

use codexkey_common::api::{LedgerKind, UsageDimension};
use codexkey_common::settlement::Settlement;
use codexkey_common::{Micros, Usage};

use crate::clock::to_utc;
use crate::store::conformance::setup::{
    Database, MINUTE, T0, account, assert_ledger_balanced, reload, top_up,
};
use crate::store::usage::UsageFilter;
use crate::store::{
    MeterOp, NewHold, RequestState, SettledRequest, Store, StoreError, UsageEventRecord, testkit,
};

async fn state(store: &dyn Store, request_id: &str) -> RequestState {
    store
        .request_state(request_id)
        .await
        .expect("request state")
}

fn held(
    request_id: &str,
    account_id: i64,
    key_id: i64,
    amount: i64,
    crash: i64,
    at: i64,
) -> MeterOp {
    MeterOp::Hold(NewHold {
        crash_charge: Micros(crash),
        provider: Some("openai".into()),
        created_at: at,
        ..testkit::hold(request_id, account_id, key_id, amount)
    })
}

pub async fn metering(db: &dyn Database) {
    let store = db.open().await;
    let alice = account(store.as_ref(), "alice@example.com", T0).await;
    let bob = account(store.as_ref(), "bob@example.com", T0).await;
    top_up(store.as_ref(), alice.id, 1_000_000, T0).await;
    top_up(store.as_ref(), bob.id, 500, T0).await;
    let ka = store
        .create_key(testkit::key(alice.id, "hash-a", T0))
        .await
        .expect("key")
        .id;
    let kb = store
        .create_key(testkit::key(bob.id, "hash-b", T0))
        .await
        .expect("key")
        .id;
    assert!(matches!(
        state(store.as_ref(), "r-1").await,
        RequestState::Unknown
    ));
    assert!(store.left_holds().await.expect("left holds").is_empty());

    let t1 = T0 + MINUTE;
    store
        .apply_metering(vec![
            held("r-1", alice.id, ka, 500, 20, t1),
            held("r-2", alice.id, ka, 700, 30, t1 + 1),
        ])
        .await
        .expect("holds are placed");
    assert_eq!(reload(store.as_ref(), alice.id).await.held, Micros(1200));
    assert!(
        matches!(state(store.as_ref(), "r-1").await, RequestState::Held { account_id } if account_id == alice.id)
    );

    // One batch: r-1 settles (its hold written earlier), r-3 is held and settled in the same
    // batch (its hold never written), bob's r-4 is held (earlier than r-2, the clock says),
    // and bob's r-5 costs nothing.
    let t2 = T0 + 2 * MINUTE;
    let r1 = UsageEventRecord {
        provider: Some("openai".into()),
        model: Some("gpt-5.5".into()),
        usage: Usage {
            input_tokens: 1000,
            cached_tokens: 400,
            cache_write_5m_tokens: 30,
            cache_write_1h_tokens: 20,
            output_tokens: 200,
            reasoning_tokens: 50,
            images: 1,
        },
        error_code: None,
        latency_ms: Some(850),
        ttfb_ms: Some(120),
        client_ip: Some("203.0.113.9".into()),
        user_agent: Some("sdk/1.0".into()),
        price_snapshot: Some("{\"input\":5000000}".into()),
        ..testkit::event("r-1", alice.id, Some(ka), 100, t2)
    };
    store
        .apply_metering(vec![
            testkit::settle(r1),
            MeterOp::Settle(Box::new(SettledRequest {
                event: testkit::event("r-3", alice.id, Some(ka), 50, t2 + 5),
                hold_written: false,
                owner: None,
            })),
            held("r-4", bob.id, kb, 300, 40, t1 - 1),
            MeterOp::Settle(Box::new(SettledRequest {
                event: UsageEventRecord {
                    status: 502,
                    error_code: Some("upstream_error".into()),
                    settlement: Settlement::UpstreamError,
                    ..testkit::event("r-5", bob.id, Some(kb), 0, t2 + 3)
                },
                hold_written: false,
                owner: None,
            })),
        ])
        .await
        .expect("a batch is applied");
    let a = reload(store.as_ref(), alice.id).await;
    assert_eq!((a.balance, a.held), (Micros(999_850), Micros(700)));
    let b = reload(store.as_ref(), bob.id).await;
    assert_eq!((b.balance, b.held), (Micros(500), Micros(300)));
    let charges: Vec<(LedgerKind, Micros, Micros, Option<String>, i64)> = store
        .ledger(alice.id, None, 10)
        .await
        .expect("ledger")
        .into_iter()
        .map(|e| {
            (
                e.kind,
                e.amount,
                e.balance_after,
                e.request_id,
                e.created_at,
            )
        })
        .collect();
    assert_eq!(
        charges,
        [
            (
                LedgerKind::Charge,
                Micros(-50),
                Micros(999_850),
                Some("r-3".into()),
                t2 + 5
            ),
            (
                LedgerKind::Charge,
                Micros(-100),
                Micros(999_900),
                Some("r-1".into()),
                t2
            ),
            (
                LedgerKind::Payment,
                Micros(1_000_000),
                Micros(1_000_000),
                None,
                T0
            ),
        ],
        "each charge carries the balance right after it"
    );
    assert_eq!(
        store.ledger(bob.id, None, 10).await.expect("ledger").len(),
        1,
        "a zero cost writes no entry"
    );
    let key_a = store.key(alice.id, ka).await.expect("key").expect("found");
    assert_eq!(
        (key_a.spent, key_a.last_used_at),
        (Micros(150), Some(t2 + 5))
    );
    let key_b = store.key(bob.id, kb).await.expect("key").expect("found");
    assert_eq!(
        (key_b.spent, key_b.last_used_at),
        (Micros::ZERO, Some(t2 + 3))
    );

    let RequestState::Settled(e) = state(store.as_ref(), "r-1").await else {
        panic!("r-1 is settled");
    };
    assert_eq!(
        (
            e.request_id.as_str(),
            e.account_id,
            e.key_id,
            e.route.as_str(),
            e.provider.as_deref(),
            e.model.as_deref()
        ),
        (
            "r-1",
            alice.id,
            Some(ka),
            testkit::ROUTE,
            Some("openai"),
            Some("gpt-5.5")
        )
    );
    assert_eq!(
        (
            e.input_tokens,
            e.cached_tokens,
            e.cache_write_tokens,
            e.output_tokens,
            e.reasoning_tokens,
            e.images
        ),
        (1000, 400, 50, 200, 50, 1),
        "both cache writes count as cache writes"
    );
    assert_eq!(
        (
            e.cost_micros,
            e.status,
            e.error_code.as_deref(),
            e.settlement.as_str()
        ),
        (Micros(100), 200, None, "final_usage")
    );
    assert_eq!(
        (
            e.latency_ms,
            e.ttfb_ms,
            e.client_ip.as_deref(),
            e.user_agent.as_deref(),
            e.created_at
        ),
        (
            Some(850),
            Some(120),
            Some("203.0.113.9"),
            Some("sdk/1.0"),
            to_utc(t2)
        )
    );
    let RequestState::Settled(e) = state(store.as_ref(), "r-5").await else {
        panic!("r-5 is settled");
    };
    assert_eq!(
        (
            e.status,
            e.error_code.as_deref(),
            e.settlement.as_str(),
            e.cost_micros
        ),
        (502, Some("upstream_error"), "upstream_error", Micros::ZERO)
    );
    assert!(
        matches!(state(store.as_ref(), "r-2").await, RequestState::Held { account_id } if account_id == alice.id)
    );
    assert!(
        matches!(state(store.as_ref(), "r-4").await, RequestState::Held { account_id } if account_id == bob.id)
    );
    assert!(matches!(
        state(store.as_ref(), "r-3").await,
        RequestState::Settled(_)
    ));

    // A batch that breaks a rule (r-1 settled twice) is refused whole and handed back.
    let failing = vec![
        held("r-6", alice.id, ka, 10, 1, t2),
        testkit::settle(testkit::event("r-1", alice.id, Some(ka), 100, t2 + 9)),
    ];
    let Err((error, back)) = store.apply_metering(failing).await else {
        panic!("a request settles once");
    };
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    let back: Vec<&str> = back
        .iter()
        .map(|op| match op {
            MeterOp::Hold(h) => h.request_id.as_str(),
            MeterOp::Settle(s) => s.event.request_id.as_str(),
        })
        .collect();
    assert_eq!(back, ["r-6", "r-1"], "the writes come back to be retried");
    assert!(matches!(
        state(store.as_ref(), "r-6").await,
        RequestState::Unknown
    ));
    let a = reload(store.as_ref(), alice.id).await;
    assert_eq!((a.balance, a.held), (Micros(999_850), Micros(700)));
    assert_eq!(
        store
            .key(alice.id, ka)
            .await
            .expect("key")
            .expect("found")
            .spent,
        Micros(150)
    );
    assert_ledger_balanced(store.as_ref()).await;

    // The gateway stops with r-2 and r-4 in flight; the next start finds them, oldest first.
    drop(store);
    let store = db.open().await;
    let left: Vec<_> = store
        .left_holds()
        .await
        .expect("left holds")
        .into_iter()
        .map(|h| {
            (
                h.request_id,
                h.account_id,
                h.key_id,
                h.crash_charge,
                h.route,
                h.model,
                h.provider,
            )
        })
        .collect();
    let route = testkit::ROUTE.to_owned();
    let model = testkit::MODEL.to_owned();
    let openai = Some("openai".to_owned());
    assert_eq!(
        left,
        [
            (
                "r-4".into(),
                bob.id,
                Some(kb),
                Micros(40),
                route.clone(),
                model.clone(),
                openai.clone()
            ),
            (
                "r-2".into(),
                alice.id,
                Some(ka),
                Micros(30),
                route,
                model,
                openai
            ),
        ]
    );
    assert_eq!(
        reload(store.as_ref(), alice.id).await.held,
        Micros(700),
        "held counters survive a restart"
    );

    // Settled by the crash rule (the caller's): each is charged its crash charge.
    let t3 = T0 + 10 * MINUTE;
    let crash = |request: &str, account_id: i64, key_id: i64, charge: i64| UsageEventRecord {
        provider: Some("openai".into()),
        status: 0,
        error_code: Some("gateway_interrupted".into()),
        settlement: Settlement::CrashReconciled,
        ..testkit::event(request, account_id, Some(key_id), charge, t3)
    };
    store
        .settle_left_holds(vec![
            crash("r-4", bob.id, kb, 40),
            crash("r-2", alice.id, ka, 30),
        ])
        .await
        .expect("left holds settle");
    assert!(store.left_holds().await.expect("left holds").is_empty());
    let a = reload(store.as_ref(), alice.id).await;
    assert_eq!((a.balance, a.held), (Micros(999_820), Micros::ZERO));
    let b = reload(store.as_ref(), bob.id).await;
    assert_eq!((b.balance, b.held), (Micros(460), Micros::ZERO));
    let last = store.ledger(alice.id, None, 1).await.expect("ledger");
    assert_eq!(
        (
            last[0].kind,
            last[0].amount,
            last[0].balance_after,
            last[0].request_id.as_deref()
        ),
        (
            LedgerKind::Charge,
            Micros(-30),
            Micros(999_820),
            Some("r-2")
        )
    );
    assert_eq!(
        store
            .key(alice.id, ka)
            .await
            .expect("key")
            .expect("found")
            .spent,
        Micros(180)
    );
    let RequestState::Settled(e) = state(store.as_ref(), "r-2").await else {
        panic!("r-2 is settled");
    };
    assert_eq!(
        (
            e.status,
            e.error_code.as_deref(),
            e.settlement.as_str(),
            e.cost_micros
        ),
        (
            0,
            Some("gateway_interrupted"),
            "crash_reconciled",
            Micros(30)
        )
    );

    // Their events reach the reports like any other.
    let groups = store
        .usage_report(UsageFilter::default(), vec![UsageDimension::Account], 0)
        .await
        .expect("report");
    let per_account: Vec<(Option<i64>, u64, u64, Micros)> = groups
        .iter()
        .map(|g| {
            (
                g.account_id,
                g.totals.requests,
                g.totals.errors,
                g.totals.cost_micros,
            )
        })
        .collect();
    assert_eq!(
        per_account,
        [
            (Some(alice.id), 3, 1, Micros(180)),
            (Some(bob.id), 2, 2, Micros(40))
        ]
    );
    assert_ledger_balanced(store.as_ref()).await;
}
