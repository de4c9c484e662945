//! Two-factor login, sessions and password changes through the API of a running gateway, with
//! authenticator codes from an independent TOTP implementation (`pyotp`, see
//! `codexkey_tests::totp`).
//!
//! Codes are asked for by their offset from the current time step: -1, 0 and +1 are all inside
//! the gateway's ±1 skew, and each is accepted only once and only after an earlier one, so a
//! test spends them in that order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_common::Secret;
use codexkey_tests::totp::{self, MASTER_KEY};
use codexkey_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, ApiClient, TestGateway, USER_PASSWORD, assert_error,
    contains_bytes, error_body,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const NEW_PASSWORD: &str = "a quite different passphrase 42";

async fn gateway() -> TestGateway {
    TestGateway::start_with(|c| c.master_key = Some(Secret::new(MASTER_KEY.to_owned()))).await
}

/// pyotp's code `offset` steps from now, off the runtime's thread (it may wait for a step).
async fn code(secret: &str, offset: i64) -> String {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || totp::code(&secret, offset))
        .await
        .unwrap()
}

/// A six-digit code that is none of the codes valid now.
async fn wrong_code(secret: &str) -> String {
    let valid = [
        code(secret, -1).await,
        code(secret, 0).await,
        code(secret, 1).await,
    ];
    (0..)
        .map(|n| format!("{:06}", (123_457 + n * 7919) % 1_000_000))
        .find(|c| !valid.contains(c))
        .unwrap()
}

fn password_of(email: &str) -> &'static str {
    if email == ADMIN_EMAIL {
        ADMIN_PASSWORD
    } else {
        USER_PASSWORD
    }
}

/// Enrols `user` and confirms with the code of the previous step; returns the secret and the
/// recovery codes.
async fn enrol(user: &ApiClient, email: &str) -> (String, Vec<String>) {
    let (status, body) = user
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": password_of(email) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let uri = body["otpauth_uri"].as_str().unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    // The URI is one authenticator apps read, for this account, with this secret.
    assert_eq!(totp::secret_of_uri(uri), secret);
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/codexkey:{}?",
            email.replace('@', "%40")
        )),
        "{uri}"
    );
    let (status, body) = user
        .post(
            "/api/v1/account/2fa/confirm",
            &json!({ "code": code(&secret, -1).await }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The password step; returns its body.
async fn password_step(gw: &TestGateway, email: &str, password: &str) -> (StatusCode, Value) {
    gw.client()
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
}

/// The password step of an account with two-factor login: its challenge.
async fn challenge(gw: &TestGateway, email: &str, password: &str) -> String {
    let (status, body) = password_step(gw, email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["two_factor_required"], true, "{body}");
    assert!(
        body.get("token").is_none() && body.get("account").is_none(),
        "{body}"
    );
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(gw: &TestGateway, body: Value) -> (StatusCode, Value) {
    gw.client().post("/api/v1/auth/login/2fa", &body).await
}

#[tokio::test]
async fn enrol_confirm_and_log_in_with_a_code_or_a_recovery_code() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let (_, me) = alice.get("/api/v1/account").await;
    assert_eq!(me["two_factor"], false);

    // A pending enrolment changes nothing for logins; a wrong code does not confirm it.
    let (status, body) = alice
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pending_secret = body["secret"].as_str().unwrap().to_owned();
    let (status, body) = password_step(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["token"].is_string(), "still one step: {body}");
    let wrong = wrong_code(&pending_secret).await;
    let r = alice
        .post("/api/v1/account/2fa/confirm", &json!({ "code": wrong }))
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    assert_eq!(alice.get("/api/v1/account").await.1["two_factor"], false);

    // Enrolling again replaces the pending secret; confirming turns it on.
    let (secret, recovery) = enrol(&alice, ALICE).await;
    assert_ne!(secret, pending_secret);
    assert_eq!(recovery.len(), 10);
    let mut unique = recovery.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "distinct codes");
    assert_eq!(alice.get("/api/v1/account").await.1["two_factor"], true);
    let r = alice
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": USER_PASSWORD }),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "conflict");

    // The password step now answers with a challenge, which is not a session token.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = gw.client().with_token(&c).get("/api/v1/account").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");

    // The code of this step logs in.
    let now_code = code(&secret, 0).await;
    let (status, body) = second_step(&gw, json!({ "challenge": c, "code": now_code })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account"]["email"], ALICE);
    let session = gw.client().with_token(body["token"].as_str().unwrap());
    assert_eq!(session.get("/api/v1/account").await.0, StatusCode::OK);

    // The same code again, in its window, is refused; so is an older one.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = second_step(&gw, json!({ "challenge": c, "code": now_code })).await;
    assert_eq!(
        r.1,
        error_body(
            "wrong_code",
            "wrong code, or a code already used; enter the code your authenticator app shows now, or an unused recovery code"
        )
    );
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, -1).await }),
    )
    .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    // The next step's code (one step of skew) works.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let (status, body) = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 1).await }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A recovery code works once; typed in capitals without dashes it is the same code.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let (status, body) =
        second_step(&gw, json!({ "challenge": c, "recovery_code": recovery[0] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = second_step(&gw, json!({ "challenge": c, "recovery_code": recovery[0] })).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let typed = recovery[1].replace('-', "").to_uppercase();
    let (status, body) = second_step(&gw, json!({ "challenge": c, "recovery_code": typed })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Bad input: both proofs, or none; refused before the challenge is spent.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": "123456", "recovery_code": recovery[2] }),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    let r = second_step(&gw, json!({ "challenge": c })).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    let r = second_step(&gw, json!({ "challenge": c, "code": "1", "extra": 1 })).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, _) =
        second_step(&gw, json!({ "challenge": c, "recovery_code": recovery[2] })).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the challenge survived the refused requests"
    );

    let audit = gw.admin().await.get("/api/v1/admin/audit").await.1;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"account.2fa_enable"), "{audit}");
}

#[tokio::test]
async fn a_challenge_serves_one_attempt_and_expires() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let (secret, _) = enrol(&alice, ALICE).await;

    // A wrong code spends the challenge: the right one cannot follow on it.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let wrong = wrong_code(&secret).await;
    let r = second_step(&gw, json!({ "challenge": c, "code": wrong })).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 0).await }),
    )
    .await;
    assert_eq!(
        r.1,
        error_body(
            "invalid_challenge",
            "this login challenge is unknown, used or expired; log in with your password again"
        )
    );

    // A used one, even after success.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let ok = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 0).await }),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 1).await }),
    )
    .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_challenge");

    // An expired one (its expiry moved into the past in the database).
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let moved = gw
        .db_rw()
        .execute(
            "UPDATE login_challenges SET expires_at = 1 WHERE used_at IS NULL",
            [],
        )
        .unwrap();
    assert_eq!(moved, 1);
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 1).await }),
    )
    .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_challenge");
    // And a made-up one.
    let r = second_step(
        &gw,
        json!({ "challenge": "ck_chal_nope", "code": "123456" }),
    )
    .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_challenge");
}

#[tokio::test]
async fn a_wrong_password_says_nothing_about_two_factor() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    gw.new_user(BOB).await;
    enrol(&alice, ALICE).await;
    let wrong = error_body("wrong_credentials", "wrong email or password");
    for email in [ALICE, BOB, "nobody@example.com"] {
        let (status, body) = password_step(&gw, email, "not the password 123").await;
        assert_eq!(
            (status, &body),
            (StatusCode::UNAUTHORIZED, &wrong),
            "{email}"
        );
    }
    // Only the right password earns a challenge.
    challenge(&gw, ALICE, USER_PASSWORD).await;
    let (status, body) = password_step(&gw, BOB, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["token"].is_string() && body.get("challenge").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_second_steps_are_throttled_per_account() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let bob = gw.new_user(BOB).await;
    let (secret, _) = enrol(&alice, ALICE).await;
    let (bob_secret, _) = enrol(&bob, BOB).await;
    let wrong = wrong_code(&secret).await;
    for _ in 0..5 {
        let c = challenge(&gw, ALICE, USER_PASSWORD).await;
        let r = second_step(&gw, json!({ "challenge": c, "code": wrong })).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    }
    // Locked: even the right code is refused, with `retry-after`, without being checked.
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let resp = codexkey_tests::http_client()
        .post(format!("{}/api/v1/auth/login/2fa", gw.base_url()))
        .json(&json!({ "challenge": c, "code": code(&secret, 0).await }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "too_many_attempts");

    // Another account from the same address is not locked by it.
    let c = challenge(&gw, BOB, USER_PASSWORD).await;
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&bob_secret, 0).await }),
    )
    .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);

    // After the lock, the right code logs in (the code refused while locked was not spent).
    tokio::time::sleep(Duration::from_millis(retry * 1000 + 100)).await;
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let r = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 0).await }),
    )
    .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
}

#[tokio::test]
async fn secrets_are_not_in_the_database_in_clear() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let (secret, recovery) = enrol(&alice, ALICE).await;
    let c = challenge(&gw, ALICE, USER_PASSWORD).await;
    let (_, body) = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 0).await }),
    )
    .await;
    let token = body["token"].as_str().unwrap().to_owned();
    // The raw secret too, not only its base32 form.
    let raw = {
        let script_secret = secret.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python"),
            )
            .args([
                "-c",
                "import sys, base64; sys.stdout.write(base64.b32decode(sys.argv[1] + '=' * (-len(sys.argv[1]) % 8)).hex())",
                &script_secret,
            ])
            .output()
            .unwrap();
            hex_decode(&String::from_utf8(out.stdout).unwrap())
        })
        .await
        .unwrap()
    };
    assert_eq!(raw.len(), 20, "a 160-bit secret");
    let files = gw.database_files();
    for (path, bytes) in &files {
        let name = path.display();
        assert!(
            !contains_bytes(bytes, secret.as_bytes()),
            "base32 secret in {name}"
        );
        assert!(!contains_bytes(bytes, &raw), "raw secret in {name}");
        assert!(
            !contains_bytes(bytes, secret.to_lowercase().as_bytes()),
            "lower-case secret in {name}"
        );
        for r in &recovery {
            assert!(
                !contains_bytes(bytes, r.as_bytes()),
                "recovery code in {name}"
            );
            assert!(
                !contains_bytes(bytes, r.replace('-', "").as_bytes()),
                "recovery code in {name}"
            );
        }
        assert!(!contains_bytes(bytes, c.as_bytes()), "challenge in {name}");
        assert!(
            !contains_bytes(bytes, token.as_bytes()),
            "session token in {name}"
        );
    }
    // What is there is sealed: nonce, ciphertext and tag.
    let sealed: Vec<u8> = gw
        .db()
        .query_row("SELECT secret_sealed FROM account_totp", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        sealed.len(),
        24 + 32 + 16,
        "XChaCha20-Poly1305 of the base32 secret"
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn enrolment_needs_the_password() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let r = alice
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": "not the password 123" }),
        )
        .await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            error_body("wrong_credentials", "the current password is wrong")
        )
    );
    let r = alice.post_empty("/api/v1/account/2fa/enroll").await;
    assert_error(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let rows: i64 = gw
        .db()
        .query_row("SELECT COUNT(*) FROM account_totp", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "nothing stored");
}

#[tokio::test]
async fn enrolment_needs_a_master_key() {
    let gw = TestGateway::start().await;
    let alice = gw.new_user(ALICE).await;
    let r = alice
        .post(
            "/api/v1/account/2fa/enroll",
            &json!({ "password": USER_PASSWORD }),
        )
        .await;
    let message = assert_error(&r, StatusCode::CONFLICT, "conflict");
    assert!(
        message.contains("`master_key`") && message.contains("openssl rand -hex 32"),
        "{message}"
    );
    let rows: i64 = gw
        .db()
        .query_row("SELECT COUNT(*) FROM account_totp", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "nothing stored");
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password_and_a_code() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let (secret, recovery) = enrol(&alice, ALICE).await;
    let wrong = wrong_code(&secret).await;
    let r = alice
        .post(
            "/api/v1/account/2fa/disable",
            &json!({ "password": "not the password 123", "code": code(&secret, 0).await }),
        )
        .await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            error_body("wrong_credentials", "the current password is wrong")
        )
    );
    let r = alice
        .post(
            "/api/v1/account/2fa/disable",
            &json!({ "password": USER_PASSWORD, "code": wrong }),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "wrong_code");
    let r = alice
        .post(
            "/api/v1/account/2fa/disable",
            &json!({ "password": USER_PASSWORD }),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(
        alice.get("/api/v1/account").await.1["two_factor"],
        true,
        "still on"
    );

    let (status, body) = alice
        .post(
            "/api/v1/account/2fa/disable",
            &json!({ "password": USER_PASSWORD, "recovery_code": recovery[3] }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(alice.get("/api/v1/account").await.1["two_factor"], false);
    let (status, body) = password_step(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["token"].is_string(), "one step again: {body}");
    let left: i64 = gw
        .db()
        .query_row("SELECT COUNT(*) FROM recovery_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "the recovery codes went with it");
    let r = alice
        .post(
            "/api/v1/account/2fa/disable",
            &json!({ "password": USER_PASSWORD, "code": "123456" }),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn an_admin_resets_a_users_two_factor_login_audited() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let bob = gw.new_user(BOB).await;
    enrol(&alice, ALICE).await;
    let r = bob
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/reset-2fa"))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");

    let admin = gw.admin().await;
    let (status, body) = admin
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/reset-2fa"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["email"].as_str(), &body["two_factor"]),
        (Some(ALICE), &json!(false))
    );
    let r = admin
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/reset-2fa"))
        .await;
    assert_error(&r, StatusCode::CONFLICT, "conflict");
    let r = admin
        .post_empty("/api/v1/admin/users/nobody@example.com/reset-2fa")
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");

    let (actor, target): (String, String) = gw
        .db()
        .query_row(
            "SELECT a.email, l.target FROM audit_log l JOIN accounts a ON a.id = l.actor_id
             WHERE l.action = 'account.2fa_reset'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((actor.as_str(), target.as_str()), (ADMIN_EMAIL, ALICE));
    let (status, body) = password_step(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["token"].is_string(),
        "the password alone again: {body}"
    );
}

#[tokio::test]
async fn admins_without_two_factor_may_only_enrol_when_it_is_required() {
    let gw = TestGateway::start_with(|c| {
        c.master_key = Some(Secret::new(MASTER_KEY.to_owned()));
        c.auth.require_2fa_for_admins = Some(true);
    })
    .await;
    let user = gw.new_user(ALICE).await;
    let admin = gw.admin().await;
    let required = error_body(
        "two_factor_required",
        "this gateway requires two-factor login for admins; turn it on with `codexkey account 2fa enable` (until then this session may only enrol)",
    );
    for (method, path) in [
        (Method::GET, "/api/v1/admin/users"),
        (Method::GET, "/api/v1/keys"),
        (Method::GET, "/api/v1/balance"),
        (Method::GET, "/api/v1/account/sessions"),
        (Method::POST, "/api/v1/admin/backup"),
    ] {
        let r = admin.send(admin.request(method.clone(), path)).await;
        assert_eq!(
            r,
            (StatusCode::FORBIDDEN, required.clone()),
            "{method} {path}"
        );
    }
    // Who it is, and logging out, still answer; users are not concerned.
    let (status, me) = admin.get("/api/v1/account").await;
    assert_eq!(
        (status, me["two_factor"].clone()),
        (StatusCode::OK, json!(false))
    );
    assert_eq!(user.get("/api/v1/keys").await.0, StatusCode::OK);

    // Enrolling from that session lifts it, for the same session.
    let (secret, _) = enrol(&admin, ADMIN_EMAIL).await;
    let (status, body) = admin.get("/api/v1/admin/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // And the next login takes two steps.
    let c = challenge(&gw, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, body) = second_step(
        &gw,
        json!({ "challenge": c, "code": code(&secret, 0).await }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = gw.client().with_token(body["token"].as_str().unwrap());
    assert_eq!(again.get("/api/v1/admin/users").await.0, StatusCode::OK);
    assert_eq!(
        admin.post_empty("/api/v1/auth/logout").await.0,
        StatusCode::NO_CONTENT
    );
}

/// Logs in as `email` from a client that says it is `agent`.
async fn login_as(gw: &TestGateway, email: &str, password: &str, agent: &str) -> ApiClient {
    let client = gw.client();
    let (status, body) = client
        .send(
            client
                .request(Method::POST, "/api/v1/auth/login")
                .header("user-agent", agent)
                .json(&json!({ "email": email, "password": password })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    client.with_token(body["token"].as_str().unwrap())
}

#[tokio::test]
async fn sessions_are_listed_and_revoked() {
    let gw = gateway().await;
    gw.register(ALICE, USER_PASSWORD).await;
    let bob = gw.new_user(BOB).await;
    let laptop = login_as(&gw, ALICE, USER_PASSWORD, "laptop/1.0").await;
    let phone = login_as(&gw, ALICE, USER_PASSWORD, "phone/2.0").await;
    let tablet = login_as(&gw, ALICE, USER_PASSWORD, "tablet/3.0").await;

    let (status, list) = laptop.get("/api/v1/account/sessions").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    let agents: Vec<&str> = list
        .iter()
        .map(|s| s["user_agent"].as_str().unwrap())
        .collect();
    assert_eq!(
        agents,
        ["laptop/1.0", "phone/2.0", "tablet/3.0"],
        "oldest first"
    );
    let current: Vec<bool> = list
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [true, false, false]);
    for s in list {
        assert_eq!(s["client_ip"], "127.0.0.1", "{s}");
        assert!(
            s["created_at"].is_string() && s["last_used_at"].is_string(),
            "{s}"
        );
        assert!(s["expires_at"].is_string(), "{s}");
    }
    let phone_id = list[1]["id"].as_i64().unwrap();

    // Nobody else's session, and nothing that is not there.
    let bobs = bob.get("/api/v1/account/sessions").await.1;
    let bob_id = bobs[0]["id"].as_i64().unwrap();
    let r = laptop
        .delete(&format!("/api/v1/account/sessions/{bob_id}"))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        bob.get("/api/v1/account").await.0,
        StatusCode::OK,
        "untouched"
    );
    let r = laptop.delete("/api/v1/account/sessions/abc").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");

    let (status, _) = laptop
        .delete(&format!("/api/v1/account/sessions/{phone_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let r = phone.get("/api/v1/account").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "session_revoked");
    let r = laptop
        .delete(&format!("/api/v1/account/sessions/{phone_id}"))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");

    let (status, body) = laptop
        .post_empty("/api/v1/account/sessions/revoke-others")
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "revoked": 1 })));
    assert_error(
        &tablet.get("/api/v1/account").await,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    );
    let (_, list) = laptop.get("/api/v1/account/sessions").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        bob.get("/api/v1/account").await.0,
        StatusCode::OK,
        "other accounts keep theirs"
    );
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let gw = gateway().await;
    let alice = gw.new_user(ALICE).await;
    let last_used = || -> i64 {
        gw.db()
            .query_row("SELECT last_used_at FROM sessions", [], |r| r.get(0))
            .unwrap()
    };
    // Recent: a request does not write it.
    let recent = chrono::Utc::now().timestamp_millis() - 30_000;
    gw.db_rw()
        .execute("UPDATE sessions SET last_used_at = ?1", [recent])
        .unwrap();
    for _ in 0..3 {
        assert_eq!(alice.get("/api/v1/account").await.0, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(last_used(), recent);
    // A minute old: the next request records it (off its path, so shortly after).
    let old = recent - 60_000;
    gw.db_rw()
        .execute("UPDATE sessions SET last_used_at = ?1", [old])
        .unwrap();
    assert_eq!(alice.get("/api/v1/account").await.0, StatusCode::OK);
    let mut seen = old;
    for _ in 0..50 {
        seen = last_used();
        if seen != old {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen > recent, "recorded: {seen}");
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let gw = gateway().await;
    gw.register(ALICE, USER_PASSWORD).await;
    let here = gw.login(ALICE, USER_PASSWORD).await;
    let elsewhere = gw.login(ALICE, USER_PASSWORD).await;
    let change = |current: &str, new: &str| {
        let body = json!({ "current_password": current, "new_password": new });
        here.send(
            here.request(Method::POST, "/api/v1/account/password")
                .json(&body),
        )
    };

    // Refusals change nothing.
    let r = change("not the password 123", NEW_PASSWORD).await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            error_body("wrong_credentials", "the current password is wrong")
        )
    );
    let r = change(USER_PASSWORD, "password12").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "weak_password");
    let r = change(USER_PASSWORD, USER_PASSWORD).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    let r = here
        .post(
            "/api/v1/account/password",
            &json!({ "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(elsewhere.get("/api/v1/account").await.0, StatusCode::OK);
    assert_eq!(
        password_step(&gw, ALICE, USER_PASSWORD).await.0,
        StatusCode::OK
    );

    let (status, body) = change(USER_PASSWORD, NEW_PASSWORD).await;
    // Two others: `elsewhere` and the login that checked the old password above.
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({ "sessions_revoked": 2 }))
    );
    assert_error(
        &elsewhere.get("/api/v1/account").await,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    );
    assert_eq!(
        here.get("/api/v1/account").await.0,
        StatusCode::OK,
        "this one stays"
    );
    let r = password_step(&gw, ALICE, USER_PASSWORD).await;
    assert_eq!(
        r.0,
        StatusCode::UNAUTHORIZED,
        "the old password stops working"
    );
    assert_eq!(
        password_step(&gw, ALICE, NEW_PASSWORD).await.0,
        StatusCode::OK
    );
    let audited: i64 = gw
        .db()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'account.password_change' AND target = ?1",
            [ALICE],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
}
