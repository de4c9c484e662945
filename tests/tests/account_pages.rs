//! The pages mailed links open in a browser (`/reset-password`, `/verify-email`, `/register`)
//! and asking for a verification mail again, through a running gateway that mails a real SMTP
//! server on loopback (`aiosmtpd`, see `codexkey_tests::smtp`). Each link is taken from a
//! received mail, opened with a plain `GET` (as a browser or a mail scanner would), and its
//! form posted as a browser posts it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::smtp::{MailServer, Received};
use codexkey_tests::{TestGateway, USER_PASSWORD, assert_error, http_client};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const NEW_PASSWORD: &str = "a quite different passphrase 42";
const PUBLIC_URL: &str = "https://gw.example.test";
const MAIL_WAIT: Duration = Duration::from_secs(20);
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";

async fn gateway(mail: &MailServer, registration: Option<&str>) -> TestGateway {
    let url = mail.url();
    TestGateway::start_with(|c| {
        c.mail.smtp_url = Some(url);
        c.mail.from = Some("codexkey <noreply@gw.example.test>".into());
        c.public_url = Some(PUBLIC_URL.into());
        c.auth.registration = registration.map(str::to_owned);
    })
    .await
}

async fn nth_mail(mail: &MailServer, to: &str, subject_has: &str, count: usize) -> Received {
    let got = mail.wait_for(to, count, MAIL_WAIT).await;
    got.iter()
        .rev()
        .find(|m| m.subject.contains(subject_has))
        .unwrap_or_else(|| panic!("no mail `{subject_has}` to {to}: {got:?}"))
        .clone()
}

/// The mailed link, pointed at the test gateway (the mail names the public URL).
fn local(gw: &TestGateway, link: &str) -> String {
    let path = link
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{link}"));
    format!("{}{path}", gw.base_url())
}

async fn get(url: &str) -> (StatusCode, HeaderMap, String) {
    let resp = http_client().get(url).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

async fn post_form(url: &str, fields: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let resp = http_client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

/// What every page carries, whatever its status.
fn assert_page_headers(headers: &HeaderMap, body: &str) {
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.starts_with("<!doctype html>"), "{body}");
    for outside in ["<script", "src=", "http://", "https://"] {
        assert!(!body.contains(outside), "`{outside}` in {body}");
    }
}

fn unused_tokens(gw: &TestGateway, purpose: &str) -> i64 {
    gw.db()
        .query_row(
            "SELECT COUNT(*) FROM account_tokens WHERE purpose = ?1 AND used_at IS NULL",
            [purpose],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn the_reset_link_opens_a_form_that_sets_the_password() {
    let mail = MailServer::start();
    let gw = gateway(&mail, None).await;
    let anon = gw.client();
    gw.register(ALICE, USER_PASSWORD).await;
    nth_mail(&mail, ALICE, "Confirm", 1).await;
    let (status, _) = anon
        .post("/api/v1/auth/password-reset", &json!({ "email": ALICE }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let m = nth_mail(&mail, ALICE, "Reset", 2).await;
    let token = m.token("ck_reset_").unwrap();
    let url = local(&gw, &m.link().unwrap());

    // Opening the link (twice, as a mail scanner and then the person) spends nothing.
    for _ in 0..2 {
        let (status, headers, body) = get(&url).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_page_headers(&headers, &body);
        assert!(
            body.contains(&format!(
                "<input type=\"hidden\" name=\"token\" value=\"{token}\">"
            )),
            "{body}"
        );
        assert!(body.contains("action=\"reset-password\""), "{body}");
        assert!(body.contains("minlength=\"10\""), "{body}");
    }
    assert_eq!(unused_tokens(&gw, "password_reset"), 1);

    // Two different passwords, a weak one, or not a form: an error page, the link unspent.
    let post_url = format!("{}/reset-password", gw.base_url());
    let (status, headers, body) = post_form(
        &post_url,
        &[
            ("token", &token),
            ("new_password", NEW_PASSWORD),
            ("repeat_password", "something else entirely 9"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_page_headers(&headers, &body);
    assert!(body.contains("The two passwords differ"), "{body}");
    let (status, _, body) = post_form(
        &post_url,
        &[
            ("token", &token),
            ("new_password", "short"),
            ("repeat_password", "short"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("The password is too weak"), "{body}");
    let resp = http_client()
        .post(&post_url)
        .json(&json!({ "token": token, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(unused_tokens(&gw, "password_reset"), 1);

    // The form as a browser sends it sets the password.
    let fields = [
        ("token", token.as_str()),
        ("new_password", NEW_PASSWORD),
        ("repeat_password", NEW_PASSWORD),
    ];
    let (status, headers, body) = post_form(&post_url, &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_page_headers(&headers, &body);
    assert!(body.contains("Your password is set"), "{body}");
    gw.login(ALICE, NEW_PASSWORD).await;
    let (status, _) = anon
        .post(
            "/api/v1/auth/login",
            &json!({ "email": ALICE, "password": USER_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");

    // Used: the page and the form both answer with the error page.
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_page_headers(&headers, &body);
    assert!(
        body.contains("This link is unknown, used or expired"),
        "{body}"
    );
    let (status, _, body) = post_form(&post_url, &fields).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("This link is unknown, used or expired"),
        "{body}"
    );

    // An expired link: the same error page.
    anon.post("/api/v1/auth/password-reset", &json!({ "email": ALICE }))
        .await;
    let m = nth_mail(&mail, ALICE, "Reset", 3).await;
    gw.db_rw()
        .execute(
            "UPDATE account_tokens SET expires_at = created_at + 1, created_at = created_at - 3600000 WHERE used_at IS NULL",
            [],
        )
        .unwrap();
    let (status, _, body) = get(&local(&gw, &m.link().unwrap())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("This link is unknown, used or expired"),
        "{body}"
    );

    // What a page echoes is escaped; a link without a token says so.
    let (status, _, body) = get(&format!(
        "{}/reset-password?token=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        gw.base_url()
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(!body.contains("<script"), "{body}");
    let (status, _, body) = get(&format!("{}/reset-password", gw.base_url())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("This link has no token"), "{body}");
}

#[tokio::test]
async fn verification_by_page_and_mailed_again() {
    let mail = MailServer::start();
    let gw = gateway(&mail, None).await;
    let alice_account = gw.register(ALICE, USER_PASSWORD).await;
    assert_eq!(alice_account["email_verified"], false);
    let first = nth_mail(&mail, ALICE, "Confirm", 1).await.link().unwrap();
    let alice = gw.login(ALICE, USER_PASSWORD).await;

    // Only the owner asks, when logged in.
    let (status, _) = gw
        .client()
        .post_empty("/api/v1/account/verify-email/resend")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, sent) = alice
        .post_empty("/api/v1/account/verify-email/resend")
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["email"], ALICE);
    assert!(sent["expires_at"].is_string(), "{sent}");
    let resent = nth_mail(&mail, ALICE, "Confirm", 2).await;
    assert!(
        resent.body.contains("the links sent before no longer work"),
        "{}",
        resent.body
    );
    let second = resent.link().unwrap();
    assert_ne!(first, second);

    // The new link supersedes the old one.
    let (status, headers, body) = get(&local(&gw, &first)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_page_headers(&headers, &body);

    // Opening the new link shows a button and spends nothing; the button verifies.
    let url = local(&gw, &second);
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_page_headers(&headers, &body);
    assert!(
        body.contains("<form method=\"post\" action=\"verify-email\">"),
        "{body}"
    );
    assert_eq!(unused_tokens(&gw, "verify_email"), 1);
    let (_, me) = alice.get("/api/v1/account").await;
    assert_eq!(me["email_verified"], false, "{me}");
    let token = second.split("token=").nth(1).unwrap();
    let post_url = format!("{}/verify-email", gw.base_url());
    let (status, headers, body) = post_form(&post_url, &[("token", token)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_page_headers(&headers, &body);
    assert!(body.contains("Your address is confirmed"), "{body}");
    let (_, me) = alice.get("/api/v1/account").await;
    assert_eq!(me["email_verified"], true, "{me}");
    let (status, _, body) = post_form(&post_url, &[("token", token)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a used link: {body}");
    assert!(
        body.contains("This link is unknown, used or expired"),
        "{body}"
    );

    // Verified: nothing to resend.
    let refused = alice
        .post_empty("/api/v1/account/verify-email/resend")
        .await;
    assert_error(&refused, StatusCode::CONFLICT, "conflict");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("verified already"),
        "{}",
        refused.1
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mail.messages().len(), 2, "no mail for a refused request");

    // Throttled like reset requests: three in a row, then 429 with `retry-after`.
    gw.register(BOB, USER_PASSWORD).await;
    nth_mail(&mail, BOB, "Confirm", 1).await;
    let bob = gw.login(BOB, USER_PASSWORD).await;
    for n in 0..3 {
        let (status, body) = bob.post_empty("/api/v1/account/verify-email/resend").await;
        assert_eq!(status, StatusCode::ACCEPTED, "request {n}: {body}");
    }
    let resp = http_client()
        .post(bob.url("/api/v1/account/verify-email/resend"))
        .bearer_auth(bob.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    let got = mail.wait_for(BOB, 4, MAIL_WAIT).await;
    assert_eq!(got.len(), 4, "one mail per accepted request");
    assert_eq!(
        unused_tokens(&gw, "verify_email"),
        1,
        "only the newest works"
    );
}

#[tokio::test]
async fn the_invitation_link_opens_a_registration_form() {
    let mail = MailServer::start();
    let gw = gateway(&mail, Some("invite")).await;
    let admin = gw.admin().await;
    let (status, body) = admin
        .post("/api/v1/admin/invitations", &json!({ "email": BOB }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let link = nth_mail(&mail, BOB, "invitation", 1).await.link().unwrap();
    let url = local(&gw, &link);
    let invitation = link.split("invitation=").nth(1).unwrap();

    let (status, headers, body) = get(&url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_page_headers(&headers, &body);
    assert!(body.contains("action=\"register\""), "{body}");
    assert!(body.contains(invitation), "{body}");
    let unused: i64 = gw
        .db()
        .query_row(
            "SELECT COUNT(*) FROM invitations WHERE used_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unused, 1, "opening the page spends nothing");

    let post_url = format!("{}/register", gw.base_url());
    // Another address than the invited one: the error page, nothing created.
    let (status, _, body) = post_form(
        &post_url,
        &[
            ("invitation", invitation),
            ("email", "mallory@example.com"),
            ("password", NEW_PASSWORD),
            ("repeat_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("This link is unknown, used or expired"),
        "{body}"
    );
    let fields = [
        ("invitation", invitation),
        ("email", BOB),
        ("password", NEW_PASSWORD),
        ("repeat_password", NEW_PASSWORD),
    ];
    let (status, headers, body) = post_form(&post_url, &fields).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_page_headers(&headers, &body);
    assert!(body.contains(BOB), "{body}");
    gw.login(BOB, NEW_PASSWORD).await;
    // Used: refused.
    let (status, _, body) = post_form(&post_url, &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Echoed values are escaped.
    let (status, _, body) = get(&format!(
        "{}/register?invitation=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        gw.base_url()
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(
        body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{body}"
    );
}

#[test]
fn cli_mails_the_verification_link_again() {
    use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL};

    let mail = MailServer::start();
    let url = mail.url();
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_MAIL__SMTP_URL", url.as_str())]);
    let user = CliUser::registered(&gw);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = rt
        .block_on(nth_mail(&mail, USER_EMAIL, "Confirm", 1))
        .link()
        .unwrap();
    let run = user.run(&["account", "resend-verification", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["email"], USER_EMAIL, "{}", run.stdout);
    let second = rt
        .block_on(nth_mail(&mail, USER_EMAIL, "Confirm", 2))
        .link()
        .unwrap();
    assert_ne!(first, second);
    let run = user.run(&["verify-email", &first]);
    assert_eq!(run.code, 1, "the superseded link: {}", run.stderr);
    let run = user.run(&["verify-email", &second]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = user.run(&["account", "resend-verification"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("verified already"), "{}", run.stderr);
}
