//! Referrals: an account's referral code is made once and kept; a referee is linked once ever,
//! never to itself, never by an unknown code; a payment earns the terms' commission in its own
//! transaction only for the referee of the terms' referrer, within the terms' count and age;
//! taking back is once per succeeded refund of an order that earned, never more than asked;
//! refusals write nothing.

use codexkey_common::Micros;
use codexkey_common::api::LedgerKind;

use crate::store::conformance::setup::{
    Database, MINUTE, T0, account, assert_ledger_balanced, reload,
};
use crate::store::{
    CommissionTerms, CreditCondition, CreditOutcome, DebitCondition, DebitOutcome, DebitRefusal,
    LinkRefusal, NewLedgerEntry, NewOrder, NewRefund, Store, StoreError, testkit,
};

async fn written(store: &dyn Store) -> (u64, usize) {
    let entries = store.verify_ledger().await.expect("verify").entries;
    let audit = store.audit_log(None, 500).await.expect("audit").len();
    (entries, audit)
}

pub(super) fn entry(account_id: i64, kind: LedgerKind, amount: i64, at: i64) -> NewLedgerEntry {
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

/// Pays a new order of `amount` by `buyer` under `terms`; answers the order's id.
pub(super) async fn pay(
    store: &dyn Store,
    buyer: i64,
    amount: i64,
    at: i64,
    terms: Option<CommissionTerms>,
) -> i64 {
    let o = store
        .create_order(
            NewOrder {
                account_id: buyer,
                provider: "stripe".into(),
                amount: Micros(amount),
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                created_at: at,
            },
            50,
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
            entry(buyer, LedgerKind::Payment, amount, at),
            CreditCondition::OrderPending {
                order_id: o.id,
                provider: "stripe".into(),
                session_id: session,
                currency: "usd".into(),
                amount_minor: amount / 10_000,
                commission: terms,
            },
            testkit::audit("orders.paid", at),
        )
        .await
        .expect("credit");
    assert!(matches!(paid, CreditOutcome::Credited(_)), "{paid:?}");
    o.id
}

pub async fn referrals(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let rita = account(store, "rita@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    let eve = account(store, "eve@example.com", T0).await;

    // A code is made once and kept; another account's code is a conflict.
    let code = store
        .referral_code(rita.id, "REF-RITA0001", T0)
        .await
        .expect("code");
    assert_eq!(code, "REF-RITA0001");
    let kept = store
        .referral_code(rita.id, "REF-RITA0002", T0)
        .await
        .expect("code");
    assert_eq!(kept, "REF-RITA0001");
    let taken = store.referral_code(bob.id, "REF-RITA0001", T0).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        store
            .account_by_referral_code("REF-RITA0001")
            .await
            .expect("by code"),
        Some(rita.id)
    );

    // Linked once ever, never to itself, never by an unknown code.
    let before = written(store).await;
    let link = |referee: i64, code: &'static str| {
        store.link_referral(
            referee,
            code,
            T0 + MINUTE,
            testkit::audit("referrals.link", T0),
        )
    };
    assert_eq!(
        link(bob.id, "REF-NOPE").await.expect("link"),
        Err(LinkRefusal::UnknownCode)
    );
    assert_eq!(
        link(rita.id, "REF-RITA0001").await.expect("link"),
        Err(LinkRefusal::SelfReferral)
    );
    assert_eq!(written(store).await, before, "refused: nothing written");
    assert_eq!(
        link(bob.id, "REF-RITA0001").await.expect("link"),
        Ok(rita.id)
    );
    store
        .referral_code(eve.id, "REF-EVE00001", T0)
        .await
        .expect("code");
    assert_eq!(
        link(bob.id, "REF-EVE00001").await.expect("link"),
        Err(LinkRefusal::AlreadyReferred)
    );
    assert_eq!(
        store.referrer_of(bob.id).await.expect("referrer"),
        Some((rita.id, T0 + MINUTE))
    );
    assert_eq!(store.referrer_of(rita.id).await.expect("referrer"), None);

    // Earned in the payment's transaction: 10% rounded down, within the count and the age.
    let terms = |referrer_id: i64| {
        Some(CommissionTerms {
            referrer_id,
            rate_bps: 1_000,
            max_topups: 2,
            max_age: 60 * MINUTE,
        })
    };
    let first = pay(store, bob.id, 12_345_600, T0 + 2 * MINUTE, terms(rita.id)).await;
    assert_eq!(reload(store, rita.id).await.balance, Micros(1_234_560));
    assert_eq!(
        store.order_commission(first).await.expect("commission"),
        Some((rita.id, Micros(1_234_560), Micros::ZERO))
    );
    let (entries_before, _) = written(store).await;
    // Terms naming another referrer, and a buyer nobody referred: no commission.
    let other = pay(store, bob.id, 1_000_000, T0 + 3 * MINUTE, terms(eve.id)).await;
    pay(store, eve.id, 1_000_000, T0 + 3 * MINUTE, terms(rita.id)).await;
    assert_eq!(
        written(store).await.0,
        entries_before + 2,
        "the payments alone"
    );
    assert_eq!(store.order_commission(other).await.expect("c"), None);
    // The second commission; then past the count; and past the age.
    pay(store, bob.id, 5_000_000, T0 + 4 * MINUTE, terms(rita.id)).await;
    assert_eq!(reload(store, rita.id).await.balance, Micros(1_734_560));
    pay(store, bob.id, 5_000_000, T0 + 5 * MINUTE, terms(rita.id)).await;
    assert_eq!(reload(store, rita.id).await.balance, Micros(1_734_560));
    let young = account(store, "young@example.com", T0).await;
    store
        .link_referral(
            young.id,
            "REF-RITA0001",
            T0,
            testkit::audit("referrals.link", T0),
        )
        .await
        .expect("link")
        .expect("linked");
    pay(store, young.id, 5_000_000, T0 + 61 * MINUTE, terms(rita.id)).await;
    assert_eq!(reload(store, rita.id).await.balance, Micros(1_734_560));

    // Taken back once per succeeded refund, never more than asked.
    let refund = store
        .request_refund(
            NewRefund {
                order_id: first,
                account_id: bob.id,
                amount: Micros(6_000_000),
                created_at: T0 + 6 * MINUTE,
            },
            testkit::audit("refunds.request", T0),
        )
        .await
        .expect("request")
        .expect("none open");
    let take_back = |amount: i64, due: i64| {
        store.debit(
            entry(
                rita.id,
                LedgerKind::ReferralCommission,
                -amount,
                T0 + 7 * MINUTE,
            ),
            DebitCondition::CommissionTakeBack {
                refund_id: refund.id,
                order_id: first,
                due: Micros(due),
            },
            testkit::audit("referrals.take_back", T0),
        )
    };
    let before = written(store).await;
    let early = take_back(600_000, 600_000).await.expect("debit");
    assert!(
        matches!(
            early,
            DebitOutcome::Refused(DebitRefusal::NothingToTakeBack)
        ),
        "not succeeded yet: {early:?}"
    );
    assert_eq!(written(store).await, before);
    let approved = store
        .debit(
            entry(bob.id, LedgerKind::Refund, -6_000_000, T0 + 6 * MINUTE),
            DebitCondition::RefundRequested {
                refund_id: refund.id,
                amount_minor: 600,
                decided_by: None,
            },
            testkit::audit("refunds.approve", T0),
        )
        .await
        .expect("debit");
    assert!(
        matches!(approved, DebitOutcome::Debited(..)),
        "{approved:?}"
    );
    store
        .complete_refund(
            refund.id,
            None,
            None,
            testkit::audit("refunds.succeeded", T0),
            T0,
        )
        .await
        .expect("complete")
        .expect("approved");
    let over = take_back(600_001, 600_000).await.expect("debit");
    assert!(matches!(over, DebitOutcome::Refused(_)), "{over:?}");
    let taken = take_back(600_000, 600_000).await.expect("debit");
    let DebitOutcome::Debited(e, None) = taken else {
        panic!("taken back: {taken:?}")
    };
    assert_eq!(
        (e.kind, e.amount, e.promotional),
        (LedgerKind::ReferralCommission, Micros(-600_000), false)
    );
    let again = take_back(1, 1).await.expect("debit");
    assert!(
        matches!(
            again,
            DebitOutcome::Refused(DebitRefusal::NothingToTakeBack)
        ),
        "once per refund: {again:?}"
    );
    assert_eq!(
        store.order_commission(first).await.expect("commission"),
        Some((rita.id, Micros(1_234_560), Micros(600_000)))
    );

    // The referrer's view: referees oldest link first, with their commissions.
    let referees = store.referees(rita.id).await.expect("referees");
    let seen: Vec<_> = referees
        .iter()
        .map(|r| (r.email.as_str(), r.topups, r.earned, r.taken_back))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("young@example.com", 0, Micros::ZERO, Micros::ZERO),
            ("bob@example.com", 2, Micros(1_734_560), Micros(600_000)),
        ]
    );
    assert!(store.referees(bob.id).await.expect("referees").is_empty());
    assert_ledger_balanced(store).await;
}
