//! Account deletion through a running gateway: by the owner (password, then a wrong one
//! refused) and by an admin; keys and sessions end at once, the person is pseudonymised, client
//! addresses and user agents are erased, the ledger stays and still checks, the balance rule
//! applies, and the old email may register anew. From the CLI too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL, USER_PASSWORD as CLI_PASSWORD};
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use codexkey_tests::usage::{self, TOTAL_COST};
use codexkey_tests::{USER_PASSWORD, assert_error};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn deleting_pseudonymises_the_person_and_keeps_the_ledger() {
    let p = Plane::start_with(CREDITS_100, |_| {}).await;
    let (status, b) = p
        .user
        .post("/api/v1/keys", &json!({"name": "laptop of alice"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    usage::send(
        &p.http,
        p.gw.base_url(),
        &p.upstream,
        &p.key,
        b["secret"].as_str().unwrap(),
    )
    .await;
    p.gw.flush().await;
    let (_, me) = p.user.get("/api/v1/account").await;
    let id = me["id"].as_i64().unwrap();

    // A wrong password deletes nothing.
    assert_error(
        &p.user
            .send(
                p.user
                    .request(reqwest::Method::DELETE, "/api/v1/account")
                    .json(&json!({"password": "wrong one"})),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "wrong_credentials",
    );
    let (status, done) = p
        .user
        .send(
            p.user
                .request(reqwest::Method::DELETE, "/api/v1/account")
                .json(&json!({"password": USER_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let pseudonym = format!("deleted-{id}@invalid");
    assert_eq!(done["pseudonym"], pseudonym);
    assert_eq!(done["keys_revoked"], 2);
    assert_eq!(
        done["forfeited_micros"],
        CREDITS_100 - TOTAL_COST,
        "the default rule: forfeit"
    );

    // At once: the session and the keys are refused, the old password logs nobody in.
    let (status, _) = p.user.get("/api/v1/account").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = p
        .http
        .post(format!("{}/v1/chat/completions", p.gw.base_url()))
        .bearer_auth(&p.key)
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    for email in [p.user_email.as_str(), pseudonym.as_str()] {
        let (status, _) =
            p.gw.client()
                .post(
                    "/api/v1/auth/login",
                    &json!({"email": email, "password": USER_PASSWORD}),
                )
                .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{email}");
    }
    // The old email is nowhere in the database files, not even in freed space or the WAL.
    p.gw.flush().await;
    for (path, bytes) in p.gw.database_files() {
        assert!(
            !codexkey_tests::contains_bytes(&bytes, p.user_email.as_bytes()),
            "{} still holds the deleted email",
            path.display()
        );
    }
    // The person is gone from the rows; the money is all there.
    let db = p.gw.db();
    let count = |sql: &str| -> i64 { db.query_row(sql, [id], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM accounts WHERE id = ?1 AND email = 'deleted-' || id || '@invalid' AND deleted_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM usage_events WHERE account_id = ?1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)"
        ),
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM usage_events WHERE account_id = ?1"),
        9
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM sessions WHERE account_id = ?1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL OR ended_at IS NULL)"
        ),
        0
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM api_keys WHERE account_id = ?1 AND (revoked_at IS NULL OR name IS NOT NULL)"
        ),
        0
    );
    assert!(
        count(
            "SELECT COUNT(*) FROM audit_log WHERE target = (SELECT email FROM accounts WHERE id = ?1)"
        ) > 0,
        "the audit rows name the pseudonym"
    );
    let old_email_rows: i64 = db
        .query_row(
            "SELECT (SELECT COUNT(*) FROM audit_log WHERE target = ?1) + (SELECT COUNT(*) FROM accounts WHERE email = ?1 AND id = ?2)",
            codexkey_tests::params![p.user_email, id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        old_email_rows, 0,
        "the old email is nowhere on the deleted account's rows"
    );
    let (sum, balance): (i64, i64) = db
        .query_row(
            "SELECT (SELECT SUM(amount_micros) FROM ledger_entries WHERE account_id = ?1), balance_micros FROM accounts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((sum, balance), (0, 0));
    let (_, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert!(
        check["mismatches"].as_array().is_none_or(Vec::is_empty),
        "{check}"
    );
    // The pseudonym cannot be registered; the old email can, as a new account.
    assert_error(
        &p.gw
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({"email": pseudonym, "password": USER_PASSWORD}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    drop(db);
    let again = p.gw.register(&p.user_email, USER_PASSWORD).await;
    assert_ne!(again["id"].as_i64().unwrap(), id);

    // Deleting twice: refused.
    assert_error(
        &p.admin
            .post(
                &format!("/api/v1/admin/users/{id}/delete"),
                &json!({"reason": "again"}),
            )
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
}

#[tokio::test]
async fn an_admin_deletes_with_a_reason_and_the_keep_rule() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.retention.deleted_balance = Some("keep".into())
    })
    .await;
    let email = p.user_email.clone();
    assert_error(
        &p.admin
            .post(
                &format!("/api/v1/admin/users/{email}/delete"),
                &json!({"reason": ""}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        &p.user
            .post(
                &format!("/api/v1/admin/users/{email}/delete"),
                &json!({"reason": "x"}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, done) = p
        .admin
        .post(
            &format!("/api/v1/admin/users/{email}/delete"),
            &json!({"reason": "asked by mail"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["forfeited_micros"], 0, "the keep rule");
    let (_, audit) = p.admin.get("/api/v1/admin/audit").await;
    let row = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "account.delete_by_admin")
        .cloned()
        .unwrap();
    assert_eq!(row["detail"]["reason"], "asked by mail");
    assert!(row["target"].as_str().unwrap().starts_with("deleted-"));
    let (_, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert!(
        check["mismatches"].as_array().is_none_or(Vec::is_empty),
        "{check}"
    );
}

#[test]
fn cli_deletes_and_forgets_the_session() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let run = user.run_with_stdin(
        &["account", "delete", "--password-stdin"],
        "wrong password\n",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = user.run_with_stdin(
        &["account", "delete", "--password-stdin", "--json"],
        &format!("{CLI_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json()["pseudonym"]
            .as_str()
            .unwrap()
            .starts_with("deleted-")
    );
    let run = user.run(&["whoami"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let admin = CliUser::admin(&gw);
    let run = admin.run(&["admin", "users", "delete", USER_EMAIL, "--reason", "gone"]);
    assert_eq!(
        run.code, 1,
        "the old email names no account now: {}",
        run.stderr
    );
}
