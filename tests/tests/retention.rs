//! Retention through a running gateway: the admin-triggered purge erases old client addresses
//! and user agents and deletes old raw usage events, while usage reports of the purged period
//! keep their totals, day by day, and the ledger check still passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, Utc};
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use codexkey_tests::usage::{self, PLAN, TOTAL_COST};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn the_purge_keeps_report_totals() {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.retention.request_metadata_days = Some(30);
        raw.retention.usage_event_days = Some(100);
    })
    .await;
    let (status, b) = p.user.post("/api/v1/keys", &json!({"name": "ci"})).await;
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
    // Five events 200 days old (past both cut-offs), the other four 50 (metadata only).
    let db = p.gw.db_rw();
    db.execute(
        "UPDATE usage_events SET created_at = created_at - ?1 WHERE id <= 5",
        [200 * DAY_MS],
    )
    .unwrap();
    db.execute(
        "UPDATE usage_events SET created_at = created_at - ?1 WHERE id > 5",
        [50 * DAY_MS],
    )
    .unwrap();
    drop(db);
    let today = Utc::now().date_naive();
    let from = today.checked_sub_days(Days::new(210)).unwrap();
    let to = today.checked_add_days(Days::new(1)).unwrap();
    let span = format!("/api/v1/usage?from={from}&to={to}&group_by=day");
    let (status, before) = p.user.get(&span).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["totals"]["cost_micros"], TOTAL_COST);

    // Only admins purge.
    let (status, _) = p
        .user
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, r) = p
        .admin
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["events_deleted"], 5, "{r}");
    assert_eq!(r["events_anonymised"], PLAN.len() as u64, "{r}");

    let (_, after) = p.user.get(&span).await;
    assert_eq!(
        after["groups"], before["groups"],
        "every day keeps its totals"
    );
    assert_eq!(after["totals"], before["totals"]);
    let db = p.gw.db();
    let (left, with_client): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), COUNT(client_ip) + COUNT(user_agent) FROM usage_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(left, PLAN.len() as i64 - 5);
    assert_eq!(
        with_client, 0,
        "no client address or user agent older than 30 days"
    );
    let (_, check) = p.admin.get("/api/v1/admin/ledger/verify").await;
    assert!(
        check["mismatches"].as_array().is_none_or(Vec::is_empty),
        "{check}"
    );
    let events: Value = p.user.get("/api/v1/usage/events").await.1;
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(PLAN.len() - 5),
        "{events}"
    );

    // A second run finds nothing more.
    let (_, again) = p
        .admin
        .post("/api/v1/admin/retention/purge", &json!({}))
        .await;
    assert_eq!(
        (
            again["events_deleted"].as_u64(),
            again["events_anonymised"].as_u64()
        ),
        (Some(0), Some(0))
    );
}
