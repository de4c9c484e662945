//! The metered data plane against a fake upstream: exact charges and usage events for every
//! route, stream and non-stream; retries; failures that charge nothing; prepaid admission;
//! client disconnects. Amounts are asserted to the micro-credit, computed by hand from the
//! shipped prices (micro-credits per 1M tokens) in the comments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::Backend;
use codexkey_tests::fake_upstream::{Action, Script, Usage};
use codexkey_tests::fixtures::{
    CHAT_COST, CREDITS_100, MESSAGES_COST, chat_usage, history, messages_usage,
};
use codexkey_tests::plane::{ANTHROPIC_KEY, OPENAI_KEYS, Plane, request_id, sse_data};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body_json(resp: reqwest::Response) -> Value {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn chat_completion_non_stream_is_charged_exactly() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage = chat_usage());
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let body = body_json(resp).await;
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["usage"]["prompt_tokens"], 1000,
        "the client sees upstream's usage untouched"
    );

    let ev = p.event(&id).await;
    assert_eq!(
        (
            ev.input_tokens,
            ev.cached_tokens,
            ev.output_tokens,
            ev.reasoning_tokens
        ),
        (600, 400, 200, 50)
    );
    assert_eq!(ev.cost_micros, CHAT_COST);
    assert_eq!(
        (
            ev.route.as_str(),
            ev.provider.as_deref(),
            ev.model.as_deref()
        ),
        ("chat.completions", Some("openai"), Some("gpt-5.5"))
    );
    assert_eq!((ev.status, ev.settlement.as_str()), (200, "final_usage"));
    let snap = ev.price_snapshot.expect("price snapshot");
    assert_eq!(snap["price"]["input"], 5_000_000);
    assert_eq!(snap["coefficient_ppm"], 1_000_000);
    assert_eq!(snap["margin_ppm"], 0);

    assert_eq!(p.balance().await, (CREDITS_100 - CHAT_COST, 0));
    assert_eq!(p.charges().await, (-CHAT_COST, 1));
    assert_eq!(p.holds().await, 0);
    p.assert_ledger_ok().await;

    // What went upstream: our key, not the client's; the body unchanged.
    let up = p.upstream.last_request().unwrap();
    assert!(
        OPENAI_KEYS.contains(&up.key.as_deref().unwrap_or("")),
        "{:?}",
        up.key
    );
    assert!(!up.body_text().contains(&p.key));
    assert!(
        up.headers.iter().all(|(_, v)| !v.contains(&p.key)),
        "the client's key never goes upstream"
    );
    assert_eq!(
        up.json(),
        json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "hi"}]})
    );
}

#[tokio::test]
async fn chat_stream_hides_the_usage_chunk_the_client_did_not_ask_for() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| {
        s.usage = chat_usage();
        s.events = 20;
    });
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "stream": true, "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let id = request_id(&resp);
    let body = resp.text().await.unwrap();
    let data = sse_data(&body);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks.iter().all(|c| c["usage"].is_null()),
        "no usage reached the client"
    );
    assert!(
        chunks
            .iter()
            .all(|c| !c["choices"].as_array().unwrap().is_empty()),
        "the usage-only chunk is gone"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, p.upstream.script().text());

    // The gateway asked upstream for usage, and was charged by it.
    let sent = p.upstream.last_request().unwrap().json();
    assert_eq!(sent["stream_options"]["include_usage"], true);
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.cost_micros, ev.settlement.as_str()),
        (CHAT_COST, "final_usage")
    );
    assert_eq!(p.balance().await.0, CREDITS_100 - CHAT_COST);
}

#[tokio::test]
async fn chat_stream_keeps_the_usage_chunk_a_client_asked_for() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage = chat_usage());
    let req = json!({"model": "gpt-5.5", "stream": true, "stream_options": {"include_usage": true}, "messages": []});
    let resp = p.post("/v1/chat/completions", &req).send().await.unwrap();
    let id = request_id(&resp);
    let body = resp.text().await.unwrap();
    let data = sse_data(&body);
    let usage: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["prompt_tokens"], 1000);
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(
        p.upstream.last_request().unwrap().json(),
        req,
        "a body that asked goes upstream as sent"
    );
    assert_eq!(p.event(&id).await.cost_micros, CHAT_COST);
}

/// gpt-6.1-sol = input 2_000_000, cached 100_000, cache write 2_500_000, output 10_000_000:
/// input 1000 = 500 uncached + 400 cached + 100 written;
/// (500 × 2e6 + 400 × 1e5 + 100 × 2.5e6 + 200 × 1e7) / 1e6 = 1000 + 40 + 250 + 2000 = 3290.
const RESPONSES_COST: i64 = 3_290;

fn responses_script(s: &mut Script) {
    s.usage = Usage {
        input_tokens: 1000,
        cached_tokens: 400,
        cache_write_5m_tokens: 100,
        output_tokens: 200,
        reasoning_tokens: 50,
        ..Usage::default()
    };
    s.responses_cache_write_tokens = true;
    s.unknown_event = true;
}

#[tokio::test]
async fn responses_stream_and_non_stream_are_charged_exactly() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(responses_script);
    // What Codex CLI sends: non-standard fields and headers that must reach upstream untouched.
    let req = json!({
        "model": "gpt-6.1-sol", "stream": true, "store": false, "input": [{"role": "user", "content": "hi"}],
        "client_metadata": {"x": 1}, "prompt_cache_key": "abc",
        "tools": [{"type": "custom", "name": "apply_patch"}, {"type": "web_search"}, {"type": "namespace", "name": "n"}]
    });
    let resp = p
        .post("/v1/responses", &req)
        .header("session-id", "sess-1")
        .header("originator", "codex_cli_rs")
        .header("x-codex-turn", "7")
        .header("openai-organization", "org-client")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("event: response.future_event"),
        "unknown events pass through"
    );
    assert!(body.contains("event: response.completed"));
    let up = p.upstream.last_request().unwrap();
    assert_eq!(up.json(), req, "the body goes upstream byte for byte");
    assert_eq!(up.header("session-id"), Some("sess-1"));
    assert_eq!(up.header("originator"), Some("codex_cli_rs"));
    assert_eq!(up.header("x-codex-turn"), Some("7"));
    assert_eq!(
        up.header("openai-organization"),
        None,
        "client credentials do not pass"
    );
    let ev = p.event(&id).await;
    assert_eq!(
        (
            ev.input_tokens,
            ev.cached_tokens,
            ev.cache_write_tokens,
            ev.output_tokens
        ),
        (500, 400, 100, 200)
    );
    assert_eq!(
        (ev.cost_micros, ev.route.as_str()),
        (RESPONSES_COST, "responses")
    );

    let resp = p
        .post(
            "/v1/responses",
            &json!({"model": "gpt-6.1-sol", "input": "hi"}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    assert_eq!(body_json(resp).await["object"], "response");
    assert_eq!(p.event(&id).await.cost_micros, RESPONSES_COST);
    assert_eq!(p.balance().await.0, CREDITS_100 - 2 * RESPONSES_COST);
    p.assert_ledger_ok().await;
}

fn messages_script(s: &mut Script) {
    s.usage = messages_usage();
    s.anthropic_thinking_events = 3;
    s.anthropic_delta_repeats_input = true;
    s.unknown_event = true;
}

#[tokio::test]
async fn messages_stream_and_non_stream_are_charged_exactly() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(messages_script);
    let req = json!({"model": "claude-opus-4-8", "max_tokens": 64000, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "hi"}]});
    // As Claude Code calls it: a query string, several betas, the key as x-api-key.
    let resp = p
        .post_anthropic("/v1/messages?beta=true", &req)
        .header(
            "anthropic-beta",
            "claude-code-20250219,interleaved-thinking-2025-05-14",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("event: future_event"),
        "unknown events pass through"
    );
    assert!(
        body.contains("\"signature_delta\""),
        "thinking signatures pass through"
    );
    let up = p.upstream.last_request().unwrap();
    assert_eq!(up.query.as_deref(), Some("beta=true"));
    assert_eq!(up.key.as_deref(), Some(ANTHROPIC_KEY));
    assert_eq!(
        up.header("anthropic-beta"),
        Some("claude-code-20250219,interleaved-thinking-2025-05-14")
    );
    assert_eq!(up.header("anthropic-version"), Some("2023-06-01"));
    let ev = p.event(&id).await;
    assert_eq!(
        (
            ev.input_tokens,
            ev.cached_tokens,
            ev.cache_write_tokens,
            ev.output_tokens
        ),
        (100, 2000, 500, 150),
        "message_delta repeating the input counts is not added twice"
    );
    assert_eq!(
        (ev.cost_micros, ev.route.as_str()),
        (MESSAGES_COST, "messages")
    );

    // Non-stream, key as Bearer (what the official Python SDK sends), large max_tokens.
    let resp = p
        .post(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 64000, "messages": []}),
        )
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    assert_eq!(body_json(resp).await["type"], "message");
    assert_eq!(p.event(&id).await.cost_micros, MESSAGES_COST);
    assert_eq!(p.balance().await, (CREDITS_100 - 2 * MESSAGES_COST, 0));
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn embeddings_images_models_and_count_tokens() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage.input_tokens = 1000);
    // text-embedding-3-small = 20_000 per 1M: 1000 × 20_000 / 1e6 = 20.
    let resp = p
        .post(
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "hello ".repeat(200)}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    assert_eq!(body_json(resp).await["object"], "list");
    let ev = p.event(&id).await;
    assert_eq!((ev.input_tokens, ev.cost_micros), (1000, 20));

    // gpt-image-1 bills by tokens (input 5_000_000, output 40_000_000 per 1M):
    // (1000 × 5e6 + 50 × 4e7) / 1e6 = 5000 + 2000 = 7000, and not per image on top.
    let resp = p
        .post(
            "/v1/images/generations",
            &json!({"model": "gpt-image-1", "prompt": "a cat", "n": 2}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    assert_eq!(
        body_json(resp).await["data"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(p.event(&id).await.cost_micros, 7000);

    // The model list: only what this gateway routes.
    let models = body_json(
        p.http
            .get(p.url("/v1/models"))
            .bearer_auth(&p.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"gpt-5.5") && ids.contains(&"claude-opus-4-8"),
        "{ids:?}"
    );
    assert!(
        !ids.iter().any(|m| m.starts_with("gemini")),
        "no upstream serves gemini here"
    );

    // count_tokens is forwarded and never charged.
    let before = p.balance().await.0;
    let resp = p
        .post_anthropic(
            "/v1/messages/count_tokens",
            &json!({"model": "claude-opus-4-8", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(body_json(resp).await["input_tokens"].is_u64());
    assert_eq!(p.balance().await.0, before);
    assert_eq!(p.charges().await.1, 2);
}

#[tokio::test]
async fn a_500_then_success_on_the_other_key_is_charged_once() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| s.usage = chat_usage());
    p.upstream.push(Action::status(500));
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let calls = p.upstream.requests();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].key, calls[1].key, "the retry used the other key");
    assert_eq!(p.event(&id).await.cost_micros, CHAT_COST);
    assert_eq!(p.charges().await, (-CHAT_COST, 1));

    // A 429 and a dropped connection are retried the same way.
    p.upstream.reset();
    p.upstream.update_script(|s| s.usage = chat_usage());
    p.upstream.push(Action::rate_limited(1));
    p.upstream.push(Action::CloseConnection);
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "429, then a dropped connection, then success"
    );
    assert_eq!(p.upstream.requests().len(), 3);
    assert_eq!(p.charges().await, (-2 * CHAT_COST, 2));

    // Three failures spend the three attempts (`upstream.max_attempts`): 502, nothing charged.
    p.upstream.reset();
    for action in [
        Action::status(500),
        Action::CloseConnection,
        Action::status(529),
    ] {
        p.upstream.push(action);
    }
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(p.upstream.requests().len(), 3);
    assert_eq!(p.charges().await, (-2 * CHAT_COST, 2));
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn every_upstream_failing_is_a_502_or_504_and_charges_nothing() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.upstream.first_byte_timeout_secs = Some(1)
    })
    .await;
    for _ in 0..3 {
        p.upstream.push(Action::status(503));
    }
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let id = request_id(&resp);
    let body = body_json(resp).await;
    assert_eq!(body["error"]["type"], "server_error");
    assert_eq!(body["error"]["code"], "upstream_error");
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.cost_micros, ev.status, ev.settlement.as_str()),
        (0, 502, "upstream_error")
    );

    // Anthropic format, hanging upstream: 504 after the first-byte timeout.
    p.upstream
        .push(Action::HangBeforeHeaders(Duration::from_secs(5)));
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 10, "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::GATEWAY_TIMEOUT);
    let body = body_json(resp).await;
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "timeout_error");

    assert_eq!(p.balance().await, (CREDITS_100, 0));
    assert_eq!(p.charges().await, (0, 0));
    assert_eq!(p.holds().await, 0);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn upstream_client_errors_are_relayed_and_not_charged() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.push(Action::error_body(
        400,
        r#"{"error":{"message":"bad thing","type":"invalid_request_error"}}"#,
    ));
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(resp).await["error"]["message"], "bad thing");
    assert_eq!(
        p.upstream.requests().len(),
        1,
        "a 400 is about the request: not retried"
    );
    assert_eq!(p.balance().await, (CREDITS_100, 0));
}

#[tokio::test]
async fn an_empty_balance_is_402_in_the_callers_format_without_an_upstream_call() {
    let p = Plane::start(0).await;
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 10, "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        body_json(resp).await,
        json!({"type": "error", "error": {"type": "billing_error",
            "message": "credit balance is too low: top up your codexkey balance to continue"}})
    );
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    let body = body_json(resp).await;
    assert_eq!(body["error"]["type"], "insufficient_quota");
    assert_eq!(body["error"]["code"], "insufficient_balance");
    assert_eq!(p.upstream.requests().len(), 0);
    assert_eq!(p.usage_events().await.len(), 0);
}

#[tokio::test]
async fn fifty_concurrent_requests_against_a_balance_for_five_stay_within_the_holds() {
    // Each request: max_tokens 100 on gpt-5.5 and a tiny body. The hold is the worst case:
    // input ⌈len/3⌉ tokens × 5 + 100 × 30 = 3000 + a little; the real cost with the fake's usage
    // (120 in, 50 out) is 120 × 5 + 50 × 30 = 2100 micros.
    let p = Plane::start(0).await;
    p.upstream.update_script(|s| {
        s.usage = Usage {
            input_tokens: 120,
            output_tokens: 50,
            ..Usage::default()
        };
        s.event_delay = Duration::from_millis(5);
        s.events = 10;
    });
    let body = json!({"model": "gpt-5.5", "max_tokens": 100, "stream": true, "messages": []});
    let body_len = serde_json::to_vec(&body).unwrap().len() as i64;
    let hold = (body_len + 2) / 3 * 5 + 100 * 30;
    let balance = 5 * hold;
    p.fund(balance).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let req = p.post("/v1/chat/completions", &body);
        tasks.push(tokio::spawn(async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let _ = resp.bytes().await;
            status
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::PAYMENT_REQUIRED => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok + refused, 50);
    assert!(
        ok >= 5,
        "at least the five the balance covers were served ({ok})"
    );
    let (final_balance, held) = p.balance().await;
    assert_eq!(held, 0);
    let events = p.usage_events().await;
    // On PostgreSQL admission waits for a balance lease, so late requests may find the money
    // the first ones settled: those are admitted with a lowered output cap (which the fake
    // upstream ignores) and charged their hold.
    let spent = match p.gw.backend() {
        Backend::Sqlite => ok * 2100,
        Backend::Postgres => events
            .iter()
            .map(|e| {
                if e.settlement != "capped_at_hold" {
                    assert_eq!(
                        (e.settlement.as_str(), e.cost_micros),
                        ("final_usage", 2100)
                    );
                }
                assert!(e.cost_micros <= 2100, "{e:?}");
                e.cost_micros
            })
            .sum(),
    };
    assert_eq!(
        final_balance,
        balance - spent,
        "every served request charged exactly once"
    );
    // Each admitted request saw a positive available balance and reserved its worst case, so
    // the overdraft is bounded by one hold.
    assert!(
        final_balance >= -hold,
        "overdraft {final_balance} beyond one hold {hold}"
    );
    assert_eq!(p.charges().await, (-spent, ok));
    assert_eq!(events.len() as i64, ok);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_is_charged_what_upstream_reports() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| {
        messages_script(s);
        s.events = 40;
        s.event_delay = Duration::from_millis(10);
    });
    let resp = p
        .post_anthropic("/v1/messages", &json!({"model": "claude-opus-4-8", "max_tokens": 1000, "stream": true, "messages": []}))
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    let mut stream = resp.bytes_stream();
    let _first = stream.next().await.unwrap().unwrap();
    drop(stream);
    // The gateway keeps reading upstream to its final usage, then settles exactly.
    let ev = wait_for_event(&p, &id).await;
    assert_eq!(ev.settlement, "disconnect_drained");
    assert_eq!(ev.cost_micros, MESSAGES_COST);
    assert_eq!(ev.error_code.as_deref(), Some("client_disconnected"));
    assert_eq!(p.balance().await, (CREDITS_100 - MESSAGES_COST, 0));
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_disconnect_past_the_drain_bound_charges_input_plus_delivered_output() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.metering.disconnect_drain_secs = Some(0)
    })
    .await;
    p.upstream.update_script(|s| {
        s.usage = chat_usage();
        s.events = 50;
        s.event_delay = Duration::from_millis(20);
    });
    let body = json!({"model": "gpt-5.5", "stream": true, "messages": []});
    let body_len = serde_json::to_vec(&body).unwrap().len() as u64;
    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
    let id = request_id(&resp);
    let mut stream = resp.bytes_stream();
    let mut got = String::new();
    while !got.contains(" dolor") {
        got.push_str(&String::from_utf8_lossy(
            &stream.next().await.unwrap().unwrap(),
        ));
    }
    drop(stream);
    let ev = wait_for_event(&p, &id).await;
    assert_eq!(ev.settlement, "disconnect_estimate");
    // Chat streams report no input before their end: the input is estimated from the body
    // (one token per 4 bytes); the output is at least the deltas relayed.
    let input = body_len.div_ceil(4) as i64;
    assert_eq!(ev.input_tokens, input);
    assert!(ev.output_tokens >= 3 && ev.output_tokens < 50, "{ev:?}");
    assert_eq!(
        ev.cost_micros,
        ((input * 5_000_000 + ev.output_tokens * 30_000_000) as u64).div_ceil(1_000_000) as i64
    );
    assert!(ev.cost_micros > 0, "never served free");
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn an_upstream_that_cuts_its_stream_is_charged_by_estimate_never_free() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(messages_script);
    p.upstream.push(Action::EndStreamEarly { after_events: 12 });
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": history(2_600)}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&resp);
    let _ = resp.text().await;
    let ev = p.event(&id).await;
    assert_eq!(ev.settlement, "stream_cut");
    // message_start reported the input and cache counts exactly; the output is estimated.
    assert_eq!(
        (ev.input_tokens, ev.cached_tokens, ev.cache_write_tokens),
        (100, 2000, 500)
    );
    assert!(ev.output_tokens >= 1);
    assert!(ev.cost_micros >= 500 + 1000 + 1875 + 2000, "{ev:?}");
    p.assert_ledger_ok().await;
}

async fn wait_for_event(p: &Plane, id: &str) -> codexkey_tests::plane::UsageRow {
    for _ in 0..200 {
        if let Some(e) = p
            .usage_events()
            .await
            .into_iter()
            .find(|e| e.request_id == id)
        {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no usage event for {id}");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_in_the_callers_format_and_cost_nothing() {
    let p = Plane::start_with(CREDITS_100, |raw| raw.proxy.body_limit_mb = Some(1)).await;
    let openai = |resp: Value| (resp["error"]["type"].clone(), resp["error"]["code"].clone());

    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .bearer_auth(&p.key)
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        openai(body_json(resp).await),
        (json!("invalid_request_error"), json!("invalid_request"))
    );

    let big = json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "x".repeat(1_100_000)}]});
    let resp = p.post("/v1/chat/completions", &big).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = p.post_anthropic("/v1/messages", &big).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_json(resp).await["error"]["type"], "request_too_large");

    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "no-such-model", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body_json(resp).await["error"]["message"],
        "model `no-such-model` is not available on this gateway"
    );
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "no-such-model", "max_tokens": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(resp).await["error"]["type"], "not_found_error");

    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .json(&json!({"model": "gpt-5.5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(openai(body_json(resp).await).1, json!("missing_api_key"));
    let wrong = format!("ck-{}", "A".repeat(43));
    let resp = p
        .http
        .post(p.url("/v1/messages"))
        .header("x-api-key", &wrong)
        .json(&json!({"model": "claude-opus-4-8", "max_tokens": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(resp).await,
        json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid API key"}})
    );

    // An expired key (its expiry moved into the past in the database) and a revoked one.
    let (_, created) = p
        .user
        .post(
            "/api/v1/keys",
            &json!({"name": "soon", "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    let soon = created["secret"].as_str().unwrap().to_owned();
    p.gw.db_rw()
        .execute(
            "UPDATE api_keys SET expires_at = 1 WHERE id = ?1",
            [created["key"]["id"].as_i64().unwrap()],
        )
        .unwrap();
    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .bearer_auth(&soon)
        .json(&json!({"model": "gpt-5.5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(openai(body_json(resp).await).1, json!("expired_api_key"));

    // Warm the key cache first, so the revocation must invalidate it.
    let ok = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let (status, _) = p.user.delete(&format!("/api/v1/keys/{}", p.key_id)).await;
    assert_eq!(status, StatusCode::OK);
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(openai(body_json(resp).await).1, json!("revoked_api_key"));

    // Only the one good request went upstream and was charged.
    assert_eq!(p.upstream.requests().len(), 1);
    assert_eq!(p.charges().await.1, 1);
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn key_limits_models_rpm_and_budget() {
    let p = Plane::start(CREDITS_100).await;
    let (_, created) = p
        .user
        .post(
            "/api/v1/keys",
            &json!({"allowed_models": ["gpt-4o-mini"], "rpm_limit": 2, "budget_micros": 1}),
        )
        .await;
    let limited = created["secret"].as_str().unwrap().to_owned();
    let send = |model: &str| {
        p.http
            .post(p.url("/v1/chat/completions"))
            .bearer_auth(&limited)
            .json(&json!({"model": model, "messages": []}))
            .send()
    };
    let resp = send("gpt-5.5").await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(resp).await["error"]["code"], "model_not_allowed");
    // The first allowed request spends the 1-micro budget...
    assert_eq!(send("gpt-4o-mini").await.unwrap().status(), StatusCode::OK);
    // ...so the next is refused for the budget (402), and the RPM bucket (2) is then empty: 429.
    let resp = send("gpt-4o-mini").await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        body_json(resp).await["error"]["code"],
        "key_budget_exhausted"
    );
    let resp = send("gpt-4o-mini").await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(p.upstream.requests().len(), 1);
}

#[tokio::test]
async fn claude_code_and_codex_handshakes() {
    let p = Plane::start(CREDITS_100).await;
    // Claude Code: an unauthenticated HEAD on the base URL.
    let resp = p.http.head(p.gw.base_url()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Codex CLI: a WebSocket upgrade attempt on GET /v1/responses gets 426, and it falls back.
    let resp = p
        .http
        .get(p.url("/v1/responses"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(p.upstream.requests().len(), 0);
}

#[tokio::test]
async fn an_upstream_silent_past_the_idle_timeout_is_cut_and_never_free() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.upstream.idle_timeout_secs = Some(1);
    })
    .await;
    p.upstream.update_script(messages_script);

    // A stream that goes silent after 12 events: the client gets those, then an error event in
    // its own format (not a clean end it could take for a whole answer), and the charge is the
    // estimate.
    p.upstream.push(Action::StallMidStream {
        after_events: 12,
        stall: Duration::from_secs(4),
    });
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": history(2_600)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let text = resp.text().await.expect("the stream ends readably");
    assert!(text.contains("event: message_start"), "{text}");
    assert!(!text.contains("event: message_stop"), "{text}");
    assert!(
        text.ends_with(
            "event: error\ndata: {\"error\":{\"message\":\"the upstream did not answer in time\",\"type\":\"timeout_error\"},\"type\":\"error\"}\n\n"
        ),
        "{text}"
    );
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.settlement.as_str(), ev.error_code.as_deref()),
        ("stream_cut", Some("upstream_stream_error"))
    );
    assert_eq!(
        (ev.input_tokens, ev.cached_tokens, ev.cache_write_tokens),
        (100, 2000, 500)
    );
    assert!(ev.cost_micros >= 500 + 1000 + 1875 + 2000, "{ev:?}");

    // A non-streamed body that stalls after its head: 504 in the caller's format, charged the
    // input estimate since upstream bills what it started. The body below is 33 bytes: 9 tokens
    // at gpt-5.5's 5_000_000 per 1M = 45.
    p.upstream.update_script(|s| s.usage = chat_usage());
    p.upstream.push(Action::StallMidStream {
        after_events: 1,
        stall: Duration::from_secs(4),
    });
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::GATEWAY_TIMEOUT);
    let id = request_id(&resp);
    let body = body_json(resp).await;
    assert_eq!(
        (&body["error"]["type"], &body["error"]["code"]),
        (&json!("server_error"), &json!("upstream_timeout")),
        "{body}"
    );
    let ev = p.event(&id).await;
    assert_eq!(
        (ev.cost_micros, ev.status, ev.settlement.as_str()),
        (45, 504, "usage_missing")
    );
    p.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_long_fast_stream_arrives_whole_and_in_order() {
    // 3000 events, several hundred KB sent as fast as upstream can, so the relay gathers and
    // hands over many pieces: every event arrives once and in order, the usage chunk hidden.
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| {
        s.usage = chat_usage();
        s.events = 3000;
    });
    let resp = p
        .post(
            "/v1/chat/completions",
            &json!({"model": "gpt-5.5", "stream": true, "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = request_id(&resp);
    let text = resp.text().await.unwrap();
    assert!(text.len() > 3 * 64 * 1024, "{} bytes", text.len());
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let words: String = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .inspect(|v| assert!(v.get("usage").is_none_or(Value::is_null), "{v}"))
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let expected = Script {
        events: 3000,
        ..Script::default()
    }
    .text();
    assert_eq!(words, expected);
    assert_eq!(p.event(&id).await.cost_micros, CHAT_COST);
}
