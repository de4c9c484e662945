//! Two-factor login records: an enrolment's life (pending, replaced, confirmed, removed), the
//! replay guard on time steps, recovery codes spent once, and login challenges spent once
//! before they expire.

use crate::store::conformance::setup::{Database, MINUTE, T0, account, reload};
use crate::store::{NewAudit, StoreError, testkit};

pub async fn two_factor(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;
    assert!(store.totp(alice.id).await.expect("totp").is_none());
    assert!(!alice.two_factor);

    // A pending enrolment: recorded, not on; a new one replaces it.
    store
        .begin_totp(alice.id, b"sealed-1".to_vec(), T0)
        .await
        .expect("begin");
    store
        .begin_totp(alice.id, b"sealed-2".to_vec(), T0 + 1)
        .await
        .expect("begin again");
    let t = store.totp(alice.id).await.expect("totp").expect("pending");
    assert_eq!(
        (
            t.secret_sealed.as_slice(),
            t.created_at,
            t.confirmed_at,
            t.last_step
        ),
        (b"sealed-2".as_slice(), T0 + 1, None, None)
    );
    assert!(
        !reload(store, alice.id).await.two_factor,
        "pending is not on"
    );
    assert!(
        !store.accept_totp_step(alice.id, 10).await.expect("accept"),
        "no code is accepted before confirmation"
    );

    // Confirming: on, with its step and recovery codes, audited; only once.
    let audit = |at| NewAudit {
        actor_id: Some(alice.id),
        target: Some("alice@example.com".into()),
        ..testkit::audit("account.2fa_enable", at)
    };
    assert!(
        store
            .confirm_totp(
                alice.id,
                100,
                vec!["r1".into(), "r2".into()],
                audit(T0 + MINUTE)
            )
            .await
            .expect("confirm")
    );
    assert!(
        !store
            .confirm_totp(alice.id, 101, vec!["r3".into()], audit(T0 + MINUTE))
            .await
            .expect("confirm again"),
        "a confirmed enrolment is not confirmed again"
    );
    assert!(
        !store
            .confirm_totp(bob.id, 1, vec![], audit(T0))
            .await
            .expect("confirm nothing")
    );
    let log = store.audit_log(None, 10).await.expect("audit");
    assert_eq!(log.len(), 1, "only the confirmation is audited");
    assert_eq!(log[0].action, "account.2fa_enable");
    let t = store.totp(alice.id).await.expect("totp").expect("on");
    assert_eq!(
        (t.confirmed_at, t.last_step, t.recovery_codes_left),
        (Some(T0 + MINUTE), Some(100), 2)
    );
    assert!(reload(store, alice.id).await.two_factor);
    assert!(!reload(store, bob.id).await.two_factor);
    let again = store.begin_totp(alice.id, b"x".to_vec(), T0).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let t = store.totp(alice.id).await.expect("totp").expect("on");
    assert_eq!(
        t.secret_sealed, b"sealed-2",
        "a refused enrolment changes nothing"
    );

    // Steps: only later ones.
    assert!(
        !store.accept_totp_step(alice.id, 100).await.expect("accept"),
        "the confirming step"
    );
    assert!(store.accept_totp_step(alice.id, 101).await.expect("accept"));
    assert!(
        !store.accept_totp_step(alice.id, 101).await.expect("accept"),
        "replayed"
    );
    assert!(
        !store.accept_totp_step(alice.id, 99).await.expect("accept"),
        "older"
    );
    assert!(store.accept_totp_step(alice.id, 103).await.expect("accept"));
    assert!(
        !store.accept_totp_step(bob.id, 200).await.expect("accept"),
        "no enrolment"
    );

    // Recovery codes: each once, only the owner's.
    assert!(
        !store
            .use_recovery_code(bob.id, "r1", T0)
            .await
            .expect("use")
    );
    assert!(
        store
            .use_recovery_code(alice.id, "r1", T0)
            .await
            .expect("use")
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "r1", T0)
            .await
            .expect("use"),
        "used"
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "nope", T0)
            .await
            .expect("use")
    );
    let t = store.totp(alice.id).await.expect("totp").expect("on");
    assert_eq!(t.recovery_codes_left, 1);

    // Removal: the enrolment and its codes go, audited; a miss is not audited.
    assert!(
        store
            .remove_totp(
                alice.id,
                testkit::audit("account.2fa_reset", T0 + 2 * MINUTE)
            )
            .await
            .expect("remove")
    );
    assert!(store.totp(alice.id).await.expect("totp").is_none());
    assert!(!reload(store, alice.id).await.two_factor);
    assert!(
        !store
            .use_recovery_code(alice.id, "r2", T0)
            .await
            .expect("use"),
        "codes gone"
    );
    assert!(
        !store
            .remove_totp(alice.id, testkit::audit("account.2fa_reset", T0))
            .await
            .expect("remove nothing")
    );
    let log = store.audit_log(None, 10).await.expect("audit");
    assert_eq!(
        log.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["account.2fa_reset", "account.2fa_enable"]
    );
    // Enrolling again after removal starts afresh.
    store
        .begin_totp(alice.id, b"sealed-3".to_vec(), T0 + 3 * MINUTE)
        .await
        .expect("begin after removal");
    let t = store.totp(alice.id).await.expect("totp").expect("pending");
    assert_eq!(
        (t.confirmed_at, t.last_step, t.recovery_codes_left),
        (None, None, 0)
    );

    // Challenges: once, before they expire.
    store
        .create_login_challenge(alice.id, "c-1", T0, T0 + 5 * MINUTE)
        .await
        .expect("challenge");
    store
        .create_login_challenge(bob.id, "c-2", T0, T0 + 5 * MINUTE)
        .await
        .expect("challenge");
    assert_eq!(
        store
            .take_login_challenge("c-1", T0 + MINUTE)
            .await
            .expect("take"),
        Some(alice.id)
    );
    assert_eq!(
        store
            .take_login_challenge("c-1", T0 + MINUTE)
            .await
            .expect("take"),
        None,
        "spent"
    );
    assert_eq!(
        store
            .take_login_challenge("c-2", T0 + 5 * MINUTE)
            .await
            .expect("take"),
        None,
        "expired"
    );
    assert_eq!(
        store.take_login_challenge("c-x", T0).await.expect("take"),
        None
    );
    let dup = store
        .create_login_challenge(alice.id, "c-1", T0 + MINUTE, T0 + 2 * MINUTE)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
}
