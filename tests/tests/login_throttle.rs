//! Password guessing is throttled per account and per client address with growing delays
//! (429 with `retry-after`), bounded so that the real user is never locked out for long; a
//! burst of concurrent guesses is throttled like a sequence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::{TestGateway, USER_PASSWORD, error_body};
use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;

const WRONG: &str = "wrong email or password";

async fn login(gw: &TestGateway, email: &str, password: &str) -> (StatusCode, Option<String>) {
    let resp = codexkey_tests::http_client()
        .post(format!("{}/api/v1/auth/login", gw.base_url()))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = resp.json().await.unwrap();
    match status {
        StatusCode::UNAUTHORIZED => assert_eq!(body, error_body("wrong_credentials", WRONG)),
        StatusCode::TOO_MANY_REQUESTS => assert_eq!(
            body,
            error_body(
                "too_many_attempts",
                &format!(
                    "too many failed logins; try again in {} s",
                    retry.as_deref().unwrap()
                )
            )
        ),
        _ => {}
    }
    (status, retry)
}

#[tokio::test]
async fn an_account_is_locked_after_five_failures_briefly_then_doubling() {
    let gw = TestGateway::start().await;
    gw.register("dana@example.com", USER_PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(
            login(&gw, "dana@example.com", "not the password at all").await,
            (StatusCode::UNAUTHORIZED, None)
        );
    }
    // Locked for a second: even the right password waits, without being checked.
    assert_eq!(
        login(&gw, "Dana@Example.com", USER_PASSWORD).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("1".into()))
    );
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    // One more wrong guess doubles the lock.
    assert_eq!(
        login(&gw, "dana@example.com", "still not the password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&gw, "dana@example.com", USER_PASSWORD).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("2".into()))
    );
    tokio::time::sleep(Duration::from_millis(2_050)).await;
    // The right password then logs in and clears the account's record.
    assert_eq!(
        login(&gw, "dana@example.com", USER_PASSWORD).await.0,
        StatusCode::OK
    );
    for _ in 0..4 {
        assert_eq!(
            login(&gw, "dana@example.com", "wrong again").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // A missing account is throttled exactly the same: nothing tells them apart.
    for _ in 0..5 {
        assert_eq!(
            login(&gw, "nobody@example.com", "any password at all")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&gw, "nobody@example.com", "any password at all").await,
        (StatusCode::TOO_MANY_REQUESTS, Some("1".into()))
    );
    gw.stop().await;
}

#[tokio::test]
async fn sixteen_concurrent_guesses_get_five_tries() {
    let gw = TestGateway::start().await;
    gw.register("erin@example.com", USER_PASSWORD).await;
    let mut set = JoinSet::new();
    for i in 0..16 {
        let url = format!("{}/api/v1/auth/login", gw.base_url());
        set.spawn(async move {
            codexkey_tests::http_client()
                .post(url)
                .json(&json!({ "email": "erin@example.com", "password": format!("guess number {i}") }))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut statuses = set.join_all().await;
    statuses.sort();
    let mut expected = vec![StatusCode::UNAUTHORIZED; 5];
    expected.extend([StatusCode::TOO_MANY_REQUESTS; 11]);
    assert_eq!(statuses, expected);
    gw.stop().await;
}

#[tokio::test]
async fn a_client_guessing_across_accounts_is_locked() {
    let gw = TestGateway::start().await;
    gw.register("fay@example.com", USER_PASSWORD).await;
    for i in 0..20 {
        assert_eq!(
            login(&gw, &format!("victim{i}@example.com"), "password guess")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    // This address is now locked, for every account.
    assert_eq!(
        login(&gw, "fay@example.com", USER_PASSWORD).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("1".into()))
    );
    gw.stop().await;
}
