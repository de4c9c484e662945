//! Purging deleted accounts (and, on the way, listing a referrer's commissions): only those
//! deleted before the cut-off, once; the account's ledger,
//! orders, refunds, commissions (earned by it or by its orders), referral links on both sides,
//! usage, keys and sessions go, its row stays as a zero-balance tombstone; a code it redeemed
//! stays redeemed; other accounts' ledgers and orders are untouched and the ledger balances.

use codexkey_common::Micros;
use codexkey_common::api::LedgerKind;

use crate::store::conformance::referrals::{entry, pay};
use crate::store::conformance::setup::{
    DAY, Database, HOUR, MINUTE, T0, account, assert_ledger_balanced, reload,
};
use crate::store::usage::{EventPageQuery, UsageFilter};
use crate::store::{
    BalanceRule, CommissionTerms, CreditCondition, CreditOutcome, DebitCondition, DebitOutcome,
    NewAudit, NewCodeBatch, NewRefund, OrderFilter, RefundFilter, Store, testkit,
};

fn terms(referrer_id: i64) -> Option<CommissionTerms> {
    Some(CommissionTerms {
        referrer_id,
        rate_bps: 1_000,
        max_topups: 5,
        max_age: 365 * DAY,
    })
}

fn purged_audit(at: i64) -> NewAudit {
    testkit::audit("account.purged", at)
}

async fn ledger_len(store: &dyn Store, id: i64) -> usize {
    store.ledger(id, None, 1_000).await.expect("ledger").len()
}

pub async fn purge(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let admin = account(store, "admin@example.com", T0).await;
    let rita = account(store, "rita@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    let carol = account(store, "carol@example.com", T0).await;
    let link = |referee: i64, code: &'static str| {
        store.link_referral(referee, code, T0, testkit::audit("referrals.link", T0))
    };
    store
        .referral_code(rita.id, "REF-RITA0001", T0)
        .await
        .expect("code");
    store
        .referral_code(bob.id, "REF-BOB00001", T0)
        .await
        .expect("code");
    link(bob.id, "REF-RITA0001")
        .await
        .expect("link")
        .expect("linked");
    link(carol.id, "REF-BOB00001")
        .await
        .expect("link")
        .expect("linked");

    // Bob pays twice (earning Rita 10%), has 6.00 of the first refunded (Rita gives back
    // 0.60), redeems an admin's code, and uses a key; Carol's payment earns Bob 10%.
    let first = pay(store, bob.id, 10_000_000, T0 + MINUTE, terms(rita.id)).await;
    pay(store, bob.id, 5_000_000, T0 + 2 * MINUTE, terms(rita.id)).await;
    let carols = pay(store, carol.id, 20_000_000, T0 + 3 * MINUTE, terms(bob.id)).await;
    let refund = store
        .request_refund(
            NewRefund {
                order_id: first,
                account_id: bob.id,
                amount: Micros(6_000_000),
                created_at: T0 + 4 * MINUTE,
            },
            testkit::audit("refunds.request", T0),
        )
        .await
        .expect("request")
        .expect("requested");
    let approved = store
        .debit(
            entry(bob.id, LedgerKind::Refund, -6_000_000, T0 + 5 * MINUTE),
            DebitCondition::RefundRequested {
                refund_id: refund.id,
                amount_minor: 600,
                decided_by: Some(admin.id),
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
            Some("re_1".into()),
            None,
            testkit::audit("refunds.succeeded", T0),
            T0 + 6 * MINUTE,
        )
        .await
        .expect("complete")
        .expect("approved");
    let taken = store
        .debit(
            entry(
                rita.id,
                LedgerKind::ReferralCommission,
                -600_000,
                T0 + 7 * MINUTE,
            ),
            DebitCondition::CommissionTakeBack {
                refund_id: refund.id,
                order_id: first,
                due: Micros(600_000),
            },
            testkit::audit("referrals.take_back", T0),
        )
        .await
        .expect("debit");
    assert!(matches!(taken, DebitOutcome::Debited(..)), "{taken:?}");
    let hash = format!("{:064x}", 7);
    let batch = store
        .create_code_batch(
            NewCodeBatch {
                amount: Micros(1_000_000),
                promotional: true,
                note: None,
                expires_at: None,
                created_by: Some(admin.id),
                created_at: T0,
                hashes: vec![hash.clone()],
            },
            testkit::audit("codes.create", T0),
        )
        .await
        .expect("batch");
    let code = store.code_by_hash(&hash).await.expect("code").expect("one");
    let mut code_credit = entry(bob.id, LedgerKind::Code, 1_000_000, T0 + 8 * MINUTE);
    code_credit.promotional = true;
    let redeemed = store
        .credit(
            code_credit,
            CreditCondition::CodeRedeemable { code_id: code.id },
            testkit::audit("codes.redeem", T0),
        )
        .await
        .expect("credit");
    assert!(
        matches!(redeemed, CreditOutcome::Credited(_)),
        "{redeemed:?}"
    );
    let key = store
        .create_key(testkit::key(bob.id, "k-bob", T0))
        .await
        .expect("key");
    store
        .create_session(testkit::session(bob.id, "s-bob", T0, T0 + DAY))
        .await
        .expect("session");
    store
        .apply_metering(vec![testkit::settle(testkit::event(
            "r-bob",
            bob.id,
            Some(key.id),
            300,
            T0 + HOUR,
        ))])
        .await
        .expect("event");
    assert_ledger_balanced(store).await;
    let listed = |referrer: i64| async move {
        store
            .commissions(referrer)
            .await
            .expect("commissions")
            .iter()
            .map(|c| {
                (
                    c.earned,
                    c.referee_email.clone(),
                    c.amount.0,
                    c.due.0,
                    c.created_at,
                )
            })
            .collect::<Vec<_>>()
    };
    let bob_email = || "bob@example.com".to_owned();
    assert_eq!(
        listed(rita.id).await,
        [
            (true, bob_email(), 1_000_000, 1_000_000, T0 + MINUTE),
            (true, bob_email(), 500_000, 500_000, T0 + 2 * MINUTE),
            (false, bob_email(), 600_000, 600_000, T0 + 7 * MINUTE),
        ]
    );
    assert_eq!(
        listed(bob.id).await,
        [(
            true,
            "carol@example.com".to_owned(),
            2_000_000,
            2_000_000,
            T0 + 3 * MINUTE
        )]
    );
    let rita_entries = ledger_len(store, rita.id).await;
    let carol_entries = ledger_len(store, carol.id).await;
    let rita_balance = reload(store, rita.id).await.balance;
    assert_eq!(rita_balance, Micros(1_500_000 - 600_000));

    // Deleted, keeping its balance; nothing is purged before the retention is over.
    let deleted_at = T0 + 2 * DAY;
    store
        .delete_account(
            bob.id,
            "deleted-3@invalid",
            BalanceRule::Keep,
            NewAudit {
                actor_id: Some(admin.id),
                ..testkit::audit("account.delete_by_admin", deleted_at)
            },
        )
        .await
        .expect("deleted");
    assert!(reload(store, bob.id).await.balance > Micros::ZERO);
    let purged = store
        .purge_deleted_accounts(deleted_at, purged_audit(deleted_at + DAY))
        .await
        .expect("purge");
    assert_eq!(purged, 0, "deleted at the cut-off, not before it");
    assert_eq!(
        ledger_len(store, bob.id).await,
        6,
        "2 payments, a commission, a refund, a code, a charge"
    );

    let at = deleted_at + 10 * DAY;
    let purged = store
        .purge_deleted_accounts(deleted_at + 1, purged_audit(at))
        .await
        .expect("purge");
    assert_eq!(purged, 1);

    // The tombstone: the pseudonym, nothing owed, no entries.
    let tomb = reload(store, bob.id).await;
    assert_eq!(tomb.email, "deleted-3@invalid");
    assert_eq!((tomb.balance, tomb.held), (Micros::ZERO, Micros::ZERO));
    assert_eq!(ledger_len(store, bob.id).await, 0);
    let orders = |account_id| {
        store.orders(
            OrderFilter {
                account_id: Some(account_id),
                ..OrderFilter::default()
            },
            100,
        )
    };
    assert!(orders(bob.id).await.expect("orders").is_empty());
    assert!(store.order(first).await.expect("order").is_none());
    let refunds = store
        .refunds(
            RefundFilter {
                account_id: Some(bob.id),
                ..RefundFilter::default()
            },
            100,
        )
        .await
        .expect("refunds");
    assert!(refunds.is_empty(), "{refunds:?}");
    assert_eq!(store.referrer_of(bob.id).await.expect("referrer"), None);
    assert_eq!(store.referrer_of(carol.id).await.expect("referrer"), None);
    assert!(store.referees(rita.id).await.expect("referees").is_empty());
    assert!(store.referees(bob.id).await.expect("referees").is_empty());
    assert_eq!(store.order_commission(carols).await.expect("c"), None);
    assert!(listed(rita.id).await.is_empty());
    assert!(listed(bob.id).await.is_empty());
    assert!(store.keys(bob.id).await.expect("keys").is_empty());
    assert!(store.session("s-bob").await.expect("session").is_none());
    let (events, _, _) = store
        .usage_events(
            UsageFilter {
                scope: Some(bob.id),
                ..UsageFilter::default()
            },
            EventPageQuery {
                cursor: None,
                limit: 10,
                count: false,
                newest_first: false,
            },
        )
        .await
        .expect("events");
    assert!(events.is_empty());
    let report = store
        .usage_report(
            UsageFilter {
                scope: Some(bob.id),
                ..UsageFilter::default()
            },
            vec![],
            0,
        )
        .await
        .expect("report");
    assert!(
        report.iter().all(|g| g.totals.requests == 0),
        "no usage sums left"
    );
    // The code stays spent, by the tombstone.
    let code = store
        .code_by_hash(&hash)
        .await
        .expect("code")
        .expect("kept");
    assert_eq!(code.redeemed_by_email.as_deref(), Some("deleted-3@invalid"));
    assert_eq!(code.redeemed_at, Some(T0 + 8 * MINUTE));
    let batch = store
        .code_batch(batch.id, at)
        .await
        .expect("batch")
        .expect("kept");
    assert_eq!(batch.0.redeemed, 1);

    // Everyone else's records as they were; the ledger balances.
    assert_eq!(ledger_len(store, rita.id).await, rita_entries);
    assert_eq!(ledger_len(store, carol.id).await, carol_entries);
    assert_eq!(reload(store, rita.id).await.balance, rita_balance);
    assert_eq!(orders(carol.id).await.expect("orders").len(), 1);
    assert_ledger_balanced(store).await;
    let log = store.audit_log(None, 5).await.expect("audit");
    assert_eq!(log[0].action, "account.purged");
    assert_eq!(log[0].target.as_deref(), Some("deleted-3@invalid"));
    assert_eq!(log[0].created_at, at);

    // Once.
    let again = store
        .purge_deleted_accounts(deleted_at + 1, purged_audit(at + DAY))
        .await
        .expect("purge");
    assert_eq!(again, 0);
}
