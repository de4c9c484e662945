//! Redemption codes and bonuses through the management API of a real gateway: a code credits
//! once however many redeem it at once, a refused redemption changes nothing, codes are kept
//! only as hashes, guesses are throttled per account and per client address, and every credit
//! is a typed, audited ledger entry, promotional where it should be. After every scenario the
//! ledger check passes.

#![expect(clippy::unwrap_used, clippy::expect_used)]

use codexkey_tests::{
    ApiClient, DbSnapshot, TestGateway, assert_error, contains_bytes, install_crypto_provider,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Creates a batch as the admin and returns the whole response (batch and codes).
async fn create_batch(admin: &ApiClient, body: Value) -> Value {
    let (status, resp) = admin.post("/api/v1/admin/codes", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
    resp
}

fn codes_of(created: &Value) -> Vec<String> {
    created["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect()
}

async fn redeem(user: &ApiClient, code: &str) -> (StatusCode, Value) {
    user.post("/api/v1/redeem", &json!({ "code": code })).await
}

async fn balance_of(user: &ApiClient) -> i64 {
    let (status, body) = user.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["balance_micros"].as_i64().expect("balance")
}

async fn assert_ledger_ok(admin: &ApiClient) {
    let (status, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["ok"], true, "{check}");
}

/// `(redeemed_by, redeemed_at is set, disabled_at is set, ledger_id)` of one code.
type CodeRow = (Option<i64>, bool, bool, Option<i64>);

/// Every code's [`CodeRow`], by id.
fn code_rows(gw: &TestGateway) -> Vec<CodeRow> {
    let db = gw.db();
    let mut stmt = db
        .prepare(
            "SELECT redeemed_by, redeemed_at IS NOT NULL, disabled_at IS NOT NULL, ledger_id
             FROM redemption_codes ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What a refused redemption must leave alone: every control-plane table and the codes.
fn state(gw: &TestGateway) -> (DbSnapshot, Vec<CodeRow>) {
    (gw.snapshot(), code_rows(gw))
}

#[tokio::test]
async fn twenty_clients_redeeming_one_code_at_once_credit_it_once() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let created = create_batch(
        &admin,
        json!({ "amount_micros": 12_345_678, "count": 1, "note": "race" }),
    )
    .await;
    let code = codes_of(&created).remove(0);
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(gw.new_user(&format!("racer{i}@example.com")).await);
    }
    let mut set = JoinSet::new();
    for (i, user) in users.iter().enumerate() {
        set.spawn(
            user.clone()
                .post("/api/v1/redeem", &json!({ "code": code.clone() }))
                .map_with(i),
        );
    }
    let mut winners = Vec::new();
    let mut refused = 0;
    while let Some(done) = set.join_next().await {
        let (i, (status, body)) = done.expect("a redemption task");
        match status {
            StatusCode::OK => {
                assert_eq!(body["entry"]["amount_micros"], 12_345_678, "{body}");
                assert_eq!(body["entry"]["kind"], "code", "{body}");
                assert_eq!(body["balance"]["balance_micros"], 12_345_678, "{body}");
                winners.push(i);
            }
            _ => {
                let message = assert_error(&(status, body), StatusCode::CONFLICT, "conflict");
                assert!(message.contains("already been redeemed"), "{message}");
                refused += 1;
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption succeeds");
    assert_eq!(refused, 19);
    let winner = winners[0];
    for (i, user) in users.iter().enumerate() {
        let expected = if i == winner { 12_345_678 } else { 0 };
        assert_eq!(balance_of(user).await, expected, "racer{i}");
    }
    let snap = gw.snapshot();
    let credits: Vec<_> = snap.ledger.iter().filter(|e| e.kind == "code").collect();
    assert_eq!(credits.len(), 1, "{:?}", snap.ledger);
    assert_eq!(credits[0].amount_micros, 12_345_678);
    assert_eq!(credits[0].balance_after_micros, 12_345_678);
    assert!(!credits[0].promotional);
    let winner_id = snap
        .accounts
        .iter()
        .find(|a| a.email == format!("racer{winner}@example.com"))
        .expect("the winner's account")
        .id;
    assert_eq!(credits[0].account_id, winner_id);
    assert_eq!(
        code_rows(&gw),
        [(Some(winner_id), true, false, Some(credits[0].id))]
    );
    let redeems: Vec<_> = snap
        .audit
        .iter()
        .filter(|a| a.action == "codes.redeem")
        .collect();
    assert_eq!(redeems.len(), 1, "one audit row per credit");
    assert_ledger_ok(&admin).await;
}

/// Tags a reply future with the index of its client.
trait MapWith: Future<Output = (StatusCode, Value)> + Sized + Send + 'static {
    fn map_with(
        self,
        i: usize,
    ) -> impl Future<Output = (usize, (StatusCode, Value))> + Send + 'static {
        async move { (i, self.await) }
    }
}

impl<F: Future<Output = (StatusCode, Value)> + Send + 'static> MapWith for F {}

#[tokio::test]
async fn disabled_expired_and_unknown_codes_are_refused_and_change_nothing() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let user = gw.new_user("user@example.com").await;
    admin.fund("user@example.com", 1_000_000, "start").await;
    let created = create_batch(
        &admin,
        json!({ "amount_micros": 5_000_000, "count": 3, "expires_at": "2099-01-01T00:00:00Z" }),
    )
    .await;
    let batch = created["batch"]["id"].as_i64().expect("batch id");
    let codes = codes_of(&created);

    // One code disabled by its text: refused with the reason, nothing written.
    let (status, body) = admin
        .post("/api/v1/admin/codes/disable", &json!({ "code": codes[0] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], 1);
    let before = state(&gw);
    let message = assert_error(
        &redeem(&user, &codes[0]).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(message.contains("disabled"), "{message}");
    assert_eq!(state(&gw), before, "a disabled code changes nothing");

    // Expired: the batch's expiry is moved into the past behind the gateway's back.
    gw.db_rw()
        .execute(
            "UPDATE code_batches SET expires_at = 1000 WHERE id = ?1",
            [batch],
        )
        .unwrap();
    let before = state(&gw);
    let message = assert_error(
        &redeem(&user, &codes[1]).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(message.contains("expired"), "{message}");
    assert_eq!(state(&gw), before, "an expired code changes nothing");

    // Unknown, whatever its shape: 404, the same answer as a typo.
    let unknown = "CK-AAAA-BBBB-CCCC-DDDD";
    assert!(!codes.contains(&unknown.to_owned()));
    for guess in [unknown, "hello", ""] {
        let message = assert_error(
            &redeem(&user, guess).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_eq!(message, "no such code: check it for typos");
    }
    assert_eq!(state(&gw), before, "an unknown code changes nothing");
    assert_eq!(balance_of(&user).await, 1_000_000);

    // The batch as admins see it: states, no code text anywhere.
    let (status, detail) = admin.get(&format!("/api/v1/admin/codes/{batch}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let states: Vec<&str> = detail["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["disabled", "expired", "expired"]);
    assert_eq!(
        (
            &detail["batch"]["disabled"],
            &detail["batch"]["expired"],
            &detail["batch"]["unused"]
        ),
        (&json!(1), &json!(2), &json!(0))
    );
    for code in &codes {
        assert!(!detail.to_string().contains(code.as_str()), "{detail}");
    }

    // A whole batch disabled leaves redeemed codes as they were.
    let other = create_batch(&admin, json!({ "amount_micros": 1_000_001, "count": 3 })).await;
    let other_id = other["batch"]["id"].as_i64().expect("batch id");
    let other_codes = codes_of(&other);
    let (status, body) = redeem(&user, &other_codes[0].to_lowercase().replace('-', " ")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a code typed loosely still redeems: {body}"
    );
    assert_eq!(body["balance"]["balance_micros"], 2_000_001);
    let (status, body) = admin
        .post_empty(&format!("/api/v1/admin/codes/{other_id}/disable"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], 2);
    let message = assert_error(
        &redeem(&user, &other_codes[0]).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(message.contains("already been redeemed"), "{message}");
    let message = assert_error(
        &redeem(&user, &other_codes[2]).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(message.contains("disabled"), "{message}");
    let (status, detail) = admin.get(&format!("/api/v1/admin/codes/{other_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["codes"][0]["state"], "redeemed");
    assert_eq!(detail["codes"][0]["redeemed_by"], "user@example.com");
    assert!(detail["codes"][0]["redeemed_at"].is_string());
    assert_eq!(detail["codes"][1]["state"], "disabled");
    assert_eq!(balance_of(&user).await, 2_000_001);

    // Disabling what is gone or unknown says so.
    assert_error(
        &admin
            .post(
                "/api/v1/admin/codes/disable",
                &json!({ "code": other_codes[0] }),
            )
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &admin
            .post("/api/v1/admin/codes/disable", &json!({ "code": unknown }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin.post_empty("/api/v1/admin/codes/999999/disable").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, list) = admin.get("/api/v1/admin/codes").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list
        .as_array()
        .expect("batches")
        .iter()
        .map(|b| b["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [other_id, batch], "newest first");
    let (status, list) = admin.get("/api/v1/admin/codes?unused=true").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]), "no batch has an unused code left");
    let fresh = create_batch(&admin, json!({ "amount_micros": 1, "count": 1 })).await;
    let (_, list) = admin.get("/api/v1/admin/codes?unused=true").await;
    assert_eq!(list.as_array().expect("batches").len(), 1);
    assert_eq!(list[0]["id"], fresh["batch"]["id"]);
    assert_ledger_ok(&admin).await;
}

#[tokio::test]
async fn codes_are_stored_only_as_hashes() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let created = create_batch(&admin, json!({ "amount_micros": 1, "count": 25 })).await;
    let codes = codes_of(&created);
    assert_eq!(codes.len(), 25);
    for code in &codes {
        assert!(
            code.len() == 22 && code.starts_with("CK-") && code.matches('-').count() == 4,
            "{code}"
        );
    }
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 25);
    gw.flush().await;
    let files = gw.database_files();
    for code in &codes {
        let bare = code.replace('-', "");
        for (path, bytes) in &files {
            assert!(
                !contains_bytes(bytes, code.as_bytes()),
                "{code} in {}",
                path.display()
            );
            assert!(
                !contains_bytes(bytes, &bare.as_bytes()[2..]),
                "{code} in {}",
                path.display()
            );
        }
    }
    let hashes: i64 = gw
        .db()
        .query_row(
            "SELECT COUNT(*) FROM redemption_codes WHERE length(code_hash) = 64",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hashes, 25);
    // And never shown again.
    let batch = created["batch"]["id"].as_i64().expect("batch id");
    for path in [
        "/api/v1/admin/codes".to_owned(),
        format!("/api/v1/admin/codes/{batch}"),
    ] {
        let (_, body) = admin.get(&path).await;
        for code in &codes {
            assert!(!body.to_string().contains(&code[3..]), "{path}: {body}");
        }
    }
    assert_ledger_ok(&admin).await;
}

#[tokio::test]
async fn guesses_are_throttled_per_account_and_per_client_address() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let created = create_batch(&admin, json!({ "amount_micros": 3_000_000, "count": 2 })).await;
    let codes = codes_of(&created);
    let a = gw.new_user("a@example.com").await;
    let b = gw.new_user("b@example.com").await;
    let c = gw.new_user("c@example.com").await;
    let guess = |i: usize| format!("CK-ZZZZ-ZZZZ-ZZZZ-{i:04}");

    // Ten wrong codes lock the account, even against a real code.
    for i in 0..10 {
        assert_error(
            &redeem(&a, &guess(i)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    let reply = redeem(&a, &codes[0]).await;
    let message = assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(message.contains("try again in"), "{message}");
    let raw = a
        .request(reqwest::Method::POST, "/api/v1/redeem")
        .json(&json!({ "code": codes[0] }))
        .send()
        .await
        .expect("a request");
    assert_eq!(raw.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(raw.headers().contains_key("retry-after"));

    // Another account is not locked by it, and a real code (even one already redeemed) is no
    // guess: it does not count.
    let (status, body) = redeem(&b, &codes[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for _ in 0..12 {
        assert_error(
            &redeem(&b, &codes[0]).await,
            StatusCode::CONFLICT,
            "conflict",
        );
    }
    // The address has 10 guesses against it; b's 9 and c's first make 20 and lock it.
    for i in 0..9 {
        assert_error(
            &redeem(&b, &guess(100 + i)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_error(
        &redeem(&c, &guess(200)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let before = state(&gw);
    assert_error(
        &redeem(&c, &codes[1]).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    );
    assert_eq!(state(&gw), before, "a throttled redemption changes nothing");
    assert_eq!(balance_of(&c).await, 0);
    assert_ledger_ok(&admin).await;
}

#[tokio::test]
async fn promotional_batches_and_bonuses_write_promotional_typed_entries() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let user = gw.new_user("promo@example.com").await;
    let promo = create_batch(
        &admin,
        json!({ "amount_micros": 2_000_000, "count": 1, "promotional": true, "note": "launch" }),
    )
    .await;
    assert_eq!(promo["batch"]["promotional"], true);
    assert_eq!(promo["batch"]["note"], "launch");
    assert_eq!(promo["batch"]["created_by"], codexkey_tests::ADMIN_EMAIL);
    let paid = create_batch(&admin, json!({ "amount_micros": 3_000_000, "count": 1 })).await;
    let (status, body) = redeem(&user, &codes_of(&promo)[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["promotional"], true);
    let (status, body) = redeem(&user, &codes_of(&paid)[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["promotional"], false);

    // A bonus needs a reason and a positive amount; refused, nothing changes.
    let before = gw.snapshot();
    for bad in [
        json!({ "amount_micros": 1_500_000, "reason": "  " }),
        json!({ "amount_micros": 0, "reason": "why not" }),
        json!({ "amount_micros": -5, "reason": "why not" }),
    ] {
        assert_error(
            &admin
                .post("/api/v1/admin/users/promo@example.com/bonus", &bad)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
    }
    let (status, _) = admin
        .post(
            "/api/v1/admin/users/promo@example.com/bonus",
            &json!({ "amount_micros": 1 }),
        )
        .await;
    assert!(
        status.is_client_error(),
        "a bonus without `reason` is refused"
    );
    assert_error(
        &user
            .post(
                "/api/v1/admin/users/promo@example.com/bonus",
                &json!({ "amount_micros": 1, "reason": "me" }),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(gw.snapshot(), before);

    let (status, body) = admin
        .post(
            "/api/v1/admin/users/promo@example.com/bonus",
            &json!({ "amount_micros": 1_500_000, "reason": "beta tester" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["kind"], "bonus");
    assert_eq!(body["entry"]["promotional"], true);
    assert_eq!(body["entry"]["reason"], "beta tester");
    assert_eq!(body["account"]["balance_micros"], 6_500_000);

    let (status, page) = user.get("/api/v1/ledger").await;
    assert_eq!(status, StatusCode::OK);
    let seen: Vec<(String, i64, bool)> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_owned(),
                e["amount_micros"].as_i64().expect("amount"),
                e["promotional"].as_bool().expect("promotional"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("bonus".to_owned(), 1_500_000, true),
            ("code".to_owned(), 3_000_000, false),
            ("code".to_owned(), 2_000_000, true),
        ]
    );
    let snap = gw.snapshot();
    let flags: Vec<(&str, bool)> = snap
        .ledger
        .iter()
        .map(|e| (e.kind.as_str(), e.promotional))
        .collect();
    assert_eq!(flags, [("code", true), ("code", false), ("bonus", true)]);
    let bonus_audit = snap
        .audit
        .iter()
        .find(|a| a.action == "balance.bonus")
        .expect("the bonus is audited");
    assert_eq!(bonus_audit.target.as_deref(), Some("promo@example.com"));
    let (_, audit) = admin.get("/api/v1/admin/audit").await;
    let bonus = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|a| a["action"] == "balance.bonus")
        .expect("listed");
    assert_eq!(bonus["detail"]["reason"], "beta tester");
    assert_eq!(bonus["detail"]["amount_micros"], 1_500_000);
    assert_eq!(bonus["actor"], codexkey_tests::ADMIN_EMAIL);
    assert_eq!(balance_of(&user).await, 6_500_000);
    assert_ledger_ok(&admin).await;
}

#[tokio::test]
async fn batches_are_validated_and_admin_only() {
    install_crypto_provider();
    let gw = TestGateway::start().await;
    let admin = gw.admin().await;
    let user = gw.new_user("u@example.com").await;
    let before = gw.snapshot();
    for bad in [
        json!({ "amount_micros": 0, "count": 1 }),
        json!({ "amount_micros": 1, "count": 0 }),
        json!({ "amount_micros": 1, "count": 10_001 }),
        json!({ "amount_micros": 1, "count": 1, "expires_at": "2001-01-01T00:00:00Z" }),
        json!({ "amount_micros": 1, "count": 1, "note": "x".repeat(501) }),
    ] {
        assert_error(
            &admin.post("/api/v1/admin/codes", &bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
    }
    for reply in [
        user.post(
            "/api/v1/admin/codes",
            &json!({ "amount_micros": 1, "count": 1 }),
        )
        .await,
        user.get("/api/v1/admin/codes").await,
        user.post_empty("/api/v1/admin/codes/1/disable").await,
    ] {
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_error(
        &gw.client()
            .post(
                "/api/v1/redeem",
                &json!({ "code": "CK-AAAA-AAAA-AAAA-AAAA" }),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_eq!(gw.snapshot(), before);
    assert_eq!(code_rows(&gw), []);
    assert_ledger_ok(&admin).await;
}
