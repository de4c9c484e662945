//! Several `codexkey gateway` processes (replicas) on one PostgreSQL schema, sharing balances
//! through escrow leases (README, "Balances across replicas"):
//! - 300 concurrent requests, plain and streamed, spread over three replicas against a balance
//!   that covers about five: no ledger row ever shows a balance below zero, every request
//!   answered 200 is settled exactly once (and nothing else is), the charges add up to what
//!   left the balance, and the ledger check passes;
//! - `kill -9` of one replica with streams in flight while the others serve: its leases
//!   expire, the holds it left are settled once by the crash rule, the unspent money returns
//!   (nothing stays leased), every request another replica answered 200 is charged exactly
//!   once, and the ledger check passes.
//!
//! Needs the test PostgreSQL (`CODEXKEY_TEST_POSTGRES_URL`, else 127.0.0.1:5432 `test`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_tests::cli::{ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess};
use codexkey_tests::fake_upstream::{FakeUpstream, Script};
use codexkey_tests::{ApiClient, http_client, install_crypto_provider};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::json;

/// Short leases, so a test sees one expire.
const LEASE_TTL_MS: &str = "1200";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn replicas(n: usize, upstream: &FakeUpstream, url: &str) -> Vec<GatewayProcess> {
    (0..n)
        .map(|_| {
            block(|| {
                GatewayProcess::start_with_upstream(
                    upstream.base_url(),
                    &[
                        ("CODEXKEY_DATABASE_URL", url),
                        ("CODEXKEY_METERING__LEASE_TTL_MS", LEASE_TTL_MS),
                    ],
                )
            })
        })
        .collect()
}

/// Registers `email` through `gw` and gives it a key; returns the key's secret.
async fn user_with_key(gw: &GatewayProcess, email: &str) -> String {
    let api = ApiClient::new(&gw.url);
    let (status, body) = api
        .post(
            "/api/v1/auth/register",
            &json!({"email": email, "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let api = ApiClient::login(&gw.url, email, "correct horse battery staple").await;
    let (status, key) = api.post("/api/v1/keys", &json!({"name": "replicas"})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    key["secret"].as_str().unwrap().to_owned()
}

/// One request through `base`: its status, its request id, and whether its whole body (every
/// stream event) arrived.
async fn request(base: &str, secret: &str, stream: bool) -> (StatusCode, String, bool) {
    request_noting(base, secret, stream, 50, &AtomicUsize::new(0)).await
}

/// [`request`] with `max_tokens` (the gateway cuts a stream at it), counting in `answered`
/// once its status and headers have arrived.
async fn request_noting(
    base: &str,
    secret: &str,
    stream: bool,
    max_tokens: u64,
    answered: &AtomicUsize,
) -> (StatusCode, String, bool) {
    let resp = http_client()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(secret)
        .json(
            &json!({"model": "gpt-4o-mini", "stream": stream, "max_tokens": max_tokens,
                      "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await;
    let Ok(resp) = resp else {
        return (StatusCode::BAD_GATEWAY, String::new(), false);
    };
    let status = resp.status();
    answered.fetch_add(1, Ordering::SeqCst);
    let id = resp
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut body = resp.bytes_stream();
    let mut text = Vec::new();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => text.extend_from_slice(&c),
            Err(_) => return (status, id, false),
        }
    }
    let complete = !stream || String::from_utf8_lossy(&text).contains("data: [DONE]");
    (status, id, complete)
}

async fn int(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.expect(sql).get(0)
}

/// Every usage event's `(settlement, cost)` by request id; fails on a request id twice.
async fn events(db: &tokio_postgres::Client) -> HashMap<String, (String, i64)> {
    let mut all = HashMap::new();
    for r in db
        .query(
            "SELECT request_id, settlement, cost_micros FROM usage_events",
            &[],
        )
        .await
        .unwrap()
    {
        let id: String = r.get(0);
        assert!(
            all.insert(id.clone(), (r.get(1), r.get(2))).is_none(),
            "{id} settled twice"
        );
    }
    all
}

/// The checks every story ends on: nothing held or leased once replicas are idle, no ledger
/// row below zero, the balance equal to the ledger, the ledger check green.
async fn assert_settled_and_balanced(db: &tokio_postgres::Client, admin: &CliUser) {
    // Idle leases go back within a quarter of their time-to-live (plus a round). A lease
    // whose money was all spent leases nothing but is still open until then, so the lease
    // rows are awaited too, not only the leased money.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let leased = int(
            db,
            "SELECT COALESCE(SUM(leased_micros), 0)::bigint FROM accounts",
        )
        .await;
        let held = int(db, "SELECT COUNT(*) FROM holds").await;
        let leases = int(db, "SELECT COUNT(*) FROM balance_leases").await;
        if leased == 0 && held == 0 && leases == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still leased {leased} in {leases} leases, {held} holds: every lease returns or expires"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        int(
            db,
            "SELECT COUNT(*) FROM ledger_entries WHERE balance_after_micros < 0"
        )
        .await,
        0,
        "no balance below zero, ever"
    );
    assert_eq!(
        int(db, "SELECT COUNT(*) FROM accounts WHERE balance_micros < 0").await,
        0
    );
    let check = block(|| admin.run(&["admin", "verify-ledger", "--json"])).json();
    assert_eq!(check["ok"], true, "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_never_overdraw_a_shared_balance() {
    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let upstream = FakeUpstream::start().await;
    let gws = replicas(3, &upstream, &url);
    let admin_api = ApiClient::login(&gws[0].url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let db = scratch::connect(&url).await;

    // What one request costs, measured on an account with plenty.
    let probe = user_with_key(&gws[0], "probe@example.com").await;
    admin_api
        .fund("probe@example.com", 100_000_000, "probe")
        .await;
    let (status, id, _) = request(&gws[1].url, &probe, false).await;
    assert_eq!(status, StatusCode::OK);
    let (status, stream_id, _) = request(&gws[2].url, &probe, true).await;
    assert_eq!(status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(5);
    let cost = loop {
        let all = events(&db).await;
        if let (Some(a), Some(b)) = (all.get(&id), all.get(&stream_id)) {
            break a.1.max(b.1);
        }
        assert!(Instant::now() < deadline, "the probes were never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(cost > 0);

    // The account under test: enough for about five requests.
    let secret = user_with_key(&gws[1], "shared@example.com").await;
    let funded = 5 * cost + cost / 2;
    admin_api
        .fund("shared@example.com", funded, "five requests")
        .await;

    let mut tasks = Vec::new();
    for i in 0..300 {
        let base = gws[i % 3].url.clone();
        let secret = secret.clone();
        tasks.push(tokio::spawn(async move {
            request(&base, &secret, i % 2 == 1).await
        }));
    }
    let mut ok = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (status, id, complete) = t.await.unwrap();
        match status {
            StatusCode::OK => {
                assert!(complete, "{id}: a 200 whose body was cut");
                ok.push(id);
            }
            StatusCode::PAYMENT_REQUIRED => refused += 1,
            other => panic!("unexpected {other} for {id}"),
        }
    }
    assert!(!ok.is_empty(), "some requests ran");
    assert!(refused > 0, "not all of 300 fit in a balance for five");

    let admin = block(|| CliUser::admin(&gws[0]));
    assert_settled_and_balanced(&db, &admin).await;
    let account: i64 = db
        .query_one(
            "SELECT id FROM accounts WHERE email = 'shared@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let all = events(&db).await;
    let mine: HashMap<&String, &(String, i64)> = {
        let ids: Vec<String> = db
            .query(
                "SELECT request_id FROM usage_events WHERE account_id = $1",
                &[&account],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        all.iter().filter(|(k, _)| ids.contains(k)).collect()
    };
    // Every 200 is settled once, from its final usage (capped at its hold when the balance
    // lowered its output cap and the upstream ignored it); nothing refused left an event.
    assert_eq!(mine.len(), ok.len(), "one event per admitted request");
    for id in &ok {
        let (settlement, charged) = mine.get(id).unwrap_or_else(|| panic!("{id} unsettled"));
        assert!(
            settlement == "final_usage" || settlement == "capped_at_hold",
            "{id}: {settlement}"
        );
        assert!(*charged > 0, "{id} ran free");
    }
    let charged: i64 = mine.values().map(|(_, c)| c).sum();
    let balance = int(
        &db,
        &format!("SELECT balance_micros FROM accounts WHERE id = {account}"),
    )
    .await;
    assert_eq!(balance, funded - charged, "charges add up to what left");
    assert!(balance >= 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_a_replica_mid_stream_settles_its_requests_once() {
    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script {
        events: 200,
        event_delay: Duration::from_millis(25),
        ..Script::default()
    });
    let mut gws = replicas(3, &upstream, &url);
    let admin_api = ApiClient::login(&gws[0].url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let secret = user_with_key(&gws[0], "load@example.com").await;
    let funded = 1_000_000_000;
    admin_api.fund("load@example.com", funded, "load").await;
    let db = scratch::connect(&url).await;

    // Load on every replica; the first one dies while its streams (5 s each) are running,
    // once some of them have begun.
    let begun = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..60 {
        let base = gws[i % 3].url.clone();
        let secret = secret.clone();
        let stream = i % 2 == 0;
        let begun = if i % 3 == 0 && stream {
            begun.clone()
        } else {
            Arc::new(AtomicUsize::new(0))
        };
        tasks.push((
            i % 3,
            tokio::spawn(async move { request_noting(&base, &secret, stream, 500, &begun).await }),
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while begun.load(Ordering::SeqCst) < 5 {
        assert!(
            Instant::now() < deadline,
            "no stream began on the first replica"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let victim = gws.remove(0);
    let stopped = block(|| victim.kill9());
    let mut served = Vec::new();
    let mut cut = Vec::new();
    for (replica, t) in tasks {
        let (status, id, complete) = t.await.unwrap();
        if replica == 0 {
            if status == StatusCode::OK && !id.is_empty() {
                cut.push((id, complete));
            }
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{id}");
        assert!(complete, "{id}");
        served.push(id);
    }
    assert!(
        cut.iter().any(|(_, complete)| !complete),
        "some streams were in flight on the replica that died; its log:\n{}",
        stopped.log
    );

    // Its leases expire (1.2 s) and a surviving replica's sweep ends them.
    let admin = block(|| CliUser::admin(&gws[1]));
    assert_settled_and_balanced(&db, &admin).await;
    let all = events(&db).await;
    for id in &served {
        let (settlement, charged) = all.get(id).unwrap_or_else(|| panic!("{id} unsettled"));
        assert_eq!(settlement, "final_usage", "{id}");
        assert!(*charged > 0, "{id}");
    }
    for (id, complete) in &cut {
        let (settlement, charged) = all.get(id).unwrap_or_else(|| panic!("{id} unsettled"));
        if *complete {
            // Finished before the kill: settled by its replica, or by the crash rule when the
            // kill took its settlement with it.
            assert!(
                settlement == "final_usage" || settlement == "crash_reconciled",
                "{id}: {settlement}"
            );
        } else {
            assert_eq!(settlement, "crash_reconciled", "{id}");
        }
        assert!(*charged > 0, "{id} ran free");
    }
    let charged: i64 = all.values().map(|(_, c)| c).sum();
    let balance = int(
        &db,
        "SELECT balance_micros FROM accounts WHERE email = 'load@example.com'",
    )
    .await;
    assert_eq!(
        balance,
        funded - charged,
        "every charge once, the rest returned"
    );
}
