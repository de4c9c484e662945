//! Accounts and their login sessions: registration, look-ups, preferences, status, and a
//! session's whole life (created, found, expired, ended).

use codexkey_common::Micros;
use codexkey_common::api::{AccountStatus, Role};

use crate::store::conformance::setup::{Database, HOUR, MINUTE, T0, account, reload};
use crate::store::{NewAccount, NewAudit, NewSession, SessionInfoRecord, StoreError, testkit};

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
        .create_session(testkit::session(alice.id, "token-1", T0, T0 + HOUR))
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
        .create_session(testkit::session(bob.id, "token-2", T0, T0 + 1))
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

    let again = store
        .create_session(testkit::session(bob.id, "token-1", T0, T0 + HOUR))
        .await;
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

/// A session as its owner manages it: where it came from, its last use, revoking one or all the
/// others, and a password change that ends the others in the same write.
pub async fn session_use(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;

    let first = store
        .create_session(NewSession {
            client_ip: Some("192.0.2.7".into()),
            user_agent: Some("codexkey/0.1".into()),
            ..testkit::session(alice.id, "a-1", T0, T0 + HOUR)
        })
        .await
        .expect("a session is created");
    let second = store
        .create_session(testkit::session(alice.id, "a-2", T0 + 1, T0 + HOUR))
        .await
        .expect("a second session");
    let third = store
        .create_session(testkit::session(alice.id, "a-3", T0 + 2, T0 + HOUR))
        .await
        .expect("a third session");
    let short = store
        .create_session(testkit::session(alice.id, "a-short", T0, T0 + MINUTE))
        .await
        .expect("a short session");
    let bobs = store
        .create_session(testkit::session(bob.id, "b-1", T0, T0 + HOUR))
        .await
        .expect("bob's session");
    assert!(first < second && second < third, "ids grow");

    let s = store.session("a-1").await.expect("session").expect("found");
    assert_eq!(
        (s.id, s.last_used_at),
        (first, Some(T0)),
        "last use starts at creation"
    );

    let open = store
        .open_sessions(alice.id, T0 + 2 * MINUTE)
        .await
        .expect("open sessions");
    assert_eq!(
        open,
        vec![
            SessionInfoRecord {
                id: first,
                created_at: T0,
                expires_at: T0 + HOUR,
                last_used_at: Some(T0),
                client_ip: Some("192.0.2.7".into()),
                user_agent: Some("codexkey/0.1".into()),
            },
            SessionInfoRecord {
                id: second,
                created_at: T0 + 1,
                expires_at: T0 + HOUR,
                last_used_at: Some(T0 + 1),
                client_ip: None,
                user_agent: None,
            },
            SessionInfoRecord {
                id: third,
                created_at: T0 + 2,
                expires_at: T0 + HOUR,
                last_used_at: Some(T0 + 2),
                client_ip: None,
                user_agent: None,
            },
        ],
        "open sessions, oldest first, without the expired one or another account's"
    );

    // A touch moves the last use forward, never back.
    store
        .touch_session(first, T0 + 5 * MINUTE)
        .await
        .expect("touch");
    store
        .touch_session(first, T0 + MINUTE)
        .await
        .expect("touch");
    let s = store.session("a-1").await.expect("session").expect("found");
    assert_eq!(s.last_used_at, Some(T0 + 5 * MINUTE));

    // Revoking by id: only the owner's open session.
    assert!(
        !store
            .end_session_by_id(bob.id, first, T0 + 6 * MINUTE)
            .await
            .expect("end by id"),
        "another account's session is not touched"
    );
    assert!(
        !store
            .end_session_by_id(alice.id, short, T0 + 6 * MINUTE)
            .await
            .expect("end by id"),
        "an expired session is not open"
    );
    assert!(
        store
            .end_session_by_id(alice.id, second, T0 + 6 * MINUTE)
            .await
            .expect("end by id")
    );
    assert!(
        !store
            .end_session_by_id(alice.id, second, T0 + 7 * MINUTE)
            .await
            .expect("end by id"),
        "once"
    );
    let s = store.session("a-2").await.expect("session").expect("found");
    assert_eq!(s.ended_at, Some(T0 + 6 * MINUTE));

    // Revoking the others keeps the one named and other accounts' sessions.
    let ended = store
        .end_other_sessions(alice.id, third, T0 + 8 * MINUTE)
        .await
        .expect("end others");
    assert_eq!(ended, 2, "the first and the expired one");
    let open: Vec<i64> = store
        .open_sessions(alice.id, T0 + 8 * MINUTE)
        .await
        .expect("open")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(open, [third]);
    let b = store.session("b-1").await.expect("session").expect("found");
    assert_eq!((b.id, b.ended_at), (bobs, None));

    // A password change ends every other session and writes its audit row, in one write.
    let fourth = store
        .create_session(testkit::session(
            alice.id,
            "a-4",
            T0 + 9 * MINUTE,
            T0 + HOUR,
        ))
        .await
        .expect("a fourth session");
    let ended = store
        .change_password(
            alice.id,
            "new-hash",
            Some(fourth),
            testkit::audit("account.password_change", T0 + 10 * MINUTE),
        )
        .await
        .expect("change password");
    assert_eq!(ended, 1);
    assert_eq!(reload(store, alice.id).await.password_hash, "new-hash");
    let open: Vec<i64> = store
        .open_sessions(alice.id, T0 + 10 * MINUTE)
        .await
        .expect("open")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(open, [fourth]);
    let audit = store.audit_log(None, 10).await.expect("audit");
    assert_eq!(audit[0].action, "account.password_change");
    let missing = store
        .change_password(
            alice.id + bob.id + 100,
            "h",
            None,
            testkit::audit("account.password_change", T0),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let audit_after = store.audit_log(None, 10).await.expect("audit");
    assert_eq!(audit_after.len(), audit.len(), "a miss writes no audit row");
}
