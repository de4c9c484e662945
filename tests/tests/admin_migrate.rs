//! `codexkey admin migrate`: a SQLite deployment moved to PostgreSQL by the real binary.
//!
//! A gateway on SQLite is given a rich history through its API: accounts (one admin, one with
//! two-factor login, one referred by another), keys (one rotated), metered requests through
//! the fake upstream (usage events, rollups, charges), admin adjustments and a bonus, a batch
//! of redemption codes with one redeemed, a price override and a coefficient, an upstream
//! stored with its sealed key, an invitation, a reset link, sessions. It is stopped, and
//! `admin migrate` copies it into a fresh PostgreSQL schema: every table has as many rows on
//! both sides and the ledger check passes. A gateway started on the copy then has the same
//! balances to the micro-credit, the same usage report, the same passwords, TOTP secrets and
//! API keys (the old key proxies and is charged), and gives new rows fresh ids.
//!
//! Refused, changing nothing: a second migration into the same (now full) target (exit 3), a
//! source with holds a crash left, a source whose schema is behind, URLs that are not a
//! database's (never echoing a password). A source whose ledger the target's guards refuse
//! leaves the target without a single row: the copy is one transaction.
//!
//! Needs the test PostgreSQL (`CODEXKEY_TEST_POSTGRES_URL`, else 127.0.0.1:5432 `test`).
//!
//! Not in the deployment: orders, refunds, provider events and referral commissions, which
//! need a payment provider; their tables are copied all the same (empty here).

#![expect(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, Utc};
use codexkey_common::Secret;
use codexkey_gateway::store::postgres::scratch::{self, ScratchSchema};
use codexkey_tests::cli::{Run, command};
use codexkey_tests::fixtures::{CHAT_COST, CREDITS_100, chat_usage, messages_usage};
use codexkey_tests::plane::{Plane, upstreams};
use codexkey_tests::totp::MASTER_KEY;
use codexkey_tests::{ApiClient, TestGateway, USER_PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";

/// Runs the real `codexkey` with `args`, off the runtime's threads.
async fn codexkey(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let out = command().args(&args).output().expect("run codexkey");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

async fn migrate(db: &Path, url: &str) -> Run {
    let from = format!("sqlite://{}", db.display());
    codexkey(&["admin", "migrate", "--from", &from, "--to", url, "--json"]).await
}

/// The code an authenticator shows for `secret` (base32) at `unix_secs`.
fn totp_code(secret: &str, unix_secs: u64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .unwrap()
        .as_bytes()
        .to_vec();
    totp_rs::Builder::new()
        .with_secret(bytes)
        .with_account_name(ALICE)
        .with_issuer(Some("codexkey"))
        .build()
        .unwrap()
        .generate(unix_secs)
        .to_string()
}

fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap()
}

async fn ok(client: &ApiClient, path: &str, body: Value) -> Value {
    let (status, reply) = client.post(path, &body).await;
    assert!(status.is_success(), "{path}: {status} {reply}");
    reply
}

async fn chat(p_http: &reqwest::Client, base: &str, key: &str) -> StatusCode {
    let resp = p_http
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": "gpt-5.5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let _ = resp.bytes().await.unwrap();
    status
}

/// Every account's `(email, balance_micros)`, as the admin lists them.
async fn balances(admin: &ApiClient) -> BTreeMap<String, i64> {
    let (status, users) = admin.get("/api/v1/admin/users").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_owned(),
                u["balance_micros"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Rows of each table in the PostgreSQL schema `url` puts first.
async fn pg_counts(url: &str, tables: &[String]) -> BTreeMap<String, i64> {
    let client = scratch::connect(url).await;
    let mut counts = BTreeMap::new();
    for t in tables {
        let n: i64 = client
            .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])
            .await
            .unwrap()
            .get(0);
        counts.insert(t.clone(), n);
    }
    counts
}

/// The base tables of the schema `url` puts first.
async fn pg_tables(url: &str) -> Vec<String> {
    let client = scratch::connect(url).await;
    client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn balance_of(user: &ApiClient) -> i64 {
    let (status, b) = user.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b["balance_micros"].as_i64().unwrap()
}

/// The largest id of `table` in the SQLite database.
fn max_id(db: &rusqlite::Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT MAX(id) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_moves_to_postgresql_whole() {
    if codexkey_tests::sqlite_only(
        "it moves a SQLite deployment to PostgreSQL, which the SQLite pass already runs in full",
    ) {
        return;
    }
    // A rich deployment on SQLite.
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.master_key = Some(Secret::new(MASTER_KEY.to_owned()));
    })
    .await;
    p.upstream.update_script(|s| s.usage = chat_usage());
    for _ in 0..3 {
        assert_eq!(chat(&p.http, p.gw.base_url(), &p.key).await, StatusCode::OK);
    }
    p.upstream.update_script(|s| s.usage = messages_usage());
    let resp = p
        .post_anthropic(
            "/v1/messages",
            &json!({"model": "claude-opus-4-8", "max_tokens": 100,
                    "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let _ = resp.bytes().await.unwrap();
    p.upstream.update_script(|s| s.usage = chat_usage());

    // A second key, rotated; a bonus; a redemption code batch, one code redeemed by Bob.
    let spare = ok(&p.user, "/api/v1/keys", json!({ "name": "spare" })).await;
    let spare_id = spare["key"]["id"].as_i64().unwrap();
    ok(
        &p.user,
        &format!("/api/v1/keys/{spare_id}/rotate"),
        json!({}),
    )
    .await;
    ok(
        &p.admin,
        &format!("/api/v1/admin/users/{}/bonus", p.user_email),
        json!({ "amount_micros": 2_500_000, "reason": "welcome" }),
    )
    .await;
    let bob = p.gw.new_user(BOB).await;
    let batch = ok(
        &p.admin,
        "/api/v1/admin/codes",
        json!({ "amount_micros": 7_654_321, "count": 3, "note": "fair" }),
    )
    .await;
    let code = batch["codes"][0].as_str().unwrap().to_owned();
    ok(&bob, "/api/v1/redeem", json!({ "code": code })).await;
    p.admin.fund(BOB, -1_000_001, "correction").await;

    // Alice turns two-factor login on; Carol registers with Bob's referral code.
    let alice = p.gw.new_user(ALICE).await;
    let enrolled = ok(
        &alice,
        "/api/v1/account/2fa/enroll",
        json!({ "password": USER_PASSWORD }),
    )
    .await;
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let confirmed = ok(
        &alice,
        "/api/v1/account/2fa/confirm",
        json!({ "code": totp_code(&secret, now_secs()) }),
    )
    .await;
    assert_eq!(confirmed["recovery_codes"].as_array().unwrap().len(), 10);
    let (status, referral) = bob.get("/api/v1/referral").await;
    assert_eq!(status, StatusCode::OK, "{referral}");
    let referral_code = referral["code"].as_str().unwrap().to_owned();
    let (status, carol) = p
        .gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": CAROL, "password": USER_PASSWORD, "referral_code": referral_code }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{carol}");

    // Operator state: a price override, a coefficient, an upstream with its sealed key, an
    // invitation and a reset link.
    let status = p
        .admin
        .request(reqwest::Method::PUT, "/api/v1/admin/prices/house-model")
        .json(
            &json!({ "provider": "openai", "price": { "input": 1_000_000, "output": 2_000_000 } }),
        )
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
    let status = p
        .admin
        .request(
            reqwest::Method::PUT,
            "/api/v1/admin/prices/house-model/coefficient",
        )
        .json(&json!({ "coefficient": "1.25" }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    ok(
        &p.admin,
        "/api/v1/admin/upstreams",
        json!({ "name": "spare", "provider": "openai_compatible",
                "base_url": p.upstream.base_url(), "models": ["house-*"],
                "keys": ["sk-spare-upstream"] }),
    )
    .await;
    ok(
        &p.admin,
        "/api/v1/admin/invitations",
        json!({ "email": "dave@example.com" }),
    )
    .await;
    let status = p
        .admin
        .post_empty(&format!("/api/v1/admin/users/{BOB}/reset-link"))
        .await
        .0;
    assert!(status.is_success());

    // What the deployment says before the move.
    let today = Utc::now().date_naive();
    let report_path = format!(
        "/api/v1/usage?from={}&to={}&group_by=model",
        today.checked_sub_days(Days::new(30)).unwrap(),
        today.checked_add_days(Days::new(1)).unwrap()
    );
    let (status, report_before) = p.user.get(&report_path).await;
    assert_eq!(status, StatusCode::OK, "{report_before}");
    assert_eq!(report_before["totals"]["requests"], 4, "{report_before}");
    assert!(
        report_before["totals"]["cost_micros"].as_i64().unwrap() > 3 * CHAT_COST,
        "{report_before}"
    );
    let balances_before = balances(&p.admin).await;
    let (_, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(check["ok"], true, "{check}");

    // Stopped, the database kept.
    let Plane {
        gw,
        upstream,
        key,
        user_email,
        ..
    } = p;
    let db_path = gw.db_path();
    let data = gw.stop_keeping_data().await;
    let db =
        rusqlite::Connection::open_with_flags(&db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let max_account = max_id(&db, "accounts");
    let max_key = max_id(&db, "api_keys");
    let max_entry = max_id(&db, "ledger_entries");

    // The move.
    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let run = migrate(&db_path, &url).await;
    let out = run.json();
    assert_eq!(out["ok"], true, "{run:?}");
    assert_eq!(out["ledger"]["ok"], true, "{out}");
    let tables = out["tables"].as_array().unwrap();
    let copied: BTreeMap<String, (i64, i64)> = tables
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                (
                    t["sqlite_rows"].as_i64().unwrap(),
                    t["postgres_rows"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    // Every SQLite table but the bookkeeping, with its rows on both sides.
    let sqlite_tables: Vec<String> = db
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite%' AND name != 'schema_migrations' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        copied.keys().cloned().collect::<Vec<_>>(),
        sqlite_tables,
        "{out}"
    );
    for (table, (sqlite_rows, pg_rows)) in &copied {
        let direct: i64 = db
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!((*sqlite_rows, *pg_rows), (direct, direct), "{table}");
    }
    for (table, at_least) in [
        ("accounts", 5),
        ("api_keys", 3),
        ("ledger_entries", 5),
        ("usage_events", 4),
        ("usage_rollup", 2),
        ("sessions", 4),
        ("code_batches", 1),
        ("redemption_codes", 3),
        ("account_totp", 1),
        ("recovery_codes", 10),
        ("referral_codes", 1),
        ("referrals", 1),
        ("price_overrides", 1),
        ("model_coefficients", 1),
        ("upstreams", 1),
        ("upstream_keys", 1),
        ("invitations", 1),
        ("account_tokens", 1),
        ("audit_log", 5),
    ] {
        assert!(copied[table].0 >= at_least, "{table}: {out}");
    }
    let pg_before = pg_counts(&url, &pg_tables(&url).await).await;

    // Into the same target again: refused, exit 3, nothing changed.
    let again = migrate(&db_path, &url).await;
    assert_eq!(again.code, 3, "{again:?}");
    assert!(again.stdout.is_empty(), "{again:?}");
    assert!(
        again
            .stderr
            .contains("error: the PostgreSQL database is not empty: account_tokens, account_totp, accounts, api_keys,"),
        "{again:?}"
    );
    assert!(
        again.stderr.contains("hint: nothing was changed"),
        "{again:?}"
    );
    assert_eq!(pg_counts(&url, &pg_tables(&url).await).await, pg_before);

    // A gateway on the copy.
    let pg_url = url.clone();
    let base = upstream.base_url().to_owned();
    let gw = TestGateway::start_with(move |raw| {
        raw.database_url = Some(pg_url);
        raw.master_key = Some(Secret::new(MASTER_KEY.to_owned()));
        raw.upstreams = upstreams(&base);
        raw.upstream.cooldown_secs = Some(0);
    })
    .await;
    let admin = gw.admin().await;
    assert_eq!(balances(&admin).await, balances_before);
    // The same password, and the same usage report for the past period.
    let user = gw.login(&user_email, USER_PASSWORD).await;
    let (status, report_after) = user.get(&report_path).await;
    assert_eq!(status, StatusCode::OK, "{report_after}");
    assert_eq!(report_after["totals"], report_before["totals"]);
    assert_eq!(report_after["groups"], report_before["groups"]);
    // Alice's TOTP secret opens under the same master key; the step she used stays used.
    let (status, step) = gw
        .client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ALICE, "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(step["two_factor_required"], true, "{step}");
    let challenge = step["challenge"].as_str().unwrap().to_owned();
    let (status, session) = gw
        .client()
        .post(
            "/api/v1/auth/login/2fa",
            &json!({ "challenge": challenge, "code": totp_code(&secret, now_secs() + 30) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["account"]["email"], ALICE, "{session}");

    // The old API key still proxies, and is charged.
    let http = codexkey_tests::http_client();
    let before = balance_of(&user).await;
    assert_eq!(chat(&http, gw.base_url(), &key).await, StatusCode::OK);
    gw.flush().await;
    assert_eq!(balance_of(&user).await, before - CHAT_COST);

    // New rows get fresh ids: the sequences start past the copied ids.
    let created = ok(&user, "/api/v1/keys", json!({ "name": "after the move" })).await;
    assert_eq!(created["key"]["id"], max_key + 1, "{created}");
    let erin = gw.register("erin@example.com", USER_PASSWORD).await;
    assert_eq!(erin["id"], max_account + 1, "{erin}");
    let (_, ledger) = user.get("/api/v1/ledger").await;
    assert_eq!(ledger["entries"][0]["id"], max_entry + 1, "{ledger}");
    assert_eq!(
        ledger["entries"][0]["amount_micros"], -CHAT_COST,
        "{ledger}"
    );
    let (_, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(check["ok"], true, "{check}");
    gw.stop().await;
    drop(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_an_old_schema_a_broken_ledger_and_bad_urls_are_refused_changing_nothing() {
    if codexkey_tests::sqlite_only(
        "it moves a SQLite deployment to PostgreSQL, which the SQLite pass already runs in full",
    ) {
        return;
    }
    let p = Plane::start(CREDITS_100).await;
    let Plane { gw, key_id, .. } = p;
    let db_path = gw.db_path();
    let data = gw.stop_keeping_data().await;
    // What a crash leaves: a hold of a request in flight.
    let rw = rusqlite::Connection::open(&db_path).unwrap();
    rw.execute(
        "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros,
                            route, model, provider, created_at)
         SELECT 'req-crashed', account_id, id, 5000, 100, 'chat.completions', 'gpt-5.5', 'openai', 0
         FROM api_keys WHERE id = ?1",
        [key_id],
    )
    .unwrap();
    drop(rw);

    let schema = ScratchSchema::create().await;
    let url = schema.url();
    let run = migrate(&db_path, &url).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains(
            "error: the SQLite database holds 1 hold(s) of requests in flight, left by a crash"
        ),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("hint: start the gateway once so it reconciles them, stop it, and retry"),
        "{run:?}"
    );
    assert!(
        pg_tables(&url).await.is_empty(),
        "the target was not touched"
    );

    rusqlite::Connection::open(&db_path)
        .unwrap()
        .execute("DELETE FROM holds", [])
        .unwrap();

    // A database an older gateway left, its last migration not applied yet.
    let rw = rusqlite::Connection::open(&db_path).unwrap();
    let last: (i64, String, i64) = rw
        .query_row(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    rw.execute("DELETE FROM schema_migrations WHERE version = ?1", [last.0])
        .unwrap();
    let run = migrate(&db_path, &url).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "error: the SQLite database lacks migrations [{}] that this codexkey has",
            last.0
        )),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("hint: start the gateway (this version) once"),
        "{run:?}"
    );
    assert!(pg_tables(&url).await.is_empty(), "{run:?}");
    rw.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![last.0, last.1, last.2],
    )
    .unwrap();

    // A balance that is not its ledger's sum: the target's check at commit refuses the copy.
    let moved = "UPDATE accounts SET balance_micros = balance_micros + ?2
                 WHERE id = (SELECT account_id FROM api_keys WHERE id = ?1)";
    rw.execute(moved, [key_id, 1]).unwrap();
    let run = migrate(&db_path, &url).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("error: PostgreSQL refused the copy at commit: the balance of account"),
        "{run:?}"
    );
    let counts = pg_counts(&url, &pg_tables(&url).await).await;
    assert!(
        counts
            .iter()
            .all(|(t, n)| *n == 0 || t == "schema_migrations"),
        "all or nothing: {counts:?}"
    );
    rw.execute(moved, [key_id, -1]).unwrap();

    // A ledger whose chain is broken (an entry that does not follow the previous one, which
    // the SQLite schema leaves to the code): the target's guard refuses it, and since the copy
    // is one transaction, the target keeps no row of anything.
    rw.execute(
        "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, reason, created_at)
         SELECT account_id, 'adjustment', 1, 42, 'broken', 0 FROM api_keys WHERE id = ?1",
        [key_id],
    )
    .unwrap();
    drop(rw);
    let run = migrate(&db_path, &url).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("error: copying `ledger_entries` failed: ledger entry of account"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("hint: nothing was written to PostgreSQL"),
        "{run:?}"
    );
    let tables = pg_tables(&url).await;
    assert!(
        tables.contains(&"accounts".to_owned()),
        "migrated: {tables:?}"
    );
    let counts = pg_counts(&url, &tables).await;
    assert!(
        counts
            .iter()
            .all(|(t, n)| *n == 0 || t == "schema_migrations"),
        "all or nothing: {counts:?}"
    );

    // URLs that are not a database's, some with a password that must not be echoed.
    let from = format!("sqlite://{}", db_path.display());
    for (args, needle) in [
        (
            vec!["--from", from.as_str(), "--to", "mysql://ck:s3cret@db/x"],
            "error: `--to` is not a PostgreSQL URL",
        ),
        (
            vec!["--from", "/var/lib/codexkey.db", "--to", url.as_str()],
            "error: `--from` is not a SQLite URL",
        ),
        (
            vec![
                "--from",
                "sqlite:///nowhere/codexkey.db",
                "--to",
                url.as_str(),
            ],
            "error: there is no SQLite database at /nowhere/codexkey.db",
        ),
    ] {
        let mut full = vec!["admin", "migrate"];
        full.extend(args);
        let run = codexkey(&full).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(needle), "{needle}: {run:?}");
        assert!(run.stderr.contains("hint: "), "{run:?}");
        assert!(!run.stderr.contains("s3cret"), "{run:?}");
    }
    // An unreachable target is named by host and port, never with the password.
    let run = codexkey(&[
        "admin",
        "migrate",
        "--from",
        &from,
        "--to",
        "postgres://ck:s3cret@127.0.0.1:9/x?sslmode=disable",
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("error: cannot reach PostgreSQL at 127.0.0.1:9/x"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("s3cret"), "{run:?}");
    drop(data);
}
