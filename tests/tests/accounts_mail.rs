//! Password reset and e-mail verification by mail, through the API of a running gateway that
//! sends to a real SMTP server on loopback (`aiosmtpd`, see `codexkey_tests::smtp`); the links
//! are read out of the messages it received. And the admin's one-time link on a gateway that
//! sends no mail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::smtp::{MailServer, Received};
use codexkey_tests::{
    ADMIN_EMAIL, ApiClient, TestGateway, USER_PASSWORD, assert_error, contains_bytes,
};
use reqwest::StatusCode;
use serde_json::json;

const ALICE: &str = "alice@example.com";
const NOBODY: &str = "nobody@example.com";
const NEW_PASSWORD: &str = "a quite different passphrase 42";
const PUBLIC_URL: &str = "https://gw.example.test";
const MAIL_WAIT: Duration = Duration::from_secs(20);

async fn gateway(mail: &MailServer) -> TestGateway {
    let url = mail.url();
    TestGateway::start_with(|c| {
        c.mail.smtp_url = Some(url);
        c.mail.from = Some("codexkey <noreply@gw.example.test>".into());
        c.public_url = Some(PUBLIC_URL.into());
    })
    .await
}

async fn one_mail(mail: &MailServer, to: &str, subject_has: &str, count: usize) -> Received {
    let got = mail.wait_for(to, count, MAIL_WAIT).await;
    let m = got
        .iter()
        .rev()
        .find(|m| m.subject.contains(subject_has))
        .unwrap_or_else(|| panic!("no mail `{subject_has}` to {to}: {got:?}"))
        .clone();
    assert!(m.raw.contains("noreply@gw.example.test"), "{}", m.raw);
    m
}

async fn ask_reset(client: &ApiClient, email: &str) -> serde_json::Value {
    let (status, body) = client
        .post("/api/v1/auth/password-reset", &json!({ "email": email }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

async fn confirm(
    client: &ApiClient,
    token: &str,
    password: &str,
) -> (StatusCode, serde_json::Value) {
    client
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({ "token": token, "new_password": password }),
        )
        .await
}

#[tokio::test]
async fn verification_and_reset_by_mail() {
    let mail = MailServer::start();
    let gw = gateway(&mail).await;
    let anon = gw.client();

    // Registering mails a verification link; the account is not verified until it is used.
    let account = gw.register(ALICE, USER_PASSWORD).await;
    assert_eq!(account["email_verified"], false, "{account}");
    let m = one_mail(&mail, ALICE, "Confirm", 1).await;
    let link = m.link().unwrap();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/verify-email?token=ck_verify_")),
        "{link}"
    );
    let verify = m.token("ck_verify_").unwrap();
    assert_error(
        &anon
            .post(
                "/api/v1/auth/verify-email",
                &json!({ "token": "ck_verify_nope" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let (status, body) = anon
        .post("/api/v1/auth/verify-email", &json!({ "token": verify }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_error(
        &anon
            .post("/api/v1/auth/verify-email", &json!({ "token": verify }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let s1 = gw.login(ALICE, USER_PASSWORD).await;
    let s2 = gw.login(ALICE, USER_PASSWORD).await;
    let (_, me) = s1.get("/api/v1/account").await;
    assert_eq!(me["email_verified"], true, "{me}");

    // A known and an unknown address get the very same answer; only the known one gets mail.
    let known = ask_reset(&anon, ALICE).await;
    let unknown = ask_reset(&anon, NOBODY).await;
    assert_eq!(known, unknown);
    let m = one_mail(&mail, ALICE, "Reset", 2).await;
    let link = m.link().unwrap();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/reset-password?token=ck_reset_")),
        "{link}"
    );
    let token = m.token("ck_reset_").unwrap();
    assert_eq!(token.len(), "ck_reset_".len() + 32, "{token}");

    // A weak password is refused and spends nothing.
    assert_error(
        &confirm(&anon, &token, "short").await,
        StatusCode::BAD_REQUEST,
        "weak_password",
    );
    assert_error(
        &confirm(&anon, "ck_reset_unknown", NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let (status, body) = confirm(&anon, &token, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_revoked"], 2, "{body}");
    for s in [&s1, &s2] {
        let (status, _) = s.get("/api/v1/account").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "every session ended");
    }
    let (status, _) = anon
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ALICE, "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    gw.login(ALICE, NEW_PASSWORD).await;
    // Used once: never again.
    assert_error(
        &confirm(&anon, &token, "yet another passphrase 77").await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );

    // Nothing went to the unknown address, and no token is kept in clear.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mail.messages().iter().all(|m| !m.to.contains(NOBODY)));
    gw.flush().await;
    for (path, bytes) in gw.database_files() {
        for secret in [&token, &verify, &NEW_PASSWORD.to_owned()] {
            assert!(
                !contains_bytes(&bytes, secret.as_bytes()),
                "{} holds a secret in clear",
                path.display()
            );
        }
    }
    let audit: Vec<String> = {
        let db = gw.db();
        let mut stmt = db
            .prepare("SELECT action FROM audit_log ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for action in [
        "account.email_verified",
        "account.password_reset_mailed",
        "account.password_reset",
    ] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn expired_superseded_and_throttled_resets() {
    let mail = MailServer::start();
    let gw = gateway(&mail).await;
    let anon = gw.client();
    gw.register(ALICE, USER_PASSWORD).await;
    one_mail(&mail, ALICE, "Confirm", 1).await;

    // A newer link supersedes the older one.
    ask_reset(&anon, ALICE).await;
    let first = one_mail(&mail, ALICE, "Reset", 2)
        .await
        .token("ck_reset_")
        .unwrap();
    ask_reset(&anon, ALICE).await;
    let got = mail.wait_for(ALICE, 3, MAIL_WAIT).await;
    let second = got.last().unwrap().token("ck_reset_").unwrap();
    assert_ne!(first, second);
    assert_error(
        &confirm(&anon, &first, NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );

    // An expired link is refused (its expiry moved into the past in the database).
    gw.db_rw()
        .execute("UPDATE account_tokens SET expires_at = created_at + 1, created_at = created_at - 3600000 WHERE used_at IS NULL", [])
        .unwrap();
    assert_error(
        &confirm(&anon, &second, NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    gw.login(ALICE, USER_PASSWORD).await;

    // A third request for the address is still let through; the fourth is throttled, and an
    // unknown address is throttled exactly alike.
    ask_reset(&anon, ALICE).await;
    let locked = anon
        .post("/api/v1/auth/password-reset", &json!({ "email": ALICE }))
        .await;
    assert_error(&locked, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    for _ in 0..3 {
        ask_reset(&anon, NOBODY).await;
    }
    let locked_unknown = anon
        .post("/api/v1/auth/password-reset", &json!({ "email": NOBODY }))
        .await;
    assert_error(
        &locked_unknown,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    );
    assert_eq!(
        locked.1, locked_unknown.1,
        "the refusal says nothing about the address"
    );

    // Bad input: a clear error in the API's format.
    assert_error(
        &anon
            .post(
                "/api/v1/auth/password-reset",
                &json!({ "email": "not an address" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        &anon
            .post("/api/v1/auth/password-reset", &json!({ "mail": ALICE }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn admin_link_without_mail() {
    let gw = TestGateway::start().await;
    let anon = gw.client();
    let alice = gw.new_user(ALICE).await;
    let admin = gw.admin().await;

    // No SMTP: users are told to ask the operator, and registration mails nothing.
    assert_error(
        &anon
            .post("/api/v1/auth/password-reset", &json!({ "email": ALICE }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Only admins issue links.
    assert_error(
        &alice
            .post_empty(&format!("/api/v1/admin/users/{ALICE}/reset-link"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, link) = admin
        .post_empty(&format!("/api/v1/admin/users/{ALICE}/reset-link"))
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let token = link["token"].as_str().unwrap();
    assert!(
        link["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/reset-password?token={token}")),
        "{link}"
    );
    let (status, body) = confirm(&anon, token, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_revoked"], 1);
    gw.login(ALICE, NEW_PASSWORD).await;
    assert_error(
        &confirm(&anon, token, "yet another passphrase 77").await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let (_, audit) = admin.get("/api/v1/admin/audit").await;
    let issued = audit
        .as_array()
        .or_else(|| audit["entries"].as_array())
        .unwrap()
        .iter()
        .find(|e| e["action"] == "account.reset_link_issued")
        .cloned()
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(issued["target"], ALICE);
    assert_eq!(issued["actor"], ADMIN_EMAIL);
}

#[test]
fn cli_verifies_and_resets_with_the_mailed_links() {
    use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL};

    let mail = MailServer::start();
    let url = mail.url();
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_MAIL__SMTP_URL", url.as_str())]);
    let user = CliUser::registered(&gw);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let verify = rt
        .block_on(one_mail_from(&mail, USER_EMAIL, "Confirm", 1))
        .link()
        .unwrap();
    let run = user.run(&["verify-email", &verify]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = user.run(&["verify-email", &verify]);
    assert_eq!(run.code, 1, "a used link: {}", run.stderr);
    assert!(run.stderr.contains("ask for a new link"), "{}", run.stderr);

    let run = user.run(&["reset-password", "--email", USER_EMAIL]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reset = rt
        .block_on(one_mail_from(&mail, USER_EMAIL, "Reset", 2))
        .link()
        .unwrap();
    let run = user.run_with_stdin(
        &["reset-password", "--link", &reset, "--password-stdin"],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = user.run_with_stdin(
        &["login", "--email", USER_EMAIL, "--password-stdin"],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

async fn one_mail_from(mail: &MailServer, to: &str, subject_has: &str, count: usize) -> Received {
    let got = mail.wait_for(to, count, MAIL_WAIT).await;
    got.iter()
        .rev()
        .find(|m| m.subject.contains(subject_has))
        .unwrap_or_else(|| panic!("no mail `{subject_has}` to {to}: {got:?}"))
        .clone()
}
