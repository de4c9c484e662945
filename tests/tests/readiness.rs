//! `/readyz` follows the metering writer: 503 with the reason while writes pile up behind it or
//! it cannot commit to the database, ready again once it catches up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn readyz(p: &Plane) -> (StatusCode, Value) {
    let resp = p.http.get(p.url("/readyz")).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn embed(p: &Plane) {
    let resp = p
        .post(
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "hello"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// Polls `/readyz` until `want` (up to 30 s) and returns the last answer.
async fn until(p: &Plane, want: StatusCode) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = readyz(p).await;
        if got.0 == want || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_writer_behind_its_limit_is_not_ready_until_it_catches_up() {
    // The writer gathers writes for a whole second, and three waiting are too many.
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.metering.commit_interval_ms = Some(1000);
        raw.metering.ready_max_queue = Some(3);
    })
    .await;
    p.upstream.update_script(|s| s.usage.input_tokens = 10);
    assert_eq!(readyz(&p).await.0, StatusCode::OK);
    for _ in 0..4 {
        embed(&p).await;
    }
    // Four holds at least wait (the writer took the first write and sleeps on it).
    let (status, body) = readyz(&p).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["type"], "unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("not ready: the metering writer is behind:")
            && message.ends_with("writes queued (limit 3)"),
        "{message}"
    );
    p.gw.flush().await;
    let (status, body) = until(&p, StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn a_writer_that_cannot_commit_is_not_ready_until_it_can() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage.input_tokens = 10);
    // Another process holds the database's write lock past the gateway's busy timeout.
    let db = rusqlite::Connection::open(p.gw.data_dir().join("codexkey.db")).unwrap();
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    embed(&p).await;
    let (status, body) = until(&p, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["error"]["message"],
        "not ready: the metering writer cannot commit to the database"
    );
    db.execute_batch("ROLLBACK").unwrap();
    let (status, body) = until(&p, StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The writes that waited were applied once the lock went: nothing was lost.
    p.gw.flush().await;
    assert_eq!(p.usage_events().await.len(), 1);
    p.assert_ledger_ok().await;
}
