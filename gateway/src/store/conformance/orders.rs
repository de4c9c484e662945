//! Top-up orders and provider events: an order is created pending only under the account's
//! pending limit, gets one checkout session, and is paid exactly once, by a credit whose
//! condition names its exact terms; an event id is recorded once, so a re-delivered event is
//! refused whole; closing an order unpaid moves it forward only; refusals write nothing.

use codexkey_common::Micros;
use codexkey_common::api::{LedgerKind, OrderState};

use crate::store::conformance::setup::{
    Database, MINUTE, T0, account, assert_ledger_balanced, reload,
};
use crate::store::{
    CreditCondition, CreditOutcome, CreditRefusal, NewLedgerEntry, NewOrder, NewProviderEvent,
    OrderFilter, OrderRecord, Store, StoreError, testkit,
};

fn order(account_id: i64, amount: i64, at: i64) -> NewOrder {
    NewOrder {
        account_id,
        provider: "stripe".into(),
        amount: Micros(amount),
        currency: "usd".into(),
        amount_minor: amount / 10_000,
        created_at: at,
    }
}

fn payment(account_id: i64, amount: i64, at: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        account_id,
        kind: LedgerKind::Payment,
        amount: Micros(amount),
        reason: Some("an order".into()),
        actor_id: None,
        request_id: None,
        created_at: at,
        forbid_negative: true,
        promotional: false,
    }
}

fn pending(o: &OrderRecord) -> CreditCondition {
    pending_with(o, |_| {})
}

fn event(id: &str, order_id: Option<i64>, outcome: &'static str) -> NewProviderEvent {
    NewProviderEvent {
        provider: "stripe".into(),
        event_id: id.into(),
        event_type: "checkout.session.completed".into(),
        order_id,
        outcome,
        received_at: T0,
    }
}

async fn written(store: &dyn Store) -> (u64, usize) {
    let entries = store.verify_ledger().await.expect("verify").entries;
    let audit = store.audit_log(None, 500).await.expect("audit").len();
    (entries, audit)
}

async fn credit(
    store: &dyn Store,
    entry: NewLedgerEntry,
    condition: CreditCondition,
) -> CreditOutcome {
    store
        .credit(entry, condition, testkit::audit("orders.paid", T0))
        .await
        .expect("a credit")
}

pub async fn orders(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;

    // Created pending, under the account's pending limit only.
    let a1 = store
        .create_order(
            order(alice.id, 10_000_000, T0),
            2,
            testkit::audit("orders.create", T0),
        )
        .await
        .expect("create")
        .expect("under the limit");
    assert_eq!(a1.state, OrderState::Pending);
    assert_eq!(a1.account_email, "alice@example.com");
    assert_eq!(
        (a1.amount, a1.amount_minor, a1.currency.as_str()),
        (Micros(10_000_000), 1000, "usd")
    );
    assert_eq!(
        (a1.session_id.clone(), a1.ledger_id, a1.paid_at),
        (None, None, None)
    );
    let audit = store.audit_log(None, 1).await.expect("audit");
    assert_eq!(
        audit[0].detail["order"], a1.id,
        "the audit row names the order"
    );
    let a2 = store
        .create_order(
            order(alice.id, 5_000_000, T0 + 1),
            2,
            testkit::audit("orders.create", T0),
        )
        .await
        .expect("create")
        .expect("under the limit");
    let before = written(store).await;
    let refused = store
        .create_order(
            order(alice.id, 5_000_000, T0 + 2),
            2,
            testkit::audit("orders.create", T0),
        )
        .await
        .expect("create");
    assert!(refused.is_none(), "a third pending order is over the limit");
    assert_eq!(written(store).await, before, "refused: nothing written");
    let b1 = store
        .create_order(
            order(bob.id, 7_000_000, T0 + 3),
            2,
            testkit::audit("orders.create", T0),
        )
        .await
        .expect("create")
        .expect("bob has none pending");

    // One checkout session each, attached once.
    let a1 = store
        .attach_session(a1.id, "cs_a1", "https://pay.example/a1", T0 + 5)
        .await
        .expect("attach");
    assert_eq!(a1.session_id.as_deref(), Some("cs_a1"));
    assert_eq!(a1.checkout_url.as_deref(), Some("https://pay.example/a1"));
    assert!(matches!(
        store
            .attach_session(a1.id, "cs_other", "https://x", T0 + 6)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .attach_session(9999, "cs_none", "https://x", T0 + 6)
            .await,
        Err(StoreError::NotFound)
    ));
    let b1 = store
        .attach_session(b1.id, "cs_b1", "https://pay.example/b1", T0 + 5)
        .await
        .expect("attach");
    let found = store
        .order_by_session("stripe", "cs_a1")
        .await
        .expect("by session")
        .expect("found");
    assert_eq!(found.id, a1.id);
    assert!(
        store
            .order_by_session("paypal", "cs_a1")
            .await
            .expect("lookup")
            .is_none()
    );

    // A credit whose terms are not the order's is refused whole: another account, amount,
    // session, currency, provider, kind, or promotional credit.
    let before = written(store).await;
    let wrong: Vec<(NewLedgerEntry, CreditCondition)> = vec![
        (payment(bob.id, 10_000_000, T0), pending(&a1)),
        (payment(alice.id, 10_000_001, T0), pending(&a1)),
        (
            payment(alice.id, 10_000_000, T0),
            pending_with(&a1, |t| t.session_id = "cs_b1".into()),
        ),
        (
            payment(alice.id, 10_000_000, T0),
            pending_with(&a1, |t| t.currency = "eur".into()),
        ),
        (
            payment(alice.id, 10_000_000, T0),
            pending_with(&a1, |t| t.amount_minor = 999),
        ),
        (
            payment(alice.id, 10_000_000, T0),
            pending_with(&a1, |t| t.provider = "paypal".into()),
        ),
        (
            NewLedgerEntry {
                kind: LedgerKind::Code,
                ..payment(alice.id, 10_000_000, T0)
            },
            pending(&a1),
        ),
        (
            NewLedgerEntry {
                promotional: true,
                ..payment(alice.id, 10_000_000, T0)
            },
            pending(&a1),
        ),
    ];
    for (entry, condition) in wrong {
        let outcome = credit(store, entry, condition.clone()).await;
        assert!(
            matches!(
                outcome,
                CreditOutcome::Refused(CreditRefusal::OrderMismatch)
            ),
            "{condition:?}: {outcome:?}"
        );
    }
    let outcome = credit(
        store,
        payment(alice.id, 10_000_000, T0),
        CreditCondition::EventUnseen {
            event: event("evt_wrong", Some(a1.id), "paid"),
            then: Box::new(pending_with(&a1, |t| t.amount_minor = 1)),
        },
    )
    .await;
    assert!(matches!(
        outcome,
        CreditOutcome::Refused(CreditRefusal::OrderMismatch)
    ));
    let unknown = pending_with(&a1, |t| t.order_id = 9999);
    assert!(matches!(
        credit(store, payment(alice.id, 10_000_000, T0), unknown).await,
        CreditOutcome::Refused(CreditRefusal::OrderUnknown)
    ));
    assert_eq!(
        written(store).await,
        before,
        "refused credits write nothing"
    );
    // The refused event was rolled back with its credit: it can still pay.
    let paying = CreditCondition::EventUnseen {
        event: event("evt_wrong", Some(a1.id), "paid"),
        then: Box::new(pending(&a1)),
    };
    let CreditOutcome::Credited(entry) = credit(
        store,
        payment(alice.id, 10_000_000, T0 + MINUTE),
        paying.clone(),
    )
    .await
    else {
        panic!("the order's own terms pay it");
    };
    assert_eq!(entry.kind, LedgerKind::Payment);
    let paid = store.order(a1.id).await.expect("order").expect("found");
    assert_eq!(paid.state, OrderState::Paid);
    assert_eq!(paid.ledger_id, Some(entry.id));
    assert_eq!(paid.paid_at, Some(T0 + MINUTE));
    assert_eq!(reload(store, alice.id).await.balance, Micros(10_000_000));

    // Paid once: the same event again, or another event, or no event, is refused.
    let before = written(store).await;
    assert!(matches!(
        credit(store, payment(alice.id, 10_000_000, T0), paying).await,
        CreditOutcome::Refused(CreditRefusal::EventSeen)
    ));
    let other = CreditCondition::EventUnseen {
        event: event("evt_other", Some(a1.id), "paid"),
        then: Box::new(pending(&a1)),
    };
    assert!(matches!(
        credit(store, payment(alice.id, 10_000_000, T0), other).await,
        CreditOutcome::Refused(CreditRefusal::OrderNotPending(OrderState::Paid))
    ));
    assert!(matches!(
        credit(store, payment(alice.id, 10_000_000, T0), pending(&a1)).await,
        CreditOutcome::Refused(CreditRefusal::OrderNotPending(OrderState::Paid))
    ));
    // Nor can a paid order be closed.
    assert!(matches!(
        store
            .close_order(
                a1.id,
                OrderState::Expired,
                None,
                testkit::audit("orders.expired", T0)
            )
            .await
            .expect("close"),
        Err(CreditRefusal::OrderNotPending(OrderState::Paid))
    ));
    assert_eq!(written(store).await, before, "refused: nothing written");

    // Closing unpaid, with an event recorded once.
    let closed = store
        .close_order(
            b1.id,
            OrderState::Expired,
            Some(event("evt_exp", Some(b1.id), "expired")),
            testkit::audit("orders.expired", T0),
        )
        .await
        .expect("close")
        .expect("pending");
    assert_eq!(closed.state, OrderState::Expired);
    let before = written(store).await;
    assert!(matches!(
        store
            .close_order(
                a2.id,
                OrderState::Expired,
                Some(event("evt_exp", Some(a2.id), "expired")),
                testkit::audit("orders.expired", T0),
            )
            .await
            .expect("close"),
        Err(CreditRefusal::EventSeen)
    ));
    assert_eq!(
        store
            .order(a2.id)
            .await
            .expect("order")
            .expect("found")
            .state,
        OrderState::Pending
    );
    assert!(matches!(
        store
            .close_order(
                b1.id,
                OrderState::Failed,
                None,
                testkit::audit("orders.failed", T0)
            )
            .await
            .expect("close"),
        Err(CreditRefusal::OrderNotPending(OrderState::Expired))
    ));
    assert!(
        store
            .close_order(a2.id, OrderState::Pending, None, testkit::audit("x", T0))
            .await
            .is_err(),
        "closing is to expired or failed only"
    );
    assert_eq!(written(store).await, before);

    // Events that change no order: recorded once, audited with them.
    assert!(
        store
            .record_event(
                event("evt_rej", None, "rejected"),
                Some(testkit::audit("orders.webhook_rejected", T0))
            )
            .await
            .expect("record")
    );
    let before = written(store).await;
    assert!(
        !store
            .record_event(
                event("evt_rej", None, "rejected"),
                Some(testkit::audit("orders.webhook_rejected", T0))
            )
            .await
            .expect("record")
    );
    assert_eq!(written(store).await, before, "a replay writes nothing");

    // Lists: newest first, by account, state and age.
    let all = store
        .orders(OrderFilter::default(), 50)
        .await
        .expect("orders");
    assert_eq!(
        all.iter().map(|o| o.id).collect::<Vec<_>>(),
        [b1.id, a2.id, a1.id]
    );
    let alices = store
        .orders(
            OrderFilter {
                account_id: Some(alice.id),
                ..OrderFilter::default()
            },
            50,
        )
        .await
        .expect("orders");
    assert_eq!(
        alices.iter().map(|o| o.id).collect::<Vec<_>>(),
        [a2.id, a1.id]
    );
    let pending_old = store
        .orders(
            OrderFilter {
                state: Some(OrderState::Pending),
                created_before: Some(T0 + 1),
                ..OrderFilter::default()
            },
            50,
        )
        .await
        .expect("orders");
    assert_eq!(
        pending_old.iter().map(|o| o.id).collect::<Vec<_>>(),
        [a2.id]
    );
    let oldest = store
        .orders(
            OrderFilter {
                oldest_first: true,
                ..OrderFilter::default()
            },
            2,
        )
        .await
        .expect("orders");
    assert_eq!(
        oldest.iter().map(|o| o.id).collect::<Vec<_>>(),
        [a1.id, a2.id]
    );
    assert_eq!(
        store
            .orders(OrderFilter::default(), 1)
            .await
            .expect("orders")
            .len(),
        1
    );
    assert_ledger_balanced(store).await;
}

/// The terms of [`pending`], one changed by `change`.
fn pending_with(o: &OrderRecord, change: impl FnOnce(&mut Terms)) -> CreditCondition {
    let mut t = Terms {
        order_id: o.id,
        provider: o.provider.clone(),
        session_id: o.session_id.clone().expect("a session"),
        currency: o.currency.clone(),
        amount_minor: o.amount_minor,
    };
    change(&mut t);
    CreditCondition::OrderPending {
        order_id: t.order_id,
        provider: t.provider,
        session_id: t.session_id,
        currency: t.currency,
        amount_minor: t.amount_minor,
        commission: None,
    }
}

struct Terms {
    order_id: i64,
    provider: String,
    session_id: String,
    currency: String,
    amount_minor: i64,
}
