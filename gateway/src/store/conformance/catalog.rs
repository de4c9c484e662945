//! What the operator configures through the admin API: price overrides, coefficients and
//! upstreams with their sealed keys, each change audited in its own transaction.

use codexkey_common::price::{Price, PriceEntry};

use crate::store::conformance::setup::{Database, MINUTE, T0};
use crate::store::{Store, StoreError, StoredUpstream, StoredUpstreamKey, testkit};

fn entry(provider: &str, input: i64, output: i64) -> PriceEntry {
    PriceEntry {
        provider: provider.into(),
        mode: "chat".into(),
        price: Price {
            input,
            cached_input: None,
            cache_write_5m: None,
            cache_write_1h: None,
            output,
            per_image: None,
            per_request: None,
        },
        max_input_tokens: None,
        max_output_tokens: None,
    }
}

async fn actions(store: &dyn Store) -> Vec<String> {
    let mut log: Vec<String> = store
        .audit_log(None, 100)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    log.reverse();
    log
}

pub async fn prices(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    assert!(store.price_overrides().await.expect("prices").is_empty());
    assert!(store.coefficients().await.expect("coefficients").is_empty());

    let full = PriceEntry {
        mode: "responses".into(),
        price: Price {
            input: 5_000_000,
            cached_input: Some(500_000),
            cache_write_5m: Some(6_250_000),
            cache_write_1h: Some(10_000_000),
            output: 30_000_000,
            per_image: Some(40_000),
            per_request: Some(1_000),
        },
        max_input_tokens: Some(400_000),
        max_output_tokens: Some(128_000),
        ..entry("openai", 0, 0)
    };
    let small = entry("anthropic", 1_000_000, 5_000_000);
    store
        .upsert_prices(
            vec![
                ("gpt-x".into(), full.clone()),
                ("a-model".into(), small.clone()),
            ],
            testkit::audit("prices.upsert", T0),
        )
        .await
        .expect("prices are written");
    assert_eq!(
        store.price_overrides().await.expect("prices"),
        [
            ("a-model".to_owned(), small.clone()),
            ("gpt-x".to_owned(), full.clone())
        ],
        "every field comes back, rows by model name"
    );
    let cheaper = entry("openai", 1, 2);
    store
        .upsert_prices(
            vec![("gpt-x".into(), cheaper.clone())],
            testkit::audit("prices.upsert", T0 + MINUTE),
        )
        .await
        .expect("a row is replaced");
    assert_eq!(
        store.price_overrides().await.expect("prices"),
        [
            ("a-model".to_owned(), small.clone()),
            ("gpt-x".to_owned(), cheaper)
        ],
        "a row is replaced whole, the others stay"
    );
    assert!(
        store
            .delete_price("gpt-x", testkit::audit("prices.delete", T0 + 2 * MINUTE))
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_price("gpt-x", testkit::audit("prices.delete", T0 + 3 * MINUTE))
            .await
            .expect("delete")
    );
    assert_eq!(
        store.price_overrides().await.expect("prices"),
        [("a-model".to_owned(), small)]
    );

    store
        .set_coefficient(
            "gpt-x",
            Some(1_500_000),
            testkit::audit("coefficient.set", T0),
        )
        .await
        .expect("set");
    store
        .set_coefficient(
            "gpt-x",
            Some(2_000_000),
            testkit::audit("coefficient.set", T0),
        )
        .await
        .expect("replace");
    store
        .set_coefficient(
            "b-model",
            Some(900_000),
            testkit::audit("coefficient.set", T0),
        )
        .await
        .expect("set");
    assert_eq!(
        store.coefficients().await.expect("coefficients"),
        [
            ("b-model".to_owned(), 900_000),
            ("gpt-x".to_owned(), 2_000_000)
        ]
    );
    store
        .set_coefficient("gpt-x", None, testkit::audit("coefficient.clear", T0))
        .await
        .expect("clear");
    assert_eq!(
        store.coefficients().await.expect("coefficients"),
        [("b-model".to_owned(), 900_000)]
    );
    assert_eq!(
        actions(store).await,
        [
            "prices.upsert",
            "prices.upsert",
            "prices.delete",
            "coefficient.set",
            "coefficient.set",
            "coefficient.set",
            "coefficient.clear"
        ],
        "a delete that found nothing is not audited"
    );
}

fn upstream_key(label: Option<&str>, ciphertext: &[u8], at: i64) -> StoredUpstreamKey {
    StoredUpstreamKey {
        // Chosen by the store: whatever is given is not kept.
        id: 0,
        label: label.map(str::to_owned),
        ciphertext: ciphertext.to_vec(),
        created_at: at,
    }
}

/// An upstream as the caller sees it, key ids left out (the store picks them).
type View = (
    String,
    String,
    String,
    Option<Vec<String>>,
    i64,
    Vec<(Option<String>, Vec<u8>, i64)>,
);

async fn upstreams(store: &dyn Store) -> Vec<View> {
    let all = store.upstreams().await.expect("upstreams");
    for u in &all {
        let mut ids: Vec<i64> = u.keys.iter().map(|k| k.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), u.keys.len(), "key ids are distinct");
    }
    all.into_iter()
        .map(|u| {
            let keys = u
                .keys
                .into_iter()
                .map(|k| (k.label, k.ciphertext, k.created_at))
                .collect();
            (u.name, u.provider, u.base_url, u.models, u.created_at, keys)
        })
        .collect()
}

pub async fn upstream_records(db: &dyn Database) {
    let store = db.open().await;
    let store = store.as_ref();
    assert!(upstreams(store).await.is_empty());
    let eu = StoredUpstream {
        name: "openai-eu".into(),
        provider: "openai".into(),
        base_url: "https://eu.example.com/v1".into(),
        models: Some(vec!["gpt-*".into(), "o4".into()]),
        keys: vec![
            upstream_key(Some("primary"), &[1, 2, 3], T0),
            upstream_key(None, &[0, 255], T0 + 1),
        ],
        created_at: T0,
    };
    store
        .create_upstream(eu.clone(), testkit::audit("upstream.create", T0))
        .await
        .expect("an upstream is created");
    let bare = StoredUpstream {
        name: "anthropic".into(),
        provider: "anthropic".into(),
        base_url: "https://api.example.com".into(),
        models: None,
        keys: Vec::new(),
        created_at: T0 + 1,
    };
    store
        .create_upstream(bare, testkit::audit("upstream.create", T0 + 1))
        .await
        .expect("a second upstream");
    let eu_view: View = (
        "openai-eu".into(),
        "openai".into(),
        "https://eu.example.com/v1".into(),
        Some(vec!["gpt-*".into(), "o4".into()]),
        T0,
        vec![
            (Some("primary".into()), vec![1, 2, 3], T0),
            (None, vec![0, 255], T0 + 1),
        ],
    );
    let bare_view: View = (
        "anthropic".into(),
        "anthropic".into(),
        "https://api.example.com".into(),
        None,
        T0 + 1,
        Vec::new(),
    );
    assert_eq!(
        upstreams(store).await,
        [eu_view.clone(), bare_view.clone()],
        "oldest first, keys in the order added"
    );

    let taken = store
        .create_upstream(
            StoredUpstream {
                keys: vec![upstream_key(None, &[9], T0 + 2)],
                ..eu.clone()
            },
            testkit::audit("upstream.create", T0 + 2),
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        upstreams(store).await,
        [eu_view.clone(), bare_view.clone()],
        "a refused upstream adds no key"
    );

    store
        .add_upstream_key(
            "openai-eu",
            upstream_key(Some("spare"), &[7], T0 + 3),
            testkit::audit("upstream.key", T0 + 3),
        )
        .await
        .expect("a key is added");
    let missing = store
        .add_upstream_key(
            "nowhere",
            upstream_key(None, &[7], T0 + 4),
            testkit::audit("upstream.key", T0 + 4),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let mut with_spare = eu_view.clone();
    with_spare.5.push((Some("spare".into()), vec![7], T0 + 3));
    assert_eq!(upstreams(store).await, [with_spare, bare_view.clone()]);

    assert!(
        store
            .delete_upstream("openai-eu", testkit::audit("upstream.delete", T0 + 5))
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_upstream("openai-eu", testkit::audit("upstream.delete", T0 + 6))
            .await
            .expect("delete")
    );
    assert_eq!(upstreams(store).await, std::slice::from_ref(&bare_view));
    // The name is free again, and the old keys went with the old upstream.
    store
        .create_upstream(
            StoredUpstream {
                keys: Vec::new(),
                created_at: T0 + 7,
                ..eu
            },
            testkit::audit("upstream.create", T0 + 7),
        )
        .await
        .expect("a deleted name is free");
    let again: View = (
        "openai-eu".into(),
        "openai".into(),
        "https://eu.example.com/v1".into(),
        Some(vec!["gpt-*".into(), "o4".into()]),
        T0 + 7,
        Vec::new(),
    );
    assert_eq!(upstreams(store).await, [bare_view, again]);
    assert_eq!(
        actions(store).await,
        [
            "upstream.create",
            "upstream.create",
            "upstream.key",
            "upstream.delete",
            "upstream.create"
        ],
        "refusals and misses are not audited"
    );
}
