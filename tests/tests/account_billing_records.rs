//! A person's billing records over their lifetime, with real paid orders (the fake Stripe and
//! signed webhooks), a refund, a referral and a code: the data export holds the orders, refunds
//! and referrals of each side, and once an account has been deleted for longer than
//! `retention.deleted_account_days` the retention purge deletes those records, leaving a
//! tombstone, while the other side's records and the ledger check stay as they were. Time is
//! moved by moving the deletion into the past in the database, as `retention.rs` moves events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};

use codexkey_tests::ApiClient;
use codexkey_tests::billing::Billing;
use reqwest::StatusCode;
use serde_json::{Value, json};

const RITA: &str = "rita@example.com";
const ROBERT: &str = "robert@example.com";

async fn export(user: &ApiClient) -> BTreeMap<String, Vec<u8>> {
    let resp = codexkey_tests::http_client()
        .get(user.url("/api/v1/account/export"))
        .bearer_auth(user.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
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

fn csv_of(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Vec<String> {
    String::from_utf8(files[name].clone())
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Rita refers Robert; Robert pays two top-ups (each earning Rita 10%) and has part of the
/// first refunded (a proportional part of its commission is taken back).
async fn referral_with_orders_and_a_refund(b: &Billing) -> (ApiClient, ApiClient, i64, i64) {
    let rita = b.gw.new_user(RITA).await;
    let (status, mine) = rita.get("/api/v1/referral").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let robert = b
        .register_referred(ROBERT, mine["code"].as_str().unwrap())
        .await;
    let first = b.pay(&robert, 12_345_678).await;
    let second = b.pay(&robert, 20_000_000).await;
    b.refund(&robert, first, 4_115_226).await;
    b.assert_consistent().await;
    (rita, robert, first, second)
}

#[tokio::test]
async fn the_export_holds_orders_refunds_and_referrals() {
    let b = Billing::start_with(|_| {}).await;
    let (rita, robert, first, second) = referral_with_orders_and_a_refund(&b).await;

    // The referee: both orders, the refund, and who referred them (pseudonymised).
    let files = export(&robert).await;
    let readme = String::from_utf8(files["README.txt"].clone()).unwrap();
    assert!(readme.contains("refunds.json/.csv"), "{readme}");
    assert!(readme.contains("referrals.json/.csv"), "{readme}");
    assert!(readme.contains("commissions.json/.csv"), "{readme}");
    assert_eq!(
        json_of(&files, "commissions.json"),
        json!([]),
        "Robert referred nobody"
    );
    let orders = json_of(&files, "orders.json");
    let orders = orders.as_array().unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|o| (
                o["id"].as_i64().unwrap(),
                o["amount_micros"].as_i64().unwrap(),
                o["state"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            (first, 12_345_678, "partly_refunded"),
            (second, 20_000_000, "paid")
        ]
    );
    let refunds = json_of(&files, "refunds.json");
    assert_eq!(refunds.as_array().unwrap().len(), 1, "{refunds}");
    let refund = &refunds[0];
    assert_eq!(refund["order_id"], first, "{refund}");
    assert_eq!(refund["amount_micros"], 4_115_226, "{refund}");
    assert_eq!(refund["amount_minor"], 4_115_226, "{refund}");
    assert_eq!(refund["state"], "succeeded", "{refund}");
    assert_eq!(refund["source"], "request", "{refund}");
    assert_eq!(refund["account"], ROBERT, "{refund}");
    let refunds_csv = csv_of(&files, "refunds.csv");
    assert_eq!(refunds_csv.len(), 2, "{refunds_csv:?}");
    assert_eq!(
        refunds_csv[0],
        "account,amount_micros,amount_minor,created_at,currency,id,order_id,reason,source,state,updated_at"
    );
    assert!(
        refunds_csv[1].starts_with(&format!("{ROBERT},4115226,4115226,")),
        "{refunds_csv:?}"
    );
    let referrals = json_of(&files, "referrals.json");
    assert_eq!(referrals.as_array().unwrap().len(), 1, "{referrals}");
    assert_eq!(referrals[0]["relation"], "referred_you", "{referrals}");
    assert_eq!(referrals[0]["email"], "r***@example.com", "{referrals}");
    assert!(referrals[0]["earned_micros"].is_null(), "{referrals}");
    let referrals_csv = csv_of(&files, "referrals.csv");
    assert_eq!(
        referrals_csv[0],
        "earned_micros,email,linked_at,relation,taken_back_micros,topups"
    );
    assert!(
        referrals_csv[1].starts_with(",r***@example.com,")
            && referrals_csv[1].ends_with(",referred_you,,"),
        "{referrals_csv:?}"
    );
    // The ledger: both payments, the refund debit; it sums to the balance.
    let ledger = json_of(&files, "ledger.json");
    let kinds: Vec<(&str, i64)> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["amount_micros"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("payment", 12_345_678),
            ("payment", 20_000_000),
            ("refund", -4_115_226)
        ]
    );
    for name in ["orders", "refunds", "referrals"] {
        let content = &files[&format!("{name}.json")];
        assert!(
            !codexkey_tests::contains_bytes(content, RITA.as_bytes()),
            "{name}.json shows the referrer's address"
        );
    }

    // The referrer: no orders or refunds of their own; the referee, with the commissions
    // (10% of 12.345678 and of 20.00, less ceil(1.234567 × 4.115226 ÷ 12.345678) taken back).
    let files = export(&rita).await;
    assert_eq!(json_of(&files, "orders.json"), json!([]));
    assert_eq!(json_of(&files, "refunds.json"), json!([]));
    let referrals = json_of(&files, "referrals.json");
    assert_eq!(referrals.as_array().unwrap().len(), 1, "{referrals}");
    let r = &referrals[0];
    assert_eq!(r["relation"], "you_referred", "{r}");
    assert_eq!(r["email"], "r***@example.com", "{r}");
    assert_eq!(r["topups"], 2, "{r}");
    assert_eq!(r["earned_micros"], 3_234_567, "{r}");
    assert_eq!(r["taken_back_micros"], 411_523, "{r}");
    let referrals_csv = csv_of(&files, "referrals.csv");
    assert!(
        referrals_csv[1].starts_with("3234567,r***@example.com,")
            && referrals_csv[1].ends_with(",you_referred,411523,2"),
        "{referrals_csv:?}"
    );
    let commissions = json_of(&files, "commissions.json");
    let listed: Vec<(&str, &str, i64, i64)> = commissions
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["referee"].as_str().unwrap(),
                c["amount_micros"].as_i64().unwrap(),
                c["due_micros"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("earned", "r***@example.com", 1_234_567, 1_234_567),
            ("earned", "r***@example.com", 2_000_000, 2_000_000),
            ("taken_back", "r***@example.com", 411_523, 411_523),
        ]
    );
    let commissions_csv = csv_of(&files, "commissions.csv");
    assert_eq!(
        commissions_csv[0],
        "amount_micros,created_at,due_micros,kind,referee"
    );
    assert!(
        commissions_csv[3].starts_with("411523,")
            && commissions_csv[3].ends_with(",411523,taken_back,r***@example.com"),
        "{commissions_csv:?}"
    );
    assert!(
        !codexkey_tests::contains_bytes(&files["commissions.json"], ROBERT.as_bytes()),
        "the referee's address is pseudonymised"
    );
    let ledger = json_of(&files, "ledger.json");
    let commissions: Vec<i64> = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "referral_commission")
        .map(|e| e["amount_micros"].as_i64().unwrap())
        .collect();
    assert_eq!(commissions, [1_234_567, 2_000_000, -411_523]);
}

const DAY_MS: i64 = 86_400_000;

fn count(b: &Billing, sql: &str, id: i64) -> i64 {
    b.gw.db()
        .query_row(sql, [id], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn a_deleted_accounts_billing_records_are_purged_after_the_retention() {
    let b = Billing::start_with(|_| {}).await;
    let (rita, robert, _, _) = referral_with_orders_and_a_refund(&b).await;
    let (status, batch) = b
        .admin
        .post(
            "/api/v1/admin/codes",
            &json!({ "amount_micros": 1_000_000, "count": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let (status, body) = robert
        .post("/api/v1/redeem", &json!({ "code": batch["codes"][0] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let robert_id =
        b.gw.db()
            .query_row("SELECT id FROM accounts WHERE email = ?1", [ROBERT], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
    let (_, rita_ledger) = rita.get("/api/v1/ledger").await;
    let (_, rita_balance) = rita.get("/api/v1/balance").await;
    let (status, deleted) = b
        .admin
        .post(
            &format!("/api/v1/admin/users/{ROBERT}/delete"),
            &json!({ "reason": "asked to" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let pseudonym = format!("deleted-{robert_id}@invalid");
    assert_eq!(deleted["pseudonym"], pseudonym.as_str());

    // Within the retention (five years by default): kept, pseudonymised.
    let (status, r) = b
        .admin
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["accounts_purged"], 0, "{r}");
    let cut: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(r["accounts_deleted_before"].clone()).unwrap();
    let expected = chrono::Utc::now() - chrono::Duration::days(5 * 365 + 1);
    assert!(
        (cut - expected).num_seconds().abs() < 60,
        "{cut} is five years (and a leap day) ago"
    );
    let ledger_rows = "SELECT COUNT(*) FROM ledger_entries WHERE account_id = ?1";
    assert_eq!(
        count(&b, ledger_rows, robert_id),
        5,
        "2 payments, a refund, a code, the forfeit"
    );

    // The deletion moved five years and two days into the past: the next purge takes it.
    b.gw.db_rw()
        .execute(
            "UPDATE accounts SET deleted_at = deleted_at - ?2 WHERE id = ?1",
            [robert_id, (5 * 365 + 2) * DAY_MS],
        )
        .unwrap();
    let (status, r) = b
        .admin
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["accounts_purged"], 1, "{r}");
    for sql in [
        ledger_rows,
        "SELECT COUNT(*) FROM orders WHERE account_id = ?1",
        "SELECT COUNT(*) FROM refunds WHERE account_id = ?1",
        "SELECT COUNT(*) FROM referral_commissions WHERE referee_id = ?1 OR referrer_id = ?1",
        "SELECT COUNT(*) FROM referrals WHERE referee_id = ?1 OR referrer_id = ?1",
        "SELECT COUNT(*) FROM provider_events WHERE order_id NOT IN (SELECT id FROM orders)",
        "SELECT COUNT(*) FROM sessions WHERE account_id = ?1",
        "SELECT COUNT(*) FROM api_keys WHERE account_id = ?1",
        "SELECT COUNT(*) FROM usage_rollup WHERE account_id = ?1",
    ] {
        let sql = sql.replace("?1", &robert_id.to_string());
        let n: i64 = b.gw.db().query_row(&sql, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{sql}");
    }
    // The tombstone: the pseudonym, a zero balance, when it was purged.
    let (email, balance, purged): (String, i64, Option<i64>) =
        b.gw.db()
            .query_row(
                "SELECT email, balance_micros, purged_at FROM accounts WHERE id = ?1",
                [robert_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
    assert_eq!((email.as_str(), balance), (pseudonym.as_str(), 0));
    assert!(purged.is_some());
    // The code stays spent, now by nobody's ledger entry.
    let (redeemed_by, ledger_id): (Option<i64>, Option<i64>) =
        b.gw.db()
            .query_row(
                "SELECT redeemed_by, ledger_id FROM redemption_codes",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
    assert_eq!((redeemed_by, ledger_id), (Some(robert_id), None));

    // The referrer keeps their own ledger and balance; the referee is gone from their summary.
    assert_eq!(rita.get("/api/v1/ledger").await.1, rita_ledger);
    assert_eq!(rita.get("/api/v1/balance").await.1, rita_balance);
    let (_, mine) = rita.get("/api/v1/referral").await;
    assert_eq!(mine["referees"], json!([]), "{mine}");
    b.assert_consistent().await;
    let (_, audit) = b.admin.get("/api/v1/admin/audit").await;
    let entries = audit
        .as_array()
        .or_else(|| audit["entries"].as_array())
        .unwrap();
    assert_eq!(entries[0]["action"], "account.purged", "{audit}");
    assert_eq!(entries[0]["target"], pseudonym.as_str(), "{audit}");

    // Once only; and the old address registers afresh.
    let (_, again) = b
        .admin
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(again["accounts_purged"], 0, "{again}");
    b.gw.register(ROBERT, codexkey_tests::USER_PASSWORD).await;
}
