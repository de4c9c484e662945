//! `/api/v1/usage`, `/usage/events`, `/usage/summary` and `/currencies` over known traffic
//! (`codexkey_tests::usage::PLAN`: nine requests through the data plane, two keys, three
//! models, one refusal, moved onto three days). Totals are asserted exactly, in JSON and CSV.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use codexkey_gateway::config::RawCurrency;
use codexkey_tests::fixtures::CREDITS_100;
use codexkey_tests::plane::Plane;
use codexkey_tests::usage::{self, PLAN, TOTAL_COST, d};
use codexkey_tests::{ApiClient, assert_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Setup {
    p: Plane,
    key_a: i64,
    key_b: i64,
    key_b_prefix: String,
}

/// A plane with a RUB rate, the user's second key `ci`, and the plan's traffic moved onto its
/// days.
async fn setup() -> Setup {
    let p = Plane::start_with(CREDITS_100, |raw| {
        raw.currencies = BTreeMap::from([(
            "RUB".to_owned(),
            RawCurrency {
                rate: Some("92.5312".into()),
                date: Some("2026-11-20".into()),
            },
        )]);
    })
    .await;
    let (status, b) = p.user.post("/api/v1/keys", &json!({"name": "ci"})).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let key_b = b["key"]["id"].as_i64().unwrap();
    let sent = usage::send(
        &p.http,
        p.gw.base_url(),
        &p.upstream,
        &p.key,
        b["secret"].as_str().unwrap(),
    )
    .await;
    p.gw.flush().await;
    usage::backdate(&p.gw.db_rw(), &sent);
    Setup {
        key_a: p.key_id,
        key_b,
        key_b_prefix: b["key"]["prefix"].as_str().unwrap().to_owned(),
        p,
    }
}

async fn get(c: &ApiClient, path: &str) -> Value {
    let (status, body) = c.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The counts of a group or of the totals: `[requests, errors, input, output, cost]`.
fn sums(v: &Value) -> [i64; 5] {
    [
        "requests",
        "errors",
        "input_tokens",
        "output_tokens",
        "cost_micros",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("no `{k}` in {v}")))
}

/// `from` and `to` around the plan's three days (UTC).
fn three_days() -> String {
    format!("from={}&to={}", d(0), d(3))
}

#[tokio::test]
async fn reports_by_day_model_and_key_are_exact() {
    let s = setup().await;
    let span = three_days();
    let u = &s.p.user;

    let r = get(u, &format!("/api/v1/usage?{span}&group_by=day")).await;
    assert_eq!(r["from"], format!("{}T00:00:00Z", d(0)));
    assert_eq!(r["to"], format!("{}T00:00:00Z", d(3)));
    assert_eq!(r["tz"], "+00:00");
    assert_eq!(r["group_by"], json!(["day"]));
    assert_eq!(r["account"], s.p.user_email);
    assert!(
        r.get("currency").is_none(),
        "a USD account has no display currency: {r}"
    );
    let days: Vec<(String, [i64; 5])> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["day"].as_str().unwrap().to_owned(), sums(g)))
        .collect();
    assert_eq!(
        days,
        [
            (d(0), [4, 0, 480, 200, 2244]),
            (d(1), [3, 1, 240, 100, 2470]),
            (d(2), [2, 0, 240, 100, 418]),
        ]
    );
    assert_eq!(sums(&r["totals"]), [9, 1, 960, 400, TOTAL_COST]);
    assert_eq!(PLAN.iter().map(|p| p.cost).sum::<i64>(), TOTAL_COST);
    // The whole group, field by field: no dimension but the day, every bucket present.
    assert_eq!(
        r["groups"][0],
        json!({"day": d(0), "requests": 4, "errors": 0, "input_tokens": 480, "cached_tokens": 0,
               "cache_write_tokens": 0, "output_tokens": 200, "reasoning_tokens": 0, "images": 0,
               "cost_micros": 2244})
    );

    let r = get(u, &format!("/api/v1/usage?{span}&group_by=model")).await;
    let models: Vec<(String, [i64; 5])> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["model"].as_str().unwrap().to_owned(), sums(g)))
        .collect();
    assert_eq!(
        models,
        [
            ("claude-haiku-4-5".to_owned(), [2, 0, 240, 100, 740]),
            ("gpt-4o-mini".to_owned(), [4, 0, 480, 200, 192]),
            ("gpt-5.5".to_owned(), [3, 1, 240, 100, 4200]),
        ]
    );
    assert_eq!(sums(&r["totals"]), [9, 1, 960, 400, TOTAL_COST]);

    let r = get(u, &format!("/api/v1/usage?{span}&group_by=key")).await;
    let g = r["groups"].as_array().unwrap();
    assert_eq!(g.len(), 2);
    assert_eq!(
        (g[0]["key_id"].as_i64(), g[0]["key_name"].as_str()),
        (Some(s.key_a), Some("tests"))
    );
    assert_eq!(sums(&g[0]), [6, 1, 600, 250, 4344]);
    assert_eq!(
        (
            g[1]["key_id"].as_i64(),
            g[1]["key_name"].as_str(),
            g[1]["key_prefix"].as_str()
        ),
        (Some(s.key_b), Some("ci"), Some(s.key_b_prefix.as_str()))
    );
    assert_eq!(sums(&g[1]), [3, 0, 360, 150, 788]);

    // Two dimensions: days, then models within each.
    let r = get(u, &format!("/api/v1/usage?{span}&group_by=day,model")).await;
    let cells: Vec<(String, String, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["day"].as_str().unwrap().to_owned(),
                g["model"].as_str().unwrap().to_owned(),
                g["cost_micros"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            (d(0), "gpt-4o-mini".into(), 144),
            (d(0), "gpt-5.5".into(), 2100),
            (d(1), "claude-haiku-4-5".into(), 370),
            (d(1), "gpt-5.5".into(), 2100),
            (d(2), "claude-haiku-4-5".into(), 370),
            (d(2), "gpt-4o-mini".into(), 48),
        ]
    );

    // No grouping: one group, the totals.
    let r = get(u, &format!("/api/v1/usage?{span}&group_by=")).await;
    assert_eq!(r["groups"].as_array().unwrap().len(), 1);
    assert_eq!(sums(&r["groups"][0]), sums(&r["totals"]));
}

#[tokio::test]
async fn days_follow_the_time_zone_and_bounds_may_fall_mid_hour() {
    let s = setup().await;
    let u = &s.p.user;
    // At +03:00 the request of day 2 at 22:30Z is on day 3, and dates are local midnights.
    let r = get(
        u,
        &format!("/api/v1/usage?from={}&to={}&tz=%2B03:00", d(0), d(4)),
    )
    .await;
    let eve = usage::day(0) - chrono::Days::new(1);
    assert_eq!(r["from"], format!("{eve}T21:00:00Z"));
    assert_eq!(r["tz"], "+03:00");
    let days = usage::day_costs(&r);
    assert_eq!(days, [(d(0), 2244), (d(1), 2470), (d(2), 370), (d(3), 48)]);
    // An unencoded `+` arrives as a space; it is read as `+`.
    let r = get(
        u,
        &format!("/api/v1/usage?from={}&to={}&tz=+03:00", d(0), d(4)),
    )
    .await;
    assert_eq!(r["tz"], "+03:00");

    // Hours, and bounds inside a quarter hour: 12:01:30 to 12:02:30 holds one request.
    let d0 = d(0);
    let r = get(
        u,
        &format!("/api/v1/usage?from={d0}T12:01:30Z&to={d0}T12:02:30Z&group_by=hour"),
    )
    .await;
    assert_eq!(r["groups"].as_array().unwrap().len(), 1);
    assert_eq!(r["groups"][0]["hour"], format!("{d0}T12:00:00Z"));
    assert_eq!(sums(&r["totals"]), [1, 0, 120, 50, 48]);
    // Hours in a zone 5:45 ahead of UTC start at a quarter past the UTC hour.
    let r = get(
        u,
        &format!("/api/v1/usage?from={d0}T12:00:00Z&to={d0}T13:00:00Z&group_by=hour&tz=%2B05:45"),
    )
    .await;
    assert_eq!(r["groups"][0]["hour"], format!("{d0}T17:00:00+05:45"));
    assert_eq!(r["groups"][0]["requests"], 4);
    let r = get(
        u,
        &format!(
            "/api/v1/usage?from={d0}T12:00:30Z&to={}T09:00:00.001Z&group_by=",
            d(1)
        ),
    )
    .await;
    assert_eq!(sums(&r["totals"]), [4, 0, 480, 200, 96 + 2100 + 2100]);
}

#[tokio::test]
async fn filters_by_key_model_and_status() {
    let s = setup().await;
    let span = &three_days();
    let u = &s.p.user;
    let total = |q: String| async move {
        let r = get(u, &format!("/api/v1/usage?{span}&group_by=&{q}")).await;
        if r["groups"].as_array().unwrap().is_empty() {
            [0; 5]
        } else {
            sums(&r["totals"])
        }
    };
    assert_eq!(
        total(format!("key={}", s.key_b)).await,
        [3, 0, 360, 150, 788]
    );
    assert_eq!(total("model=gpt-5.5".into()).await, [3, 1, 240, 100, 4200]);
    assert_eq!(total("model=gpt-*".into()).await, [7, 1, 720, 300, 4392]);
    assert_eq!(total("status=error".into()).await, [1, 1, 0, 0, 0]);
    assert_eq!(total("status=400".into()).await, [1, 1, 0, 0, 0]);
    assert_eq!(
        total("status=ok".into()).await,
        [8, 0, 960, 400, TOTAL_COST]
    );
    assert_eq!(
        total(format!("key={}&model=gpt-4o-mini", s.key_b)).await,
        [1, 0, 120, 50, 48]
    );
    assert_eq!(total("model=nothing".into()).await, [0; 5]);
    // Another user's key matches nothing of this user's.
    assert_eq!(total("key=999999".into()).await, [0; 5]);

    for (query, kind) in [
        ("group_by=week", "invalid_request"),
        ("status=teapot", "invalid_request"),
        ("tz=Europe/Paris", "invalid_request"),
        ("tz=%2B03:10", "invalid_request"),
        ("from=2026-11-19&to=2026-11-16", "invalid_request"),
        ("from=yesterday", "invalid_request"),
        ("currency=EUR", "invalid_request"),
        ("format=xml", "invalid_request"),
        ("colour=blue", "invalid_request"),
    ] {
        let reply = u.get(&format!("/api/v1/usage?{query}")).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, kind);
    }
    let reply = s.p.user.anonymous().get("/api/v1/usage").await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn csv_export_has_the_same_numbers() {
    let s = setup().await;
    let span = three_days();
    let (status, body) =
        s.p.user
            .send(s.p.user.request(
                reqwest::Method::GET,
                &format!("/api/v1/usage?{span}&format=csv"),
            ))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.as_str().unwrap(),
        format!(
            "day,requests,errors,input_tokens,cached_tokens,cache_write_tokens,output_tokens,reasoning_tokens,images,cost_credits\r\n\
             {},4,0,480,0,0,200,0,0,0.002244\r\n\
             {},3,1,240,0,0,100,0,0,0.00247\r\n\
             {},2,0,240,0,0,100,0,0,0.000418\r\n",
            d(0),
            d(1),
            d(2)
        )
    );
    // `Accept: text/csv` asks for the same; by key with the display currency.
    let resp =
        s.p.http
            .get(s.p.url(&format!("/api/v1/usage?{span}&group_by=key&currency=RUB")))
            .bearer_auth(s.p.user.token().unwrap())
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"usage.csv\""
    );
    let a = s.key_a;
    let b = s.key_b;
    let prefix_a: String =
        s.p.gw
            .db()
            .query_row("SELECT prefix FROM api_keys WHERE id = ?1", [a], |r| {
                r.get(0)
            })
            .unwrap();
    // 4344 × 92.5312 = 401,955.5328 → 401,956; 788 × 92.5312 = 72,914.5856 → 72,915.
    assert_eq!(
        resp.text().await.unwrap(),
        format!(
            "key_id,key_prefix,key_name,requests,errors,input_tokens,cached_tokens,cache_write_tokens,output_tokens,reasoning_tokens,images,cost_credits,cost_RUB\r\n\
             {a},{prefix_a},tests,6,1,600,0,0,250,0,0,0.004344,0.401956\r\n\
             {b},{},ci,3,0,360,0,0,150,0,0,0.000788,0.072915\r\n",
            s.key_b_prefix
        )
    );
}

#[tokio::test]
async fn display_currency_by_request_or_account_preference() {
    let s = setup().await;
    let span = three_days();
    let u = &s.p.user;
    let rub = json!({"code": "RUB", "rate": "92.5312", "date": "2026-11-20"});
    let c = get(&u.anonymous(), "/api/v1/currencies").await;
    assert_eq!(c, json!({"base": "USD", "rates": [rub]}));

    let r = get(u, &format!("/api/v1/usage?{span}&currency=rub")).await;
    assert_eq!(r["currency"], rub);
    // Each figure converted from its own credits, rounded once: 2244 × 92.5312 = 207,640.0128.
    let display: Vec<i64> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["cost_display_micros"].as_i64().unwrap())
        .collect();
    assert_eq!(display, [207_640, 228_552, 38_678]);
    assert_eq!(r["totals"]["cost_display_micros"], 474_870);

    // The account's own currency is the default once it has a rate; `USD` turns it off.
    let (status, _) = u
        .patch("/api/v1/account", &json!({"currency": "RUB"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = get(u, &format!("/api/v1/usage?{span}")).await;
    assert_eq!(r["currency"]["code"], "RUB");
    assert_eq!(r["totals"]["cost_display_micros"], 474_870);
    let r = get(u, &format!("/api/v1/usage?{span}&currency=USD")).await;
    assert!(r.get("currency").is_none());
    assert!(r["totals"].get("cost_display_micros").is_none());
}

#[tokio::test]
async fn events_page_by_a_stable_cursor() {
    let s = setup().await;
    let u = &s.p.user;
    let first = get(u, "/api/v1/usage/events?limit=4&count=true").await;
    assert_eq!(first["remaining"], 9);
    assert_eq!(first["has_more"], true);
    let mut ids: Vec<i64> = Vec::new();
    let mut page = first;
    loop {
        let events = page["events"].as_array().unwrap();
        ids.extend(events.iter().map(|e| e["id"].as_i64().unwrap()));
        if page["has_more"] == false {
            break;
        }
        page = get(
            u,
            &format!(
                "/api/v1/usage/events?limit=4&cursor={}",
                page["next_cursor"]
            ),
        )
        .await;
    }
    assert_eq!(ids.len(), 9);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "increasing ids: {ids:?}"
    );
    // The last cursor stays valid: a page after it is empty until new events arrive.
    let last = *ids.last().unwrap();
    let after = get(u, &format!("/api/v1/usage/events?cursor={last}")).await;
    assert_eq!(after["events"], json!([]));
    assert_eq!(after["next_cursor"], last);
    assert_eq!(after["has_more"], false);

    // One event whole: metadata only, the refusal with its status.
    let refused = get(u, "/api/v1/usage/events?status=error").await;
    let e = &refused["events"][0];
    assert_eq!(refused["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            e["status"].as_i64(),
            e["model"].as_str(),
            e["cost_micros"].as_i64()
        ),
        (Some(400), Some("gpt-5.5"), Some(0))
    );
    assert_eq!(e["created_at"], format!("{}T09:01:00Z", d(1)));
    assert_eq!(e["settlement"], "upstream_error");
    assert_eq!(e["key_id"], s.key_a);
    for field in ["prompt", "messages", "content", "completion"] {
        assert!(e.get(field).is_none(), "{field} in {e}");
    }

    // Newest first, filtered by time and model.
    let newest = get(
        u,
        &format!(
            "/api/v1/usage/events?order=desc&limit=2&from={}&to={}&model=gpt-*",
            d(0),
            d(2)
        ),
    )
    .await;
    let times: Vec<String> = newest["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["created_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        times,
        [format!("{}T09:01:00Z", d(1)), format!("{}T09:00:00Z", d(1))]
    );
    assert_eq!(newest["has_more"], true);

    // CSV carries the cursor in headers.
    let resp =
        s.p.http
            .get(s.p.url("/api/v1/usage/events?limit=2&format=csv"))
            .bearer_auth(u.token().unwrap())
            .send()
            .await
            .unwrap();
    assert_eq!(resp.headers()["x-has-more"], "true");
    assert_eq!(resp.headers()["x-next-cursor"], ids[1].to_string().as_str());
    let csv = resp.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.starts_with("id,created_at,request_id,account_id,key_id,route,"),
        "{csv}"
    );
    assert!(csv.contains(&format!(",{}T12:00:00.000Z,", d(0))), "{csv}");

    for query in [
        "limit=0",
        "limit=5001",
        "cursor=-1",
        "order=sideways",
        "group_by=day",
    ] {
        let reply = u.get(&format!("/api/v1/usage/events?{query}")).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    }
}

#[tokio::test]
async fn admins_report_on_any_account_or_all_and_users_only_on_theirs() {
    let s = setup().await;
    let p = &s.p;
    // Another user with one request of today.
    let other = p.gw.new_user("other@codexkey.test").await;
    let (_, k) = other.post("/api/v1/keys", &json!({})).await;
    let (status, _) = p
        .admin
        .post(
            "/api/v1/admin/users/other@codexkey.test/adjust",
            &json!({"amount_micros": 1_000_000, "reason": "test"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let resp = p
        .http
        .post(p.url("/v1/chat/completions"))
        .bearer_auth(k["secret"].as_str().unwrap())
        .json(&json!({"model": "gpt-4o-mini", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // The plan's days and today (day 6), through tomorrow.
    let week = format!("from={}&to={}", d(0), d(7));
    // The user's own report does not see it; naming themselves is fine, anyone else is not.
    let mine = get(&p.user, &format!("/api/v1/usage?{week}&group_by=")).await;
    assert_eq!(sums(&mine["totals"])[0], 9);
    let me = get(
        &p.user,
        &format!("/api/v1/usage?{week}&account={}", p.user_email),
    )
    .await;
    assert_eq!(me["totals"], mine["totals"]);
    for account in ["all", "other@codexkey.test", "1"] {
        let reply = p
            .user
            .get(&format!("/api/v1/usage?account={account}"))
            .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
        let reply = p
            .user
            .get(&format!("/api/v1/usage/events?account={account}"))
            .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden");
    }

    // An admin: one account by email, or all of them grouped by account.
    let theirs = get(
        &p.admin,
        &format!("/api/v1/usage?{week}&group_by=&account=other@codexkey.test"),
    )
    .await;
    assert_eq!(theirs["account"], "other@codexkey.test");
    assert_eq!(sums(&theirs["totals"]), [1, 0, 120, 50, 48]);
    let all = get(
        &p.admin,
        &format!("/api/v1/usage?{week}&group_by=account&account=all"),
    )
    .await;
    assert!(all.get("account").is_none());
    let per_account: Vec<(&str, i64)> = all["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["email"].as_str().unwrap(),
                g["cost_micros"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_account,
        [
            (p.user_email.as_str(), TOTAL_COST),
            ("other@codexkey.test", 48)
        ]
    );
    assert_eq!(all["totals"]["cost_micros"], TOTAL_COST + 48);
    let events = get(&p.admin, "/api/v1/usage/events?account=all&count=true").await;
    assert_eq!(events["remaining"], 10);
    let reply = p
        .admin
        .get("/api/v1/usage?account=nobody@codexkey.test")
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn summary_shows_spend_today_and_days_left() {
    let p = Plane::start(CREDITS_100).await;
    // Three requests now (gpt-5.5: 2100 each) and one moved 40 days back (outside both windows).
    let mut ids = Vec::new();
    for _ in 0..4 {
        let resp = p
            .post(
                "/v1/chat/completions",
                &json!({"model": "gpt-5.5", "messages": []}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        ids.push(codexkey_tests::plane::request_id(&resp));
    }
    p.gw.flush().await;
    let forty_days_ago = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
    p.gw.db_rw()
        .execute(
            "UPDATE usage_events SET created_at = ?1 WHERE request_id = ?2",
            codexkey_tests::params![forty_days_ago, ids[0]],
        )
        .unwrap();

    let s = get(&p.user, "/api/v1/usage/summary").await;
    let available = CREDITS_100 - 4 * 2100;
    assert_eq!(s["balance_micros"], available);
    assert_eq!(s["held_micros"], 0);
    assert_eq!(s["available_micros"], available);
    assert_eq!(s["currency"], "USD");
    assert_eq!(s["tz"], "+00:00");
    assert_eq!(s["spent_today_micros"], 3 * 2100);
    assert_eq!(s["spent_30d_micros"], 3 * 2100);
    // The first request of the window was moments ago: the average is over one day (the floor).
    assert_eq!(s["daily_average_micros"], 3 * 2100);
    assert_eq!(s["days_left"], available / (3 * 2100));
    assert!(s.get("currency_rate").is_none());
    let reply = p.user.get("/api/v1/usage/summary?tz=mars").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");

    // Without spend in the window, no estimate.
    let fresh = p.gw.new_user("idle@codexkey.test").await;
    let s = get(&fresh, "/api/v1/usage/summary").await;
    assert_eq!(s["spent_30d_micros"], 0);
    assert_eq!(s["days_left"], Value::Null);
}
