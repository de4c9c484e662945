//! Invitations: registering spends one once, only for its address, only before it expires; a
//! newer invitation supersedes the older; a taken email spends nothing.

use crate::store::conformance::setup::{Database, MINUTE, T0, account};
use crate::store::{NewInvitation, StoreError, testkit};

fn invitation(email: &str, hash: &str, at: i64) -> NewInvitation {
    NewInvitation {
        email: email.into(),
        token_hash: hash.into(),
        invited_by: None,
        created_at: at,
        expires_at: at + 10 * MINUTE,
    }
}

pub async fn invitations(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let audit = |at| testkit::audit("account.invite", at);
    store
        .create_invitation(invitation("carol@example.com", "i1", T0), audit(T0))
        .await
        .expect("an invitation");
    let taken = store
        .create_invitation(invitation("dave@example.com", "i1", T0), audit(T0))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    // Another address, or too late: refused, nothing written.
    let register = |email: &'static str, hash: &'static str, at| async move {
        store
            .create_invited_account(
                testkit::account(email, at),
                hash,
                testkit::audit("account.register", at),
            )
            .await
    };
    assert!(
        register("dave@example.com", "i1", T0 + 1)
            .await
            .expect("ok")
            .is_none()
    );
    assert!(
        register("carol@example.com", "i1", T0 + 10 * MINUTE)
            .await
            .expect("ok")
            .is_none()
    );
    assert!(
        register("carol@example.com", "nope", T0 + 1)
            .await
            .expect("ok")
            .is_none()
    );
    assert!(
        store
            .account_by_email("carol@example.com")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .account_by_email("dave@example.com")
            .await
            .expect("read")
            .is_none()
    );

    // A newer invitation supersedes the older one.
    store
        .create_invitation(
            invitation("carol@example.com", "i2", T0 + MINUTE),
            audit(T0 + MINUTE),
        )
        .await
        .expect("a second invitation");
    assert!(
        register("carol@example.com", "i1", T0 + 2 * MINUTE)
            .await
            .expect("ok")
            .is_none()
    );
    let audits_before = store.audit_log(None, 100).await.expect("audit").len();
    let carol = register("carol@example.com", "i2", T0 + 2 * MINUTE)
        .await
        .expect("ok")
        .expect("the invitation holds");
    assert_eq!(carol.email, "carol@example.com");
    let log = store.audit_log(None, 100).await.expect("audit");
    assert_eq!(log.len(), audits_before + 1);
    assert_eq!(log[0].action, "account.register");
    assert_eq!(log[0].actor_email.as_deref(), Some("carol@example.com"));
    // Spent.
    assert!(
        register("carol@example.com", "i2", T0 + 3 * MINUTE)
            .await
            .is_err_or_none()
    );

    // An address registered meanwhile: `Conflict`, and the invitation stays unspent (the same
    // answer again, not a refusal of the invitation).
    account(store, "erin@example.com", T0).await;
    store
        .create_invitation(invitation("erin@example.com", "i3", T0), audit(T0))
        .await
        .expect("an invitation");
    let clash = register("erin@example.com", "i3", T0 + 1).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let again = register("erin@example.com", "i3", T0 + 2).await;
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "unspent: {again:?}"
    );
}

trait ErrOrNone {
    fn is_err_or_none(&self) -> bool;
}

impl<T, E> ErrOrNone for Result<Option<T>, E> {
    fn is_err_or_none(&self) -> bool {
        !matches!(self, Ok(Some(_)))
    }
}
