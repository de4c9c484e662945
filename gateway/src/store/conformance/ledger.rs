//! The ledger and the audit log: entries move the balance and carry the balance after them,
//! a refused entry writes nothing, pages run newest first, and history never changes.

use codexkey_common::Micros;
use codexkey_common::api::{LedgerKind, Role};

use crate::store::conformance::setup::{
    Database, HOUR, T0, account, assert_ledger_balanced, reload,
};
use crate::store::{LedgerRecord, NewAccount, NewAudit, NewLedgerEntry, StoreError, testkit};

/// A ledger entry as the caller sees it, to compare whole records.
type View = (
    i64,
    i64,
    LedgerKind,
    Micros,
    Micros,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn view(e: &LedgerRecord) -> View {
    (
        e.id,
        e.account_id,
        e.kind,
        e.amount,
        e.balance_after,
        e.reason.clone(),
        e.actor_email.clone(),
        e.request_id.clone(),
        e.created_at,
    )
}

fn entry(account_id: i64, kind: LedgerKind, amount: i64, at: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        account_id,
        kind,
        amount: Micros(amount),
        reason: None,
        actor_id: None,
        request_id: None,
        created_at: at,
        forbid_negative: false,
        promotional: false,
    }
}

pub async fn ledger(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    let root = store
        .create_account(
            NewAccount {
                role: Role::Admin,
                ..testkit::account("root@example.com", T0)
            },
            None,
        )
        .await
        .expect("an admin registers");
    let check = store.verify_ledger().await.expect("verify");
    assert_eq!(
        (check.accounts, check.entries, check.mismatches.len()),
        (3, 0, 0)
    );

    let e1 = store
        .append_ledger(
            NewLedgerEntry {
                reason: Some("welcome".into()),
                actor_id: Some(root.id),
                ..entry(alice.id, LedgerKind::Payment, 10_000_000, T0 + 1)
            },
            Some(NewAudit {
                actor_id: Some(root.id),
                target: Some(alice.id.to_string()),
                ..testkit::audit("ledger.topup", T0 + 1)
            }),
        )
        .await
        .expect("a top-up is appended");
    assert_eq!(
        view(&e1),
        (
            e1.id,
            alice.id,
            LedgerKind::Payment,
            Micros(10_000_000),
            Micros(10_000_000),
            Some("welcome".into()),
            Some("root@example.com".into()),
            None,
            T0 + 1
        )
    );
    assert_eq!(reload(store, alice.id).await.balance, Micros(10_000_000));

    let e2 = store
        .append_ledger(
            NewLedgerEntry {
                forbid_negative: true,
                ..entry(alice.id, LedgerKind::Adjustment, -2_500_000, T0 + 2)
            },
            None,
        )
        .await
        .expect("a debit the balance covers is appended");
    assert_eq!(
        (e2.amount, e2.balance_after, e2.actor_email.clone()),
        (Micros(-2_500_000), Micros(7_500_000), None)
    );

    // A debit past zero is refused when forbidden, and writes nothing, its audit row included.
    let refused = store
        .append_ledger(
            NewLedgerEntry {
                forbid_negative: true,
                ..entry(alice.id, LedgerKind::Charge, -8_000_000, T0 + 3)
            },
            Some(testkit::audit("ledger.refused", T0 + 3)),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(reload(store, alice.id).await.balance, Micros(7_500_000));
    assert_eq!(
        store
            .ledger(alice.id, None, 10)
            .await
            .expect("ledger")
            .len(),
        2
    );
    assert_eq!(store.audit_log(None, 10).await.expect("audit").len(), 1);

    // Allowed, the same debit takes the balance below zero: the rule is the caller's.
    let e3 = store
        .append_ledger(
            entry(alice.id, LedgerKind::Adjustment, -8_000_000, T0 + 4),
            None,
        )
        .await
        .expect("an allowed overdraft is appended");
    assert_eq!(e3.balance_after, Micros(-500_000));
    let e4 = store
        .append_ledger(
            NewLedgerEntry {
                request_id: Some("req-9".into()),
                reason: Some("goodwill".into()),
                ..entry(alice.id, LedgerKind::Refund, 600_000, T0 + HOUR)
            },
            None,
        )
        .await
        .expect("a refund is appended");
    assert_eq!(
        (e4.balance_after, e4.request_id.as_deref()),
        (Micros(100_000), Some("req-9"))
    );
    // A bonus credited is promotional credit, or it is refused.
    let plain = store
        .append_ledger(entry(bob.id, LedgerKind::Bonus, 1_000, T0 + 5), None)
        .await;
    assert!(matches!(plain, Err(StoreError::Conflict(_))), "{plain:?}");
    let b1 = store
        .append_ledger(
            NewLedgerEntry {
                promotional: true,
                ..entry(bob.id, LedgerKind::Bonus, 1_000, T0 + 5)
            },
            None,
        )
        .await
        .expect("a bonus is appended");
    assert_eq!(
        b1.balance_after,
        Micros(1_000),
        "each account has its own balance"
    );
    assert!(b1.promotional);
    assert!(!e1.promotional, "a payment is not promotional");
    // Promotional is credit only.
    let debit = store
        .append_ledger(
            NewLedgerEntry {
                promotional: true,
                ..entry(bob.id, LedgerKind::Adjustment, -1, T0 + 5)
            },
            None,
        )
        .await;
    assert!(matches!(debit, Err(StoreError::Conflict(_))), "{debit:?}");
    let nobody = alice.id.max(bob.id).max(root.id) + 1000;
    let missing = store
        .append_ledger(entry(nobody, LedgerKind::Payment, 1, T0), None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    // Pages: newest first, `before` exclusive. Earlier entries read back exactly as appended.
    let all: Vec<View> = store
        .ledger(alice.id, None, 10)
        .await
        .expect("ledger")
        .iter()
        .map(view)
        .collect();
    assert_eq!(all, [view(&e4), view(&e3), view(&e2), view(&e1)]);
    let page: Vec<i64> = store
        .ledger(alice.id, None, 2)
        .await
        .expect("ledger")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(page, [e4.id, e3.id]);
    let page: Vec<i64> = store
        .ledger(alice.id, Some(e3.id), 10)
        .await
        .expect("ledger")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(page, [e2.id, e1.id]);
    assert!(
        store
            .ledger(alice.id, Some(e1.id), 10)
            .await
            .expect("ledger")
            .is_empty()
    );
    let bobs: Vec<View> = store
        .ledger(bob.id, None, 10)
        .await
        .expect("ledger")
        .iter()
        .map(view)
        .collect();
    assert_eq!(bobs, [view(&b1)]);
    assert!(
        store
            .ledger(root.id, None, 10)
            .await
            .expect("ledger")
            .is_empty()
    );
    assert_eq!(reload(store, alice.id).await.balance, Micros(100_000));
    let check = store.verify_ledger().await.expect("verify");
    assert_eq!((check.accounts, check.entries), (3, 5));
    assert_ledger_balanced(store).await;

    // The audit log pages the same way.
    for (i, action) in ["a.one", "a.two", "a.three"].into_iter().enumerate() {
        store
            .set_account_status(
                bob.id,
                codexkey_common::api::AccountStatus::Active,
                NewAudit {
                    detail: serde_json::json!({ "n": i }),
                    ..testkit::audit(action, T0 + 2 * HOUR + i as i64)
                },
            )
            .await
            .expect("an audited change");
    }
    let audit = store.audit_log(None, 10).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["a.three", "a.two", "a.one", "ledger.topup"]);
    assert_eq!(
        (
            audit[0].detail.clone(),
            audit[0].created_at,
            audit[0].actor_email.clone()
        ),
        (serde_json::json!({ "n": 2 }), T0 + 2 * HOUR + 2, None)
    );
    assert_eq!(audit[3].actor_email.as_deref(), Some("root@example.com"));
    assert_eq!(audit[3].target, Some(alice.id.to_string()));
    let page: Vec<&str> = audit[..2].iter().map(|a| a.action.as_str()).collect();
    let first: Vec<String> = store
        .audit_log(None, 2)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(first, page);
    let rest: Vec<String> = store
        .audit_log(Some(audit[1].id), 10)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(rest, ["a.one", "ledger.topup"]);
}
