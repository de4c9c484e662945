//! Every change to a key, an account or an upstream applies to the very next request, even
//! when the data plane has the key cached from earlier requests: rotate, revoke, expiry,
//! budget, allow-list and rate-limit edits, suspension and reactivation, upstream removal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::fake_upstream::FakeUpstream;
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A chat request with `secret`: its status and the error code, if any.
async fn chat(p: &Plane, secret: &str, model: &str) -> (StatusCode, Value) {
    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .bearer_auth(secret)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    (status, body["error"]["code"].clone())
}

fn ok() -> (StatusCode, Value) {
    (StatusCode::OK, Value::Null)
}

fn refused(status: StatusCode, code: &str) -> (StatusCode, Value) {
    (status, json!(code))
}

#[tokio::test]
async fn a_rotated_secret_is_refused_at_once_every_generation() {
    let p = Plane::start(CREDITS_100).await;
    let first = p.key.clone();
    assert_eq!(chat(&p, &first, "gpt-5.5").await, ok(), "cached by use");

    let (status, rotated) = p
        .user
        .post_empty(&format!("/api/v1/keys/{}/rotate", p.key_id))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let second = rotated["secret"].as_str().unwrap().to_owned();
    let second_id = rotated["key"]["id"].as_i64().unwrap();
    assert_eq!(
        chat(&p, &first, "gpt-5.5").await,
        refused(StatusCode::UNAUTHORIZED, "revoked_api_key")
    );
    assert_eq!(chat(&p, &second, "gpt-5.5").await, ok());

    let (status, rotated) = p
        .user
        .post_empty(&format!("/api/v1/keys/{second_id}/rotate"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let third = rotated["secret"].as_str().unwrap().to_owned();
    for old in [&first, &second] {
        assert_eq!(
            chat(&p, old, "gpt-5.5").await,
            refused(StatusCode::UNAUTHORIZED, "revoked_api_key")
        );
    }
    assert_eq!(chat(&p, &third, "gpt-5.5").await, ok());
    // Three requests served, three charged; none of the refused ones reached upstream.
    assert_eq!(p.upstream.requests().len(), 3);
    assert_eq!(p.charges().await.1, 3);

    // The replacement carries on the spend: rotating does not reset a budget.
    p.gw.flush().await;
    let (_, keys) = p.user.get("/api/v1/keys").await;
    let spent: Vec<i64> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["spent_micros"].as_i64().unwrap())
        .collect();
    let one = spent[0];
    assert!(one > 0);
    assert_eq!(spent, [one, 2 * one, 3 * one]);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn revoking_a_cached_key_refuses_its_next_request() {
    let p = Plane::start(CREDITS_100).await;
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());
    let (status, body) = p.user.delete(&format!("/api/v1/keys/{}", p.key_id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::UNAUTHORIZED, "revoked_api_key")
    );
}

#[tokio::test]
async fn edits_to_a_cached_key_apply_to_the_next_request() {
    let p = Plane::start(CREDITS_100).await;
    let key = format!("/api/v1/keys/{}", p.key_id);
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());

    // Allow-list, with the same `*` patterns as upstream model lists.
    let (status, body) = p
        .user
        .patch(&key, &json!({"allowed_models": ["gpt-4o-*"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["allowed_models"], json!(["gpt-4o-*"]));
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::FORBIDDEN, "model_not_allowed")
    );
    assert_eq!(chat(&p, &p.key, "gpt-4o-mini").await, ok());
    let (status, _) = p.user.patch(&key, &json!({"allowed_models": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());

    // Budget: down to what is spent refuses; removing it serves again.
    let (_, now) = p.user.get(&key).await;
    let spent = now["spent_micros"].as_i64().unwrap();
    assert!(spent > 0);
    let (status, body) = p.user.patch(&key, &json!({"budget_micros": spent})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["budget_micros"], spent);
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::PAYMENT_REQUIRED, "key_budget_exhausted")
    );
    let (status, _) = p.user.patch(&key, &json!({"budget_micros": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());

    // Rate limit: one request a minute lets one through, then 429.
    let (status, _) = p.user.patch(&key, &json!({"rpm_limit": 1})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let (status, _) = p.user.patch(&key, &json!({"rpm_limit": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());

    // Expiry: a key given an expiry two seconds out works until then, and not after.
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(2_000);
    let (status, body) = p
        .user
        .patch(&key, &json!({"expires_at": at.to_rfc3339()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::UNAUTHORIZED, "expired_api_key")
    );

    // Seven requests were served; the refused ones never reached upstream.
    assert_eq!(p.upstream.requests().len(), 7);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn bad_key_edits_are_refused_and_change_nothing() {
    let p = Plane::start(CREDITS_100).await;
    let key = format!("/api/v1/keys/{}", p.key_id);
    let (_, before) = p.user.get(&key).await;
    for (body, message) in [
        (
            json!({}),
            "nothing to change: send at least one of `name`, `expires_at`, `allowed_models`, `budget_micros`, `rpm_limit`, `tpm_limit`",
        ),
        (
            json!({"rpm_limit": 0}),
            "`rpm_limit` must be at least 1; leave it out for no limit",
        ),
        (
            json!({"budget_micros": -1}),
            "`budget_micros` cannot be negative",
        ),
        (
            json!({"expires_at": "2001-01-01T00:00:00Z"}),
            "`expires_at` is in the past",
        ),
        (
            json!({"allowed_models": []}),
            "`allowed_models` needs 1 to 256 model names; leave it out to allow every model",
        ),
    ] {
        let (status, reply) = p.user.patch(&key, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        assert_eq!(reply["error"]["message"], message, "{body}");
    }
    let (status, reply) = p.user.patch(&key, &json!({"colour": "red"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    let (_, after) = p.user.get(&key).await;
    assert_eq!(before, after);

    // Another user's key is not found, exactly like a missing one.
    let bob = p.gw.new_user("bob@example.com").await;
    let (status, _) = bob.patch(&key, &json!({"name": "mine"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A revoked key cannot be edited.
    p.user.delete(&key).await;
    let (status, reply) = p.user.patch(&key, &json!({"name": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
}

#[tokio::test]
async fn suspending_and_reactivating_an_account_apply_at_once() {
    let p = Plane::start(CREDITS_100).await;
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());
    let (status, body) = p
        .admin
        .post_empty(&format!("/api/v1/admin/users/{}/suspend", p.user_email))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        chat(&p, &p.key, "gpt-5.5").await,
        refused(StatusCode::FORBIDDEN, "account_suspended")
    );
    let (status, body) = p
        .admin
        .post_empty(&format!("/api/v1/admin/users/{}/activate", p.user_email))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(chat(&p, &p.key, "gpt-5.5").await, ok());
}

#[tokio::test]
async fn adding_and_removing_an_upstream_apply_at_once() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        for u in &mut raw.upstreams {
            u.models = Some(vec!["gpt-*".into(), "claude-*".into()]);
        }
        raw.master_key = Some(codexkey_common::Secret::new("ab".repeat(32)));
    })
    .await;
    let second = FakeUpstream::start().await;
    second.accept_any_key();
    assert_eq!(
        chat(&p, &p.key, "o3").await,
        refused(StatusCode::NOT_FOUND, "model_not_found")
    );
    let (status, body) = p
        .admin
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
    assert_eq!(chat(&p, &p.key, "o3").await, ok());
    assert_eq!(second.requests().len(), 1);

    let (status, body) = p.admin.delete("/api/v1/admin/upstreams/reasoning").await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        chat(&p, &p.key, "o3").await,
        refused(StatusCode::NOT_FOUND, "model_not_found")
    );
    assert_eq!(second.requests().len(), 1);
}

/// A count_tokens request with `secret`: its status and the Anthropic error type, if any.
async fn count(p: &Plane, secret: &str, body: &Value) -> (StatusCode, Value) {
    let resp = p
        .http
        .post(p.url("/v1/messages/count_tokens"))
        .header("x-api-key", secret)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    (status, body["error"]["message"].clone())
}

#[tokio::test]
async fn count_tokens_is_free_but_limited_like_any_use_of_a_key() {
    let p = Plane::start(CREDITS_100).await;
    let (_, created) = p
        .user
        .post(
            "/api/v1/keys",
            &json!({"allowed_models": ["claude-sonnet-*"], "rpm_limit": 2}),
        )
        .await;
    let limited = created["secret"].as_str().unwrap().to_owned();
    let sonnet = json!({"model": "claude-sonnet-4-5", "messages": []});

    // The allow-list applies, and a request naming no model is refused.
    assert_eq!(
        count(
            &p,
            &limited,
            &json!({"model": "claude-opus-4-8", "messages": []})
        )
        .await,
        (
            StatusCode::FORBIDDEN,
            json!("this API key may not use model `claude-opus-4-8`")
        )
    );
    assert_eq!(
        count(&p, &limited, &json!({"messages": []})).await,
        (StatusCode::BAD_REQUEST, json!("`model` is required"))
    );
    // It counts toward the key's RPM: two pass, the third waits.
    assert_eq!(count(&p, &limited, &sonnet).await.0, StatusCode::OK);
    assert_eq!(count(&p, &limited, &sonnet).await.0, StatusCode::OK);
    assert_eq!(
        count(&p, &limited, &sonnet).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(p.upstream.requests().len(), 2);

    // Free, but not to an account that could not pay for a request.
    p.fund(-CREDITS_100).await;
    let (status, _) = count(&p, &p.key, &sonnet).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(p.upstream.requests().len(), 2);
    assert_eq!(p.charges().await.1, 0, "count_tokens is never charged");
}
