//! Password-reset and verification tokens: spent once, only before they expire, only for
//! their purpose; a newer token of a purpose supersedes the older; a reset replaces the
//! password, ends every session and proves the address.

use crate::store::conformance::setup::{Database, HOUR, MINUTE, T0, account, reload};
use crate::store::{NewAccountToken, StoreError, TokenPurpose, TokenReset, testkit};

fn token(account_id: i64, purpose: TokenPurpose, hash: &str, at: i64) -> NewAccountToken {
    NewAccountToken {
        account_id,
        purpose,
        token_hash: hash.into(),
        created_at: at,
        expires_at: at + 30 * MINUTE,
    }
}

pub async fn account_tokens(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    assert!(!alice.email_verified, "a new address is not verified");

    // Unknown accounts and taken hashes are refused, nothing written.
    let missing = store
        .create_account_token(token(9999, TokenPurpose::PasswordReset, "h0", T0), None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    store
        .create_account_token(
            token(alice.id, TokenPurpose::PasswordReset, "r1", T0),
            Some(testkit::audit("account.password_reset_requested", T0)),
        )
        .await
        .expect("a token is recorded");
    let taken = store
        .create_account_token(token(bob.id, TokenPurpose::PasswordReset, "r1", T0), None)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    // Looked up without spending it, for its purpose only, until it expires.
    let found = |hash: &'static str, purpose, at| async move {
        store
            .account_by_token(hash, purpose, at)
            .await
            .expect("account_by_token")
            .map(|a| a.id)
    };
    assert_eq!(
        found("r1", TokenPurpose::PasswordReset, T0 + 1).await,
        Some(alice.id)
    );
    assert_eq!(
        found("r1", TokenPurpose::PasswordReset, T0 + 1).await,
        Some(alice.id)
    );
    assert_eq!(found("r1", TokenPurpose::VerifyEmail, T0 + 1).await, None);
    assert_eq!(
        found("r1", TokenPurpose::PasswordReset, T0 + 30 * MINUTE).await,
        None
    );
    assert_eq!(found("nope", TokenPurpose::PasswordReset, T0).await, None);

    // A newer reset token supersedes the older one.
    store
        .create_account_token(
            token(alice.id, TokenPurpose::PasswordReset, "r2", T0 + MINUTE),
            None,
        )
        .await
        .expect("a second token");
    assert_eq!(
        found("r1", TokenPurpose::PasswordReset, T0 + MINUTE).await,
        None
    );
    let old = store
        .reset_password_by_token(
            "r1",
            "hash-old",
            T0 + MINUTE,
            testkit::audit("account.password_reset", T0 + MINUTE),
        )
        .await
        .expect("reset");
    assert_eq!(old, None, "a superseded token resets nothing");

    // Expired: refused, nothing written.
    let late = store
        .reset_password_by_token(
            "r2",
            "hash-late",
            T0 + MINUTE + 30 * MINUTE,
            testkit::audit("account.password_reset", T0 + HOUR),
        )
        .await
        .expect("reset");
    assert_eq!(late, None);
    assert_eq!(
        reload(store, alice.id).await.password_hash,
        alice.password_hash
    );

    // In time: the password is replaced, every session ends, the address is proved, audited.
    store
        .create_session(testkit::session(alice.id, "s1", T0, T0 + HOUR))
        .await
        .expect("session");
    store
        .create_session(testkit::session(alice.id, "s2", T0, T0 + HOUR))
        .await
        .expect("session");
    store
        .create_session(testkit::session(bob.id, "s3", T0, T0 + HOUR))
        .await
        .expect("session");
    store
        .create_account_token(
            token(alice.id, TokenPurpose::PasswordReset, "r3", T0 + 2 * MINUTE),
            None,
        )
        .await
        .expect("a third token");
    let audits_before = store.audit_log(None, 100).await.expect("audit").len();
    let done = store
        .reset_password_by_token(
            "r3",
            "hash-new",
            T0 + 3 * MINUTE,
            testkit::audit("account.password_reset", T0 + 3 * MINUTE),
        )
        .await
        .expect("reset");
    assert_eq!(
        done,
        Some(TokenReset {
            account_id: alice.id,
            sessions_ended: 2
        })
    );
    let after = reload(store, alice.id).await;
    assert_eq!(after.password_hash, "hash-new");
    assert!(after.email_verified, "a used reset link proves the address");
    for s in ["s1", "s2"] {
        let s = store.session(s).await.expect("session").expect("kept");
        assert_eq!(s.ended_at, Some(T0 + 3 * MINUTE));
    }
    let bobs = store.session("s3").await.expect("session").expect("kept");
    assert_eq!(
        bobs.ended_at, None,
        "another account's session is untouched"
    );
    let audit = store.audit_log(None, 100).await.expect("audit");
    assert_eq!(audit.len(), audits_before + 1);
    assert_eq!(audit[0].action, "account.password_reset");
    assert_eq!(audit[0].target.as_deref(), Some("alice@example.com"));

    // Spent: a second use does nothing.
    let again = store
        .reset_password_by_token(
            "r3",
            "hash-again",
            T0 + 4 * MINUTE,
            testkit::audit("account.password_reset", T0 + 4 * MINUTE),
        )
        .await
        .expect("reset");
    assert_eq!(again, None);
    assert_eq!(reload(store, alice.id).await.password_hash, "hash-new");
    assert_eq!(
        store.audit_log(None, 100).await.expect("audit").len(),
        audits_before + 1
    );

    // Verification: its own purpose, once; a reset token does not verify and the reverse.
    store
        .create_account_token(token(bob.id, TokenPurpose::VerifyEmail, "v1", T0), None)
        .await
        .expect("a verification token");
    let wrong = store
        .reset_password_by_token(
            "v1",
            "hash-x",
            T0 + 1,
            testkit::audit("account.password_reset", T0 + 1),
        )
        .await
        .expect("reset");
    assert_eq!(wrong, None, "a verification token resets no password");
    assert!(!reload(store, bob.id).await.email_verified);
    let verified = store
        .verify_email_by_token(
            "v1",
            T0 + 2,
            testkit::audit("account.email_verified", T0 + 2),
        )
        .await
        .expect("verify");
    assert_eq!(verified, Some(bob.id));
    assert!(reload(store, bob.id).await.email_verified);
    let twice = store
        .verify_email_by_token(
            "v1",
            T0 + 3,
            testkit::audit("account.email_verified", T0 + 3),
        )
        .await
        .expect("verify");
    assert_eq!(twice, None, "spent");
}
