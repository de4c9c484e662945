//! API keys: created, listed, found by owner and by secret hash, changed, revoked and rotated;
//! another account's key is never found, and a revoked key never changes again.

use codexkey_common::Micros;

use crate::store::conformance::setup::{Database, HOUR, MINUTE, T0, account};
use crate::store::{KeyRecord, KeySettings, NewKey, StoreError, testkit};

/// What a key looks like from outside, to compare whole records.
type View = (
    i64,
    i64,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<Vec<String>>,
    Option<Micros>,
    Micros,
    (Option<u32>, Option<u64>),
);

fn view(k: &KeyRecord) -> View {
    (
        k.id,
        k.account_id,
        k.prefix.clone(),
        k.name.clone(),
        k.created_at,
        k.last_used_at,
        k.expires_at,
        k.revoked_at,
        k.allowed_models.clone(),
        k.budget,
        k.spent,
        (k.rpm_limit, k.tpm_limit),
    )
}

pub async fn keys(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    let alice = account(store, "alice@example.com", T0).await;
    let bob = account(store, "bob@example.com", T0).await;

    let models = vec!["gpt-5.5".to_owned(), "claude-*".to_owned()];
    let k1 = store
        .create_key(NewKey {
            name: Some("laptop".into()),
            expires_at: Some(T0 + 30 * 24 * HOUR),
            allowed_models: Some(models.clone()),
            budget: Some(Micros(5_000_000)),
            rpm_limit: Some(60),
            tpm_limit: Some(90_000),
            ..testkit::key(alice.id, "hash-1", T0 + 1)
        })
        .await
        .expect("a key is created");
    assert_eq!(
        view(&k1),
        (
            k1.id,
            alice.id,
            "ck-hash-1".into(),
            Some("laptop".into()),
            T0 + 1,
            None,
            Some(T0 + 30 * 24 * HOUR),
            None,
            Some(models),
            Some(Micros(5_000_000)),
            Micros::ZERO,
            (Some(60), Some(90_000))
        )
    );
    let k2 = store
        .create_key(testkit::key(alice.id, "hash-2", T0 + 2))
        .await
        .expect("a key without limits is created");
    assert_eq!(
        (
            k2.name.clone(),
            k2.allowed_models.clone(),
            k2.budget,
            k2.rpm_limit,
            k2.tpm_limit,
            k2.expires_at
        ),
        (None, None, None, None, None, None)
    );
    let kb = store
        .create_key(testkit::key(bob.id, "hash-b", T0 + 3))
        .await
        .expect("another account's key is created");
    let taken = store
        .create_key(testkit::key(bob.id, "hash-1", T0 + 4))
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "a secret hash is unique: {taken:?}"
    );

    let ids = |keys: Vec<KeyRecord>| keys.iter().map(|k| k.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.keys(alice.id).await.expect("keys")),
        [k1.id, k2.id],
        "oldest first"
    );
    assert_eq!(ids(store.keys(bob.id).await.expect("keys")), [kb.id]);
    let nobody = alice.id.max(bob.id) + 1000;
    assert!(store.keys(nobody).await.expect("keys").is_empty());
    let missing = k1.id.max(k2.id).max(kb.id) + 1000;

    let found = store
        .key(alice.id, k1.id)
        .await
        .expect("key")
        .expect("the owner finds it");
    assert_eq!(view(&found), view(&k1));
    assert!(
        store.key(bob.id, k1.id).await.expect("key").is_none(),
        "another account's key is not found"
    );
    assert!(store.key(alice.id, missing).await.expect("key").is_none());
    let (key, owner) = store
        .key_by_hash("hash-1")
        .await
        .expect("by hash")
        .expect("a key is found by its secret hash");
    assert_eq!(
        (view(&key), owner.id, owner.email.as_str()),
        (view(&k1), alice.id, "alice@example.com")
    );
    assert!(
        store
            .key_by_hash("hash-unknown")
            .await
            .expect("by hash")
            .is_none()
    );

    // Settings are replaced whole; what is not a setting stays.
    let settings = KeySettings {
        name: Some("desk".into()),
        expires_at: None,
        allowed_models: None,
        budget: Some(Micros(1_000_000)),
        rpm_limit: None,
        tpm_limit: Some(400),
    };
    let updated = store
        .update_key(alice.id, k1.id, settings.clone())
        .await
        .expect("update")
        .expect("the owner changes a key");
    assert_eq!(
        view(&updated),
        (
            k1.id,
            alice.id,
            "ck-hash-1".into(),
            Some("desk".into()),
            T0 + 1,
            None,
            None,
            None,
            None,
            Some(Micros(1_000_000)),
            Micros::ZERO,
            (None, Some(400))
        )
    );
    assert!(
        store
            .update_key(bob.id, k1.id, settings.clone())
            .await
            .expect("update")
            .is_none()
    );
    assert!(
        store
            .update_key(alice.id, missing, settings.clone())
            .await
            .expect("update")
            .is_none()
    );
    let unchanged = store
        .key(alice.id, k1.id)
        .await
        .expect("key")
        .expect("found");
    assert_eq!(
        view(&unchanged),
        view(&updated),
        "another account cannot change it"
    );

    // Revoking is idempotent: the first time stays.
    let revoked = store
        .revoke_key(alice.id, k2.id, T0 + HOUR)
        .await
        .expect("revoke")
        .expect("the owner revokes a key");
    assert_eq!(revoked.revoked_at, Some(T0 + HOUR));
    let again = store
        .revoke_key(alice.id, k2.id, T0 + 2 * HOUR)
        .await
        .expect("revoke")
        .expect("found");
    assert_eq!(again.revoked_at, Some(T0 + HOUR));
    assert!(
        store
            .revoke_key(bob.id, k1.id, T0 + HOUR)
            .await
            .expect("revoke")
            .is_none()
    );
    assert!(
        store
            .revoke_key(alice.id, missing, T0 + HOUR)
            .await
            .expect("revoke")
            .is_none()
    );
    let k1_now = store
        .key(alice.id, k1.id)
        .await
        .expect("key")
        .expect("found");
    assert_eq!(k1_now.revoked_at, None, "another account cannot revoke it");
    let change = store.update_key(alice.id, k2.id, settings.clone()).await;
    assert!(
        matches!(change, Err(StoreError::Conflict(_))),
        "a revoked key is not changed: {change:?}"
    );
    let rotate = store
        .rotate_key(alice.id, k2.id, "ck-x", "hash-x", T0 + 3 * HOUR)
        .await;
    assert!(
        matches!(rotate, Err(StoreError::Conflict(_))),
        "a revoked key is not rotated: {rotate:?}"
    );
    let (key, _) = store
        .key_by_hash("hash-2")
        .await
        .expect("by hash")
        .expect("a revoked key is still found");
    assert_eq!(key.revoked_at, Some(T0 + HOUR));
    assert!(
        store
            .key_by_hash("hash-x")
            .await
            .expect("by hash")
            .is_none(),
        "a refused rotation adds nothing"
    );

    // Spend, then rotate: the replacement keeps settings and spend, not the last use.
    store
        .apply_metering(vec![testkit::settle(testkit::event(
            "r-1",
            alice.id,
            Some(k1.id),
            700,
            T0 + 2 * HOUR,
        ))])
        .await
        .expect("a request is charged");
    let spent = store
        .key(alice.id, k1.id)
        .await
        .expect("key")
        .expect("found");
    assert_eq!(
        (spent.spent, spent.last_used_at),
        (Micros(700), Some(T0 + 2 * HOUR))
    );
    let at = T0 + 3 * HOUR;
    let k3 = store
        .rotate_key(alice.id, k1.id, "ck-new", "hash-3", at)
        .await
        .expect("rotate")
        .expect("the owner rotates a key");
    assert_ne!(k3.id, k1.id);
    assert_eq!(
        view(&k3),
        (
            k3.id,
            alice.id,
            "ck-new".into(),
            Some("desk".into()),
            at,
            None,
            None,
            None,
            None,
            Some(Micros(1_000_000)),
            Micros(700),
            // Rotation carries the limits over.
            (None, Some(400))
        )
    );
    let old = store
        .key(alice.id, k1.id)
        .await
        .expect("key")
        .expect("the old key stays");
    assert_eq!(old.revoked_at, Some(at));
    let (found, _) = store
        .key_by_hash("hash-3")
        .await
        .expect("by hash")
        .expect("the new secret works");
    assert_eq!(view(&found), view(&k3));
    assert_eq!(
        ids(store.keys(alice.id).await.expect("keys")),
        [k1.id, k2.id, k3.id]
    );
    assert!(
        store
            .rotate_key(bob.id, k3.id, "ck-y", "hash-y", at)
            .await
            .expect("rotate")
            .is_none()
    );
    assert!(
        store
            .rotate_key(alice.id, missing, "ck-y", "hash-y", at)
            .await
            .expect("rotate")
            .is_none()
    );

    // A rotation to a secret hash in use fails whole: the key stays unrevoked.
    let clash = store
        .rotate_key(alice.id, k3.id, "ck-z", "hash-b", at + MINUTE)
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let k3_now = store
        .key(alice.id, k3.id)
        .await
        .expect("key")
        .expect("found");
    assert_eq!(view(&k3_now), view(&k3));
    assert_eq!(ids(store.keys(alice.id).await.expect("keys")).len(), 3);
}
