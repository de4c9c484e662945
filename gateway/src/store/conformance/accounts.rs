//! Accounts and their login sessions: registration, look-ups, preferences, status, and a
//! session's whole life (created, found, expired, ended).

use codexkey_common::Micros;
use codexkey_common::api::{AccountStatus, Role};

use crate::store::conformance::setup::{Database, HOUR, MINUTE, T0, account, reload};
use crate::store::{NewAccount, NewAudit, StoreError, testkit};

pub async fn accounts(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    store.ping().await.expect("a fresh store answers a ping");
    assert_eq!(store.count_accounts().await.expect("count"), 0);
    assert!(store.list_accounts().await.expect("list").is_empty());

    // A registration writes its audit row; without an actor the row names the new account.
    let alice = store
        .create_account(
            testkit::account("alice@example.com", T0),
            Some(NewAudit {
                target: Some("alice@example.com".into()),
                ..testkit::audit("account.register", T0)
            }),
        )
        .await
        .expect("a new email registers");
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(alice.password_hash, "hash-of-alice@example.com");
    assert_eq!(alice.role, Role::User);
    assert_eq!(alice.status, AccountStatus::Active);
    assert_eq!(
        (alice.language.as_str(), alice.currency.as_str()),
        ("en", "USD")
    );
    assert_eq!((alice.balance, alice.held), (Micros::ZERO, Micros::ZERO));
    assert_eq!(alice.created_at, T0);

    let root = store
        .create_account(
            NewAccount {
                role: Role::Admin,
                language: "de".into(),
                currency: "EUR".into(),
                ..testkit::account("root@example.com", T0 + 1)
            },
            None,
        )
        .await
        .expect("a second email registers");
    assert_ne!(root.id, alice.id);
    assert_eq!(root.role, Role::Admin);
    assert_eq!(
        (root.language.as_str(), root.currency.as_str()),
        ("de", "EUR")
    );
    assert_eq!(root.created_at, T0 + 1);

    assert_eq!(store.count_accounts().await.expect("count"), 2);
    let listed: Vec<i64> = store
        .list_accounts()
        .await
        .expect("list")
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        listed,
        [alice.id, root.id],
        "accounts are listed oldest first"
    );
    let by_email = store
        .account_by_email("alice@example.com")
        .await
        .expect("by email")
        .expect("alice is found by email");
    assert_eq!(by_email.id, alice.id);
    assert!(
        store
            .account_by_email("nobody@example.com")
            .await
            .expect("by email")
            .is_none()
    );
    assert_eq!(reload(store, root.id).await.email, "root@example.com");
    let missing = alice.id.max(root.id) + 1000;
    assert!(store.account_by_id(missing).await.expect("by id").is_none());

    // A taken email is a conflict, and its audit row is not written either.
    let taken = store
        .create_account(
            testkit::account("alice@example.com", T0 + 2),
            Some(testkit::audit("account.register", T0 + 2)),
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(store.count_accounts().await.expect("count"), 2);
    let audit = store.audit_log(None, 10).await.expect("audit log");
    assert_eq!(audit.len(), 1, "only the first registration is audited");
    assert_eq!(audit[0].action, "account.register");
    assert_eq!(audit[0].actor_email.as_deref(), Some("alice@example.com"));
    assert_eq!(audit[0].target.as_deref(), Some("alice@example.com"));
    assert_eq!(audit[0].detail, serde_json::json!({}));
    assert_eq!(audit[0].created_at, T0);

    // Preferences: what is given changes, what is not stays.
    let changed = store
        .update_preferences(alice.id, Some("fr".into()), None, T0 + MINUTE)
        .await
        .expect("preferences change");
    assert_eq!(
        (changed.language.as_str(), changed.currency.as_str()),
        ("fr", "USD")
    );
    let changed = store
        .update_preferences(alice.id, None, Some("EUR".into()), T0 + 2 * MINUTE)
        .await
        .expect("preferences change");
    assert_eq!(
        (changed.language.as_str(), changed.currency.as_str()),
        ("fr", "EUR")
    );
    assert_eq!(changed.created_at, T0, "created_at never moves");
    let nobody = store
        .update_preferences(missing, Some("fr".into()), None, T0)
        .await;
    assert!(matches!(nobody, Err(StoreError::NotFound)), "{nobody:?}");

    // Status, audited in the same transaction.
    let suspended = store
        .set_account_status(
            alice.id,
            AccountStatus::Suspended,
            NewAudit {
                actor_id: Some(root.id),
                target: Some(alice.id.to_string()),
                detail: serde_json::json!({ "status": "suspended" }),
                ..testkit::audit("account.status", T0 + HOUR)
            },
        )
        .await
        .expect("an account is suspended");
    assert_eq!(suspended.status, AccountStatus::Suspended);
    assert_eq!(
        reload(store, alice.id).await.status,
        AccountStatus::Suspended
    );
    let nobody = store
        .set_account_status(
            missing,
            AccountStatus::Active,
            testkit::audit("account.status", T0),
        )
        .await;
    assert!(matches!(nobody, Err(StoreError::NotFound)), "{nobody:?}");
    let audit = store.audit_log(None, 10).await.expect("audit log");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["account.status", "account.register"],
        "newest first, no row for the missing account"
    );
    assert_eq!(audit[0].actor_email.as_deref(), Some("root@example.com"));
    assert_eq!(
        audit[0].detail,
        serde_json::json!({ "status": "suspended" })
    );
    let back = store
        .set_account_status(
            alice.id,
            AccountStatus::Active,
            testkit::audit("account.status", T0 + 2 * HOUR),
        )
        .await
        .expect("an account is reactivated");
    assert_eq!(back.status, AccountStatus::Active);
    assert_eq!(
        (back.language.as_str(), back.currency.as_str()),
        ("fr", "EUR")
    );
}

pub async fn sessions(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;

    store
        .create_session(alice.id, "token-1", T0, T0 + HOUR)
        .await
        .expect("a session is created");
    let s = store
        .session("token-1")
        .await
        .expect("session")
        .expect("the session is found by its token hash");
    assert_eq!(
        (s.account.id, s.account.email.as_str()),
        (alice.id, "alice@example.com")
    );
    assert_eq!((s.expires_at, s.ended_at), (T0 + HOUR, None));
    assert!(
        store
            .session("token-unknown")
            .await
            .expect("session")
            .is_none()
    );

    // An expired session is still found: the caller tells expired from ended.
    store
        .create_session(bob.id, "token-2", T0, T0 + 1)
        .await
        .expect("a short session is created");
    let s = store
        .session("token-2")
        .await
        .expect("session")
        .expect("found");
    assert_eq!(
        (s.account.id, s.expires_at, s.ended_at),
        (bob.id, T0 + 1, None)
    );

    let again = store.create_session(bob.id, "token-1", T0, T0 + HOUR).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let s = store
        .session("token-1")
        .await
        .expect("session")
        .expect("found");
    assert_eq!(s.account.id, alice.id, "a refused session changes nothing");

    // A session shows its account as it is now.
    store
        .set_account_status(
            alice.id,
            AccountStatus::Suspended,
            testkit::audit("account.status", T0),
        )
        .await
        .expect("suspend");
    let s = store
        .session("token-1")
        .await
        .expect("session")
        .expect("found");
    assert_eq!(s.account.status, AccountStatus::Suspended);

    // Ending: once; the second time finds nothing open.
    assert!(
        store
            .end_session("token-1", T0 + MINUTE)
            .await
            .expect("end")
    );
    let s = store
        .session("token-1")
        .await
        .expect("session")
        .expect("an ended session is found");
    assert_eq!(s.ended_at, Some(T0 + MINUTE));
    assert!(
        !store
            .end_session("token-1", T0 + 2 * MINUTE)
            .await
            .expect("end")
    );
    let s = store
        .session("token-1")
        .await
        .expect("session")
        .expect("found");
    assert_eq!(
        s.ended_at,
        Some(T0 + MINUTE),
        "ending twice keeps the first end"
    );
    assert!(!store.end_session("token-unknown", T0).await.expect("end"));
    let s = store
        .session("token-2")
        .await
        .expect("session")
        .expect("found");
    assert_eq!(s.ended_at, None, "other sessions stay open");
}
