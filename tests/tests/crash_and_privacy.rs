//! The real `codexkey gateway` process: a `kill -9` in the middle of a stream and a restart
//! (holds reconciled, books balanced), and a canary that must never reach the database or the
//! logs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::ApiClient;
use codexkey_tests::cli::{ADMIN_EMAIL, ADMIN_PASSWORD, GatewayProcess};
use codexkey_tests::fake_upstream::{Action, FakeUpstream, Script, Usage};
use codexkey_tests::{Backend, contains_bytes, http_client, install_crypto_provider};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Setup {
    gw: GatewayProcess,
    admin: ApiClient,
    key: String,
    email: String,
}

/// A gateway process talking to `upstream`, a funded user and their key.
async fn setup(upstream: &FakeUpstream, extra: &[(&'static str, String)], funds: i64) -> Setup {
    install_crypto_provider();
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_upstream(upstream.base_url(), &extra)
    });
    let email = "crash@codexkey.test".to_owned();
    let (status, body) = ApiClient::new(&gw.url)
        .post(
            "/api/v1/auth/register",
            &json!({"email": email, "password": "a long test password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let user = ApiClient::login(&gw.url, &email, "a long test password").await;
    let (_, created) = user.post("/api/v1/keys", &json!({})).await;
    let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin.fund(&email, funds, "test").await;
    Setup {
        gw,
        admin,
        key: created["secret"].as_str().unwrap().to_owned(),
        email,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_stream_then_restart_reconciles_the_hold() {
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script {
        events: 200,
        event_delay: Duration::from_millis(20),
        usage: Usage {
            input_tokens: 100,
            output_tokens: 200,
            ..Usage::default()
        },
        ..Script::default()
    });
    let funds = 100_000_000;
    // On PostgreSQL a short balance lease, so the dead process's lease expires soon.
    let s = setup(
        &upstream,
        &[("CODEXKEY_METERING__LEASE_TTL_MS", "2000".into())],
        funds,
    )
    .await;
    let http = http_client();

    // One request completes before the crash: its charge must survive it.
    upstream.push(Action::respond(Script::default()));
    let done = http
        .post(format!("{}/v1/chat/completions", s.gw.url))
        .bearer_auth(&s.key)
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let _ = done.bytes().await;

    let body = json!({"model": "gpt-5.5", "stream": true, "max_tokens": 1000, "messages": [{"role": "user", "content": "x".repeat(4000)}]});
    let body_len = serde_json::to_vec(&body).unwrap().len() as i64;
    let resp = http
        .post(format!("{}/v1/chat/completions", s.gw.url))
        .bearer_auth(&s.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let mut stream = resp.bytes_stream();
    stream.next().await.unwrap().unwrap();
    // Give the group commit a moment to make the hold durable, as it is within milliseconds.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopped = tokio::task::block_in_place(|| s.gw.kill9());
    drop(stream);
    {
        let db = stopped.db();
        let holds: i64 = db
            .query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            holds, 1,
            "the interrupted request's hold is in the database"
        );
    }

    let gw = tokio::task::block_in_place(|| stopped.start_again());
    let db = gw.db();
    let holds = || -> i64 {
        db.query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))
            .unwrap()
    };
    match db.backend() {
        Backend::Sqlite => assert_eq!(holds(), 0, "reconciled at start-up"),
        // The restarted process is a new replica: the hold is settled by the crash rule when
        // the dead one's lease expires (the README's "A replica that dies").
        Backend::Postgres => {
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            while holds() != 0 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(
                holds(),
                0,
                "reconciled once the dead replica's lease expired"
            );
        }
    }
    let (cost, settlement, error): (i64, String, Option<String>) = db
        .query_row(
            "SELECT cost_micros, settlement, error_code FROM usage_events WHERE request_id = ?1",
            [&request_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // The crash rule: the estimated input, one token per 4 request bytes, at gpt-5.5's input
    // price (5_000_000 per 1M tokens).
    let expected = ((body_len + 3) / 4 * 5_000_000 + 999_999) / 1_000_000;
    assert_eq!(
        (settlement.as_str(), error.as_deref()),
        ("crash_reconciled", Some("gateway_interrupted"))
    );
    assert_eq!(cost, expected);
    let held: i64 = db
        .query_row("SELECT SUM(held_micros) FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(held, 0);

    // gpt-4o-mini (150_000 in, 600_000 out per 1M) with the default script: 120 in, 50 out:
    // (120 × 150_000 + 50 × 600_000) / 1e6 = 18 + 30 = 48.
    let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, user) = admin.get(&format!("/api/v1/admin/users/{}", s.email)).await;
    assert_eq!(user["balance_micros"], funds - 48 - expected, "{user}");
    assert_eq!(user["held_micros"], 0);
    let (_, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(check["ok"], true, "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_in_prompts_and_completions_never_reaches_the_database_or_the_logs() {
    const CANARY: &str = "CANARY-7f3a9c2e-do-not-store";
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script {
        events: 12,
        canary: Some(CANARY.into()),
        anthropic_thinking_events: 2,
        ..Script::default()
    });
    // Debug logging of every crate: the most the gateway would ever write.
    let mut s = setup(&upstream, &[("CODEXKEY_LOG", "debug".into())], 100_000_000).await;
    let http = http_client();
    let prompt = format!("please repeat {CANARY}");
    let calls: Vec<(&str, Value, bool)> = vec![
        (
            "/v1/chat/completions",
            json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": prompt}]}),
            false,
        ),
        (
            "/v1/chat/completions",
            json!({"model": "gpt-5.5", "stream": true, "messages": [{"role": "user", "content": prompt}]}),
            false,
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-5.5", "input": prompt}),
            false,
        ),
        (
            "/v1/responses",
            json!({"model": "gpt-5.5", "stream": true, "input": prompt}),
            false,
        ),
        (
            "/v1/messages",
            json!({"model": "claude-opus-4-8", "max_tokens": 100, "messages": [{"role": "user", "content": prompt}]}),
            true,
        ),
        (
            "/v1/messages",
            json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": [{"role": "user", "content": prompt}]}),
            true,
        ),
        (
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": prompt}),
            false,
        ),
        (
            "/v1/messages/count_tokens",
            json!({"model": "claude-opus-4-8", "messages": [{"role": "user", "content": prompt}]}),
            true,
        ),
        // Refused requests carry the canary too.
        (
            "/v1/chat/completions",
            json!({"model": "no-such-model", "messages": [{"role": "user", "content": prompt}]}),
            false,
        ),
    ];
    let mut echoed = 0;
    for (path, body, anthropic) in calls {
        let mut req = http
            .post(format!("{}{path}", s.gw.url))
            .bearer_auth(&s.key)
            .json(&body);
        if anthropic {
            req = req.header("anthropic-version", "2023-06-01");
        }
        let text = req.send().await.unwrap().text().await.unwrap();
        if text.contains(CANARY) {
            echoed += 1;
        }
    }
    // A malformed body with the canary in it, and an upstream error whose body carries it.
    let _ = http
        .post(format!("{}/v1/chat/completions", s.gw.url))
        .bearer_auth(&s.key)
        .body(format!("{{\"model\": \"gpt-5.5\", \"messages\": [{CANARY}"))
        .send()
        .await
        .unwrap();
    upstream.push(Action::error_body(
        400,
        format!(r#"{{"error":{{"message":"bad: {CANARY}"}}}}"#),
    ));
    let relayed = http
        .post(format!("{}/v1/chat/completions", s.gw.url))
        .bearer_auth(&s.key)
        .json(&json!({"model": "gpt-5.5", "messages": []}))
        .send()
        .await
        .unwrap();
    assert!(
        relayed.text().await.unwrap().contains(CANARY),
        "the client gets upstream's error as it was"
    );

    assert!(
        echoed >= 6,
        "the canary did travel through the gateway ({echoed} responses)"
    );
    assert!(
        upstream
            .requests()
            .iter()
            .any(|r| r.body_text().contains(CANARY)),
        "and reached upstream"
    );

    // Everything metered is flushed by the ledger check before the files are read.
    let (_, check) = s.admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(check["ok"], true, "{check}");
    let events: i64 =
        s.gw.db()
            .query_row("SELECT COUNT(*) FROM usage_events", [], |r| r.get(0))
            .unwrap();
    assert!(events >= 7, "usage events were written ({events})");

    let db_bytes = s.gw.database_bytes();
    assert!(
        contains_bytes(&db_bytes, s.email.as_bytes()),
        "the scan reads the real database"
    );
    assert!(
        !contains_bytes(&db_bytes, CANARY.as_bytes()),
        "the canary is in the database"
    );
    let log = s.gw.log();
    assert!(log.contains("request"), "the log is the gateway's: {log}");
    assert!(!log.contains(CANARY), "the canary is in the gateway's log");
    assert!(!log.contains(&s.key), "a gateway key is in the log");
    assert!(
        !log.contains("sk-upstream-openai") && !log.contains("sk-ant-upstream"),
        "an upstream key is in the log"
    );
}
