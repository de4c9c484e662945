//! Admin-created accounts, invitations and registration modes, through the API of a running
//! gateway (with mail to `aiosmtpd` on loopback, and without mail), and from the CLI against a
//! real `codexkey gateway` process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codexkey_tests::cli::{CliUser, GatewayProcess, refused};
use codexkey_tests::smtp::MailServer;
use codexkey_tests::{ApiClient, TestGateway, USER_PASSWORD, assert_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CAROL: &str = "carol@example.com";
const DAVE: &str = "dave@example.com";
const NEW_PASSWORD: &str = "a quite different passphrase 42";

async fn register(anon: &ApiClient, email: &str, invitation: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "email": email, "password": USER_PASSWORD });
    if let Some(token) = invitation {
        body["invitation"] = json!(token);
    }
    anon.post("/api/v1/auth/register", &body).await
}

async fn audit_actions(admin: &ApiClient) -> Vec<Value> {
    let (status, audit) = admin.get("/api/v1/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    audit.as_array().unwrap().clone()
}

#[tokio::test]
async fn invitations_by_mail() {
    let mail = MailServer::start();
    let url = mail.url();
    let gw = TestGateway::start_with(|c| {
        c.mail.smtp_url = Some(url);
        c.auth.registration = Some("invite".into());
    })
    .await;
    let anon = gw.client();
    let admin = gw.admin().await;

    // Without an invitation: refused, nothing created.
    let refused_reply = register(&anon, CAROL, None).await;
    assert_error(&refused_reply, StatusCode::FORBIDDEN, "forbidden");
    let (status, issued) = admin
        .post("/api/v1/admin/invitations", &json!({ "email": CAROL }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["mailed"], true, "{issued}");
    assert!(
        issued.get("link").is_none(),
        "a mailed link is not shown to the admin: {issued}"
    );
    let got = mail.wait_for(CAROL, 1, Duration::from_secs(20)).await;
    let m = got.first().expect("the invitation mail");
    let link = m.link().unwrap_or_else(|| panic!("{}", m.raw));
    assert!(link.contains("/register?invitation=ck_invite_"), "{link}");
    let token = link.split("invitation=").nth(1).unwrap().to_owned();

    // Only for its address, and once.
    assert_error(
        &register(&anon, DAVE, Some(&token)).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    assert_error(
        &register(&anon, CAROL, Some("ck_invite_nope")).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let (status, account) = register(&anon, CAROL, Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    gw.login(CAROL, USER_PASSWORD).await;
    // Spent: the address is taken now, and the token (the store's story checks) is used.
    assert_error(
        &register(&anon, CAROL, Some(&token)).await,
        StatusCode::CONFLICT,
        "conflict",
    );

    // An address that has an account is not invited; users may not invite.
    assert_error(
        &admin
            .post("/api/v1/admin/invitations", &json!({ "email": CAROL }))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let carol = gw.login(CAROL, USER_PASSWORD).await;
    assert_error(
        &carol
            .post("/api/v1/admin/invitations", &json!({ "email": DAVE }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // An admin-created account: its owner gets a link to set a password by mail.
    let (status, created) = admin
        .post("/api/v1/admin/users", &json!({ "email": DAVE }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["mailed"], true);
    assert_eq!(created["account"]["role"], "user");
    let got = mail.wait_for(DAVE, 1, Duration::from_secs(20)).await;
    let reset = got.first().unwrap().token("ck_reset_").unwrap();
    let (status, body) = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({ "token": reset, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    gw.login(DAVE, NEW_PASSWORD).await;

    let actions = audit_actions(&admin).await;
    for action in ["account.invite", "account.create", "account.register"] {
        assert!(
            actions.iter().any(|a| a["action"] == action),
            "{action}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn closed_registration_and_accounts_made_by_admins() {
    let gw = TestGateway::start_with(|c| c.auth.registration = Some("closed".into())).await;
    let anon = gw.client();
    let admin = gw.admin().await;
    assert_error(
        &register(&anon, CAROL, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // No mail: the link comes back to the admin; the account has no password anyone knows.
    let (status, created) = admin
        .post(
            "/api/v1/admin/users",
            &json!({ "email": CAROL, "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["mailed"], false);
    assert_eq!(created["account"]["role"], "admin");
    let token = created["link"]["token"].as_str().unwrap().to_owned();
    assert!(created["link"]["link"].as_str().unwrap().ends_with(&token));
    let (status, _) = anon
        .post(
            "/api/v1/auth/login",
            &json!({ "email": CAROL, "password": "" }),
        )
        .await;
    assert!(status.is_client_error());
    assert_error(
        &admin
            .post("/api/v1/admin/users", &json!({ "email": CAROL }))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/admin/users",
                &json!({ "email": DAVE, "role": "owner" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        gw.db()
            .query_row(
                "SELECT COUNT(*) FROM accounts WHERE email = ?1",
                [DAVE],
                |r| r.get::<_, i64>(0)
            )
            .unwrap()
            == 0,
        "bad input changes nothing"
    );
    let (status, body) = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({ "token": token, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let carol = gw.login(CAROL, NEW_PASSWORD).await;
    let (status, _) = carol.get("/api/v1/admin/users").await;
    assert_eq!(status, StatusCode::OK, "created as an admin");
}

#[test]
fn cli_invitations_and_accounts_made_by_admins() {
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_AUTH__REGISTRATION", "invite")]);
    let admin = CliUser::admin(&gw);

    // Registering without an invitation is refused with the way out.
    let carol = CliUser::new(&gw.url);
    let run = carol.run_with_stdin(
        &["register", "--email", CAROL, "--password-stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    refused(&run, "invitation");

    // `admin invite` prints the link (no mail here); the token registers.
    let run = admin.run(&["admin", "invite", CAROL]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let link = run.stdout.trim().to_owned();
    assert!(link.contains("/register?invitation=ck_invite_"), "{link}");
    let token = link.split("invitation=").nth(1).unwrap();
    let run = carol.run_with_stdin(
        &[
            "register",
            "--email",
            CAROL,
            "--password-stdin",
            "--invitation",
            token,
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // `admin users create` prints a link that sets the password; `admin reset-password` too.
    let created = admin
        .run(&["admin", "users", "create", DAVE, "--json"])
        .json();
    assert_eq!(created["account"]["email"], DAVE);
    let token = created["link"]["token"].as_str().unwrap();
    assert!(token.starts_with("ck_reset_"), "{created}");
    let run = admin.run(&["admin", "reset-password", DAVE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .trim()
            .contains("/reset-password?token=ck_reset_"),
        "{}",
        run.stdout
    );
    let run = admin.run(&["admin", "reset-password", "nobody@example.com"]);
    refused(&run, "nobody@example.com");
}
