//! The Prometheus `/metrics`: its content over plain HTTP (names, labels, nothing about
//! accounts or secrets), and a real Prometheus server scraping it and answering a query with
//! the exact count of the traffic sent.
//!
//! The metrics are per process and these tests share one, so each counts traffic no other
//! test here sends (its own route).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codexkey_tests::fixtures::{CREDITS_100, chat_usage};
use codexkey_tests::plane::{OPENAI_KEYS, Plane};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn scrape(p: &Plane, url: &str) -> String {
    let resp = p.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    resp.text().await.unwrap()
}

#[tokio::test]
async fn metrics_name_routes_models_statuses_and_nothing_private() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage = chat_usage());
    let chat = json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "hi"}]});
    for _ in 0..3 {
        let resp = p.post("/v1/chat/completions", &chat).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // Refused before admission: an unpriced model, and a key that does not exist.
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "no-such-model", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .bearer_auth("ck-not-a-key")
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    p.gw.flush().await;

    let text = scrape(&p, &p.url("/metrics")).await;
    for line in [
        r#"codexkey_http_requests_total{route="/v1/chat/completions",model="gpt-5.5",status="200"} 3"#,
        r#"codexkey_http_requests_total{route="/v1/chat/completions",model="",status="404"} 1"#,
        r#"codexkey_admissions_refused_total{reason="model_not_found"} 1"#,
        r#"codexkey_admissions_refused_total{reason="invalid_api_key"} 1"#,
        r#"codexkey_exchange_duration_seconds_count{route="chat.completions"} 3"#,
        r#"codexkey_time_to_first_byte_seconds_count{route="chat.completions"} 3"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line} in:\n{text}"
        );
    }
    // Series other tests here also move: present, with at least this test's share.
    for (series, at_least) in [
        (r#"codexkey_settlements_total{settlement="final_usage"}"#, 3),
        (
            r#"codexkey_settlements_total{settlement="usage_invalid"}"#,
            0,
        ),
        (
            r#"codexkey_settlements_total{settlement="capped_at_hold"}"#,
            0,
        ),
        (r#"codexkey_upstream_attempts_total{upstream="openai"}"#, 3),
        ("codexkey_holds_in_flight", 0),
        ("codexkey_metering_queue_depth", 0),
    ] {
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"));
        assert!(
            value.parse::<i64>().unwrap() >= at_least,
            "{series} {value}"
        );
    }
    for family in [
        "codexkey_http_request_duration_seconds_bucket{le=\"0.001\",route=\"/v1/chat/completions\"}",
        "codexkey_metering_commit_duration_seconds_count ",
        "# TYPE codexkey_upstream_errors counter",
        "# TYPE codexkey_upstream_cooldowns counter",
    ] {
        assert!(text.contains(family), "no {family} in:\n{text}");
    }
    // Nothing names an account, a user or a key, and no secret is shown.
    // (Route patterns such as `/api/v1/account` are fine; a label for accounts or keys is not.)
    for label in ["account", "user", "key_id", "key=", "email"] {
        assert!(
            !text.lines().any(|l| !l.starts_with('#')
                && l.split_once('{')
                    .is_some_and(|(_, labels)| labels.split(',').any(|kv| kv.starts_with(label)))),
            "a {label} label in:\n{text}"
        );
    }
    assert!(!text.contains(&p.user_email), "{text}");
    assert!(!text.contains(&p.key), "{text}");
    assert!(!text.contains("ck-"), "{text}");
    for k in OPENAI_KEYS {
        assert!(!text.contains(k), "{text}");
    }
}

#[tokio::test]
async fn a_separate_metrics_address_serves_only_metrics() {
    let p = Plane::start_with(0, |raw| {
        raw.server.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await;
    let addr = p.gw.metrics_addr().expect("a metrics address");
    let text = scrape(&p, &format!("http://{addr}/metrics")).await;
    assert!(
        text.contains("# TYPE codexkey_http_requests counter"),
        "{text}"
    );
    // The public listener no longer answers /metrics, and the metrics one serves nothing else.
    let resp = p.http.get(p.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = p
        .http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// A Prometheus server on loopback with its own storage, killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn start_prometheus(target: std::net::SocketAddr) -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: codexkey\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus is not installed: run scripts/setup-prometheus.sh");
    Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// The value of an instant query's single result, if it has one yet.
async fn query(http: &reqwest::Client, prom: &Prometheus, q: &str) -> Option<String> {
    let encoded: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let resp = http
        .get(format!("{}/api/v1/query?query={encoded}", prom.url))
        .send()
        .await
        .ok()?;
    let body: Value = resp.json().await.ok()?;
    assert_eq!(body["status"], "success", "{body}");
    body["data"]["result"][0]["value"][1]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn prometheus_scrapes_the_exact_request_count() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.server.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await;
    p.upstream.update_script(|s| s.usage.input_tokens = 1000);
    let prom = start_prometheus(p.gw.metrics_addr().unwrap());
    let sent = 7;
    for _ in 0..sent {
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
    let q = r#"codexkey_http_requests_total{job="codexkey",route="/v1/embeddings",model="text-embedding-3-small",status="200"}"#;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = None;
    while Instant::now() < deadline {
        last = query(&p.http, &prom, q).await;
        if last.as_deref() == Some(&sent.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        last.as_deref(),
        Some("7"),
        "Prometheus read {last:?} for {q}"
    );
    // And it parsed the histograms: the bucket series sum to the count.
    let count = query(
        &p.http,
        &prom,
        r#"codexkey_http_request_duration_seconds_count{route="/v1/embeddings"}"#,
    )
    .await;
    assert_eq!(count.as_deref(), Some("7"));
}
