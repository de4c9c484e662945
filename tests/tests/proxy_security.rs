//! The local proxy spends money only for the user's own tools, and shows what the gateway
//! actually charged: the real `codexkey proxy` and `codexkey run` binaries in front of the real
//! gateway binary and a fake upstream.
//!
//! - Who may use the proxy: the per-user proxy token, loopback `Host` only, no `Origin`, no CORS
//!   preflight, JSON bodies only, bodies capped as the gateway caps them; each refusal in the
//!   caller's own error format, with nothing reaching the gateway or upstream.
//! - What `run` hands the tool: no `CODEXKEY_*` variable but the proxy token Codex needs.
//! - The proxy's figures are the gateway's: `GET /api/v1/requests/{id}` (owner only), streamed
//!   chat completions without `include_usage`, prices changed mid-session.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use codexkey_common::Micros;
use codexkey_tests::cli::CliUser;
use codexkey_tests::fake_upstream::{Script, Usage};
use codexkey_tests::http_client;
use codexkey_tests::proxy::{ProxyBench, ProxyProcess};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "a long proxy security test password";

/// The proxy's 401, as OpenAI clients get it.
fn openai_401() -> Value {
    json!({"error": {
        "message": "codexkey proxy: missing or wrong proxy token; start the tool with `codexkey run`, or set it up with `codexkey env` / `codexkey setup`",
        "type": "invalid_request_error", "param": null, "code": "invalid_proxy_token"
    }})
}

/// The proxy's 401, as Anthropic clients (Claude Code) get it.
fn anthropic_401() -> Value {
    json!({"type": "error", "error": {
        "type": "authentication_error",
        "message": "codexkey proxy: missing or wrong proxy token; start the tool with `codexkey run`, or set it up with `codexkey env` / `codexkey setup`"
    }})
}

fn openai_refusal(code: &str, message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})
}

fn anthropic_refusal(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

const HOST_REFUSED: &str =
    "codexkey proxy: only requests addressed to 127.0.0.1, localhost or [::1] are served";
const ORIGIN_REFUSED: &str = "codexkey proxy: requests from web pages are refused";
const NOT_JSON: &str = "codexkey proxy: the body must be JSON (`Content-Type: application/json`)";
const TOO_LARGE: &str = "codexkey proxy: the request body is larger than 64 MB";

fn script() -> Script {
    Script {
        events: 10,
        usage: Usage {
            input_tokens: 1200,
            cached_tokens: 0,
            cache_write_5m_tokens: 0,
            cache_write_1h_tokens: 0,
            output_tokens: 340,
            reasoning_tokens: 0,
        },
        ..Script::default()
    }
}

async fn bench() -> ProxyBench {
    ProxyBench::start(
        script(),
        "security@codexkey.test",
        PASSWORD,
        100_000_000,
        &[],
    )
    .await
}

/// One raw HTTP/1.1 exchange (`Connection: close`): status, lower-cased head, body.
fn raw(addr: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

/// The streamed chat completion of an SSE body, without `include_usage`: the text arrives and
/// no usage chunk does.
fn assert_chat_stream_without_usage(body: &str) {
    assert!(body.contains("data: [DONE]"), "{body}");
    assert!(
        !body.contains("\"prompt_tokens\""),
        "no usage reaches the client: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_users_own_tools_get_through_the_proxy() {
    let b = bench().await;
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let http = http_client();
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let messages = json!({"model": "claude-opus-4-8", "max_tokens": 10, "messages": []});

    // No token at all: 401, in each client's own format.
    let resp = http
        .post(format!("{}/v1/chat/completions", proxy.url))
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap(), openai_401());
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("anthropic-version", "2023-06-01")
        .json(&messages)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap(), anthropic_401());

    // A wrong token, the old constant placeholder, and the gateway key itself: 401 too.
    for wrong in [
        "ckp_0000000000000000000000000000000000000000000".to_owned(),
        "codexkey-proxy".to_owned(),
        b.secret.clone(),
        format!("{}x", b.token),
    ] {
        let resp = http
            .post(format!("{}/v1/chat/completions", proxy.url))
            .bearer_auth(&wrong)
            .json(&chat)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{wrong}");
        assert_eq!(resp.json::<Value>().await.unwrap(), openai_401());
        let resp = http
            .post(format!("{}/v1/messages", proxy.url))
            .header("x-api-key", &wrong)
            .json(&messages)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{wrong}");
        assert_eq!(resp.json::<Value>().await.unwrap(), anthropic_401());
    }

    // DNS rebinding: a foreign `Host`, even with the right token.
    let addr = proxy.addr();
    let body = chat.to_string();
    for host in [
        "evil.example",
        "evil.example:4141",
        "127.0.0.1.evil.example",
    ] {
        let (status, _, text) = tokio::task::block_in_place(|| {
            raw(
                &addr,
                format!(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    b.token,
                    body.len()
                )
                .as_bytes(),
            )
        });
        assert_eq!(status, 403, "{host}: {text}");
        assert_eq!(
            json_of(&text),
            openai_refusal("codexkey_proxy_host", HOST_REFUSED)
        );
    }
    // Every loopback spelling is served (here up to the gateway: `GET /v1/models`).
    for host in [
        addr.clone(),
        format!("localhost:{}", addr.rsplit(':').next().unwrap()),
    ] {
        let (status, _, text) = tokio::task::block_in_place(|| {
            raw(
                &addr,
                format!(
                    "GET /v1/models HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
                    b.token
                )
                .as_bytes(),
            )
        });
        assert_eq!(status, 200, "{host}: {text}");
    }

    // A web page: any `Origin`, and the CORS preflight a browser sends first.
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("origin", "https://evil.example")
        .json(&messages)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        anthropic_refusal("permission_error", ORIGIN_REFUSED)
    );
    let resp = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/chat/completions", proxy.url),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        resp.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        resp.headers()
    );
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        openai_refusal("codexkey_proxy_origin", ORIGIN_REFUSED)
    );
    // A preflight without `Origin` is refused too.
    let resp = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/chat/completions", proxy.url),
        )
        .bearer_auth(&b.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("access-control-allow-origin").is_none());

    // "Simple" cross-origin requests a page can send without a preflight: not JSON, 415.
    for (content_type, payload) in [
        ("text/plain", body.clone()),
        ("text/plain;charset=UTF-8", body.clone()),
        ("application/x-www-form-urlencoded", format!("x={body}")),
        (
            "multipart/form-data; boundary=XyZ",
            format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n{body}\r\n--XyZ--\r\n"
            ),
        ),
    ] {
        let resp = http
            .post(format!("{}/v1/chat/completions", proxy.url))
            .bearer_auth(&b.token)
            .header("content-type", content_type)
            .body(payload)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(
            resp.json::<Value>().await.unwrap(),
            openai_refusal("codexkey_proxy_content_type", NOT_JSON)
        );
    }
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("content-type", "text/plain")
        .body(messages.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        anthropic_refusal("invalid_request_error", NOT_JSON)
    );

    // Bodies over the gateway's 64 MB: refused from `Content-Length` before any is read …
    let (status, _, text) = tokio::task::block_in_place(|| {
        raw(
            &addr,
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {}\r\nContent-Type: application/json\r\nContent-Length: 314572800\r\nConnection: close\r\n\r\n{{\"model\":",
                b.token
            )
            .as_bytes(),
        )
    });
    assert_eq!(status, 413, "{text}");
    assert_eq!(
        json_of(&text),
        anthropic_refusal("request_too_large", TOO_LARGE)
    );
    let before = proxy.peak_memory();
    // … and, sent chunked without a length, as soon as the count passes the cap.
    let (status, text) = tokio::task::block_in_place(|| {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(
            format!(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                b.token
            )
            .as_bytes(),
        )
        .unwrap();
        let mut writer = s.try_clone().unwrap();
        let sender = std::thread::spawn(move || {
            let chunk = vec![b' '; 1024 * 1024];
            // 300 MB, or until the proxy hangs up.
            for _ in 0..300 {
                if writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|()| writer.write_all(&chunk))
                    .and_then(|()| writer.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let (status, _, text) = read_response(&mut s);
        drop(s);
        let _ = sender.join();
        (status, text)
    });
    assert_eq!(status, 413, "{text}");
    assert_eq!(
        json_of(&text),
        openai_refusal("codexkey_proxy_body_too_large", TOO_LARGE)
    );
    // It held no more than the 64 MB cap, of the 300 MB sent.
    let grew = proxy.peak_memory().saturating_sub(before);
    assert!(
        grew < 100 * 1024 * 1024,
        "the proxy's peak memory grew by {grew} bytes"
    );

    // Nothing of the above reached the gateway or upstream, and nothing was charged.
    assert_eq!(b.upstream.requests().len(), 0);
    assert!(b.charges().await.is_empty());
    let lines = tokio::task::block_in_place(|| proxy.drain());
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("chat/completions") && !l.contains("messages")),
        "the proxy forwarded nothing: {lines:?}"
    );

    // The user's tool, with the token: served and charged.
    let resp = http
        .post(format!("{}/v1/chat/completions", proxy.url))
        .bearer_auth(&b.token)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["object"],
        "chat.completion"
    );
    let resp = http
        .post(format!("{}/v1/messages", proxy.url))
        .header("x-api-key", &b.token)
        .header("anthropic-version", "2023-06-01")
        .json(&messages)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let _ = resp.bytes().await;
    assert_eq!(b.upstream.requests().len(), 2);
    let charged = b.charge_of(&request_id).await;
    assert!(charged > 0);
    let line = tokio::task::block_in_place(|| proxy.next_line("chat/completions"));
    assert!(line.contains(&format!(" {} cr", Micros(charged))), "{line}");
    // The gateway never sees the proxy token: it is not an API key anywhere.
    for r in b.upstream.requests() {
        assert!(r.headers.iter().all(|(_, v)| !v.contains(&b.token)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_hands_the_tool_no_codexkey_variable_but_its_proxy_token() {
    let b = bench().await;
    let dir = tempfile::tempdir().unwrap();
    for tool in ["claude", "codex"] {
        let dump = dir.path().join(format!("{tool}.env"));
        let settings_copy = dir.path().join(format!("{tool}.settings"));
        let fake = dir.path().join(format!("fake-{tool}"));
        // Records its environment, and for Claude Code the `--settings` file and its mode.
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nenv > '{}'\nif [ \"$1\" = --settings ]; then cat \"$2\" > '{}'; stat -c %a \"$2\" >> '{}'; fi\nexit 0\n",
                dump.display(),
                settings_copy.display(),
                settings_copy.display(),
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = tokio::task::block_in_place(|| {
            b.user
                .command()
                .env(
                    if tool == "claude" {
                        "CODEXKEY_CLAUDE_BIN"
                    } else {
                        "CODEXKEY_CODEX_BIN"
                    },
                    &fake,
                )
                .env("CODEXKEY_MASTER_KEY", "master-key-of-the-gateway")
                .env("CODEXKEY_ADMIN_PASSWORD", "admin-password-of-the-gateway")
                .env("CODEXKEY_TOKEN", "cks_session-token")
                .args(["run", tool, "--", "-p", "hi"])
                .output()
                .unwrap()
        });
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = std::fs::read_to_string(&dump).unwrap();
        let ours: Vec<&str> = env.lines().filter(|l| l.starts_with("CODEXKEY_")).collect();
        for secret in [
            "master-key-of-the-gateway",
            "admin-password-of-the-gateway",
            "cks_session-token",
            b.secret.as_str(),
        ] {
            assert!(!env.contains(secret), "{tool} got {secret}:\n{env}");
        }
        if tool == "claude" {
            assert_eq!(ours, Vec::<&str>::new(), "{env}");
            assert!(
                env.lines()
                    .any(|l| l == format!("ANTHROPIC_AUTH_TOKEN={}", b.token)),
                "{env}"
            );
            // The same in the private settings file that wins over ~/.claude/settings.json.
            let settings = std::fs::read_to_string(&settings_copy).unwrap();
            let (doc, mode) = settings.rsplit_once('}').unwrap();
            let doc = json_of(&format!("{doc}}}"));
            assert_eq!(doc["env"]["ANTHROPIC_AUTH_TOKEN"], b.token.as_str());
            assert!(
                doc["env"]["ANTHROPIC_BASE_URL"]
                    .as_str()
                    .unwrap()
                    .starts_with("http://127.0.0.1:")
            );
            assert_eq!(mode.trim(), "600");
        } else {
            // Codex reads the token from the variable its provider's `env_key` names.
            assert_eq!(
                ours,
                vec![format!("CODEXKEY_PROXY_TOKEN={}", b.token).as_str()],
                "{env}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requests_api_answers_the_owner_only() {
    let b = bench().await;
    let http = http_client();
    let resp = http
        .post(format!("{}/v1/chat/completions", b.gw.url))
        .bearer_auth(&b.secret)
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let _ = resp.bytes().await;
    let charged = b.charge_of(&request_id).await;

    let get = |key: Option<String>, id: String| {
        let mut req = http.get(format!("{}/api/v1/requests/{id}", b.gw.url));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get(Some(b.secret.clone()), request_id.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "request_id": request_id, "route": "chat.completions", "model": "gpt-4o-mini",
            "status": 200, "settlement": "final_usage",
            "input_tokens": body["input_tokens"], "cached_tokens": 0, "cache_write_tokens": 0,
            "output_tokens": 340, "reasoning_tokens": 0, "images": 0,
            "cost_micros": charged,
        })
    );
    assert_eq!(body["input_tokens"], 1200);

    // Another account's key: the same 404 as an id that never existed.
    let other = CliUser::new(&b.gw.url);
    let other_secret = tokio::task::block_in_place(|| {
        let r = other.run_with_stdin(
            &[
                "register",
                "--email",
                "other@codexkey.test",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(r.code, 0, "{r:?}");
        other.run(&["keys", "create", "--json"]).json()["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let (status, body) = get(Some(other_secret.clone()), request_id.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["error"]["message"],
        format!("no request `{request_id}` of this account")
    );
    let (status, body) = get(Some(b.secret.clone()), "req_unknown0000000001".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["error"]["message"],
        "no request `req_unknown0000000001` of this account"
    );
    // No key, a session token instead of a key, the proxy token: 401.
    let (status, _) = get(None, request_id.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(Some(b.token.clone()), request_id.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_chat_without_include_usage_shows_the_exact_charge() {
    let b = bench().await;
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let resp = http_client()
        .post(format!("{}/v1/chat/completions", proxy.url))
        .bearer_auth(&b.token)
        .json(&json!({"model": "gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_chat_stream_without_usage(&resp.text().await.unwrap());
    let charged = b.charge_of(&request_id).await;
    assert!(charged > 0);
    let line = tokio::task::block_in_place(|| proxy.next_line("chat/completions"));
    assert!(
        line.contains(&format!("in 1200 out 340  {} cr", Micros(charged))),
        "{line}"
    );
    assert!(!line.contains("client went away"), "{line}");
    let (code, out) = tokio::task::block_in_place(|| proxy.stop());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("session: 1 request, {} cr", Micros(charged))),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_changed_mid_session_show_in_the_next_line() {
    let b = bench().await;
    let mut proxy = tokio::task::block_in_place(|| ProxyProcess::start(&b.user, &[]));
    let http = http_client();
    let url = format!("{}/v1/chat/completions", proxy.url);
    let ask = || {
        http.post(&url)
            .bearer_auth(&b.token)
            .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    let resp = ask().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let first_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let _ = resp.bytes().await;
    let first = b.charge_of(&first_id).await;
    let line = tokio::task::block_in_place(|| proxy.next_line("chat/completions"));
    assert!(line.contains(&format!(" {} cr", Micros(first))), "{line}");

    // The operator raises the price while the proxy runs.
    let (status, body) = b
        .admin
        .send(
            b.admin
                .request(reqwest::Method::PUT, "/api/v1/admin/prices/gpt-4o-mini")
                .json(&json!({"provider": "openai", "mode": "chat", "price": {"input": 10_000_000, "output": 40_000_000}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = ask().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let second_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let _ = resp.bytes().await;
    let second = b.charge_of(&second_id).await;
    // 1200 × 10 + 340 × 40 credits per 1M tokens = 0.012 + 0.0136.
    assert_eq!(second, 25_600);
    assert_ne!(second, first);
    let line = tokio::task::block_in_place(|| proxy.next_line("chat/completions"));
    assert!(line.contains(&format!(" {} cr", Micros(second))), "{line}");
    let (_, out) = tokio::task::block_in_place(|| proxy.stop());
    assert!(
        out.contains(&format!(
            "session: 2 requests, {} cr",
            Micros(first + second)
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requests_api_says_409_while_the_request_still_streams() {
    let b = bench().await;
    // Ten events a second apart: the answer is still streaming after the 5 s wait.
    b.upstream.set_script(Script {
        event_delay: Duration::from_secs(1),
        ..script()
    });
    let other = CliUser::new(&b.gw.url);
    let other_secret = tokio::task::block_in_place(|| {
        let r = other.run_with_stdin(
            &[
                "register",
                "--email",
                "held@codexkey.test",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(r.code, 0, "{r:?}");
        other.run(&["keys", "create", "--json"]).json()["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let http = http_client();
    let resp = http
        .post(format!("{}/v1/chat/completions", b.gw.url))
        .bearer_auth(&b.secret)
        .json(&json!({"model": "gpt-4o-mini", "stream": true, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let url = format!("{}/api/v1/requests/{request_id}", b.gw.url);
    // Another account gets the 404 of an unknown id at once, held or not.
    let foreign = http
        .get(&url)
        .bearer_auth(&other_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let started = std::time::Instant::now();
    let pending = http.get(&url).bearer_auth(&b.secret).send().await.unwrap();
    assert_eq!(pending.status(), StatusCode::CONFLICT);
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert_eq!(
        pending.json::<Value>().await.unwrap(),
        json!({"error": {"type": "conflict", "message": format!(
            "request `{request_id}` is not settled yet; ask again when its answer has ended"
        )}})
    );
    let _ = resp.text().await.unwrap();
    let settled = http.get(&url).bearer_auth(&b.secret).send().await.unwrap();
    assert_eq!(settled.status(), StatusCode::OK);
    let body = settled.json::<Value>().await.unwrap();
    assert_eq!(body["settlement"], "final_usage");
    assert_eq!(
        body["cost_micros"].as_i64().unwrap(),
        b.charge_of(&request_id).await
    );
}
