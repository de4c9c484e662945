//! `/readyz` follows the metering writer and the database: 503 with the reason while writes
//! pile up behind the writer, it cannot commit, or the database does not answer; ready again
//! once they recover.

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
    if codexkey_tests::sqlite_only(
        "it holds SQLite's file lock; a PostgreSQL outage is a_database_that_does_not_answer_is_not_ready_until_it_does",
    ) {
        return;
    }
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

/// A TCP relay to the test PostgreSQL that can be cut: while cut, its connections are closed
/// and new ones are closed as soon as they are accepted, as a database host gone from the
/// network looks to the gateway.
struct Relay {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Relay {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        let (is_open, cuts) = (open.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !is_open.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay {
            port,
            open,
            generation,
        }
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The database branch of `/readyz`, on PostgreSQL (a local SQLite file always answers): a
/// gateway whose database host is cut off is not ready, saying why, and is ready again once the
/// database answers; the data plane's money is untouched meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_does_not_answer_is_not_ready_until_it_does() {
    use codexkey_gateway::store::postgres::scratch::ScratchSchema;
    use codexkey_tests::cli::GatewayProcess;

    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let server: reqwest::Url = url.replace("postgres://", "http://").parse().unwrap();
    let target = format!(
        "{}:{}",
        server.host_str().unwrap(),
        server.port().unwrap_or(5432)
    );
    let relay = Relay::start(target.parse().unwrap()).await;
    let relayed = url.replacen(
        &format!(":{}/", server.port().unwrap_or(5432)),
        &format!(":{}/", relay.port),
        1,
    );
    assert_ne!(relayed, url, "the URL goes through the relay");
    let gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_env(&[("CODEXKEY_DATABASE_URL", relayed.as_str())])
    });
    let http = codexkey_tests::http_client();
    let readyz = || async {
        let resp = http.get(format!("{}/readyz", gw.url)).send().await.unwrap();
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap())
    };
    let until = |want: StatusCode| async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = readyz().await;
            if got.0 == want || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(readyz().await.0, StatusCode::OK);

    relay.cut();
    let (status, body) = until(StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("not ready: the database does not answer"),
        "{message}"
    );
    assert!(
        !message.contains("postgres@"),
        "no URL in the answer: {message}"
    );

    relay.restore();
    let (status, body) = until(StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
}
