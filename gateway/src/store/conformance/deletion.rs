//! Deleting an account: the pseudonym everywhere the email was, keys and sessions over, client
//! metadata erased, the balance forfeited by an adjustment (or kept), the ledger balanced;
//! twice is refused, and the old email is free.

use codexkey_common::Micros;

use crate::store::conformance::setup::{
    DAY, Database, HOUR, T0, account, assert_ledger_balanced, reload, top_up,
};
use crate::store::{BalanceRule, DeletionRecord, NewAudit, StoreError, testkit};

pub async fn deletion(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = store
        .create_account(
            testkit::account("alice@example.com", T0),
            Some(testkit::audit("account.register", T0)),
        )
        .await
        .expect("alice");
    let bob = account(store, "bob@example.com", T0).await;
    top_up(store, alice.id, 5_000, T0).await;
    top_up(store, bob.id, 7_000, T0).await;
    store
        .create_key(testkit::key(alice.id, "k-a", T0))
        .await
        .expect("key");
    let mut s = testkit::session(alice.id, "s-a", T0, T0 + DAY);
    s.client_ip = Some("203.0.113.7".into());
    s.user_agent = Some("agent/1.0".into());
    store.create_session(s).await.expect("session");
    let mut e = testkit::event("r-1", alice.id, None, 100, T0 + HOUR);
    e.client_ip = Some("203.0.113.7".into());
    store
        .apply_metering(vec![testkit::settle(e)])
        .await
        .expect("event");

    let audit = |at| NewAudit {
        actor_id: Some(alice.id),
        ..testkit::audit("account.delete", at)
    };
    let done = store
        .delete_account(
            alice.id,
            "deleted-1@invalid",
            BalanceRule::Forfeit,
            audit(T0 + DAY),
        )
        .await
        .expect("deleted");
    assert_eq!(
        done,
        DeletionRecord {
            keys_revoked: 1,
            sessions_ended: 1,
            forfeited: Micros(4_900),
        }
    );
    let after = reload(store, alice.id).await;
    assert_eq!(after.email, "deleted-1@invalid");
    assert_eq!(after.balance, Micros::ZERO);
    assert!(
        store
            .account_by_email("alice@example.com")
            .await
            .expect("read")
            .is_none()
    );
    let key = store.key(alice.id, 1).await.expect("key").expect("kept");
    assert!(key.revoked_at.is_some() && key.name.is_none());
    let session = store.session("s-a").await.expect("session").expect("kept");
    assert_eq!(session.ended_at, Some(T0 + DAY));
    let log = store.audit_log(None, 100).await.expect("audit");
    assert!(
        log.iter()
            .all(|a| a.target.as_deref() != Some("alice@example.com"))
    );
    assert_eq!(log[0].action, "account.delete");
    assert_eq!(log[0].target.as_deref(), Some("deleted-1@invalid"));
    let ledger = store.ledger(alice.id, None, 10).await.expect("ledger");
    assert_eq!(ledger[0].amount, Micros(-4_900));
    assert_eq!(ledger[0].reason.as_deref(), Some("account deleted"));
    assert_ledger_balanced(store).await;

    // Twice: refused, nothing written.
    let twice = store
        .delete_account(
            alice.id,
            "deleted-1@invalid",
            BalanceRule::Forfeit,
            audit(T0 + 2 * DAY),
        )
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let missing = store
        .delete_account(9999, "deleted-9999@invalid", BalanceRule::Keep, audit(T0))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    // Keep: the balance stays on the pseudonymised account; the email is free again.
    let kept = store
        .delete_account(
            bob.id,
            "deleted-2@invalid",
            BalanceRule::Keep,
            audit(T0 + DAY),
        )
        .await
        .expect("deleted");
    assert_eq!(kept.forfeited, Micros::ZERO);
    assert_eq!(reload(store, bob.id).await.balance, Micros(7_000));
    account(store, "alice@example.com", T0 + 3 * DAY).await;
    assert_ledger_balanced(store).await;
}
