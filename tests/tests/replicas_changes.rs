//! Two gateway replicas on one PostgreSQL schema: a change made through replica A reaches the
//! caches of replica B within a second, by the database's change notifications (`LISTEN` /
//! `NOTIFY`). Revoke, rotate, key edits, suspension, reactivation and deletion, prices, upstreams; a
//! replica whose listening connection was cut reconnects and reloads what it missed; a payload
//! it does not know makes it reload everything. Each test has a scratch schema of its own; the
//! times asserted are from the change's answer on A to B's answer showing it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use codexkey_common::Secret;
use codexkey_gateway::config::{Provider, RawConfig, RawUpstream};
use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_tests::fake_upstream::FakeUpstream;
use codexkey_tests::fixtures::{CHAT_COST, CREDITS_100, chat_usage};
use codexkey_tests::{ApiClient, TestGateway, http_client, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How long a change may take to reach the other replica.
const PROPAGATION: Duration = Duration::from_secs(1);
/// How often the other replica is asked while waiting.
const POLL: Duration = Duration::from_millis(25);

const USER_EMAIL: &str = "replica-user@codexkey.test";

/// Replicas A and B of one deployment, a user with a key funded with 100 credits, and the fake
/// upstream both forward to.
struct Replicas {
    upstream: FakeUpstream,
    a: TestGateway,
    b: TestGateway,
    admin_a: ApiClient,
    user_a: ApiClient,
    key: String,
    key_id: i64,
    /// B's `application_name`: its listening connection is `<this>-listener`.
    b_name: String,
    http: reqwest::Client,
    // Last: the gateways stop before their schema is dropped.
    schema: ScratchSchema,
}

/// The upstreams `openai` and `anthropic` on the fake, serving the `gpt-*` and `claude-*`
/// models only (so another upstream can add `o3`), the master key that seals upstream keys
/// added through the API, and the database.
fn replica_config(raw: &mut RawConfig, upstream: &str, database_url: String) {
    let upstream_of = |name: &str, provider: Provider| RawUpstream {
        name: name.into(),
        provider,
        base_url: Some(upstream.to_owned()),
        keys: vec![Secret::new(format!("sk-upstream-{name}"))],
        models: Some(vec!["gpt-*".into(), "claude-*".into()]),
        origin: Default::default(),
    };
    raw.upstreams = vec![
        upstream_of("openai", Provider::Openai),
        upstream_of("anthropic", Provider::Anthropic),
    ];
    raw.upstream.cooldown_secs = Some(0);
    raw.master_key = Some(Secret::new("ab".repeat(32)));
    raw.database_url = Some(database_url);
}

impl Replicas {
    async fn start() -> Replicas {
        install_crypto_provider();
        let schema = ScratchSchema::create().await;
        let upstream = FakeUpstream::start().await;
        upstream.update_script(|s| s.usage = chat_usage());
        let base = upstream.base_url().to_owned();
        let url_a = format!("{}&application_name=a_{}", schema.url(), schema.name());
        let a = TestGateway::start_with(|raw| replica_config(raw, &base, url_a)).await;
        let admin_a = a.admin().await;
        let user_a = a.new_user(USER_EMAIL).await;
        let (status, created) = user_a
            .post("/api/v1/keys", &json!({ "name": "replicas" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let key = created["secret"].as_str().unwrap().to_owned();
        let key_id = created["key"]["id"].as_i64().unwrap();
        admin_a.fund(USER_EMAIL, CREDITS_100, "test funding").await;
        // B starts with nothing in flight on A (start-up settles holds it finds).
        let b_name = format!("b_{}", schema.name());
        let url_b = format!("{}&application_name={b_name}", schema.url());
        let b = TestGateway::start_with(|raw| replica_config(raw, &base, url_b)).await;
        let replicas = Replicas {
            upstream,
            a,
            b,
            admin_a,
            user_a,
            key,
            key_id,
            b_name,
            http: http_client(),
            schema,
        };
        replicas.wait_for_listener().await;
        replicas
    }

    /// Waits until B's listening connection is up, so a test's first change is not made while
    /// B is still connecting (which B would catch up on anyway, by its reload).
    async fn wait_for_listener(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.listeners().await == 0 {
            assert!(
                Instant::now() < deadline,
                "B's listener never appeared in pg_stat_activity"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// B's listening connections, by `application_name`.
    async fn listeners(&self) -> i64 {
        let db = scratch::connect(&scratch::server_url()).await;
        db.query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("{}-listener", self.b_name)],
        )
        .await
        .unwrap()
        .get(0)
    }

    /// A chat request through a replica with `secret`: the status, the whole body, and the
    /// request id.
    async fn chat(&self, gw: &TestGateway, secret: &str, model: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/chat/completions", gw.base_url()))
            .bearer_auth(secret)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let id = resp
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let mut body: Value = resp.json().await.unwrap();
        if status == StatusCode::OK {
            // The request id stands in for the completion, whose content is the fake's.
            body = json!({ "request_id": id });
        }
        (status, body)
    }

    /// Asks B with `secret` every [`POLL`] until its answer has `want`'s status, and returns the
    /// answer and how long that took (at most 5 s, so a slow change fails on the time).
    async fn b_until(
        &self,
        secret: &str,
        model: &str,
        want: StatusCode,
    ) -> ((StatusCode, Value), Duration) {
        let started = Instant::now();
        loop {
            let got = self.chat(&self.b, secret, model).await;
            if got.0 == want || started.elapsed() > Duration::from_secs(5) {
                return (got, started.elapsed());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Asks B's public price list every [`POLL`] until gpt-5.5's entry satisfies `done`, and
    /// returns how long that took (failing after 5 s).
    async fn b_pricing_until(&self, done: impl Fn(&Value) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            let (status, pricing) = self.b.client().get("/api/v1/pricing").await;
            assert_eq!(status, StatusCode::OK, "{pricing}");
            let entry = pricing["models"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["model"] == "gpt-5.5")
                .cloned()
                .unwrap();
            if done(&entry) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "B still prices gpt-5.5 as {entry}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// B's charge for one of its requests, as the ledger recorded it.
    async fn charged_on_b(&self, secret: &str, answer: &(StatusCode, Value)) -> i64 {
        assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
        let id = answer.1["request_id"].as_str().unwrap();
        let resp = self
            .http
            .get(format!("{}/api/v1/requests/{id}", self.b.base_url()))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json::<Value>().await.unwrap()["cost_micros"]
            .as_i64()
            .unwrap()
    }
}

fn openai_error(kind: &str, code: &str, message: &str) -> Value {
    json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })
}

#[track_caller]
fn assert_fast(took: Duration, what: &str) {
    assert!(
        took < PROPAGATION,
        "{what} reached replica B after {took:?}, not within {PROPAGATION:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_through_a_is_refused_by_b_within_a_second() {
    let r = Replicas::start().await;
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );

    let (status, body) = r.user_a.delete(&format!("/api/v1/keys/{}", r.key_id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        answer,
        (
            StatusCode::UNAUTHORIZED,
            openai_error(
                "invalid_request_error",
                "revoked_api_key",
                "this API key was revoked"
            )
        )
    );
    assert_fast(took, "the revocation");
    // A, where it was revoked, refuses it the same way; refused requests reach no upstream.
    let forwarded = r.upstream.requests().len();
    assert_eq!(r.chat(&r.a, &r.key, "gpt-5.5").await, answer);
    assert_eq!(r.chat(&r.b, &r.key, "gpt-5.5").await, answer);
    assert_eq!(r.upstream.requests().len(), forwarded);

    // The metrics say so (per process: both replicas, and other tests', count here).
    let metrics = r
        .http
        .get(format!("{}/metrics", r.b.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |prefix: &str| -> u64 {
        let line = metrics.lines().find_map(|l| l.strip_prefix(prefix));
        line.unwrap_or_else(|| panic!("no {prefix}: {metrics}"))
            .parse()
            .unwrap()
    };
    assert!(value("codexkey_changes_listening ") >= 1, "B listens");
    assert!(
        value("codexkey_changes_applied_total{change=\"key\"} ") >= 1,
        "B applied the revocation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_through_a_is_refused_by_b_and_its_replacement_served() {
    let r = Replicas::start().await;
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );

    let (status, rotated) = r
        .user_a
        .post_empty(&format!("/api/v1/keys/{}/rotate", r.key_id))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        answer,
        (
            StatusCode::UNAUTHORIZED,
            openai_error(
                "invalid_request_error",
                "revoked_api_key",
                "this API key was revoked"
            )
        )
    );
    assert_fast(took, "the rotation");
    let replacement = rotated["secret"].as_str().unwrap();
    let served = r.chat(&r.b, replacement, "gpt-5.5").await;
    assert_eq!(served.0, StatusCode::OK, "{}", served.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_edits_through_a_apply_on_b_within_a_second() {
    let r = Replicas::start().await;
    let key = format!("/api/v1/keys/{}", r.key_id);
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );

    // The allow-list.
    let (status, body) = r
        .user_a
        .patch(&key, &json!({"allowed_models": ["gpt-4o-*"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::FORBIDDEN).await;
    assert_eq!(
        answer,
        (
            StatusCode::FORBIDDEN,
            openai_error(
                "permission_error",
                "model_not_allowed",
                "this API key may not use model `gpt-5.5`"
            )
        )
    );
    assert_fast(took, "the allow-list");
    assert_eq!(r.chat(&r.b, &r.key, "gpt-4o-mini").await.0, StatusCode::OK);

    // The budget: down to what is spent, then lifted again.
    let (status, _) = r.user_a.patch(&key, &json!({"allowed_models": null})).await;
    assert_eq!(status, StatusCode::OK);
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::OK).await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_fast(took, "lifting the allow-list");
    r.b.flush().await;
    let (_, now) = r.user_a.get(&key).await;
    let spent = now["spent_micros"].as_i64().unwrap();
    assert!(spent > 0, "{now}");
    let (status, body) = r.user_a.patch(&key, &json!({"budget_micros": spent})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r
        .b_until(&r.key, "gpt-5.5", StatusCode::PAYMENT_REQUIRED)
        .await;
    assert_eq!(
        answer,
        (
            StatusCode::PAYMENT_REQUIRED,
            openai_error(
                "insufficient_quota",
                "key_budget_exhausted",
                "this API key has reached its budget"
            )
        )
    );
    assert_fast(took, "the budget");
    let (status, _) = r.user_a.patch(&key, &json!({"budget_micros": null})).await;
    assert_eq!(status, StatusCode::OK);
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::OK).await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_fast(took, "lifting the budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_suspended_reactivated_and_deleted_through_a_applies_on_b() {
    let r = Replicas::start().await;
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );

    let (status, body) = r
        .admin_a
        .post_empty(&format!("/api/v1/admin/users/{USER_EMAIL}/suspend"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::FORBIDDEN).await;
    assert_eq!(
        answer,
        (
            StatusCode::FORBIDDEN,
            openai_error(
                "permission_error",
                "account_suspended",
                "the account of this API key is suspended"
            )
        )
    );
    assert_fast(took, "the suspension");

    let (status, body) = r
        .admin_a
        .post_empty(&format!("/api/v1/admin/users/{USER_EMAIL}/activate"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::OK).await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_fast(took, "the reactivation");

    // Deleted: its keys are revoked with it.
    let (status, body) = r
        .admin_a
        .post(
            &format!("/api/v1/admin/users/{USER_EMAIL}/delete"),
            &json!({"reason": "replica test"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        answer,
        (
            StatusCode::UNAUTHORIZED,
            openai_error(
                "invalid_request_error",
                "revoked_api_key",
                "this API key was revoked"
            )
        )
    );
    assert_fast(took, "the deletion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_set_through_a_is_charged_by_b_on_its_next_request() {
    let r = Replicas::start().await;
    let before = r.chat(&r.b, &r.key, "gpt-5.5").await;
    assert_eq!(r.charged_on_b(&r.key, &before).await, CHAT_COST);

    // Twice the shipped gpt-5.5 price: (600 × 10e6 + 400 × 1e6 + 200 × 60e6) / 1e6 = 18_400.
    let (status, body) = r
        .admin_a
        .send(
            r.admin_a
                .request(reqwest::Method::PUT, "/api/v1/admin/prices/gpt-5.5")
                .json(&json!({
                    "provider": "openai",
                    "price": {"input": 10_000_000, "cached_input": 1_000_000, "output": 60_000_000}
                })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let took = r
        .b_pricing_until(|p| p["price"]["input"] == 10_000_000)
        .await;
    assert_fast(took, "the price");
    let answer = r.chat(&r.b, &r.key, "gpt-5.5").await;
    assert_eq!(r.charged_on_b(&r.key, &answer).await, 2 * CHAT_COST);

    // A coefficient of 1.5 on top: 27_600.
    let (status, body) = r
        .admin_a
        .send(
            r.admin_a
                .request(
                    reqwest::Method::PUT,
                    "/api/v1/admin/prices/gpt-5.5/coefficient",
                )
                .json(&json!({"coefficient": "1.5"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let took = r
        .b_pricing_until(|p| p["coefficient_ppm"] == 1_500_000)
        .await;
    assert_fast(took, "the coefficient");
    let answer = r.chat(&r.b, &r.key, "gpt-5.5").await;
    assert_eq!(r.charged_on_b(&r.key, &answer).await, 3 * CHAT_COST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_added_through_a_is_used_by_b_and_not_once_removed() {
    let r = Replicas::start().await;
    let second = FakeUpstream::start().await;
    second.accept_any_key();
    let unknown = (
        StatusCode::NOT_FOUND,
        openai_error(
            "invalid_request_error",
            "model_not_found",
            "model `o3` is not available on this gateway",
        ),
    );
    assert_eq!(r.chat(&r.b, &r.key, "o3").await, unknown);

    let (status, body) = r
        .admin_a
        .post(
            "/api/v1/admin/upstreams",
            &json!({
                "name": "reasoning",
                "provider": "openai_compatible",
                "base_url": second.base_url(),
                "models": ["o3*"],
                "keys": ["sk-second-upstream"]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (answer, took) = r.b_until(&r.key, "o3", StatusCode::OK).await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_fast(took, "the new upstream");
    assert_eq!(second.requests().len(), 1, "B forwarded to it");

    let (status, body) = r.admin_a.delete("/api/v1/admin/upstreams/reasoning").await;
    assert!(status.is_success(), "{status} {body}");
    let (answer, took) = r.b_until(&r.key, "o3", StatusCode::NOT_FOUND).await;
    assert_eq!(answer, unknown);
    assert_fast(took, "the removal");
    let used = second.requests().len();
    assert_eq!(r.chat(&r.b, &r.key, "o3").await, unknown);
    assert_eq!(second.requests().len(), used, "B no longer forwards to it");
}

/// The reconnection test's one try: a fresh key cached by B, B's listening connection cut, the
/// key revoked through A. Returns how long B took to refuse it, and whether B's new listening
/// connection began after the revocation committed (so the notification went to nobody on B's
/// side and only the reload on reconnecting can have told B).
async fn revoke_while_b_is_not_listening(
    r: &Replicas,
    db: &tokio_postgres::Client,
) -> (Duration, bool) {
    let (status, created) = r.user_a.post("/api/v1/keys", &json!({"name": "cut"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["key"]["id"].as_i64().unwrap();
    assert_eq!(
        r.chat(&r.b, &secret, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );

    let listener = format!("{}-listener", r.b_name);
    let terminated: Vec<bool> = db
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&listener],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(terminated, [true], "B's one listening connection is cut");
    let (status, body) = r.user_a.delete(&format!("/api/v1/keys/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let committed: i64 = db
        .query_one(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    let (answer, took) = r
        .b_until(&secret, "gpt-5.5", StatusCode::UNAUTHORIZED)
        .await;
    assert_eq!(
        answer,
        (
            StatusCode::UNAUTHORIZED,
            openai_error(
                "invalid_request_error",
                "revoked_api_key",
                "this API key was revoked"
            )
        )
    );
    // It listens again, on one connection.
    r.wait_for_listener().await;
    let started: Vec<i64> = db
        .query(
            "SELECT (extract(epoch FROM backend_start) * 1000)::bigint FROM pg_stat_activity
             WHERE application_name = $1",
            &[&listener],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(started.len(), 1, "B listens on one connection");
    (took, started[0] > committed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_reconnects_after_losing_its_listener_and_catches_up_on_what_it_missed() {
    let r = Replicas::start().await;
    let db = scratch::connect(&scratch::server_url()).await;
    // B reconnects 100 ms after losing its connection; A's revocation normally commits well
    // before. Should B be quicker once, it heard the notification, which proves nothing about
    // the reload: try again.
    let mut missed = false;
    for _ in 0..5 {
        let (took, while_down) = revoke_while_b_is_not_listening(&r, &db).await;
        assert!(
            took < Duration::from_secs(3),
            "B caught up {took:?} after its listener was cut"
        );
        if while_down {
            missed = true;
            break;
        }
    }
    assert!(
        missed,
        "the revocation never committed while B was not listening"
    );

    // And B follows changes as before.
    let (answer, _) = r.b_until(&r.key, "gpt-5.5", StatusCode::OK).await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    let (status, _) = r.user_a.delete(&format!("/api/v1/keys/{}", r.key_id)).await;
    assert_eq!(status, StatusCode::OK);
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::UNAUTHORIZED).await;
    assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{}", answer.1);
    assert_fast(took, "a revocation after the reconnection");
}

/// A payload B does not know (a newer version's) makes it reload everything, and it carries
/// on listening: a revocation written with the triggers off (so no notification says so)
/// reaches B through the reload the unknown payload caused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_notification_makes_b_reload_everything() {
    let r = Replicas::start().await;
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "B caches the key"
    );
    let db = scratch::connect(&r.schema.url()).await;
    db.batch_execute(&format!(
        "SET session_replication_role = replica;
         UPDATE api_keys SET revoked_at = 1 WHERE id = {};
         SET session_replication_role = DEFAULT",
        r.key_id
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        r.chat(&r.b, &r.key, "gpt-5.5").await.0,
        StatusCode::OK,
        "no notification told B"
    );

    db.batch_execute("NOTIFY codexkey_changes, 'sessions:7'")
        .await
        .unwrap();
    let (answer, took) = r.b_until(&r.key, "gpt-5.5", StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        answer,
        (
            StatusCode::UNAUTHORIZED,
            openai_error(
                "invalid_request_error",
                "revoked_api_key",
                "this API key was revoked"
            )
        )
    );
    assert_fast(took, "the reload");
    assert_eq!(r.listeners().await, 1, "B still listens");
}
