//! A key's RPM and TPM limits across two gateway replicas on one PostgreSQL schema: with
//! `redis_url` the replicas count in the same Redis, so the key gets its limit once in all; without
//! it, and while Redis cannot be reached, each replica counts alone and allows the whole limit.
//! Each test has a scratch schema of its own and a Redis key prefix named after it, so runs
//! never share counts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_common::Secret;
use codexkey_gateway::config::{Provider, RawConfig, RawUpstream};
use codexkey_gateway::store::postgres::scratch::ScratchSchema;
use codexkey_tests::fake_upstream::FakeUpstream;
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::{TestGateway, http_client, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

const USER_EMAIL: &str = "limits-user@codexkey.test";

/// Where the replicas count: the test's Redis, a port nothing listens on, or memory.
#[derive(Clone)]
enum Counting {
    Redis,
    Unreachable(u16),
    Memory,
}

struct Replicas {
    _upstream: FakeUpstream,
    a: TestGateway,
    b: TestGateway,
    user: codexkey_tests::ApiClient,
    http: reqwest::Client,
    // Last: the gateways stop before their schema is dropped.
    _schema: ScratchSchema,
}

fn replica_config(
    raw: &mut RawConfig,
    upstream: &str,
    database_url: String,
    redis: Option<(String, String)>,
) {
    raw.upstreams = vec![RawUpstream {
        name: "openai".into(),
        provider: Provider::Openai,
        base_url: Some(upstream.to_owned()),
        keys: vec![Secret::new("sk-upstream-openai".into())],
        models: Some(vec!["gpt-*".into()]),
        origin: Default::default(),
    }];
    raw.database_url = Some(database_url);
    if let Some((url, prefix)) = redis {
        raw.redis_url = Some(url);
        raw.redis_prefix = Some(prefix);
    }
}

impl Replicas {
    async fn start(counting: Counting) -> Replicas {
        install_crypto_provider();
        let schema = ScratchSchema::create().await;
        let upstream = FakeUpstream::start().await;
        let base = upstream.base_url().to_owned();
        let redis = match counting {
            Counting::Redis => Some("redis://127.0.0.1:6379/0".to_owned()),
            Counting::Unreachable(port) => Some(format!("redis://127.0.0.1:{port}/0")),
            Counting::Memory => None,
        }
        .map(|url| (url, format!("cktest-{}", schema.name())));
        let url_a = format!("{}&application_name=a_{}", schema.url(), schema.name());
        let redis_a = redis.clone();
        let a = TestGateway::start_with(|raw| replica_config(raw, &base, url_a, redis_a)).await;
        let admin = a.admin().await;
        let user = a.new_user(USER_EMAIL).await;
        admin.fund(USER_EMAIL, CREDITS_100, "test funding").await;
        let url_b = format!("{}&application_name=b_{}", schema.url(), schema.name());
        let b = TestGateway::start_with(|raw| replica_config(raw, &base, url_b, redis)).await;
        Replicas {
            _upstream: upstream,
            a,
            b,
            user,
            http: http_client(),
            _schema: schema,
        }
    }

    /// A new key with `limits` (`rpm_limit`, `tpm_limit`): its secret.
    async fn key(&self, limits: Value) -> String {
        let (status, created) = self.user.post("/api/v1/keys", &limits).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["secret"].as_str().unwrap().to_owned()
    }

    /// A chat request through `gw`: the status, the body (`null` when served) and
    /// `Retry-After`.
    async fn chat(&self, gw: &TestGateway, secret: &str) -> (StatusCode, Value, Option<u64>) {
        let resp = self
            .http
            .post(format!("{}/v1/chat/completions", gw.base_url()))
            .bearer_auth(secret)
            .json(&json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let body: Value = resp.json().await.unwrap();
        if status == StatusCode::OK {
            return (status, Value::Null, retry);
        }
        (status, body, retry)
    }

    /// Sends through `gws` in turn and returns the statuses. Waits a little after each
    /// request: tokens are counted just after settlement, not before the answer.
    async fn statuses(&self, secret: &str, gws: &[&TestGateway]) -> Vec<StatusCode> {
        let mut out = Vec::new();
        for gw in gws {
            out.push(self.chat(gw, secret).await.0);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        out
    }
}

/// Waits, if needed, until the current minute has at least 25 seconds left: the counts are per
/// whole minute, and a test's requests must fall in one.
async fn early_in_a_minute() {
    let ms = u64::try_from(codexkey_gateway::clock::now_ms()).unwrap() % 60_000;
    if ms > 35_000 {
        tokio::time::sleep(Duration::from_millis(60_000 - ms + 200)).await;
    }
}

fn rpm_refusal(rpm: u32) -> Value {
    json!({"error": {
        "message": format!("rate limit: this API key allows {rpm} requests per minute"),
        "type": "rate_limit_error", "param": null, "code": "rate_limited"
    }})
}

fn tpm_refusal(tpm: u64) -> Value {
    json!({"error": {
        "message": format!("rate limit: this API key allows {tpm} tokens per minute"),
        "type": "rate_limit_error", "param": null, "code": "tpm_limit_exceeded"
    }})
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

const OK: StatusCode = StatusCode::OK;
const LIMITED: StatusCode = StatusCode::TOO_MANY_REQUESTS;

#[tokio::test]
async fn rpm_is_counted_once_across_replicas_with_redis() {
    let r = Replicas::start(Counting::Redis).await;
    let key = r.key(json!({"rpm_limit": 4})).await;
    early_in_a_minute().await;
    let (a, b) = (&r.a, &r.b);
    assert_eq!(r.statuses(&key, &[a, b, a, b]).await, [OK, OK, OK, OK]);
    // The fifth request of the minute, on either replica, gets the in-memory limit's refusal.
    let (status, body, retry) = r.chat(b, &key).await;
    assert_eq!(status, LIMITED);
    assert_eq!(body, rpm_refusal(4));
    let retry = retry.expect("a refusal says when to retry");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let (status, body, _) = r.chat(a, &key).await;
    assert_eq!((status, body), (LIMITED, rpm_refusal(4)));
}

#[tokio::test]
async fn tpm_is_counted_once_across_replicas_with_redis() {
    let r = Replicas::start(Counting::Redis).await;
    // A request is refused once the minute's tokens are at or above the limit. Each request
    // adds 170: after two, 340 is at or above 300 but still below 400.
    let at_300 = r.key(json!({"tpm_limit": 300})).await;
    let at_400 = r.key(json!({"tpm_limit": 400})).await;
    early_in_a_minute().await;
    let (a, b) = (&r.a, &r.b);
    assert_eq!(r.statuses(&at_300, &[a, b]).await, [OK, OK]);
    let (status, body, retry) = r.chat(a, &at_300).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(300)));
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    let (status, body, _) = r.chat(b, &at_300).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(300)));

    assert_eq!(r.statuses(&at_400, &[a, b, a]).await, [OK, OK, OK]);
    let (status, body, _) = r.chat(b, &at_400).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(400)));
    let (status, body, _) = r.chat(a, &at_400).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(400)));
}

/// Each replica allows the whole limit: its own 4 requests and its own 300 tokens a minute.
async fn each_replica_counts_alone(r: &Replicas) {
    let rpm = r.key(json!({"rpm_limit": 4})).await;
    let tpm = r.key(json!({"tpm_limit": 300})).await;
    early_in_a_minute().await;
    let (a, b) = (&r.a, &r.b);
    assert_eq!(r.statuses(&rpm, &[a, b, a, b, a, b, a, b]).await, [OK; 8]);
    let (status, body, retry) = r.chat(a, &rpm).await;
    assert_eq!((status, body), (LIMITED, rpm_refusal(4)));
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    let (status, body, _) = r.chat(b, &rpm).await;
    assert_eq!((status, body), (LIMITED, rpm_refusal(4)));

    assert_eq!(r.statuses(&tpm, &[a, b, a, b]).await, [OK; 4]);
    let (status, body, _) = r.chat(a, &tpm).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(300)));
    let (status, body, _) = r.chat(b, &tpm).await;
    assert_eq!((status, body), (LIMITED, tpm_refusal(300)));
}

#[tokio::test]
async fn without_redis_each_replica_counts_alone() {
    let r = Replicas::start(Counting::Memory).await;
    each_replica_counts_alone(&r).await;
}

#[tokio::test]
async fn with_redis_unreachable_requests_are_served_and_counted_per_replica() {
    let r = Replicas::start(Counting::Unreachable(closed_port())).await;
    each_replica_counts_alone(&r).await;
}
