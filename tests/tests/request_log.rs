//! The gateway binary's request log: one line per request carrying the request id, account id,
//! route, model, status and latency in whole microseconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use codexkey_tests::cli::{ADMIN_EMAIL, ADMIN_PASSWORD, GatewayProcess};
use codexkey_tests::fake_upstream::{FakeUpstream, Script};
use codexkey_tests::{ApiClient, http_client, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::json;

/// `key=value` of one field in a tracing line (values are plain, or `"quoted"` for strings
/// with spaces).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &line[start..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

/// The admin, funded with 5 credits, and a key of theirs.
struct Funded {
    admin: ApiClient,
    account_id: i64,
    secret: String,
    key_id: i64,
}

async fn funded(gw: &GatewayProcess) -> Funded {
    let (_, login) = ApiClient::new(&gw.url)
        .post(
            "/api/v1/auth/login",
            &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await;
    let admin = ApiClient::new(&gw.url).with_token(login["token"].as_str().unwrap());
    let (status, me) = admin.get("/api/v1/account").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    admin.fund(ADMIN_EMAIL, 5_000_000, "test").await;
    let (status, key) = admin.post("/api/v1/keys", &json!({"name": "log"})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    Funded {
        account_id: me["id"].as_i64().expect("account id"),
        secret: key["secret"].as_str().unwrap().to_owned(),
        key_id: key["key"]["id"].as_i64().unwrap(),
        admin,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_line_names_request_account_route_model_status_and_latency_us() {
    install_crypto_provider();
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script::default());
    let base = upstream.base_url().to_owned();
    let mut gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_env(&[
            ("CODEXKEY_LOG", "info"),
            ("CODEXKEY_OPENAI_API_KEY", "sk-upstream-openai"),
            ("CODEXKEY_OPENAI_BASE_URL", &base),
        ])
    });

    let Funded {
        admin,
        account_id,
        secret,
        ..
    } = funded(&gw).await;

    let resp = http_client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(&secret)
        .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    resp.bytes().await.unwrap();

    // The line is written once the response is handed back; give it a moment.
    let mut line = None;
    for _ in 0..50 {
        let log = gw.log();
        line = log
            .lines()
            .find(|l| l.contains(" request ") && l.contains("route=\"/v1/chat/completions\""))
            .map(str::to_owned);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = line.unwrap_or_else(|| panic!("no request line in:\n{}", gw.log()));
    let id = field(&line, "request_id").unwrap_or_else(|| panic!("request_id: {line}"));
    assert!(id.trim_matches('"').starts_with("req_"), "{line}");
    if let Some(header) = request_id {
        assert_eq!(id.trim_matches('"'), header, "{line}");
    }
    assert_eq!(
        field(&line, "account_id"),
        Some(account_id.to_string().as_str()),
        "{line}"
    );
    assert_eq!(
        field(&line, "model").map(|m| m.trim_matches('"')),
        Some("gpt-4o"),
        "{line}"
    );
    assert_eq!(field(&line, "status"), Some("200"), "{line}");
    let us = field(&line, "latency_us").unwrap_or_else(|| panic!("latency_us: {line}"));
    assert!(
        us.parse::<u64>().is_ok_and(|n| n > 0),
        "whole microseconds: {line}"
    );
    assert!(!line.contains("latency_ms"), "{line}");

    // A management call carries the caller's account, and no model.
    let (status, _) = admin.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK);
    let mut line = None;
    for _ in 0..50 {
        line = gw
            .log()
            .lines()
            .find(|l| l.contains(" request ") && l.contains("route=\"/api/v1/balance\""))
            .map(str::to_owned);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = line.expect("a balance line");
    assert_eq!(
        field(&line, "account_id"),
        Some(account_id.to_string().as_str()),
        "{line}"
    );
    assert!(field(&line, "model").is_none(), "{line}");
    assert!(field(&line, "latency_us").is_some(), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_every_request_field_as_a_key_and_no_secret() {
    install_crypto_provider();
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script {
        canary: Some("CANARY-LOG-7f3a".into()),
        ..Script::default()
    });
    let base = upstream.base_url().to_owned();
    let mut gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_env(&[
            ("CODEXKEY_LOG", "debug"),
            ("CODEXKEY_LOG_FORMAT", "json"),
            ("CODEXKEY_OPENAI_API_KEY", "sk-upstream-openai-secret"),
            ("CODEXKEY_OPENAI_BASE_URL", &base),
        ])
    });
    let Funded {
        account_id,
        secret,
        key_id,
        ..
    } = funded(&gw).await;
    let prompt = "PROMPT-LOG-91bd ".repeat(50);
    let resp = http_client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(&secret)
        .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let answer = resp.text().await.unwrap();
    assert!(answer.contains("CANARY-LOG-7f3a"));

    let mut line = None;
    for _ in 0..50 {
        line = gw.log().lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["message"] == "request" && v["route"] == "/v1/chat/completions").then_some(v)
        });
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let Some(line) = line else {
        panic!("no JSON request line in:\n{}", gw.log());
    };
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["request_id"], request_id.as_str());
    assert_eq!(line["account_id"], account_id);
    assert_eq!(line["key_id"], key_id);
    assert_eq!(line["model"], "gpt-4o");
    assert_eq!(line["upstream"], "openai");
    assert_eq!(line["status"], 200);
    assert!(line["latency_us"].as_u64().is_some_and(|n| n > 0), "{line}");
    assert!(line["timestamp"].is_string(), "{line}");

    // Every line is JSON, and none, even at debug, holds a secret, the prompt or the answer.
    let log = gw.log();
    for l in log.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "not JSON: {l}"
        );
    }
    for needle in [
        secret.as_str(),
        "sk-upstream-openai-secret",
        "PROMPT-LOG-91bd",
        "CANARY-LOG-7f3a",
        ADMIN_PASSWORD,
    ] {
        assert!(!log.contains(needle), "`{needle}` in the log");
    }
}
