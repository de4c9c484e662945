//! `codexkey proxy`, `run`, `env`, `setup` and `doctor`: the real binary between a tool and the
//! real gateway binary, with a fake upstream behind it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use codexkey_tests::fake_upstream::Script;
use codexkey_tests::fixtures::{MESSAGES_COST, history, messages_usage};
use codexkey_tests::proxy::{ProxyBench, ProxyProcess};
use codexkey_tests::{ApiClient, http_client};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "a long proxy test password";

fn messages_script() -> Script {
    Script {
        events: 30,
        usage: messages_usage(),
        ..Script::default()
    }
}

async fn bench(funds: i64) -> ProxyBench {
    bench_with(funds, &[]).await
}

async fn bench_with(funds: i64, extra: &[(&str, &str)]) -> ProxyBench {
    ProxyBench::start(
        messages_script(),
        "proxy@codexkey.test",
        PASSWORD,
        funds,
        extra,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_swaps_in_the_real_key_streams_untouched_and_prints_costs() {
    let b = bench(100_000_000).await;
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let http = http_client();
    // The proxy token: the tool never holds the real key.
    let resp = http
        .post(format!("{}/v1/messages?beta=true", proxy.url))
        .header("x-api-key", &b.token)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": history(3_200)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("event: message_start"), "{body}");
    assert!(body.contains("event: message_stop"));
    let text: String = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, messages_script().text());
    let line = tokio::task::block_in_place(|| proxy.wait_for("messages"));
    assert!(
        line.contains("claude-opus-4-8")
            && line.contains("0.009125 cr")
            && line.contains("out 150"),
        "{line}"
    );

    let resp = http
        .post(format!("{}/v1/chat/completions", proxy.url))
        .bearer_auth(&b.token)
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["object"],
        "chat.completion"
    );
    // The gateway got the real key (its usage events name the user's key); upstream got ours.
    let up = b.upstream.requests();
    assert!(up.iter().all(|r| !r.body_text().contains(&b.token)));
    assert!(
        up.iter()
            .all(|r| r.headers.iter().all(|(_, v)| !v.contains(&b.token))),
        "the proxy token stays between the tool and the proxy"
    );
    assert_eq!(up[0].key.as_deref(), Some("sk-ant-upstream"));
    let (status, output) = tokio::task::block_in_place(|| proxy.stop());
    assert_eq!(status, 0, "{output}");
    // gpt-4o-mini (input 150_000, cached 75_000, output 600_000 per 1M) with the same script:
    // chat's prompt_tokens (100) include the 2000 cached, so no uncached input is left:
    // (2000 × 75_000 + 150 × 600_000) / 1e6 = 150 + 90 = 240.
    assert!(
        output.contains(&format!(
            "session: 2 requests, {} cr",
            codexkey_common::Micros(MESSAGES_COST + 240)
        )),
        "{output}"
    );
    assert!(!output.contains(&b.secret), "the secret is never printed");
    // The ledger check also flushes the metering writer's group commit.
    b.assert_ledger_ok().await;
    let charged: i64 =
        b.gw.db()
            .query_row(
                "SELECT -SUM(amount_micros) FROM ledger_entries WHERE kind = 'charge'",
                [],
                |r| r.get(0),
            )
            .unwrap();
    assert_eq!(
        charged,
        MESSAGES_COST + 240,
        "the proxy's figures are the ledger's"
    );
    b.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_gets_errors_in_its_own_format_naming_the_cause() {
    let b = bench(0).await;
    let http = http_client();

    // Balance exhausted: the gateway's 402 reaches the tool as is.
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-opus-4-8", "max_tokens": 10, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["type"],
        "billing_error"
    );
    tokio::task::block_in_place(|| proxy.wait_for("balance is exhausted"));

    // Key revoked: 401 from the gateway, and the proxy says what to do.
    let keys = b.user.run(&["keys", "list", "--json"]).json();
    let id = keys[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(b.user.run(&["keys", "revoke", &id]).code, 0);
    let resp = http
        .post(format!("{}/v1/chat/completions", proxy.url))
        .bearer_auth(&b.token)
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "revoked_api_key"
    );
    let hint = tokio::task::block_in_place(|| proxy.wait_for("rejected the proxy's API key"));
    assert!(hint.contains("codexkey keys create --use"), "{hint}");

    // The gateway goes down under a running proxy.
    let ProxyBench {
        gw, user, token, ..
    } = b;
    let gateway_url = gw.url.clone();
    let _stopped = tokio::task::block_in_place(|| gw.kill9());
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &token)
        .json(&json!({"model": "claude-opus-4-8", "max_tokens": 10, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"type": "error", "error": {"type": "api_error", "message": format!("codexkey proxy: cannot reach the gateway at {gateway_url}")}})
    );
    let line = tokio::task::block_in_place(|| proxy.wait_for("cannot reach the gateway"));
    assert!(line.contains("codexkey gateway"), "{line}");
    // Said once: the terminal's `proxy: ` prefix, not the tool's `codexkey proxy: ` as well.
    assert!(
        line.contains("proxy: cannot reach the gateway") && !line.contains("codexkey proxy:"),
        "{line}"
    );
    let resp = http
        .post(format!("{}/v1/responses", proxy.url))
        .bearer_auth(&token)
        .json(&json!({"model": "gpt-5.5", "input": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["type"],
        "server_error"
    );

    // Only loopback.
    let r = user.run(&["proxy", "--host", "0.0.0.0", "--port", "0"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("loopback only"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_disconnects_mid_stream_is_still_settled() {
    let b = bench(100_000_000).await;
    b.upstream.set_script(Script {
        event_delay: Duration::from_millis(10),
        ..messages_script()
    });
    let proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let resp = http_client()
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": history(3_200)}),
        )
        .send()
        .await
        .unwrap();
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let mut stream = resp.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    let mut found = None;
    for _ in 0..100 {
        let (_, check) = b.admin.get("/api/v1/admin/ledger/verify").await; // flushes metering
        assert_eq!(check["ok"], true);
        found =
            b.gw.db()
                .query_row(
                    "SELECT cost_micros, settlement FROM usage_events WHERE request_id = ?1",
                    [&request_id],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
                .ok();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        found,
        Some((MESSAGES_COST, "disconnect_drained".to_owned()))
    );
    drop(proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_streams_through_one_proxy() {
    let b = bench(100_000_000).await;
    b.upstream.set_script(Script {
        events: 20,
        event_delay: Duration::from_millis(5),
        ..messages_script()
    });
    let proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let http = http_client();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let req = http
            .post(format!("{}/v1/messages", proxy.url))
            .header("x-api-key", &b.token)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({"model": "claude-opus-4-8", "max_tokens": 100, "stream": true, "messages": history(3_200)}));
        tasks.push(tokio::spawn(async move {
            let resp = req.send().await.unwrap();
            (resp.status(), resp.text().await.unwrap())
        }));
    }
    let expected = Script {
        events: 20,
        ..messages_script()
    }
    .text();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("event: message_stop"));
        let text: String = body
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(text, expected);
    }
    b.assert_ledger_ok().await;
    let (n, charged): (i64, i64) =
        b.gw.db()
            .query_row(
                "SELECT COUNT(*), -SUM(amount_micros) FROM ledger_entries WHERE kind = 'charge'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
    assert_eq!((n, charged), (100, 100 * MESSAGES_COST));
    let (code, out) = tokio::task::block_in_place(|| proxy.stop());
    assert_eq!(code, 0);
    assert!(out.contains("session: 100 requests"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_starts_proxy_and_tool_without_giving_it_the_secret() {
    let b = bench(100_000_000).await;
    let dir = tempfile::tempdir().unwrap();
    let env_dump = dir.path().join("env.json");
    // A stand-in for Claude Code: reads the variables `codexkey run` sets, makes one request,
    // prints the answer, records its environment, exits 7.
    let tool = dir.path().join("claude");
    std::fs::write(
        &tool,
        format!(
            r#"#!/usr/bin/env python3
import json, os, sys, urllib.request
json.dump(dict(os.environ), open({env:?}, "w"))
req = urllib.request.Request(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
    data=json.dumps({{"model": "claude-opus-4-8", "max_tokens": 50, "messages": [{{"role": "user", "content": "x" * 3200}}]}}).encode(),
    headers={{"authorization": "Bearer " + os.environ["ANTHROPIC_AUTH_TOKEN"], "anthropic-version": "2023-06-01", "content-type": "application/json"}})
body = json.load(urllib.request.urlopen(req))
print("ANSWER:", body["content"][0]["text"], "ARGS:", " ".join(sys.argv[1:]))
sys.exit(7)
"#,
            env = env_dump.to_str().unwrap()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = tokio::task::block_in_place(|| {
        b.user
            .command()
            .env("CODEXKEY_CLAUDE_BIN", &tool)
            .env("ANTHROPIC_API_KEY", "sk-ant-users-own-key")
            .args(["run", "claude", "--", "-p", "hello"])
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "the tool's exit code: {stderr}");
    // Claude Code gets its settings with `--settings` (they win over ~/.claude/settings.json).
    assert!(
        stdout.contains(&format!(
            "ANSWER: {} ARGS: --settings ",
            messages_script().text()
        )) && stdout.trim_end().ends_with(" -p hello"),
        "{stdout}"
    );
    assert!(stderr.contains("0.009125 cr"), "the live line: {stderr}");
    assert!(
        stderr.contains("session: 1 request, 0.009125 cr"),
        "{stderr}"
    );
    let env: Value = serde_json::from_str(&std::fs::read_to_string(&env_dump).unwrap()).unwrap();
    assert_eq!(env["ANTHROPIC_AUTH_TOKEN"], b.token.as_str());
    assert!(
        env["ANTHROPIC_BASE_URL"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert!(
        env.get("ANTHROPIC_API_KEY").is_none(),
        "the user's own key is not passed on"
    );
    let env_text = env.to_string();
    assert!(
        !env_text.contains(&b.secret),
        "the secret is not in the tool's environment"
    );
    assert!(!stdout.contains(&b.secret) && !stderr.contains(&b.secret));
    // The secret is only where it belongs: the credential store.
    for entry in walk(&b.user.config_dir) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        let is_store = entry.file_name().is_some_and(|n| n == "credentials.toml");
        assert_eq!(text.contains(&b.secret), is_store, "{}", entry.display());
    }
    b.assert_ledger_ok().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_setup_and_doctor() {
    let b = bench(5_000_000).await;
    let r = b
        .user
        .run(&["env", "claude", "--shell", "fish", "--port", "4242"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("set -gx ANTHROPIC_BASE_URL 'http://127.0.0.1:4242'"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("set -gx ANTHROPIC_AUTH_TOKEN '{}'", b.token))
    );
    let r = b.user.run(&["env", "codex", "--shell", "bash"]);
    assert!(
        r.stdout
            .contains(&format!("export CODEXKEY_PROXY_TOKEN='{}'", b.token)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("model_providers.codexkey.wire_api=\"responses\""),
        "{}",
        r.stdout
    );

    let home = tempfile::tempdir().unwrap();
    let codex_home = home.path().join("codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(
        codex_home.join("config.toml"),
        "# my settings\nmodel = \"gpt-5.5\"\n",
    )
    .unwrap();
    let setup = |tool: &str, yes: bool| {
        let mut c = b.user.command();
        c.env("HOME", home.path())
            .env("CODEX_HOME", &codex_home)
            .args(["setup", tool]);
        if yes {
            c.arg("--yes");
        }
        c.stdin(Stdio::null()).output().unwrap()
    };
    let out = setup("codex", false);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no --yes and no terminal: nothing written"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("+[model_providers.codexkey]"));
    assert!(
        !std::fs::read_to_string(codex_home.join("config.toml"))
            .unwrap()
            .contains("codexkey")
    );
    assert!(setup("codex", true).status.success());
    let written = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(
        written.contains("# my settings") && written.contains("model = \"gpt-5.5\""),
        "{written}"
    );
    assert!(
        written.contains("model_provider = \"codexkey\"")
            && written.contains("base_url = \"http://127.0.0.1:4141/v1\""),
        "{written}"
    );
    assert!(setup("claude", true).status.success());
    let claude: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(claude["env"]["ANTHROPIC_BASE_URL"], "http://127.0.0.1:4141");
    // The tools get the user's proxy token, never the placeholder, in files only the user reads.
    assert_eq!(claude["env"]["ANTHROPIC_AUTH_TOKEN"], b.token.as_str());
    assert!(
        written.contains(&format!("experimental_bearer_token = \"{}\"", b.token)),
        "{written}"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        for file in [
            codex_home.join("config.toml"),
            home.path().join(".claude/settings.json"),
        ] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
    }
    for text in [written, claude.to_string()] {
        assert!(!text.contains(&b.secret), "setup never writes the secret");
    }

    let out = b
        .user
        .command()
        .env("HOME", home.path())
        .env("CODEX_HOME", &codex_home)
        .args(["doctor"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report.contains("✓ gateway")
            && report.contains("✓ login")
            && report.contains("✓ proxy key")
            && report.contains("✓ balance"),
        "{report}"
    );
    // The gateway down: doctor says how to fix it and exits 1.
    let out = b
        .user
        .command()
        .env("CODEXKEY_GATEWAY", "http://127.0.0.1:9")
        .args(["doctor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("fix: start one with `codexkey gateway`")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn costs_are_also_shown_in_the_accounts_display_currency() {
    let b = bench_with(100_000_000, &[("CODEXKEY_CURRENCIES", "RUB=90@2026-11-20")]).await;
    let me = ApiClient::login(&b.gw.url, &b.email, PASSWORD).await;
    let (status, _) = me
        .patch("/api/v1/account", &json!({"currency": "RUB"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let resp = http_client()
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-opus-4-8", "max_tokens": 100, "messages": history(3_200)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let _ = resp.bytes().await;
    // 9125 micro-credits × 90 RUB per credit = 821_250 micro-RUB.
    let line = tokio::task::block_in_place(|| proxy.wait_for("messages"));
    assert!(line.contains("0.009125 cr (0.82125 RUB)"), "{line}");
    let (_, out) = tokio::task::block_in_place(|| proxy.stop());
    assert!(
        out.contains("session: 1 request, 0.009125 cr = 0.82125 RUB"),
        "{out}"
    );
}

/// `doctor` probes the proxy each tool is set up with, with the token it is set up with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_flags_a_tool_set_up_with_a_placeholder_or_wrong_token() {
    let b = bench(5_000_000).await;
    let proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let doctor = || {
        let out = b
            .user
            .command()
            .env("HOME", home.path())
            .env("CODEX_HOME", home.path().join("codex"))
            .env("CODEXKEY_CLAUDE_BIN", home.path().join("no-claude-here"))
            .args(["doctor"])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = report
            .lines()
            .find(|l| l.contains(" claude "))
            .unwrap_or_else(|| panic!("{report}"))
            .to_owned();
        (out.status.code(), line, report)
    };
    let write = |token: &str| {
        std::fs::write(
            &settings,
            json!({"env": {"ANTHROPIC_BASE_URL": proxy.url, "ANTHROPIC_AUTH_TOKEN": token}})
                .to_string(),
        )
        .unwrap();
    };

    // What `setup` wrote before proxy tokens existed.
    write("codexkey-proxy");
    let (code, line, report) = tokio::task::block_in_place(doctor);
    assert_eq!(code, Some(0), "the tools are optional: {report}");
    assert_eq!(
        line,
        format!(
            "✗ claude     not installed, set up for the proxy on {} with the old placeholder token `codexkey-proxy`, which the proxy refuses",
            proxy.url
        ),
        "{report}"
    );
    assert!(
        report.contains("fix: `codexkey setup claude --port PORT`"),
        "{report}"
    );

    // A token that is not this user's.
    write("ckp_0000000000000000000000000000000000000000000");
    let (_, line, report) = tokio::task::block_in_place(doctor);
    assert_eq!(
        line,
        format!(
            "✗ claude     not installed, set up for the proxy on {}, which refuses the configured token",
            proxy.url
        ),
        "{report}"
    );

    // The real token: the proxy answers.
    write(&b.token);
    let (_, line, report) = tokio::task::block_in_place(doctor);
    assert_eq!(
        line,
        format!(
            "✓ claude     not installed, set up for the proxy on {}, which answers",
            proxy.url
        ),
        "{report}"
    );

    // Nothing listens where it is set up.
    let url = proxy.url.clone();
    drop(proxy);
    let (_, line, report) = tokio::task::block_in_place(doctor);
    assert_eq!(
        line,
        format!(
            "✗ claude     not installed, set up for the proxy on {url}, but nothing answers there"
        ),
        "{report}"
    );
}
