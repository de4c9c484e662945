//! Refunds: a refund is requested at most once at a time per order; approving it is a debit
//! whose condition names the requested refund (frozen amount and minor units written with the
//! entry, the refund pointing at it); a failed refund is given back by a credit whose condition
//! names the approved refund; completing moves the order to `partly_refunded` or `refunded` by
//! its succeeded refunds; a provider refund is booked once per event; the spending history
//! links entries to the orders they pay and refund; refusals write nothing.

use codexkey_common::Micros;
use codexkey_common::api::{LedgerKind, OrderState, RefundState};

use crate::store::conformance::setup::{Database, MINUTE, T0, account, assert_ledger_balanced};
use crate::store::{
    CreditCondition, CreditOutcome, DebitCondition, DebitOutcome, DebitRefusal, NewLedgerEntry,
    NewOrder, NewProviderEvent, NewRefund, OrderRecord, RefundFilter, SpendingEntry, Store,
    testkit,
};

fn entry(account_id: i64, kind: LedgerKind, amount: i64, at: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        account_id,
        kind,
        amount: Micros(amount),
        reason: None,
        actor_id: None,
        request_id: None,
        created_at: at,
        forbid_negative: true,
        promotional: false,
    }
}

async fn written(store: &dyn Store) -> (u64, usize) {
    let entries = store.verify_ledger().await.expect("verify").entries;
    let audit = store.audit_log(None, 500).await.expect("audit").len();
    (entries, audit)
}

/// A paid order of `amount` (in cents at 100 per credit) for `account_id`.
async fn paid_order(store: &dyn Store, account_id: i64, amount: i64, at: i64) -> OrderRecord {
    let o = store
        .create_order(
            NewOrder {
                account_id,
                provider: "stripe".into(),
                amount: Micros(amount),
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                created_at: at,
            },
            5,
            testkit::audit("orders.create", at),
        )
        .await
        .expect("create")
        .expect("under the limit");
    let session = format!("cs_{}", o.id);
    store
        .attach_session(o.id, &session, "https://pay.example", at)
        .await
        .expect("attach");
    let paid = store
        .credit(
            entry(account_id, LedgerKind::Payment, amount, at),
            CreditCondition::OrderPending {
                order_id: o.id,
                provider: "stripe".into(),
                session_id: session,
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                commission: None,
            },
            testkit::audit("orders.paid", at),
        )
        .await
        .expect("credit");
    assert!(matches!(paid, CreditOutcome::Credited(_)), "{paid:?}");
    store.order(o.id).await.expect("order").expect("exists")
}

fn refund_event(id: &str, order_id: i64) -> NewProviderEvent {
    NewProviderEvent {
        provider: "stripe".into(),
        event_id: id.into(),
        event_type: "charge.refunded".into(),
        order_id: Some(order_id),
        outcome: "refunded",
        received_at: T0,
    }
}

pub async fn refunds(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    let a = paid_order(store, alice.id, 10_000_000, T0).await;
    let b = paid_order(store, alice.id, 20_000_000, T0 + 1).await;

    // The payment intent is recorded once and finds the order.
    store.set_payment_intent(a.id, "pi_a").await.expect("pi");
    store
        .set_payment_intent(a.id, "pi_other")
        .await
        .expect("pi");
    assert_eq!(
        store.payment_intent(a.id).await.expect("pi").as_deref(),
        Some("pi_a")
    );
    let found = store
        .order_by_payment_intent("stripe", "pi_a")
        .await
        .expect("by pi")
        .expect("found");
    assert_eq!(found.id, a.id);
    assert!(
        store
            .order_by_payment_intent("paypal", "pi_a")
            .await
            .expect("by pi")
            .is_none()
    );

    // Requested once at a time per order.
    let r1 = store
        .request_refund(
            NewRefund {
                order_id: b.id,
                account_id: alice.id,
                amount: Micros(15_000_000),
                created_at: T0 + MINUTE,
            },
            testkit::audit("refunds.request", T0 + MINUTE),
        )
        .await
        .expect("request")
        .expect("none open");
    assert_eq!(r1.state, RefundState::Requested);
    assert_eq!(
        (r1.amount, r1.amount_minor, r1.ledger_id),
        (Micros(15_000_000), None, None)
    );
    assert_eq!(r1.account_email, "alice@example.com");
    assert_eq!(r1.currency, "usd");
    let before = written(store).await;
    let twice = store
        .request_refund(
            NewRefund {
                order_id: b.id,
                account_id: alice.id,
                amount: Micros(1),
                created_at: T0 + MINUTE,
            },
            testkit::audit("refunds.request", T0 + MINUTE),
        )
        .await
        .expect("request");
    assert!(twice.is_none(), "one open refund per order");
    assert_eq!(written(store).await, before);

    // Approval refused: another account's debit, or one larger than asked; nothing written.
    let approve = |account_id: i64, amount: i64| {
        (
            entry(account_id, LedgerKind::Refund, -amount, T0 + 2 * MINUTE),
            DebitCondition::RefundRequested {
                refund_id: r1.id,
                amount_minor: amount / 10_000,
                decided_by: None,
            },
        )
    };
    for (e, c) in [approve(bob.id, 15_000_000), approve(alice.id, 15_000_001)] {
        let out = store
            .debit(e, c, testkit::audit("refunds.approve", T0))
            .await
            .expect("debit");
        assert!(
            matches!(out, DebitOutcome::Refused(DebitRefusal::RefundMismatch)),
            "{out:?}"
        );
    }
    assert_eq!(written(store).await, before);
    // Approved for less than asked: the amount is frozen at the entry's.
    let (e, c) = approve(alice.id, 12_000_000);
    let out = store
        .debit(e, c, testkit::audit("refunds.approve", T0))
        .await
        .expect("debit");
    let DebitOutcome::Debited(debit, Some(r1)) = out else {
        panic!("approved: {out:?}")
    };
    assert_eq!(debit.amount, Micros(-12_000_000));
    assert_eq!(debit.kind, LedgerKind::Refund);
    assert_eq!(r1.state, RefundState::Approved);
    assert_eq!(
        (r1.amount, r1.amount_minor, r1.ledger_id),
        (Micros(12_000_000), Some(1200), Some(debit.id))
    );
    let (e, c) = approve(alice.id, 12_000_000);
    let again = store
        .debit(e, c, testkit::audit("refunds.approve", T0))
        .await
        .expect("debit");
    assert!(
        matches!(
            again,
            DebitOutcome::Refused(DebitRefusal::RefundNotRequested(RefundState::Approved))
        ),
        "{again:?}"
    );

    // A failed refund gives exactly its debit back, once.
    let give_back = |amount: i64| {
        store.credit(
            entry(alice.id, LedgerKind::Refund, amount, T0 + 3 * MINUTE),
            CreditCondition::RefundFailed {
                refund_id: r1.id,
                reason: "disputed".into(),
            },
            testkit::audit("refunds.failed", T0),
        )
    };
    let wrong = give_back(1).await.expect("credit");
    assert!(matches!(wrong, CreditOutcome::Refused(_)), "{wrong:?}");
    let back = give_back(12_000_000).await.expect("credit");
    let CreditOutcome::Credited(back) = back else {
        panic!("given back: {back:?}")
    };
    let failed = store.refund(r1.id).await.expect("refund").expect("exists");
    assert_eq!(failed.state, RefundState::Failed);
    assert_eq!(failed.reason.as_deref(), Some("disputed"));
    let twice = give_back(12_000_000).await.expect("credit");
    assert!(matches!(twice, CreditOutcome::Refused(_)), "{twice:?}");
    assert_eq!(
        store.order(b.id).await.expect("order").expect("b").state,
        OrderState::Paid,
        "a failed refund leaves the order paid"
    );

    // A new request, approved and completed: the order follows its succeeded refunds.
    let r2 = store
        .request_refund(
            NewRefund {
                order_id: b.id,
                account_id: alice.id,
                amount: Micros(5_000_000),
                created_at: T0 + 4 * MINUTE,
            },
            testkit::audit("refunds.request", T0),
        )
        .await
        .expect("request")
        .expect("the failed one is closed");
    let out = store
        .debit(
            entry(alice.id, LedgerKind::Refund, -5_000_000, T0 + 4 * MINUTE),
            DebitCondition::RefundRequested {
                refund_id: r2.id,
                amount_minor: 500,
                decided_by: Some(bob.id),
            },
            testkit::audit("refunds.approve", T0),
        )
        .await
        .expect("debit");
    let DebitOutcome::Debited(r2_debit, _) = out else {
        panic!("{out:?}")
    };
    let done = store
        .complete_refund(
            r2.id,
            Some("re_1".into()),
            None,
            testkit::audit("refunds.succeeded", T0),
            T0 + 5 * MINUTE,
        )
        .await
        .expect("complete")
        .expect("approved");
    assert_eq!(done.state, RefundState::Succeeded);
    assert_eq!(done.provider_refund_id.as_deref(), Some("re_1"));
    assert_eq!(
        store.order(b.id).await.expect("order").expect("b").state,
        OrderState::PartlyRefunded
    );
    let before = written(store).await;
    let again = store
        .complete_refund(
            r2.id,
            None,
            None,
            testkit::audit("refunds.succeeded", T0),
            T0,
        )
        .await
        .expect("complete");
    assert!(again.is_none(), "completed once");
    assert_eq!(written(store).await, before);

    // A denied refund is closed and writes no money.
    let r3 = store
        .request_refund(
            NewRefund {
                order_id: a.id,
                account_id: alice.id,
                amount: Micros(1_000_000),
                created_at: T0 + 6 * MINUTE,
            },
            testkit::audit("refunds.request", T0),
        )
        .await
        .expect("request")
        .expect("none open");
    let denied = store
        .deny_refund(
            r3.id,
            Some(bob.id),
            "no",
            testkit::audit("refunds.deny", T0),
        )
        .await
        .expect("deny")
        .expect("requested");
    assert_eq!(denied.state, RefundState::Denied);
    assert_eq!(denied.reason.as_deref(), Some("no"));
    let again = store
        .deny_refund(r3.id, None, "no", testkit::audit("refunds.deny", T0))
        .await
        .expect("deny");
    assert!(again.is_none());

    // A provider refund: booked once per event, the rest of order A, which becomes refunded.
    let provider = |event: &str| {
        store.debit(
            entry(alice.id, LedgerKind::Refund, -10_000_000, T0 + 7 * MINUTE),
            DebitCondition::ProviderRefund {
                event: refund_event(event, a.id),
                order_id: a.id,
                amount_minor: 1000,
                provider_refund_id: None,
            },
            testkit::audit("refunds.provider", T0),
        )
    };
    let out = provider("evt_1").await.expect("debit");
    let DebitOutcome::Debited(a_debit, Some(ra)) = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        (ra.state, ra.source.as_str()),
        (RefundState::Succeeded, "provider")
    );
    assert_eq!(
        store.order(a.id).await.expect("order").expect("a").state,
        OrderState::Refunded
    );
    let before = written(store).await;
    let replay = provider("evt_1").await.expect("debit");
    assert!(
        matches!(replay, DebitOutcome::Refused(DebitRefusal::EventSeen)),
        "{replay:?}"
    );
    assert_eq!(written(store).await, before);
    let none_left = provider("evt_2").await.expect("debit");
    assert!(
        matches!(
            none_left,
            DebitOutcome::Refused(DebitRefusal::OrderNotRefundable)
        ),
        "{none_left:?}"
    );
    assert_eq!(written(store).await, before);

    // Listed newest first, by account, order and state.
    let all = store
        .refunds(RefundFilter::default(), 10)
        .await
        .expect("list");
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ra.id, r3.id, r2.id, r1.id]
    );
    let of_b = store
        .refunds(
            RefundFilter {
                order_id: Some(b.id),
                state: Some(RefundState::Succeeded),
                ..RefundFilter::default()
            },
            10,
        )
        .await
        .expect("list");
    assert_eq!(of_b.iter().map(|r| r.id).collect::<Vec<_>>(), vec![r2.id]);
    let of_bob = store
        .refunds(
            RefundFilter {
                account_id: Some(bob.id),
                ..RefundFilter::default()
            },
            10,
        )
        .await
        .expect("list");
    assert!(of_bob.is_empty());

    // The history links payments and refunds to their orders, in id order.
    let history = store.spending_history(alice.id).await.expect("history");
    let links: Vec<(i64, Option<i64>, Option<i64>)> = history
        .iter()
        .map(|e: &SpendingEntry| (e.amount.0, e.paid_order, e.refund_of))
        .collect();
    assert_eq!(
        links,
        vec![
            (10_000_000, Some(a.id), None),
            (20_000_000, Some(b.id), None),
            (-12_000_000, None, Some(b.id)),
            (12_000_000, None, Some(b.id)),
            (-5_000_000, None, Some(b.id)),
            (-10_000_000, None, Some(a.id)),
        ]
    );
    assert_eq!(history[2].id, debit.id);
    assert_eq!(history[3].id, back.id);
    assert_eq!(history[4].id, r2_debit.id);
    assert_eq!(history[5].id, a_debit.id);
    assert!(
        store
            .spending_history(bob.id)
            .await
            .expect("history")
            .is_empty()
    );
    assert_ledger_balanced(store).await;
}
