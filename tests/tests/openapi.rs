//! The OpenAPI document at `/api/v1/openapi.json`, checked from outside the gateway: fetched over
//! HTTP from a running gateway, validated by `openapi-spec-validator` (PyPI, in the venv that
//! `scripts/setup-python.sh` makes at `.tools/venv`), and compared with real answers: each is
//! validated against the schema the document gives its operation and status
//! (`tests/python/openapi_responses.py`).
//!
//! That every route is in the document, and nothing else, is the gateway's own unit test
//! (`http::openapi`); here a few concrete facts are checked on the served copy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use codexkey_tests::{ADMIN_EMAIL, TestGateway, USER_PASSWORD, http_client};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long one validator run may take before the test fails instead of hanging.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(120);

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
         with openapi-spec-validator",
        python.display()
    );
    python
}

/// Runs the venv's Python with `args` in an environment holding only what Python needs, and
/// returns its stdout; a non-zero exit fails the test with both outputs.
async fn python(args: &[&std::ffi::OsStr]) -> String {
    let python = venv_python();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(&python);
    cmd.args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONNOUSERSITE", "1")
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
    let out = tokio::time::timeout(PYTHON_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("python {args:?} did not finish in {PYTHON_TIMEOUT:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python {args:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    stdout
}

/// `GET /api/v1/openapi.json` without credentials: its bytes, checked to be served as JSON.
async fn fetch_document(gw: &TestGateway) -> Vec<u8> {
    let resp = http_client()
        .get(format!("{}/api/v1/openapi.json", gw.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    resp.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_passes_openapi_spec_validator() {
    let gw = TestGateway::start().await;
    let bytes = fetch_document(&gw).await;
    // Built once: every request gets the same document.
    assert_eq!(fetch_document(&gw).await, bytes);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &bytes).unwrap();
    let out = python(&[
        "-m".as_ref(),
        "openapi_spec_validator".as_ref(),
        "--validation-errors".as_ref(),
        "all".as_ref(),
        file.as_os_str(),
    ])
    .await;
    assert!(out.trim_end().ends_with(": OK"), "{out}");

    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let methods = |path: &str| -> Vec<&str> {
        let mut m: Vec<&str> = doc["paths"][path]
            .as_object()
            .unwrap_or_else(|| panic!("no {path} in the document"))
            .keys()
            .map(String::as_str)
            .collect();
        m.sort_unstable();
        m
    };
    assert_eq!(methods("/api/v1/keys"), ["get", "post"]);
    assert_eq!(methods("/api/v1/keys/{id}"), ["delete", "get", "patch"]);
    assert_eq!(methods("/v1/responses"), ["get", "post"]);
    assert_eq!(methods("/api/v1/openapi.json"), ["get"]);

    let list_keys = &doc["paths"]["/api/v1/keys"]["get"];
    assert_eq!(list_keys["security"], json!([{"session": []}]));
    assert_eq!(
        list_keys["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["required"],
        json!(["error"])
    );
    // Requests refuse unknown fields, and the document says so.
    assert_eq!(
        doc["components"]["schemas"]["CreateKeyRequest"]["additionalProperties"],
        false
    );
    // The document itself and the public endpoints need no credentials.
    for (path, method) in [
        ("/api/v1/openapi.json", "get"),
        ("/api/v1/pricing", "get"),
        ("/healthz", "get"),
        ("/api/v1/auth/login", "post"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["security"],
            Value::Null,
            "{path}"
        );
    }
    // The data plane takes a gateway key either way a client sends one.
    assert_eq!(
        doc["paths"]["/v1/messages"]["post"]["security"],
        json!([{"api_key": []}, {"api_key_header": []}])
    );
    gw.stop().await;
}

/// One answer of the gateway for `openapi_responses.py`, after checking it has the status the
/// test meant to reach (or the run would check less than it claims).
fn sample(method: &str, path: &str, expected: u16, reply: (StatusCode, Value)) -> Value {
    assert_eq!(reply.0.as_u16(), expected, "{method} {path}: {}", reply.1);
    json!({"method": method, "path": path, "status": expected, "body": reply.1})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_schemas_the_document_gives_them() {
    let gw = TestGateway::start().await;
    let anon = gw.client();
    let admin = gw.admin().await;
    let user = gw.new_user("alice@example.com").await;
    admin
        .fund("alice@example.com", 5_000_000, "a first top-up")
        .await;
    let new_key = json!({"name": "laptop", "allowed_models": ["gpt-5.5"], "budget_micros": 1_000_000, "rpm_limit": 60});
    let first = user.post("/api/v1/keys", &new_key).await;
    let second = user.post("/api/v1/keys", &json!({})).await;
    let first_key = format!("/api/v1/keys/{}", first.1["key"]["id"]);
    let second_key = format!("/api/v1/keys/{}", second.1["key"]["id"]);
    let set_price = admin
        .request(Method::PUT, "/api/v1/admin/prices/house-model")
        .json(&json!({"provider": "openai", "price": {"input": 1_000_000, "output": 4_000_000}}));

    let samples =
        vec![
        sample("get", "/healthz", 200, anon.get("/healthz").await),
        sample("get", "/readyz", 200, anon.get("/readyz").await),
        sample("get", "/api/v1/pricing", 200, anon.get("/api/v1/pricing").await),
        sample("get", "/api/v1/currencies", 200, anon.get("/api/v1/currencies").await),
        sample("get", "/api/v1/keys", 401, anon.get("/api/v1/keys").await),
        sample(
            "get",
            "/api/v1/requests/{request_id}",
            401,
            anon.get("/api/v1/requests/req-unknown").await,
        ),
        sample(
            "post",
            "/api/v1/auth/register",
            201,
            anon.post(
                "/api/v1/auth/register",
                &json!({"email": "bob@example.com", "password": USER_PASSWORD, "language": "ru"}),
            )
            .await,
        ),
        sample(
            "post",
            "/api/v1/auth/login",
            200,
            anon.post(
                "/api/v1/auth/login",
                &json!({"email": "bob@example.com", "password": USER_PASSWORD}),
            )
            .await,
        ),
        sample(
            "post",
            "/api/v1/auth/login",
            401,
            anon.post(
                "/api/v1/auth/login",
                &json!({"email": "bob@example.com", "password": "not his password"}),
            )
            .await,
        ),
        sample("post", "/api/v1/keys", 201, first),
        sample("get", "/api/v1/account", 200, user.get("/api/v1/account").await),
        sample(
            "patch",
            "/api/v1/account",
            400,
            user.patch("/api/v1/account", &json!({"currency": "EUR", "colour": "blue"}))
                .await,
        ),
        sample("get", "/api/v1/keys", 200, user.get("/api/v1/keys").await),
        sample("get", "/api/v1/keys/{id}", 200, user.get(&first_key).await),
        sample(
            "get",
            "/api/v1/keys/{id}",
            404,
            user.get("/api/v1/keys/999999").await,
        ),
        sample(
            "patch",
            "/api/v1/keys/{id}",
            200,
            user.patch(&first_key, &json!({"name": null, "expires_at": "2031-01-01T00:00:00Z"}))
                .await,
        ),
        sample("delete", "/api/v1/keys/{id}", 200, user.delete(&first_key).await),
        sample(
            "post",
            "/api/v1/keys/{id}/rotate",
            201,
            user.post_empty(&format!("{second_key}/rotate")).await,
        ),
        sample("get", "/api/v1/balance", 200, user.get("/api/v1/balance").await),
        sample("get", "/api/v1/ledger", 200, user.get("/api/v1/ledger").await),
        // Without Stripe configured (billing_stripe.rs drives the paid paths).
        sample(
            "post",
            "/api/v1/topup",
            409,
            user.post("/api/v1/topup", &json!({"amount_micros": 10_000_000})).await,
        ),
        sample("get", "/api/v1/orders", 200, user.get("/api/v1/orders").await),
        sample("get", "/api/v1/orders/{id}", 404, user.get("/api/v1/orders/1").await),
        sample(
            "get",
            "/api/v1/admin/orders",
            200,
            admin.get("/api/v1/admin/orders?state=pending").await,
        ),
        sample(
            "post",
            "/api/v1/admin/orders/sweep",
            200,
            admin.post_empty("/api/v1/admin/orders/sweep").await,
        ),
        sample(
            "post",
            "/api/v1/billing/stripe/webhook",
            404,
            anon.post("/api/v1/billing/stripe/webhook", &json!({})).await,
        ),
        sample(
            "get",
            "/api/v1/usage",
            200,
            user.get("/api/v1/usage?group_by=day,model").await,
        ),
        sample(
            "get",
            "/api/v1/usage/events",
            200,
            user.get("/api/v1/usage/events?count=true").await,
        ),
        sample(
            "get",
            "/api/v1/usage/summary",
            200,
            user.get("/api/v1/usage/summary?tz=%2B03:00").await,
        ),
        sample("get", "/api/v1/admin/users", 403, user.get("/api/v1/admin/users").await),
        sample("get", "/api/v1/admin/users", 200, admin.get("/api/v1/admin/users").await),
        sample(
            "get",
            "/api/v1/admin/users/{account}",
            200,
            admin.get("/api/v1/admin/users/alice@example.com").await,
        ),
        sample(
            "get",
            "/api/v1/admin/users/{account}/ledger",
            200,
            admin
                .get("/api/v1/admin/users/alice@example.com/ledger?limit=10")
                .await,
        ),
        sample(
            "post",
            "/api/v1/admin/users/{account}/adjust",
            200,
            admin
                .post(
                    "/api/v1/admin/users/alice@example.com/adjust",
                    &json!({"amount_micros": -250_000, "reason": "a correction"}),
                )
                .await,
        ),
        sample(
            "post",
            "/api/v1/admin/users/{account}/suspend",
            409,
            admin
                .post_empty(&format!("/api/v1/admin/users/{ADMIN_EMAIL}/suspend"))
                .await,
        ),
        sample(
            "get",
            "/api/v1/admin/ledger/verify",
            200,
            admin.get("/api/v1/admin/ledger/verify").await,
        ),
        sample("get", "/api/v1/admin/audit", 200, admin.get("/api/v1/admin/audit").await),
        sample(
            "get",
            "/api/v1/admin/upstreams",
            200,
            admin.get("/api/v1/admin/upstreams").await,
        ),
        sample("put", "/api/v1/admin/prices/{model}", 200, admin.send(set_price).await),
    ];
    // A session after logout: 204 (no body to check), then the refusal.
    let (status, _) = user.post_empty("/api/v1/auth/logout").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut samples = samples;
    samples.push(sample(
        "get",
        "/api/v1/account",
        401,
        user.get("/api/v1/account").await,
    ));

    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("openapi.json");
    std::fs::write(&doc, fetch_document(&gw).await).unwrap();
    let file = dir.path().join("samples.json");
    std::fs::write(&file, serde_json::to_vec(&samples).unwrap()).unwrap();
    let script = repo_root().join("tests/python/openapi_responses.py");
    let out = python(&[script.as_os_str(), doc.as_os_str(), file.as_os_str()]).await;
    assert_eq!(out.trim(), format!("ok: {} samples", samples.len()));
    gw.stop().await;
}

/// The schema check can fail: an answer that breaks its schema, or a status the document does
/// not list, is reported with where and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_fails_the_schema_check() {
    let gw = TestGateway::start().await;
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("openapi.json");
    std::fs::write(&doc, fetch_document(&gw).await).unwrap();
    let file = dir.path().join("samples.json");
    let samples = json!([
        {"method": "get", "path": "/healthz", "status": 200, "body": {"status": "ok"}},
        {"method": "get", "path": "/healthz", "status": 418, "body": {}},
    ]);
    std::fs::write(&file, serde_json::to_vec(&samples).unwrap()).unwrap();
    let script = repo_root().join("tests/python/openapi_responses.py");
    let mut cmd = tokio::process::Command::new(venv_python());
    cmd.arg(&script).arg(&doc).arg(&file).env_clear();
    if let Some(path_var) = std::env::var_os("PATH") {
        cmd.env("PATH", path_var);
    }
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "GET /healthz 200: at (the body): 'version' is a required property",
            "GET /healthz 418: the document lists no such status",
        ]
    );
    gw.stop().await;
}
