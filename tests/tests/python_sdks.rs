//! The official Python SDKs (`openai`, `anthropic`, from PyPI) against the gateway and a fake
//! upstream: what each SDK returns for stream and non-stream calls, the exception it raises on a
//! 402, and the exact charges. The scripts live in `tests/python/`; they run with the venv that
//! `scripts/setup-python.sh` makes at `.tools/venv` (scripts/test.sh runs it first). Amounts are
//! computed by hand from the shipped prices (micro-credits per 1M tokens) in the comments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use codexkey_tests::fake_upstream::{MESSAGES, Script, Usage};
use codexkey_tests::fixtures::{CHAT_COST, CREDITS_100, MESSAGES_COST, chat_usage, messages_usage};
use codexkey_tests::plane::{ANTHROPIC_KEY, OPENAI_KEYS, Plane, UsageRow};
use serde_json::{Value, json};

/// How long one script may run before the test fails instead of hanging.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The gateway's message for an exhausted balance (`ProxyError::InsufficientBalance`).
const BALANCE_MESSAGE: &str = "credit balance is too low: top up your codexkey balance to continue";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_owned()
}

/// The venv's interpreter. Missing is a failure, not a skip: these tests are part of the suite.
fn venv_python() -> PathBuf {
    let python = repo_root().join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh (scripts/test.sh runs it) to create the venv \
         with the openai and anthropic SDKs",
        python.display()
    );
    python
}

/// Runs `tests/python/{script}` against the plane's gateway with the user's key and returns
/// the JSON document it printed. The child runs as a tokio process, so this runtime keeps
/// serving the gateway and the fake meanwhile. Its environment holds nothing but what Python
/// needs: no `OPENAI_*`/`ANTHROPIC_*` variable or proxy setting of the host can change what the
/// SDKs send, and `HOME` is an empty directory, so no user configuration is read.
async fn run_script(p: &Plane, script: &str) -> Value {
    let python = venv_python();
    let path = repo_root().join("tests/python").join(script);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(&python);
    cmd.arg(&path)
        .arg(p.gw.base_url())
        .arg(&p.key)
        .env_clear()
        .env("HOME", home.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONNOUSERSITE", "1")
        .env("NO_PROXY", "*")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(path_var) = std::env::var_os("PATH") {
        cmd.env("PATH", path_var);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let out = tokio::time::timeout(SCRIPT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish in {SCRIPT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

fn request_id(call: &Value) -> &str {
    call["request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no request id in {call}"))
}

/// `(input, cached, cache write, output, reasoning)` of a usage event, the gateway's meaning:
/// input excludes cached and cache-written tokens.
fn tokens(ev: &UsageRow) -> (i64, i64, i64, i64, i64) {
    (
        ev.input_tokens,
        ev.cached_tokens,
        ev.cache_write_tokens,
        ev.output_tokens,
        ev.reasoning_tokens,
    )
}

// ---- openai: Chat Completions ----

/// The usage object the openai SDK parses from what the fake sent for [`chat_usage`].
fn chat_usage_json() -> Value {
    json!({
        "prompt_tokens": 1000,
        "completion_tokens": 200,
        "total_tokens": 1200,
        "prompt_tokens_details": {"cached_tokens": 400, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 50,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_chat_completions_stream_and_non_stream() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| {
        s.usage = chat_usage();
        s.events = 30;
    });
    let text = p.upstream.script().text();
    let out = run_script(&p, "openai_chat.py").await;

    let non_stream = &out["non_stream"];
    assert_eq!(non_stream["object"], "chat.completion", "{out}");
    assert_eq!(non_stream["text"], text.as_str(), "{out}");
    assert_eq!(non_stream["finish_reason"], "stop", "{out}");
    assert_eq!(
        non_stream["usage"],
        chat_usage_json(),
        "the SDK sees upstream's usage untouched"
    );

    // The client did not ask for usage: the gateway asked upstream for it and hid it again,
    // so no chunk the SDK yields has usage, and none is the usage-only chunk (no choices).
    let stream = &out["stream"];
    assert_eq!(stream["text"], text.as_str(), "{out}");
    assert_eq!(stream["finish_reason"], "stop", "{out}");
    assert_eq!(stream["any_usage"], false, "{out}");
    assert_eq!(stream["empty_choice_chunks"], 0, "{out}");
    // A role chunk, one per word, the finish chunk.
    assert_eq!(stream["chunks"], 30 + 2, "{out}");

    // The client asked: exactly one usage chunk, the last, with what upstream sent.
    let with_usage = &out["stream_include_usage"];
    assert_eq!(with_usage["text"], text.as_str(), "{out}");
    assert_eq!(with_usage["usages"], json!([chat_usage_json()]), "{out}");
    assert_eq!(with_usage["empty_choice_chunks"], 1, "{out}");
    assert_eq!(with_usage["chunks"], 30 + 3, "{out}");

    // What went upstream: the gateway's keys; `include_usage` added only where not asked.
    let sent = p.upstream.requests();
    assert_eq!(sent.len(), 3);
    for up in &sent {
        assert!(OPENAI_KEYS.contains(&up.key.as_deref().unwrap_or("")));
    }
    assert_eq!(sent[0].json().get("stream_options"), None);
    assert_eq!(sent[1].json()["stream_options"]["include_usage"], true);
    assert_eq!(sent[2].json()["stream_options"]["include_usage"], true);

    for call in [non_stream, stream, with_usage] {
        let ev = p.event(request_id(call)).await;
        assert_eq!(tokens(&ev), (600, 400, 0, 200, 50), "{ev:?}");
        assert_eq!(ev.cost_micros, CHAT_COST, "{ev:?}");
        assert_eq!(
            (ev.route.as_str(), ev.model.as_deref(), ev.status),
            ("chat.completions", Some("gpt-5.5"), 200)
        );
        assert_eq!(ev.settlement, "final_usage");
    }
    assert_eq!(p.usage_events().await.len(), 3);
    assert_eq!(p.charges().await, (-3 * CHAT_COST, 3));
    assert_eq!(p.balance().await, (CREDITS_100 - 3 * CHAT_COST, 0));
    assert_eq!(p.holds().await, 0);
    p.assert_ledger_ok().await;
}

// ---- openai: Responses ----

fn responses_usage() -> Usage {
    Usage {
        input_tokens: 2000,
        cached_tokens: 1500,
        output_tokens: 300,
        reasoning_tokens: 100,
        ..Usage::default()
    }
}

/// gpt-5.5 = input 5_000_000, cached 500_000, output 30_000_000 per 1M: input 2000 includes
/// 1500 cached; (500 × 5e6 + 1500 × 5e5 + 300 × 3e7) / 1e6 = 2500 + 750 + 9000 = 12250.
const RESPONSES_COST: i64 = 12_250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_responses_stream_and_non_stream() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(|s| {
        s.usage = responses_usage();
        s.events = 25;
        // An event type the SDK has not heard of, passed through by the gateway: ignored.
        s.unknown_event = true;
    });
    let text = p.upstream.script().text();
    let out = run_script(&p, "openai_responses.py").await;
    let usage = json!({
        "input_tokens": 2000,
        "input_tokens_details": {"cached_tokens": 1500},
        "output_tokens": 300,
        "output_tokens_details": {"reasoning_tokens": 100},
        "total_tokens": 2300,
    });

    let non_stream = &out["non_stream"];
    assert_eq!(non_stream["object"], "response", "{out}");
    assert_eq!(non_stream["status"], "completed", "{out}");
    assert_eq!(non_stream["text"], text.as_str(), "{out}");
    assert_eq!(non_stream["usage"], usage, "{out}");

    let stream = &out["stream"];
    assert_eq!(
        stream["text"],
        text.as_str(),
        "the output_text deltas: {out}"
    );
    assert_eq!(stream["completed"], true, "{out}");
    assert_eq!(stream["completed_status"], "completed", "{out}");
    assert_eq!(stream["completed_text"], text.as_str(), "{out}");
    assert_eq!(stream["usage"], usage, "usage of response.completed: {out}");

    assert_eq!(p.upstream.requests().len(), 2);
    for call in [non_stream, stream] {
        let ev = p.event(request_id(call)).await;
        assert_eq!(tokens(&ev), (500, 1500, 0, 300, 100), "{ev:?}");
        assert_eq!(ev.cost_micros, RESPONSES_COST, "{ev:?}");
        assert_eq!(
            (ev.route.as_str(), ev.model.as_deref(), ev.status),
            ("responses", Some("gpt-5.5"), 200)
        );
        assert_eq!(ev.settlement, "final_usage");
    }
    assert_eq!(p.usage_events().await.len(), 2);
    assert_eq!(p.charges().await, (-2 * RESPONSES_COST, 2));
    assert_eq!(p.balance().await, (CREDITS_100 - 2 * RESPONSES_COST, 0));
    assert_eq!(p.holds().await, 0);
    p.assert_ledger_ok().await;
}

// ---- anthropic: Messages ----

fn messages_script(s: &mut Script) {
    s.usage = messages_usage();
    s.events = 20;
    s.anthropic_thinking_events = 3;
    s.anthropic_delta_repeats_input = true;
    // An event type the SDK has not heard of, passed through by the gateway: ignored.
    s.unknown_event = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_messages_stream_and_non_stream_with_each_way_to_pass_the_key() {
    let p = Plane::start(CREDITS_100).await;
    p.upstream.update_script(messages_script);
    // The fake refuses `/v1/messages` without `anthropic-version` (its default), as Anthropic does.
    let text = p.upstream.script().text();
    let out = run_script(&p, "anthropic_messages.py").await;
    let usage = json!({
        "input_tokens": 100,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 500,
        "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 200},
        "output_tokens": 150,
        "service_tier": "standard",
    });

    // How each client sends the key: anthropic 2.12.0 sends `api_key=` as `Authorization:
    // Bearer` too (older versions sent `x-api-key`), so the `x-api-key` path is covered by a
    // client that sets the header itself, as Claude Code does.
    let ways = [
        ("api_key", false, true),
        ("auth_token", false, true),
        ("x_api_key_header", true, false),
    ];
    let mut calls = Vec::new();
    for (auth, api_key, bearer) in ways {
        for kind in ["non_stream", "stream"] {
            let call = &out[auth][kind];
            assert_eq!(
                call["sent"]["x-api-key"], api_key,
                "{auth} {kind}: x-api-key sent? {out}"
            );
            assert_eq!(
                call["sent"]["authorization-bearer"], bearer,
                "{auth} {kind}: Authorization: Bearer sent? {out}"
            );
            assert!(
                call["sent"]["anthropic-version"].is_string(),
                "{auth} {kind}: {out}"
            );
            assert_eq!(call["text"], text.as_str(), "{auth} {kind}: {out}");
            assert_eq!(call["stop_reason"], "end_turn", "{auth} {kind}: {out}");
            assert_eq!(
                call["block_types"],
                json!(["thinking", "text"]),
                "{auth} {kind}: {out}"
            );
            assert_eq!(call["usage"], usage, "{auth} {kind}: {out}");
            calls.push(call);
        }
        assert_eq!(
            out[auth]["stream"]["final_text"],
            text.as_str(),
            "{auth}: {out}"
        );
    }

    // What went upstream: six messages, each with the SDK's API version and the gateway's key.
    let sent = p.upstream.requests();
    assert_eq!(sent.len(), 6);
    for (up, call) in sent.iter().zip(&calls) {
        assert_eq!(up.path, MESSAGES);
        assert_eq!(up.key.as_deref(), Some(ANTHROPIC_KEY));
        assert_eq!(
            up.header("anthropic-version"),
            call["sent"]["anthropic-version"].as_str()
        );
        assert!(!up.body_text().contains(&p.key));
        assert!(up.headers.iter().all(|(_, v)| !v.contains(&p.key)));
    }

    for call in &calls {
        let ev = p.event(request_id(call)).await;
        assert_eq!(tokens(&ev), (100, 2000, 500, 150, 0), "{ev:?}");
        assert_eq!(ev.cost_micros, MESSAGES_COST, "{ev:?}");
        assert_eq!(
            (
                ev.route.as_str(),
                ev.provider.as_deref(),
                ev.model.as_deref(),
                ev.status
            ),
            ("messages", Some("anthropic"), Some("claude-opus-4-8"), 200)
        );
    }
    assert_eq!(p.usage_events().await.len(), 6);
    assert_eq!(p.charges().await, (-6 * MESSAGES_COST, 6));
    assert_eq!(p.balance().await, (CREDITS_100 - 6 * MESSAGES_COST, 0));
    assert_eq!(p.holds().await, 0);
    p.assert_ledger_ok().await;
}

// ---- 402: the SDKs' exceptions ----

/// Nothing was forwarded, metered or charged.
async fn assert_nothing_happened(p: &Plane) {
    assert_eq!(p.upstream.requests().len(), 0);
    assert_eq!(p.usage_events().await.len(), 0);
    assert_eq!(p.charges().await, (0, 0));
    assert_eq!(p.balance().await, (0, 0));
    assert_eq!(p.holds().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_raises_api_status_error_on_402() {
    let p = Plane::start(0).await;
    let out = run_script(&p, "openai_error.py").await;
    let raised = &out["raised"];
    // openai maps 400/401/403/404/409/422/429/5xx to subclasses; 402 is the base class.
    assert_eq!(raised["class"], "APIStatusError", "{out}");
    assert_eq!(raised["module"], "openai", "{out}");
    assert_eq!(raised["status_code"], 402, "{out}");
    assert_eq!(
        raised["message"],
        format!("Error code: 402 - {BALANCE_MESSAGE}"),
        "{out}"
    );
    assert_eq!(raised["type"], "insufficient_quota", "{out}");
    assert_eq!(raised["code"], "insufficient_balance", "{out}");
    assert_eq!(
        raised["body"],
        json!({"message": BALANCE_MESSAGE, "type": "insufficient_quota", "param": null,
            "code": "insufficient_balance"}),
        "the SDK's body is the `error` object: {out}"
    );
    assert!(raised["request_id"].is_string(), "{out}");
    assert_nothing_happened(&p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_raises_payment_required_error_on_402() {
    let p = Plane::start(0).await;
    let out = run_script(&p, "anthropic_error.py").await;
    let raised = &out["raised"];
    // anthropic has a class for 402, a subclass of APIStatusError.
    assert_eq!(raised["class"], "PaymentRequiredError", "{out}");
    assert_eq!(raised["module"], "anthropic", "{out}");
    assert_eq!(raised["is_api_status_error"], true, "{out}");
    assert_eq!(raised["status_code"], 402, "{out}");
    assert_eq!(raised["api_message"], BALANCE_MESSAGE, "{out}");
    assert_eq!(raised["type"], "billing_error", "{out}");
    let body =
        json!({"type": "error", "error": {"type": "billing_error", "message": BALANCE_MESSAGE}});
    assert_eq!(raised["body"], body, "{out}");
    let message = raised["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Error code: 402 - ") && message.contains(BALANCE_MESSAGE),
        "{out}"
    );
    assert!(raised["request_id"].is_string(), "{out}");
    assert_nothing_happened(&p).await;
}
