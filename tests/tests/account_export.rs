//! `GET /api/v1/account/export` and `codexkey account export FILE` over real traffic: the
//! archive holds the profile, key metadata, ledger, usage events, orders, refunds and referrals
//! as JSON and CSV, only the caller's, and no secret (billing with real orders:
//! `account_billing_records.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};

use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL};
use codexkey_tests::contains_bytes;
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use codexkey_tests::usage::{self, PLAN, TOTAL_COST};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        files.insert(f.name().unwrap().into_owned(), content);
    }
    files
}

fn json_of(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    serde_json::from_slice(&files[name]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn the_archive_holds_the_callers_data_and_no_secret() {
    let p = Plane::start_with(CREDITS_100, |_| {}).await;
    let (status, b) = p.user.post("/api/v1/keys", &json!({"name": "ci"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let second_secret = b["secret"].as_str().unwrap().to_owned();
    usage::send(
        &p.http,
        p.gw.base_url(),
        &p.upstream,
        &p.key,
        &second_secret,
    )
    .await;
    p.gw.flush().await;
    // Someone else's data stays out.
    let other = p.gw.new_user("other@example.com").await;
    let (status, _) = other.post("/api/v1/keys", &json!({"name": "theirs"})).await;
    assert_eq!(status, StatusCode::CREATED);

    let resp = p
        .http
        .get(p.user.url("/api/v1/account/export"))
        .bearer_auth(p.user.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("codexkey-export.zip")
    );
    let bytes = resp.bytes().await.unwrap();
    let files = unzip(&bytes);
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "README.txt",
            "commissions.csv",
            "commissions.json",
            "keys.csv",
            "keys.json",
            "ledger.csv",
            "ledger.json",
            "orders.csv",
            "orders.json",
            "profile.json",
            "referrals.csv",
            "referrals.json",
            "refunds.csv",
            "refunds.json",
            "usage.csv",
            "usage.json",
        ]
    );
    let profile = json_of(&files, "profile.json");
    assert_eq!(profile["email"], p.user_email);
    let keys = json_of(&files, "keys.json");
    assert_eq!(keys.as_array().unwrap().len(), 2, "{keys}");
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("secret").is_none())
    );
    let usage_rows = json_of(&files, "usage.json");
    assert_eq!(usage_rows.as_array().unwrap().len(), PLAN.len());
    let cost: i64 = usage_rows
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cost_micros"].as_i64().unwrap())
        .sum();
    assert_eq!(cost, TOTAL_COST);
    let ledger = json_of(&files, "ledger.json");
    let (_, live) = p.user.get("/api/v1/balance").await;
    let sum: i64 = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount_micros"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, live["balance_micros"].as_i64().unwrap(), "{live}");
    // CSV: a header and one line per row.
    let csv = String::from_utf8(files["usage.csv"].clone()).unwrap();
    assert_eq!(csv.lines().count(), PLAN.len() + 1);
    assert!(csv.starts_with("account_id,cache_write_tokens,"), "{csv}");
    assert!(
        csv.contains(",127.0.0.1,"),
        "the caller's own client address is theirs: {csv}"
    );
    // No secret of the caller, and nothing of the other account.
    for secret in [
        p.key.as_str(),
        second_secret.as_str(),
        p.user.token().unwrap(),
    ] {
        for (name, content) in &files {
            assert!(
                !contains_bytes(content, secret.as_bytes()),
                "{name} holds a secret"
            );
        }
    }
    for (name, content) in &files {
        assert!(!contains_bytes(content, b"other@example.com"), "{name}");
        assert!(!contains_bytes(content, b"theirs"), "{name}");
        assert!(
            !contains_bytes(content, b"argon2"),
            "{name} holds a password hash"
        );
    }

    // Without a session: refused in the API's format.
    let (status, _) = p.gw.client().get("/api/v1/account/export").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[test]
fn cli_writes_a_private_file_and_never_overwrites() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("me.zip");
    let run = user.run(&["account", "export", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let files = unzip(&std::fs::read(&file).unwrap());
    assert_eq!(json_of(&files, "profile.json")["email"], USER_EMAIL);
    let run = user.run(&["account", "export", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
}
