//! The control plane (`/api/v1/…`, `/healthz`, `/readyz`) over real HTTP against a gateway
//! running in this process on loopback.
//!
//! Each test starts its own gateway with its own database. Refusals are checked exactly: the
//! status, the error `type`, the message where it is stable, and that the refused request left
//! the database as it was ([`DbSnapshot`]).

// `allow`, not `expect`: this crate does not take the workspace lints (yet), and an `expect`
// that nothing fulfils is itself an error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_common::api::{Account, ApiKey, CreatedKey, LoginResponse};
use codexkey_common::key::hash_secret;
use codexkey_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, ApiClient, DbSnapshot, Reply, TestGateway, USER_PASSWORD,
    assert_error, contains_bytes, error_body,
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

const SESSION_EXPIRED: &str = "this session has expired; log in again (`codexkey login`)";
const SESSION_REVOKED: &str = "this session was ended by logout; log in again (`codexkey login`)";
const ACCOUNT_SUSPENDED: &str = "this account is suspended; contact the gateway's operator";
const WRONG_CREDENTIALS: &str = "wrong email or password";
const NEEDS_ADMIN: &str = "this needs an admin account";
const NEEDS_TOKEN: &str =
    "this needs a session token in `Authorization: Bearer …`; log in with `codexkey login`";
const BAD_TOKEN: &str = "invalid session token; log in with `codexkey login`";
const NEEDS_JSON: &str = "a JSON body is expected: send `Content-Type: application/json`";
const EMAIL_TAKEN: &str = "an account with this email already exists";

fn no_such_key(id: i64) -> String {
    format!("you have no key with id {id}; `codexkey keys list` shows yours")
}

fn adjust(amount_micros: i64, reason: &str) -> Value {
    json!({ "amount_micros": amount_micros, "reason": reason })
}

async fn create_key(client: &ApiClient, name: &str) -> CreatedKey {
    let (status, body) = client.post("/api/v1/keys", &json!({ "name": name })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn balance_of(client: &ApiClient) -> i64 {
    let (status, body) = client.get("/api/v1/balance").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["balance_micros"].as_i64().unwrap()
}

async fn login_reply(gw: &TestGateway, email: &str, password: &str) -> Reply {
    gw.client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
}

// ---------------------------------------------------------------------------------------------
// Health

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let gw = TestGateway::start().await;
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        gw.client().get("/healthz").await,
        (
            StatusCode::OK,
            json!({ "status": "ok", "version": version })
        )
    );
    assert_eq!(
        gw.client().get("/readyz").await,
        (
            StatusCode::OK,
            json!({ "status": "ready", "version": version })
        )
    );
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The happy path

#[tokio::test]
async fn happy_path_from_registration_to_a_verified_ledger() {
    let gw = TestGateway::start().await;
    let anon = gw.client();

    // Register: 201 with the account, email normalised.
    let (status, body) = anon
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "  Alice@Example.COM ", "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let registered_body = body.clone();
    let registered: Account = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(registered.email, ALICE);
    assert_eq!(body["role"], "user");
    assert_eq!(body["status"], "active");
    assert_eq!(body["language"], "en");
    assert_eq!(body["currency"], "USD");

    // Login: a `cks_` token, an expiry in the future (the default TTL is 30 days), the account.
    let (status, body) = login_reply(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let login: LoginResponse = serde_json::from_value(body).unwrap();
    assert!(login.token.starts_with("cks_"), "{}", login.token);
    assert_eq!(login.token.len(), 4 + 43);
    let ttl = login.expires_at - chrono::Utc::now();
    assert!(
        ttl > chrono::Duration::days(29) && ttl <= chrono::Duration::days(30),
        "{ttl}"
    );
    assert_eq!(login.account.id, registered.id);
    let alice = anon.with_token(&login.token);

    // Whoami.
    let (status, body) = alice.get("/api/v1/account").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, registered_body, "whoami shows the registered account");

    // Create two keys: the secret is shown once, `ck-` + 43 base62 = 46 characters.
    let first = create_key(&alice, "laptop").await;
    let second = create_key(&alice, "ci").await;
    for created in [&first, &second] {
        assert!(created.secret.starts_with("ck-"), "{}", created.secret);
        assert_eq!(created.secret.len(), 46, "{}", created.secret);
        assert!(
            created.secret[3..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric()),
            "{}",
            created.secret
        );
        assert_eq!(created.key.prefix, created.secret[..11]);
        assert_eq!(created.key.spent_micros.0, 0);
        assert!(created.key.revoked_at.is_none());
    }
    assert_ne!(first.secret, second.secret);

    // List: both keys, by prefix, in creation order, never a secret.
    let (status, list_body) = alice.get("/api/v1/keys").await;
    assert_eq!(status, StatusCode::OK, "{list_body}");
    let body = list_body.clone();
    let listed: Vec<ApiKey> = serde_json::from_value(body.clone()).unwrap();
    let ids: Vec<i64> = listed.iter().map(|k| k.id).collect();
    assert_eq!(ids, [first.key.id, second.key.id]);
    assert_eq!(listed[0].prefix, first.secret[..11]);
    assert_eq!(listed[1].prefix, second.secret[..11]);
    assert_eq!(body[0]["status"], "active");
    assert_eq!(body[0]["name"], "laptop");
    let listing = body.to_string();
    assert!(!listing.contains(&first.secret) && !listing.contains(&second.secret));
    assert!(body[0].get("secret").is_none());

    // Get one key.
    let (status, body) = alice.get(&format!("/api/v1/keys/{}", first.key.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, list_body[0]);

    // A fresh account has nothing.
    assert_eq!(
        alice.get("/api/v1/balance").await,
        (
            StatusCode::OK,
            json!({ "balance_micros": 0, "held_micros": 0, "available_micros": 0, "currency": "USD" })
        )
    );

    // The admin credits 10 credits with a reason.
    let admin = gw.admin().await;
    let (status, body) = admin
        .post(
            &format!("/api/v1/admin/users/{ALICE}/adjust"),
            &adjust(10_000_000, "welcome credit"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["kind"], "adjustment");
    assert_eq!(body["entry"]["amount_micros"], 10_000_000);
    assert_eq!(body["entry"]["balance_after_micros"], 10_000_000);
    assert_eq!(body["entry"]["actor"], ADMIN_EMAIL);
    assert_eq!(body["account"]["email"], ALICE);
    assert_eq!(body["account"]["balance_micros"], 10_000_000);

    // The balance is exactly 10 credits.
    assert_eq!(
        alice.get("/api/v1/balance").await,
        (
            StatusCode::OK,
            json!({
                "balance_micros": 10_000_000,
                "held_micros": 0,
                "available_micros": 10_000_000,
                "currency": "USD"
            })
        )
    );

    // The ledger has the entry, with the admin as actor.
    let (status, body) = alice.get("/api/v1/ledger").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{body}");
    let entry = &entries[0];
    assert_eq!(entry["kind"], "adjustment");
    assert_eq!(entry["amount_micros"], 10_000_000);
    assert_eq!(entry["balance_after_micros"], 10_000_000);
    assert_eq!(entry["reason"], "welcome credit");
    assert_eq!(entry["actor"], ADMIN_EMAIL);
    assert_eq!(entry["request_id"], Value::Null);
    assert_eq!(body["next_before"], Value::Null);
    // The admin's view of the same ledger agrees.
    let (status, admin_view) = admin
        .get(&format!("/api/v1/admin/users/{ALICE}/ledger"))
        .await;
    assert_eq!(status, StatusCode::OK, "{admin_view}");
    assert_eq!(admin_view, body);

    // Revoke the first key: it stays listed, as revoked.
    let (status, body) = alice
        .delete(&format!("/api/v1/keys/{}", first.key.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "revoked");
    assert!(body["revoked_at"].is_string(), "{body}");
    // Revoking again is idempotent.
    let (status, again) = alice
        .delete(&format!("/api/v1/keys/{}", first.key.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, body);

    // Rotate the second key: the old one is revoked, a new one with a new secret replaces it.
    let (status, body) = alice
        .post_empty(&format!("/api/v1/keys/{}/rotate", second.key.id))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rotated: CreatedKey = serde_json::from_value(body.clone()).unwrap();
    assert_ne!(rotated.secret, second.secret);
    assert_ne!(rotated.key.id, second.key.id);
    assert!(rotated.secret.starts_with("ck-") && rotated.secret.len() == 46);
    assert_eq!(rotated.key.prefix, rotated.secret[..11]);
    assert_eq!(body["key"]["status"], "active");
    assert_eq!(rotated.key.name.as_deref(), Some("ci"));
    let (_, old) = alice.get(&format!("/api/v1/keys/{}", second.key.id)).await;
    assert_eq!(old["status"], "revoked", "{old}");
    // A revoked key cannot be rotated.
    let reply = alice
        .post_empty(&format!("/api/v1/keys/{}/rotate", second.key.id))
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::CONFLICT,
            error_body("conflict", "this key is revoked; create a new one instead")
        )
    );
    let (_, body) = alice.get("/api/v1/keys").await;
    let statuses: Vec<(i64, &str)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].as_i64().unwrap(), k["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            (first.key.id, "revoked"),
            (second.key.id, "revoked"),
            (rotated.key.id, "active")
        ]
    );

    // The ledger check passes.
    assert_eq!(
        admin.get("/api/v1/admin/ledger/verify").await,
        (
            StatusCode::OK,
            json!({ "ok": true, "accounts_checked": 2, "entries_checked": 1, "mismatches": [],
            "anomalies": { "usage_invalid": 0, "capped_at_hold": 0, "capped_excess_micros": 0 } })
        )
    );

    // The audit log has the adjustment, with who, whom, how much and why.
    let (status, body) = admin.get("/api/v1/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let adjustments: Vec<&Value> = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "balance.adjust")
        .collect();
    assert_eq!(adjustments.len(), 1, "{body}");
    assert_eq!(adjustments[0]["actor"], ADMIN_EMAIL);
    assert_eq!(adjustments[0]["target"], ALICE);
    assert_eq!(
        adjustments[0]["detail"],
        json!({ "amount_micros": 10_000_000, "reason": "welcome credit" })
    );

    // The admin's user list shows the balance.
    let (status, body) = admin.get("/api/v1/admin/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let alice_row = body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == ALICE)
        .unwrap();
    assert_eq!(alice_row["balance_micros"], 10_000_000);
    assert_eq!(alice_row["held_micros"], 0);
    gw.stop().await;
}

#[tokio::test]
async fn preferences_are_validated_and_refusals_change_nothing() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let (status, body) = alice
        .patch(
            "/api/v1/account",
            &json!({ "language": "pt-BR", "currency": "rub" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["language"], &body["currency"]),
        (&json!("pt-BR"), &json!("RUB"))
    );

    let before = gw.snapshot();
    let reply = alice
        .patch("/api/v1/account", &json!({ "currency": "rubles" }))
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request",
                "`rubles` is not a currency code like `USD` or `RUB`"
            )
        )
    );
    let reply = alice
        .patch(
            "/api/v1/account",
            &json!({ "language": "en", "currency": "X" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(
        gw.snapshot(),
        before,
        "a refused update changes nothing, not even half of it"
    );
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Registration and login

#[tokio::test]
async fn duplicate_email_is_a_conflict_even_when_only_case_differs() {
    let gw = TestGateway::start().await;
    gw.register(ALICE, USER_PASSWORD).await;
    let before = gw.snapshot();

    for email in [ALICE, "ALICE@example.com", " Alice@Example.Com "] {
        let reply = gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": "Another-pass-93kd" }),
            )
            .await;
        assert_eq!(
            reply,
            (StatusCode::CONFLICT, error_body("conflict", EMAIL_TAKEN)),
            "{email}"
        );
    }
    // Also the bootstrapped admin's address.
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": ADMIN_EMAIL.to_uppercase(), "password": "Another-pass-93kd" }),
        )
        .await;
    assert_eq!(
        reply,
        (StatusCode::CONFLICT, error_body("conflict", EMAIL_TAKEN))
    );

    assert_eq!(gw.snapshot(), before);
    // The first registration's password still works, the second one's does not.
    gw.login(ALICE, USER_PASSWORD).await;
    assert_error(
        &login_reply(&gw, ALICE, "Another-pass-93kd").await,
        StatusCode::UNAUTHORIZED,
        "wrong_credentials",
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let gw = TestGateway::start().await;
    let mut set = JoinSet::new();
    for i in 0..8 {
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        set.spawn(gw.client().post(
            "/api/v1/auth/register",
            &json!({ "email": email, "password": USER_PASSWORD }),
        ));
    }
    let mut statuses = Vec::new();
    while let Some(reply) = set.join_next().await {
        let reply = reply.unwrap();
        if reply.0 == StatusCode::CONFLICT {
            assert_eq!(reply.1, error_body("conflict", EMAIL_TAKEN));
        }
        statuses.push(reply.0);
    }
    statuses.sort();
    let mut expected = vec![StatusCode::CREATED];
    expected.extend([StatusCode::CONFLICT; 7]);
    assert_eq!(statuses, expected);
    let accounts = gw.snapshot().accounts;
    assert_eq!(accounts.len(), 2, "the admin and one racer: {accounts:?}");
    gw.stop().await;
}

#[tokio::test]
async fn weak_passwords_are_refused() {
    let gw = TestGateway::start().await;
    let before = gw.snapshot();
    let cases = [
        ("short", "use at least 10 characters"),
        ("aaaaaaaaaaaaaaaa", "use at least 5 different characters"),
        ("abababababab1212", "use at least 5 different characters"),
        (
            "carol.longname@example.com",
            "it must not be your email address",
        ),
        ("CAROL.LONGNAME", "it must not be your email address"),
        (
            "password12",
            "this is a very common password; use a longer passphrase of several unrelated words",
        ),
        (
            "qwertyuiop",
            "this is a top-100 common password; use a longer passphrase of several unrelated words",
        ),
        (
            "Password123",
            "this is a very common password; use a longer passphrase of several unrelated words",
        ),
        (
            "longname2024",
            "it is easy to guess; use a longer passphrase of several unrelated words",
        ),
    ];
    for (password, why) in cases {
        let reply = gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": "carol.longname@example.com", "password": password }),
            )
            .await;
        assert_eq!(
            reply,
            (
                StatusCode::BAD_REQUEST,
                error_body("weak_password", &format!("the password is too weak: {why}"))
            ),
            "{password}"
        );
    }
    let too_long = "x1y2z3".repeat(200);
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "carol@example.com", "password": too_long }),
        )
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::BAD_REQUEST,
            error_body(
                "weak_password",
                "the password is too weak: use at most 1024 characters"
            )
        )
    );
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn emails_with_hidden_characters_are_refused_and_look_alikes_are_one_account() {
    let gw = TestGateway::start().await;
    let before = gw.snapshot();
    for (email, shown) in [
        ("eve\u{1b}[2J@example.com", "eve\\u{1b}[2J@example.com"),
        ("eve\u{7}@example.com", "eve\\u{7}@example.com"),
        ("eve\u{0}@example.com", "eve\\u{0}@example.com"),
        ("e\u{200b}ve@example.com", "e\\u{200b}ve@example.com"),
        ("eve@exam\u{202e}elpm.com", "eve@exam\\u{202e}elpm.com"),
    ] {
        let reply = gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": USER_PASSWORD }),
            )
            .await;
        assert_eq!(
            reply,
            (
                StatusCode::BAD_REQUEST,
                error_body(
                    "invalid_request",
                    &format!(
                        "`{shown}` is not an email address: it holds a control or invisible character"
                    )
                )
            ),
            "{email:?}"
        );
    }
    assert_eq!(gw.snapshot(), before, "nothing stored");

    // Fullwidth letters and other case normalise (NFKC, then lowercase) to the plain address:
    // the same account, for registering and for logging in.
    let (status, body) = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "Ｆｒｅｄ@Example.com", "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], "fred@example.com");
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "fred@example.com", "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(
        reply,
        (StatusCode::CONFLICT, error_body("conflict", EMAIL_TAKEN))
    );
    let (status, login) = gw
        .client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "ＦＲＥＤ@ＥＸＡＭＰＬＥ.ＣＯＭ", "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["account"]["email"], "fred@example.com");
    // Admins find it by either spelling.
    let admin = gw.admin().await;
    let (status, found) = admin
        .get("/api/v1/admin/users/%EF%BC%A6red@example.com")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    gw.stop().await;
}

#[tokio::test]
async fn malformed_emails_and_preferences_are_refused_at_registration() {
    let gw = TestGateway::start().await;
    let before = gw.snapshot();
    for email in [
        "",
        "no-at-sign",
        "@example.com",
        "a@",
        "a@b@c",
        "a b@example.com",
    ] {
        let reply = gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": USER_PASSWORD }),
            )
            .await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            message.ends_with("is not an email address"),
            "{email}: {message}"
        );
    }
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": ALICE, "password": USER_PASSWORD, "currency": "dollars" }),
        )
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::BAD_REQUEST,
            error_body(
                "invalid_request",
                "`dollars` is not a currency code like `USD` or `RUB`"
            )
        )
    );
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn registration_can_be_closed() {
    let gw = TestGateway::start_with(|c| c.auth.allow_registration = Some(false)).await;
    let before = gw.snapshot();
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": ALICE, "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::FORBIDDEN,
            error_body(
                "forbidden",
                "registration is closed on this gateway; ask its operator for an account"
            )
        )
    );
    assert_eq!(gw.snapshot(), before);
    // The admin still gets in.
    gw.admin().await;
    gw.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let gw = TestGateway::start().await;
    gw.register(ALICE, USER_PASSWORD).await;
    let before = gw.snapshot();

    let expected = (
        StatusCode::UNAUTHORIZED,
        error_body("wrong_credentials", WRONG_CREDENTIALS),
    );
    let upper = USER_PASSWORD.to_uppercase();
    let attempts = [
        (ALICE, "Wrong-pass-1234"),
        (ALICE, ""),
        (ALICE, upper.as_str()),
        ("nobody@example.com", USER_PASSWORD),
        ("nobody@example.com", "Wrong-pass-1234"),
        ("not an email", USER_PASSWORD),
        (ADMIN_EMAIL, USER_PASSWORD),
    ];
    for (email, password) in attempts {
        assert_eq!(
            login_reply(&gw, email, password).await,
            expected,
            "{email} / {password}"
        );
    }
    assert_eq!(gw.snapshot(), before, "failed logins create no session");
    // The email is case-insensitive at login too.
    gw.login("ALICE@example.com", USER_PASSWORD).await;
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn an_expired_session_is_refused() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let other = gw.login(ALICE, USER_PASSWORD).await;
    let token = alice.token().unwrap().to_owned();

    let yesterday = chrono::Utc::now().timestamp_millis() - 24 * 3600 * 1000;
    let changed = gw
        .db_rw()
        .execute(
            "UPDATE sessions SET expires_at = ?1 WHERE token_hash = ?2",
            codexkey_tests::params![yesterday, hash_secret(&token)],
        )
        .unwrap();
    assert_eq!(changed, 1);

    let before = gw.snapshot();
    let expected = (
        StatusCode::UNAUTHORIZED,
        error_body("session_expired", SESSION_EXPIRED),
    );
    assert_eq!(alice.get("/api/v1/account").await, expected);
    assert_eq!(alice.get("/api/v1/keys").await, expected);
    assert_eq!(
        alice.post("/api/v1/keys", &json!({ "name": "late" })).await,
        expected
    );
    assert_eq!(alice.post_empty("/api/v1/auth/logout").await, expected);
    assert_eq!(gw.snapshot(), before, "an expired session creates nothing");
    // Another session of the same account is unaffected.
    assert_eq!(other.get("/api/v1/account").await.0, StatusCode::OK);
    gw.stop().await;
}

#[tokio::test]
async fn sessions_expire_after_the_configured_ttl() {
    let gw = TestGateway::start_with(|c| c.auth.session_ttl_secs = Some(1)).await;
    gw.register(ALICE, USER_PASSWORD).await;
    let (status, body) = login_reply(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let login: LoginResponse = serde_json::from_value(body).unwrap();
    let ttl = login.expires_at - chrono::Utc::now();
    assert!(ttl <= chrono::Duration::seconds(1), "{ttl}");
    let alice = gw.client().with_token(&login.token);
    assert_eq!(alice.get("/api/v1/account").await.0, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        alice.get("/api/v1/account").await,
        (
            StatusCode::UNAUTHORIZED,
            error_body("session_expired", SESSION_EXPIRED)
        )
    );
    gw.stop().await;
}

#[tokio::test]
async fn logout_ends_only_that_session() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let other = gw.login(ALICE, USER_PASSWORD).await;

    assert_eq!(
        alice.post_empty("/api/v1/auth/logout").await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    let revoked = (
        StatusCode::UNAUTHORIZED,
        error_body("session_revoked", SESSION_REVOKED),
    );
    assert_eq!(alice.get("/api/v1/account").await, revoked);
    assert_eq!(alice.get("/api/v1/balance").await, revoked);
    let before = gw.snapshot();
    assert_eq!(alice.post_empty("/api/v1/auth/logout").await, revoked);
    assert_eq!(
        alice.post("/api/v1/keys", &json!({})).await,
        revoked,
        "no key for an ended session"
    );
    assert_eq!(gw.snapshot(), before);

    assert_eq!(other.get("/api/v1/account").await.0, StatusCode::OK);
    gw.stop().await;
}

#[tokio::test]
async fn missing_or_garbage_bearer_tokens_are_401() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let key = create_key(&alice, "k").await;
    let token = alice.token().unwrap().to_owned();
    let before = gw.snapshot();
    let anon = gw.client();

    let missing = (
        StatusCode::UNAUTHORIZED,
        error_body("unauthorized", NEEDS_TOKEN),
    );
    let invalid = (
        StatusCode::UNAUTHORIZED,
        error_body("unauthorized", BAD_TOKEN),
    );

    assert_eq!(anon.get("/api/v1/account").await, missing);
    assert_eq!(anon.post("/api/v1/keys", &json!({})).await, missing);
    assert_eq!(anon.get("/api/v1/admin/users").await, missing);
    for header in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_owned(),
        String::new(),
    ] {
        let reply = anon
            .send(
                anon.request(Method::GET, "/api/v1/account")
                    .header(AUTHORIZATION, &header),
            )
            .await;
        assert_eq!(reply, missing, "Authorization: {header}");
    }

    let mut truncated = token.clone();
    truncated.pop();
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'a' { 'b' } else { 'a' });
    for garbage in [
        "garbage",
        "Bearer",
        "cks_",
        truncated.as_str(),
        flipped.as_str(),
        key.secret.as_str(),          // an API key is not a session token
        hash_secret(&token).as_str(), // nor is what the database holds
        token.to_uppercase().as_str(),
    ] {
        let reply = anon.with_token(garbage).get("/api/v1/account").await;
        assert_eq!(reply, invalid, "Bearer {garbage}");
        let reply = anon
            .with_token(garbage)
            .post("/api/v1/keys", &json!({}))
            .await;
        assert_eq!(reply, invalid, "Bearer {garbage}");
    }
    // `Bearer` is case-insensitive and the token may be padded.
    let reply = anon
        .send(
            anon.request(Method::GET, "/api/v1/account")
                .header(AUTHORIZATION, format!("bearer   {token} ")),
        )
        .await;
    assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);

    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Bodies

#[tokio::test]
async fn malformed_json_is_refused() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let before = gw.snapshot();

    let cases: [(&ApiClient, &str, &str); 6] = [
        (
            &alice,
            "/api/v1/auth/register",
            r#"{"email": "x@example.com", "password": "#,
        ),
        (&alice, "/api/v1/auth/login", "not json at all"),
        (&alice, "/api/v1/keys", r#"{"name": "k",}"#),
        (&alice, "/api/v1/keys", ""),
        (
            &admin,
            &format!("/api/v1/admin/users/{ALICE}/adjust"),
            r#"{"amount_micros": 5, "reason": "x"#,
        ),
        (
            &admin,
            "/api/v1/auth/register",
            "{\"email\": \"\u{0}\"}trailing",
        ),
    ];
    for (client, path, raw) in cases {
        let reply = client
            .send(
                client
                    .request(Method::POST, path)
                    .header(CONTENT_TYPE, "application/json")
                    .body(raw.to_owned()),
            )
            .await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_json");
        assert!(
            message.starts_with("the body is not valid JSON: "),
            "{path} {raw:?}: {message}"
        );
    }
    // PATCH too.
    let reply = alice
        .send(
            alice
                .request(Method::PATCH, "/api/v1/account")
                .header(CONTENT_TYPE, "application/json")
                .body("{"),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_json");

    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn unknown_fields_are_refused_by_name() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let before = gw.snapshot();

    let cases: [(&ApiClient, Method, String, Value, &str); 5] = [
        (
            &alice,
            Method::POST,
            "/api/v1/auth/register".into(),
            json!({ "email": BOB, "password": USER_PASSWORD, "role": "admin" }),
            "role",
        ),
        (
            &alice,
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({ "email": ALICE, "password": USER_PASSWORD, "totp": "123456" }),
            "totp",
        ),
        (
            &alice,
            Method::POST,
            "/api/v1/keys".into(),
            json!({ "nmae": "typo" }),
            "nmae",
        ),
        (
            &alice,
            Method::PATCH,
            "/api/v1/account".into(),
            json!({ "currency": "EUR", "balance_micros": 1_000_000 }),
            "balance_micros",
        ),
        (
            &admin,
            Method::POST,
            format!("/api/v1/admin/users/{ALICE}/adjust"),
            json!({ "amount_micros": 5, "reason": "x", "force": true }),
            "force",
        ),
    ];
    for (client, method, path, body, field) in cases {
        let reply = client
            .send(client.request(method.clone(), &path).json(&body))
            .await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            message.starts_with("invalid request body: ")
                && message.contains(&format!("unknown field `{field}`")),
            "{method} {path}: {message}"
        );
    }
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_invalid_requests() {
    let gw = TestGateway::start().await;
    gw.register(ALICE, USER_PASSWORD).await;
    let admin = gw.admin().await;
    let before = gw.snapshot();
    let path = format!("/api/v1/admin/users/{ALICE}/adjust");

    // Type errors name the field.
    let cases = [
        (
            json!({ "amount_micros": 1.5, "reason": "x" }),
            "amount_micros: invalid type",
        ),
        (
            json!({ "amount_micros": "10", "reason": "x" }),
            "amount_micros: invalid type",
        ),
        (
            json!({ "amount_micros": 1e30, "reason": "x" }),
            "amount_micros: invalid type",
        ),
        (
            json!({ "amount_micros": 10, "reason": 7 }),
            "reason: invalid type",
        ),
        (
            json!({ "amount_micros": 10, "reason": null }),
            "reason: invalid type",
        ),
        (json!({ "amount_micros": 10 }), "missing field `reason`"),
        (json!({ "reason": "x" }), "missing field `amount_micros`"),
    ];
    for (body, expected) in cases {
        let reply = admin.post(&path, &body).await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(expected), "{body}: {message}");
    }
    // A body must be an object: serde would otherwise read `[10, "x"]` as the fields in order.
    let not_an_object = (
        StatusCode::BAD_REQUEST,
        error_body(
            "invalid_request",
            "invalid request body: expected a JSON object",
        ),
    );
    for body in [
        json!([10, "positional"]),
        json!([]),
        json!("10 credits"),
        json!(10),
        Value::Null,
    ] {
        assert_eq!(admin.post(&path, &body).await, not_an_object, "{body}");
    }
    assert_eq!(admin.post("/api/v1/keys", &json!([])).await, not_an_object);
    assert_eq!(
        gw.client()
            .post("/api/v1/auth/register", &json!([ALICE, USER_PASSWORD]))
            .await,
        not_an_object
    );
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_415() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let before = gw.snapshot();
    let expected = (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        error_body("unsupported_media_type", NEEDS_JSON),
    );
    let register = json!({ "email": BOB, "password": USER_PASSWORD }).to_string();

    let anon = gw.client();
    let reply = anon
        .send(
            anon.request(Method::POST, "/api/v1/auth/register")
                .body(register.clone()),
        )
        .await;
    assert_eq!(reply, expected, "no content type");
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        let reply = anon
            .send(
                anon.request(Method::POST, "/api/v1/auth/register")
                    .header(CONTENT_TYPE, content_type)
                    .body(register.clone()),
            )
            .await;
        assert_eq!(reply, expected, "{content_type}");
    }
    let reply = alice
        .send(alice.request(Method::POST, "/api/v1/keys").body("{}"))
        .await;
    assert_eq!(reply, expected);
    // A charset parameter is still JSON.
    let reply = alice
        .send(
            alice
                .request(Method::POST, "/api/v1/keys")
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body("{}"),
        )
        .await;
    assert_eq!(reply.0, StatusCode::CREATED, "{}", reply.1);

    let after = gw.snapshot();
    assert_eq!(after.accounts, before.accounts, "no account from a 415");
    assert_eq!(
        after.keys.len(),
        before.keys.len() + 1,
        "only the JSON request made a key"
    );
    gw.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let gw = TestGateway::start().await;
    let before = gw.snapshot();
    let huge = "x".repeat(3 * 1024 * 1024);
    let reply = gw
        .client()
        .post(
            "/api/v1/auth/register",
            &json!({ "email": ALICE, "password": huge }),
        )
        .await;
    assert_eq!(
        reply,
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            error_body(
                "payload_too_large",
                "the request body is larger than this endpoint accepts"
            )
        )
    );
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Keys

#[tokio::test]
async fn users_cannot_read_revoke_or_rotate_each_others_keys() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let bob = gw.new_user(BOB).await;
    let key = create_key(&alice, "alice's").await;
    let id = key.key.id;
    let before = gw.snapshot();

    let not_found = (
        StatusCode::NOT_FOUND,
        error_body("not_found", &no_such_key(id)),
    );
    assert_eq!(bob.get(&format!("/api/v1/keys/{id}")).await, not_found);
    assert_eq!(bob.delete(&format!("/api/v1/keys/{id}")).await, not_found);
    assert_eq!(
        bob.post_empty(&format!("/api/v1/keys/{id}/rotate")).await,
        not_found
    );
    assert_eq!(bob.get("/api/v1/keys").await, (StatusCode::OK, json!([])));

    // A key that does not exist gets the very same answer: nothing tells Bob that id is taken.
    let missing = id + 1000;
    assert_eq!(
        bob.get(&format!("/api/v1/keys/{missing}")).await,
        (
            StatusCode::NOT_FOUND,
            error_body("not_found", &no_such_key(missing))
        )
    );
    assert_eq!(
        alice.delete(&format!("/api/v1/keys/{missing}")).await,
        (
            StatusCode::NOT_FOUND,
            error_body("not_found", &no_such_key(missing))
        )
    );
    assert_eq!(gw.snapshot(), before);

    // Alice's key is untouched.
    let (status, body) = alice.get(&format!("/api/v1/keys/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "active");
    assert_eq!(body["revoked_at"], Value::Null);
    assert_eq!(body["prefix"], key.key.prefix);

    // Not even the admin reaches another account's keys through the user routes.
    let admin = gw.admin().await;
    assert_eq!(admin.delete(&format!("/api/v1/keys/{id}")).await, not_found);
    gw.stop().await;
}

#[tokio::test]
async fn key_ids_and_settings_are_validated() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let before = gw.snapshot();

    assert_eq!(
        alice.get("/api/v1/keys/abc").await,
        (
            StatusCode::BAD_REQUEST,
            error_body("invalid_request", "`abc` is not an id; ids are numbers")
        )
    );
    assert_error(
        &alice.delete("/api/v1/keys/1.5").await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let cases = [
        (
            json!({ "name": "n".repeat(101) }),
            "`name` is longer than 100 characters",
        ),
        (
            json!({ "expires_at": "2001-01-01T00:00:00Z" }),
            "`expires_at` is in the past",
        ),
        (
            json!({ "allowed_models": [] }),
            "`allowed_models` needs 1 to 256 model names; leave it out to allow every model",
        ),
        (
            json!({ "allowed_models": ["gpt-5", " "] }),
            "`allowed_models` has an empty model name",
        ),
        (
            json!({ "budget_micros": -1 }),
            "`budget_micros` cannot be negative",
        ),
        (
            json!({ "rpm_limit": 0 }),
            "`rpm_limit` must be at least 1; leave it out for no limit",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            alice.post("/api/v1/keys", &body).await,
            (
                StatusCode::BAD_REQUEST,
                error_body("invalid_request", message)
            ),
            "{body}"
        );
    }
    assert_error(
        &alice
            .post("/api/v1/keys", &json!({ "rpm_limit": -5 }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_eq!(gw.snapshot(), before);

    // Settings that pass are kept, and survive a rotation.
    let (status, body) = alice
        .post(
            "/api/v1/keys",
            &json!({
                "name": "limited",
                "expires_at": "2999-01-01T00:00:00Z",
                "allowed_models": ["gpt-5", "claude-sonnet-4-5"],
                "budget_micros": 5_000_000,
                "rpm_limit": 60
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["key"]["id"].as_i64().unwrap();
    let (status, rotated) = alice.post_empty(&format!("/api/v1/keys/{id}/rotate")).await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    for field in [
        "name",
        "expires_at",
        "allowed_models",
        "budget_micros",
        "rpm_limit",
    ] {
        assert_eq!(rotated["key"][field], body["key"][field], "{field}");
    }
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Admin

#[tokio::test]
async fn users_get_403_on_every_admin_route() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    gw.register(BOB, USER_PASSWORD).await;
    let before = gw.snapshot();

    let forbidden = (StatusCode::FORBIDDEN, error_body("forbidden", NEEDS_ADMIN));
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/admin/users".into(), None),
        (Method::GET, format!("/api/v1/admin/users/{ALICE}"), None),
        (Method::GET, format!("/api/v1/admin/users/{BOB}"), None),
        (
            Method::POST,
            format!("/api/v1/admin/users/{ALICE}/adjust"),
            Some(adjust(1_000_000_000, "free money")),
        ),
        // Even a malformed body is refused for the role first: nothing about the body leaks.
        (
            Method::POST,
            format!("/api/v1/admin/users/{ALICE}/adjust"),
            Some(json!({ "bogus": true })),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{BOB}/suspend"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{ADMIN_EMAIL}/suspend"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{ALICE}/activate"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/admin/users/{BOB}/ledger"),
            None,
        ),
        (Method::GET, "/api/v1/admin/ledger/verify".into(), None),
        (Method::GET, "/api/v1/admin/audit".into(), None),
        (
            Method::GET,
            "/api/v1/admin/users/nobody@example.com".into(),
            None,
        ),
    ];
    for (method, path, body) in &routes {
        let mut req = alice.request(method.clone(), path);
        if let Some(body) = body {
            req = req.json(body);
        }
        assert_eq!(alice.send(req).await, forbidden, "{method} {path}");
    }
    assert_eq!(gw.snapshot(), before);
    assert_eq!(balance_of(&alice).await, 0);

    // Without a session at all it is 401, not 403.
    let anon = gw.client();
    for (method, path, body) in &routes {
        let mut req = anon.request(method.clone(), path);
        if let Some(body) = body {
            req = req.json(body);
        }
        assert_eq!(
            anon.send(req).await,
            (
                StatusCode::UNAUTHORIZED,
                error_body("unauthorized", NEEDS_TOKEN)
            ),
            "{method} {path}"
        );
    }
    assert_eq!(gw.snapshot(), before);
    gw.stop().await;
}

#[tokio::test]
async fn refused_adjustments_leave_the_ledger_alone() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let path = format!("/api/v1/admin/users/{ALICE}/adjust");
    let (status, body) = admin.post(&path, &adjust(5_000_000, "seed")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, ledger_before) = alice.get("/api/v1/ledger").await;
    let before = gw.snapshot();

    let invalid = |m: &str| (StatusCode::BAD_REQUEST, error_body("invalid_request", m));
    let reason_required = invalid("`reason` is required: say why the balance changes");
    assert_eq!(
        admin.post(&path, &adjust(1_000_000, "")).await,
        reason_required
    );
    assert_eq!(
        admin.post(&path, &adjust(1_000_000, " \t\n ")).await,
        reason_required
    );
    let missing = admin
        .post(&path, &json!({ "amount_micros": 1_000_000 }))
        .await;
    let message = assert_error(&missing, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("missing field `reason`"), "{message}");
    assert_eq!(
        admin
            .post(&path, &adjust(1_000_000, &"r".repeat(501)))
            .await,
        invalid("`reason` is longer than 500 characters")
    );
    assert_eq!(
        admin.post(&path, &adjust(0, "nothing")).await,
        invalid("`amount_micros` must not be zero")
    );
    // 5 credits minus 10 would be -5.
    assert_eq!(
        admin.post(&path, &adjust(-10_000_000, "too much")).await,
        (
            StatusCode::CONFLICT,
            error_body(
                "conflict",
                "this would make the balance negative (-5.00 credits)"
            )
        )
    );
    assert_eq!(
        admin
            .post(&path, &adjust(-5_000_001, "one micro too much"))
            .await
            .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        admin.post(&path, &adjust(i64::MIN, "min")).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        admin.post(&path, &adjust(i64::MAX, "overflow")).await,
        (
            StatusCode::CONFLICT,
            error_body("conflict", "the balance would overflow")
        )
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/admin/users/nobody@example.com/adjust",
                &adjust(1_000_000, "ghost")
            )
            .await,
        (
            StatusCode::NOT_FOUND,
            error_body("not_found", "no account `nobody@example.com`")
        )
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/admin/users/99999/adjust",
                &adjust(1_000_000, "ghost")
            )
            .await,
        (
            StatusCode::NOT_FOUND,
            error_body("not_found", "no account `99999`")
        )
    );

    assert_eq!(gw.snapshot(), before);
    assert_eq!(balance_of(&alice).await, 5_000_000);
    assert_eq!(alice.get("/api/v1/ledger").await.1, ledger_before);
    let (_, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(check["ok"], true, "{check}");

    // Down to exactly zero is allowed; by id and by mixed-case email alike.
    let (status, body) = admin
        .post(
            "/api/v1/admin/users/ALICE@example.com/adjust",
            &adjust(-4_000_000, "refund part"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let alice_id = before.account(ALICE).unwrap().id;
    let (status, body) = admin
        .post(
            &format!("/api/v1/admin/users/{alice_id}/adjust"),
            &adjust(-1_000_000, "refund rest"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["balance_after_micros"], 0);
    assert_eq!(balance_of(&alice).await, 0);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_debits_never_overdraw() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let path = format!("/api/v1/admin/users/{ALICE}/adjust");
    assert_eq!(
        admin.post(&path, &adjust(5_000_000, "seed")).await.0,
        StatusCode::OK
    );

    let mut set = JoinSet::new();
    for i in 0..12 {
        set.spawn(admin.post(&path, &adjust(-1_000_000, &format!("debit {i}"))));
    }
    let (mut ok, mut refused) = (0, 0);
    while let Some(reply) = set.join_next().await {
        match reply.unwrap() {
            (StatusCode::OK, _) => ok += 1,
            (StatusCode::CONFLICT, body) => {
                assert_eq!(body["error"]["type"], "conflict");
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, refused), (5, 7));
    assert_eq!(balance_of(&alice).await, 0);
    let (_, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(
        check,
        json!({ "ok": true, "accounts_checked": 2, "entries_checked": 6, "mismatches": [],
            "anomalies": { "usage_invalid": 0, "capped_at_hold": 0, "capped_excess_micros": 0 } })
    );
    // Every entry's running balance is consistent and never negative.
    let ledger = gw.snapshot().ledger;
    let mut running = 0;
    for row in &ledger {
        running += row.amount_micros;
        assert_eq!(row.balance_after_micros, running, "{row:?}");
        assert!(running >= 0);
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_suspended_user_can_neither_log_in_nor_use_a_session() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let key = create_key(&alice, "k").await;
    let admin = gw.admin().await;

    let (status, body) = admin
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/suspend"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "suspended");

    let suspended = (
        StatusCode::FORBIDDEN,
        error_body("account_suspended", ACCOUNT_SUSPENDED),
    );
    let before = gw.snapshot();
    assert_eq!(login_reply(&gw, ALICE, USER_PASSWORD).await, suspended);
    assert_eq!(alice.get("/api/v1/account").await, suspended);
    assert_eq!(alice.get("/api/v1/balance").await, suspended);
    assert_eq!(alice.post("/api/v1/keys", &json!({})).await, suspended);
    assert_eq!(
        alice.delete(&format!("/api/v1/keys/{}", key.key.id)).await,
        suspended
    );
    assert_eq!(alice.post_empty("/api/v1/auth/logout").await, suspended);
    // A wrong password is still just a wrong password.
    assert_eq!(
        login_reply(&gw, ALICE, "Wrong-pass-1234").await,
        (
            StatusCode::UNAUTHORIZED,
            error_body("wrong_credentials", WRONG_CREDENTIALS)
        )
    );
    assert_eq!(gw.snapshot(), before, "no session, no key change");

    // An admin cannot lock themselves out.
    assert_eq!(
        admin
            .post_empty(&format!("/api/v1/admin/users/{ADMIN_EMAIL}/suspend"))
            .await,
        (
            StatusCode::CONFLICT,
            error_body("conflict", "you cannot suspend your own account")
        )
    );

    // Reactivated, Alice logs in again.
    let (status, body) = admin
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/activate"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "active");
    gw.login(ALICE, USER_PASSWORD).await;

    let (_, audit) = admin.get("/api/v1/admin/audit").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == ALICE)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["account.activate", "account.suspend", "account.register"],
        "newest first"
    );
    gw.stop().await;
}

#[tokio::test]
async fn page_parameters_are_validated() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let path = format!("/api/v1/admin/users/{ALICE}/adjust");
    for i in 1..=3 {
        let reply = admin.post(&path, &adjust(i, &format!("entry {i}"))).await;
        assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);
    }
    // Paging walks newest to oldest.
    let (status, page) = alice.get("/api/v1/ledger?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let amounts: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount_micros"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [3, 2]);
    let before = page["next_before"].as_i64().unwrap();
    let (_, page) = alice
        .get(&format!("/api/v1/ledger?limit=2&before={before}"))
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["entries"][0]["amount_micros"], 1);
    assert_eq!(page["next_before"], Value::Null);

    let limit = (
        StatusCode::BAD_REQUEST,
        error_body("invalid_request", "`limit` must be between 1 and 500"),
    );
    assert_eq!(alice.get("/api/v1/ledger?limit=0").await, limit);
    assert_eq!(alice.get("/api/v1/ledger?limit=501").await, limit);
    assert_eq!(admin.get("/api/v1/admin/audit?limit=0").await, limit);
    for query in ["limit=-1", "limit=ten", "before=x", "page=2"] {
        let reply = alice.get(&format!("/api/v1/ledger?{query}")).await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            message.starts_with("invalid query string: "),
            "{query}: {message}"
        );
    }
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Routing

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let anon = gw.client();
    for path in ["/nope", "/api/v1/nope", "/api/v2/keys", "/api/v1/keys/1/2"] {
        assert_eq!(
            anon.get(path).await,
            (
                StatusCode::NOT_FOUND,
                error_body("not_found", &format!("no route for GET {path}"))
            ),
            "{path}"
        );
    }
    // Known route, unknown method: 405 names the whole path as the client sent it.
    assert_eq!(
        alice.send(alice.request(Method::PUT, "/api/v1/keys")).await,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            error_body("method_not_allowed", "/api/v1/keys does not accept PUT")
        )
    );
    assert_eq!(
        anon.post("/healthz", &json!({})).await,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            error_body("method_not_allowed", "/healthz does not accept POST")
        )
    );
    assert_eq!(
        anon.get("/api/v1/auth/login").await,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            error_body(
                "method_not_allowed",
                "/api/v1/auth/login does not accept GET"
            )
        )
    );
    gw.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Persistence and secrets at rest

#[tokio::test]
async fn data_survives_a_restart_and_the_admin_is_created_once() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let key = create_key(&alice, "k").await;
    let admin = gw.admin().await;
    admin
        .post(
            &format!("/api/v1/admin/users/{ALICE}/adjust"),
            &adjust(2_500_000, "before restart"),
        )
        .await;
    let token = alice.token().unwrap().to_owned();
    let before = gw.snapshot();

    let gw = gw.restart().await;
    assert_eq!(gw.snapshot(), before, "a restart writes nothing");
    let alice = gw.client().with_token(&token);
    assert_eq!(
        balance_of(&alice).await,
        2_500_000,
        "the session and balance survive"
    );
    let (_, keys) = alice.get("/api/v1/keys").await;
    assert_eq!(keys[0]["prefix"], key.key.prefix);
    gw.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    gw.stop().await;
}

#[tokio::test]
async fn no_secret_reaches_the_database_files() {
    let gw = TestGateway::start().await;
    let password = "Secret-pass-Zq7w1Lk9Rt";
    gw.register(ALICE, password).await;
    let (status, body) = login_reply(&gw, ALICE, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let alice = gw.client().with_token(&token);
    let key = create_key(&alice, "scan-me").await;
    let (status, rotated) = alice
        .post_empty(&format!("/api/v1/keys/{}/rotate", key.key.id))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let rotated_secret = rotated["secret"].as_str().unwrap().to_owned();
    let admin = gw.admin().await;
    let (status, body) = admin
        .post(
            &format!("/api/v1/admin/users/{ALICE}/adjust"),
            &adjust(10_000_000, "scan credit"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin_token = admin.token().unwrap().to_owned();

    let files = gw.database_files();
    let all: Vec<u8> = files.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();

    // The scan sees what was written: display prefixes, hashes, the reason, the email.
    for (what, needle) in [
        ("key prefix", key.key.prefix.clone()),
        ("rotated key prefix", rotated_secret[..11].to_owned()),
        ("key hash", hash_secret(&key.secret)),
        ("session hash", hash_secret(&token)),
        ("adjustment reason", "scan credit".to_owned()),
        ("email", ALICE.to_owned()),
        ("argon2 hash", "$argon2id$".to_owned()),
    ] {
        assert!(
            contains_bytes(&all, needle.as_bytes()),
            "the {what} should be in {names:?}; otherwise the scan proves nothing"
        );
    }
    // And never a secret, whole or as its random part.
    for (what, secret) in [
        ("key secret", key.secret.as_str()),
        ("rotated key secret", rotated_secret.as_str()),
        ("user password", password),
        ("admin password", ADMIN_PASSWORD),
        ("user session token", token.as_str()),
        ("admin session token", admin_token.as_str()),
    ] {
        for (path, bytes) in &files {
            assert!(
                !contains_bytes(bytes, secret.as_bytes()),
                "the {what} is in {}",
                path.display()
            );
        }
        let random_tail = &secret[secret.len().saturating_sub(16)..];
        assert!(
            !contains_bytes(&all, random_tail.as_bytes()),
            "part of the {what} is in {names:?}"
        );
    }
    gw.stop().await;
}

// The snapshot helper itself: it must notice a change, or the "nothing changed" checks above
// would pass vacuously.
#[tokio::test]
async fn the_snapshot_notices_changes() {
    let gw = TestGateway::start().await;
    let empty = gw.snapshot();
    assert_eq!(empty.accounts.len(), 1);
    assert_eq!(empty.accounts[0].email, ADMIN_EMAIL);
    assert_eq!(empty.accounts[0].role, "admin");
    let alice = gw.new_user(ALICE).await;
    let s1 = gw.snapshot();
    assert_ne!(s1, empty);
    create_key(&alice, "k").await;
    let s2 = gw.snapshot();
    assert_ne!(s2, s1);
    assert_eq!(s2.keys.len(), 1);
    alice.post_empty("/api/v1/auth/logout").await;
    assert_ne!(gw.snapshot(), s2);
    let _ = DbSnapshot::read(&gw.db()).unwrap();
    gw.stop().await;
}
