//! End to end on PostgreSQL: the real `codexkey gateway` process with `CODEXKEY_DATABASE_URL`
//! pointing at a fresh schema of the test PostgreSQL, the real CLI and a fake upstream. A user
//! registers, is funded by an admin adjustment, makes metered requests (plain and streamed);
//! the balance, the usage report and the ledger check agree, and the rows are in PostgreSQL,
//! not in a SQLite file. Also: an unreachable database stops the gateway with a clear error,
//! `--print-config` masks the URL's password, and a backup points to `pg_dump`. The CLI's
//! usage sync and report work against it, and a restart after `kill -9` finds the money as it
//! was, a stream's hold left by the crash settled by the crash rule. A top-up through (a fake)
//! Stripe whose webhook is delivered several times at once is credited once; two-factor login,
//! sessions and a password change work on it as on SQLite.
//!
//! Needs the test PostgreSQL (`CODEXKEY_TEST_POSTGRES_URL`, else 127.0.0.1:5432 `test`):
//! without it the test fails saying so, it does not skip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_tests::cli::{
    ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess, USER_EMAIL, USER_PASSWORD, command,
};
use codexkey_tests::fake_upstream::{FakeUpstream, Script};
use codexkey_tests::{ApiClient, http_client, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::json;

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_postgres_meters_reports_and_balances() {
    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let upstream = FakeUpstream::start().await;
    let url = schema.url();
    let gw = block(|| {
        GatewayProcess::start_with_upstream(
            upstream.base_url(),
            &[("CODEXKEY_DATABASE_URL", url.as_str())],
        )
    });
    let user = block(|| CliUser::registered(&gw));
    let admin = block(|| CliUser::admin(&gw));
    let key = block(|| user.run(&["keys", "create", "--name", "pg", "--json"])).json();
    let secret = key["secret"].as_str().unwrap().to_owned();
    let adjusted = block(|| {
        admin.run(&[
            "admin", "adjust", USER_EMAIL, "10", "--reason", "welcome", "--json",
        ])
    })
    .json();
    assert_eq!(adjusted["entry"]["amount_micros"], 10_000_000);

    // Three plain requests and one streamed, each metered.
    let http = http_client();
    for stream in [false, false, false, true] {
        let resp = http
            .post(format!("{}/v1/chat/completions", gw.url))
            .bearer_auth(&secret)
            .json(&json!({"model": "gpt-4o-mini", "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let _ = resp.bytes().await.unwrap();
    }

    // A report flushes the metering writer: every charge is in the database after it.
    let api = ApiClient::login(&gw.url, USER_EMAIL, USER_PASSWORD).await;
    let (status, report) = api.get("/api/v1/usage?group_by=model").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let totals = &report["totals"];
    assert_eq!(totals["requests"], 4, "{report}");
    let cost = totals["cost_micros"].as_i64().unwrap();
    assert!(cost > 0, "{report}");
    assert_eq!(report["groups"][0]["model"], "gpt-4o-mini", "{report}");

    let balance = block(|| user.run(&["balance", "--json"])).json();
    assert_eq!(balance["balance_micros"], 10_000_000 - cost, "{balance}");
    assert_eq!(balance["held_micros"], 0, "{balance}");
    let ledger = block(|| user.run(&["ledger", "--json"])).json();
    let entries = ledger["entries"].as_array().unwrap();
    let charges: Vec<i64> = entries
        .iter()
        .filter(|e| e["kind"] == "charge")
        .map(|e| e["amount_micros"].as_i64().unwrap())
        .collect();
    assert_eq!(charges.len(), 4, "{ledger}");
    assert_eq!(charges.iter().sum::<i64>(), -cost);
    let (status, events) = api.get("/api/v1/usage/events").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(4),
        "{events}"
    );

    let check = block(|| admin.run(&["admin", "verify-ledger", "--json"])).json();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["mismatches"].as_array().map(Vec::len), Some(0));

    // The rows are PostgreSQL's: the schema holds them, and no SQLite file was made.
    let db = scratch::connect(&url).await;
    let row = db
        .query_one(
            "SELECT (SELECT COUNT(*) FROM ledger_entries WHERE kind = 'charge'),
                    (SELECT COUNT(*) FROM usage_events),
                    (SELECT balance_micros FROM accounts WHERE email = $1),
                    (SELECT MIN(balance_after_micros) FROM ledger_entries)",
            &[&USER_EMAIL],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 4);
    assert_eq!(row.get::<_, i64>(1), 4);
    assert_eq!(row.get::<_, i64>(2), 10_000_000 - cost);
    assert!(row.get::<_, i64>(3) >= 0, "no balance went below zero");
    assert!(
        !gw.data_dir.join("codexkey.db").exists(),
        "a PostgreSQL gateway writes no SQLite file"
    );

    // The CLI syncs the events into its cache through the event pages and reports from it:
    // the same totals as the gateway's own report.
    let sync = block(|| user.run_env(&["usage", "sync", "--json"], &[("TZ", "UTC")])).json();
    assert_eq!(sync["cached_events"], 4, "{sync}");
    let mine = block(|| user.run_env(&["usage", "--json"], &[("TZ", "UTC")])).json();
    assert_eq!(mine["totals"]["requests"], 4, "{mine}");
    assert_eq!(mine["totals"]["cost_micros"], cost, "{mine}");

    // A backup is PostgreSQL's own tool's job; the refusal says which.
    let admin_api = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, body) = admin_api.post_empty("/api/v1/admin/backup").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("pg_dump"), "{body}");

    // kill -9 and a start on the same database: the migrations find nothing to do, and the
    // money is where it was.
    let gw = block(|| gw.kill9().start_again());
    let admin = block(|| CliUser::admin(&gw));
    let check = block(|| admin.run(&["admin", "verify-ledger", "--json"])).json();
    assert_eq!(check["ok"], true, "{check}");
    let session = ApiClient::login(&gw.url, USER_EMAIL, USER_PASSWORD).await;
    let (status, me) = session.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["balance_micros"], 10_000_000 - cost, "{me}");
}

#[test]
fn an_unreachable_database_stops_the_gateway_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = command()
        .args(["gateway", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        // Port 1: nothing listens there.
        .env(
            "CODEXKEY_DATABASE_URL",
            "postgres://ck:hunter2-secret@127.0.0.1:1/codexkey?sslmode=disable",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot reach PostgreSQL at 127.0.0.1:1/codexkey"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn print_config_masks_the_database_password() {
    let out = command()
        .args(["gateway", "--print-config"])
        .env(
            "CODEXKEY_DATABASE_URL",
            "postgres://ck:hunter2-secret@db.internal:5432/codexkey?sslmode=require",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("postgres://ck:*****@db.internal:5432/codexkey?sslmode=require"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

/// `kill -9` with a stream in flight, then a start on the same PostgreSQL schema: the killed
/// process's lease expires, the hold the crash left is settled by the crash rule when the new
/// process ends the lease, nothing is held or leased any more, and the ledger check passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_then_restart_reconciles_the_hold() {
    use futures_util::StreamExt as _;
    use std::time::Duration;

    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let upstream = FakeUpstream::start().await;
    upstream.set_script(Script {
        events: 200,
        event_delay: Duration::from_millis(20),
        ..Script::default()
    });
    let gw = block(|| {
        GatewayProcess::start_with_upstream(
            upstream.base_url(),
            &[
                ("CODEXKEY_DATABASE_URL", url.as_str()),
                ("CODEXKEY_METERING__LEASE_TTL_MS", "1000"),
            ],
        )
    });
    let user = block(|| CliUser::registered(&gw));
    let key = block(|| user.run(&["keys", "create", "--json"])).json();
    let secret = key["secret"].as_str().unwrap().to_owned();
    let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin.fund(USER_EMAIL, 100_000_000, "test").await;

    let resp = http_client()
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(&secret)
        .json(
            &json!({"model": "gpt-5.5", "stream": true, "max_tokens": 1000,
                      "messages": [{"role": "user", "content": "x".repeat(4000)}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let mut stream = resp.bytes_stream();
    stream.next().await.unwrap().unwrap();
    // The group commit makes the hold durable within milliseconds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = block(|| gw.kill9());
    drop(stream);
    let db = scratch::connect(&url).await;
    let count = |sql: &'static str| {
        let db = &db;
        async move { db.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM holds").await,
        1,
        "the hold survived"
    );

    let gw = block(|| stopped.start_again());
    // The new process is another replica: the hold is its predecessor's, settled when the
    // predecessor's lease has expired and a sweep ends it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count("SELECT COUNT(*) FROM holds").await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the hold was never settled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        count("SELECT COALESCE(SUM(leased_micros), 0)::bigint FROM accounts").await,
        0,
        "the lease's unspent part returned"
    );
    assert_eq!(
        count("SELECT COALESCE(SUM(held_micros), 0)::bigint FROM accounts").await,
        0
    );
    let row = db
        .query_one(
            "SELECT settlement, cost_micros FROM usage_events WHERE request_id = $1",
            &[&request_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "crash_reconciled");
    assert!(row.get::<_, i64>(1) > 0, "charged the estimated input");
    let admin = block(|| CliUser::admin(&gw));
    let check = block(|| admin.run(&["admin", "verify-ledger", "--json"])).json();
    assert_eq!(check["ok"], true, "{check}");
}

/// Top-ups through Stripe on PostgreSQL: the CLI buys credit, the signed webhook is delivered
/// five times at once and a second event for the same paid session follows; the order is
/// credited once, the event recorded once, and the ledger check passes. The CLI's user is
/// logged in through a session kept in PostgreSQL, which the order listing then uses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_postgres_credits_a_stripe_order_once() {
    use codexkey_tests::fake_stripe::{self, FakeStripe};
    use codexkey_tests::stripe_signer::StripeSigner;

    const WHSEC: &str = "whsec_codexkeyTestPrimarySecret0123456789";
    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let stripe = FakeStripe::start().await;
    let signer = StripeSigner::start().await;
    let gw = block(|| {
        GatewayProcess::start_with_env(&[
            ("CODEXKEY_DATABASE_URL", url.as_str()),
            (
                "CODEXKEY_BILLING__STRIPE_SECRET_KEY",
                fake_stripe::SECRET_KEY,
            ),
            ("CODEXKEY_BILLING__STRIPE_WEBHOOK_SECRET", WHSEC),
            ("CODEXKEY_BILLING__STRIPE_API_BASE", stripe.base_url()),
            ("CODEXKEY_BILLING__SUCCESS_URL", "https://gw.example/done"),
            (
                "CODEXKEY_BILLING__CANCEL_URL",
                "https://gw.example/cancelled",
            ),
        ])
    });
    let user = block(|| CliUser::registered(&gw));
    let admin = block(|| CliUser::admin(&gw));
    let bought = block(|| user.run(&["--json", "topup", "--amount", "12.5"])).json();
    assert_eq!(bought["order"]["state"], "pending", "{bought}");
    let order_id = bought["order"]["id"].as_i64().unwrap();
    let checkout = bought["checkout_url"].as_str().unwrap();
    let session = stripe.set_session(checkout.rsplit('/').next().unwrap(), "complete", "paid");

    let http = http_client();
    let deliver = |payload: String| {
        let (http, signer, gw_url) = (http.clone(), &signer, gw.url.clone());
        async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let header = signer
                .sign(&payload, WHSEC, i64::try_from(now).unwrap())
                .await;
            http.post(format!("{gw_url}/api/v1/billing/stripe/webhook"))
                .header("content-type", "application/json")
                .header("Stripe-Signature", header)
                .body(payload)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let paid = fake_stripe::event("evt_pg_paid", "checkout.session.completed", &session);
    let answers = futures_util::future::join_all((0..5).map(|_| deliver(paid.clone()))).await;
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    let again = fake_stripe::event("evt_pg_again", "checkout.session.completed", &session);
    assert_eq!(deliver(again).await, StatusCode::OK);

    let balance = block(|| user.run(&["balance", "--json"])).json();
    assert_eq!(balance["balance_micros"], 12_500_000, "{balance}");
    let orders = block(|| user.run(&["orders", "--json"])).json();
    assert!(orders.to_string().contains("\"paid\""), "{orders}");
    let check = block(|| admin.run(&["admin", "verify-ledger", "--json"])).json();
    assert_eq!(check["ok"], true, "{check}");

    // In PostgreSQL: the order paid by one payment entry of its amount, the paying event
    // recorded once.
    let db = scratch::connect(&url).await;
    let row = db
        .query_one(
            "SELECT o.state, l.kind, l.amount_micros,
                    (SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment'),
                    (SELECT COUNT(*) FROM provider_events WHERE event_id = 'evt_pg_paid'),
                    (SELECT COUNT(*) FROM sessions)
             FROM orders o JOIN ledger_entries l ON l.id = o.ledger_id WHERE o.id = $1",
            &[&order_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "paid");
    assert_eq!(row.get::<_, &str>(1), "payment");
    assert_eq!(row.get::<_, i64>(2), 12_500_000);
    assert_eq!(row.get::<_, i64>(3), 1, "one payment entry");
    assert_eq!(row.get::<_, i64>(4), 1, "the event is recorded once");
    assert!(
        row.get::<_, i64>(5) >= 2,
        "the logins' sessions are PostgreSQL's"
    );
}

/// pyotp's code `offset` steps from now, off the runtime's thread (it may wait for a step).
async fn totp_code(secret: &str, offset: i64) -> String {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || codexkey_tests::totp::code(&secret, offset))
        .await
        .unwrap()
}

async fn login_second_step(
    client: &ApiClient,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    client.post("/api/v1/auth/login/2fa", &body).await
}

/// Two-factor login and sessions on PostgreSQL, through the API with codes from pyotp: enrol
/// and confirm, a challenge and a code log in, the same code is refused again, a recovery code
/// logs in once, and a password change ends the other sessions but the one that asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_login_and_sessions_on_postgres() {
    use codexkey_common::Secret;
    use codexkey_tests::{TestGateway, USER_PASSWORD};

    install_crypto_provider();
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let gw = TestGateway::start_with(|c| {
        c.master_key = Some(Secret::new(codexkey_tests::totp::MASTER_KEY.to_owned()));
        c.database_url = Some(url.clone());
    })
    .await;
    let alice = gw.new_user("alice@example.com").await;
    let elsewhere = gw.login("alice@example.com", USER_PASSWORD).await;
    let (status, body) = alice
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    let (status, body) = alice
        .post(
            "/api/v1/account/2fa/confirm",
            &json!({ "code": totp_code(&secret, -1).await }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let recovery = body["recovery_codes"][0].as_str().unwrap().to_owned();
    assert_eq!(alice.get("/api/v1/account").await.1["two_factor"], true);

    let challenge = || async {
        let (status, body) = gw
            .client()
            .post(
                "/api/v1/auth/login",
                &json!({ "email": "alice@example.com", "password": USER_PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["two_factor_required"], true, "{body}");
        body["challenge"].as_str().unwrap().to_owned()
    };
    let anonymous = gw.client();
    let second = |body: serde_json::Value| login_second_step(&anonymous, body);
    let now = totp_code(&secret, 0).await;
    let c = challenge().await;
    let (status, body) = second(json!({ "challenge": c, "code": now })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = second(json!({ "challenge": c, "code": now })).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a challenge serves once: {body}"
    );
    let (status, body) = second(json!({ "challenge": challenge().await, "code": now })).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a code serves once: {body}"
    );
    let (status, body) =
        second(json!({ "challenge": challenge().await, "recovery_code": recovery })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        second(json!({ "challenge": challenge().await, "recovery_code": recovery })).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a recovery code serves once: {body}"
    );

    // Four sessions are open (the first login, `elsewhere` and the two second steps); the
    // password change ends the three others.
    let (status, sessions) = alice.get("/api/v1/account/sessions").await;
    assert_eq!(status, StatusCode::OK, "{sessions}");
    assert_eq!(sessions.as_array().map(Vec::len), Some(4), "{sessions}");
    let (status, body) = alice
        .post(
            "/api/v1/account/password",
            &json!({ "current_password": USER_PASSWORD,
                     "new_password": "a quite different passphrase 42" }),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "sessions_revoked": 3 }))
    );
    assert_eq!(
        elsewhere.get("/api/v1/account").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(alice.get("/api/v1/account").await.0, StatusCode::OK);

    // In PostgreSQL: one confirmed enrolment, not holding the secret's text, and nine
    // recovery codes left.
    let db = scratch::connect(&url).await;
    let row = db
        .query_one(
            "SELECT t.confirmed_at IS NOT NULL, position($1::bytea IN t.secret_sealed),
                    (SELECT COUNT(*) FROM recovery_codes WHERE used_at IS NULL)
             FROM account_totp t",
            &[&secret.as_bytes()],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(
        row.get::<_, i32>(1),
        0,
        "the secret's text is not in the row"
    );
    assert_eq!(row.get::<_, i64>(2), 9);
}
