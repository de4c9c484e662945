//! End to end: `codexkey usage` and `codexkey balance` of the real binary against the real
//! gateway process, over known traffic (`codexkey_tests::usage::PLAN`). The CLI answers from
//! its local cache after a sync; its `--json` and `--csv` must say exactly what the gateway's
//! own report says. Offline reads, interrupted syncs, the progress bar and an old cache file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Datelike as _;
use codexkey_tests::cli::{
    ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess, Run, USER_EMAIL, USER_PASSWORD, bin,
};
use codexkey_tests::fake_upstream::FakeUpstream;
use codexkey_tests::usage::{self, TOTAL_COST, d};
use codexkey_tests::{ApiClient, http_client, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::Value;

/// Every CLI run here uses UTC days, so the expected days do not depend on the machine.
const UTC: [(&str, &str); 1] = [("TZ", "UTC")];

struct Setup {
    gw: GatewayProcess,
    user: CliUser,
    /// The user's own session, for asking the gateway directly.
    api: ApiClient,
    _upstream: FakeUpstream,
}

fn cli(user: &CliUser, args: &[&str]) -> Run {
    tokio::task::block_in_place(|| user.run_env(args, &UTC))
}

/// A gateway process with a RUB rate, a user registered and logged in through the CLI with two
/// keys (`tests`, `ci`), funded, and the plan's traffic moved onto its days. With `via`, the
/// CLI talks to a proxy (its URL) that is pointed at the gateway once the gateway runs.
async fn setup_with(via: Option<(&str, &Arc<std::sync::Mutex<String>>)>) -> Setup {
    install_crypto_provider();
    let upstream = FakeUpstream::start().await;
    let base = upstream.base_url().to_owned();
    let gw = tokio::task::block_in_place(|| {
        GatewayProcess::start_with_upstream(
            &base,
            &[("CODEXKEY_CURRENCIES", "RUB=92.5312@2026-11-20")],
        )
    });
    let user = match via {
        Some((proxy, target)) => {
            *target.lock().unwrap() = gw.url.clone();
            CliUser::new(proxy)
        }
        None => CliUser::new(&gw.url),
    };
    let reg = tokio::task::block_in_place(|| {
        user.run_with_stdin(
            &["register", "--email", USER_EMAIL, "--password-stdin"],
            &format!("{USER_PASSWORD}\n"),
        )
    });
    assert_eq!(reg.code, 0, "{reg:?}");
    let a = cli(&user, &["keys", "create", "--name", "tests", "--json"]).json();
    let b = cli(&user, &["keys", "create", "--name", "ci", "--json"]).json();
    let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin.fund(USER_EMAIL, 100_000_000, "test").await;
    let sent = usage::send(
        &http_client(),
        &gw.url,
        &upstream,
        a["secret"].as_str().unwrap(),
        b["secret"].as_str().unwrap(),
    )
    .await;
    let api = ApiClient::login(&gw.url, USER_EMAIL, USER_PASSWORD).await;
    // A report flushes the gateway's metering writer: every event is in the database after it.
    let (status, _) = api.get("/api/v1/usage").await;
    assert_eq!(status, StatusCode::OK);
    usage::backdate(&gw.db(), &sent);
    Setup {
        gw,
        user,
        api,
        _upstream: upstream,
    }
}

async fn gateway_report(api: &ApiClient, query: &str) -> Value {
    let (status, body) = api.get(&format!("/api/v1/usage?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// `codexkey usage --from DAY0 --to DAY2 EXTRA…`: the plan's three days.
fn usage_run(user: &CliUser, extra: &[&str]) -> Run {
    let (from, to) = (d(0), d(2));
    let mut v = vec!["usage", "--from", &from, "--to", &to];
    v.extend(extra);
    cli(user, &v)
}

/// A screen with `{D0}`… for the plan's days and `{W0}`… for their weekdays.
fn fill(template: &str) -> String {
    let mut out = template.to_owned();
    for n in 0..4 {
        out = out
            .replace(&format!("{{D{n}}}"), &d(n))
            .replace(&format!("{{W{n}}}"), &usage::day(n).weekday().to_string());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_json_and_csv_say_what_the_gateway_says() {
    let s = setup_with(None).await;
    for (by, group_by) in [
        ("day", "day"),
        ("model", "model"),
        ("key", "key"),
        ("day,model", "day,model"),
    ] {
        let mine = usage_run(&s.user, &["--by", by, "--json"]).json();
        let theirs = gateway_report(
            &s.api,
            &format!("from={}&to={}&group_by={group_by}", d(0), d(3)),
        )
        .await;
        assert_eq!(mine["groups"], theirs["groups"], "--by {by}");
        assert_eq!(mine["totals"], theirs["totals"], "--by {by}");
        assert_eq!(mine["from"], format!("{}T00:00:00Z", d(0)));
        assert_eq!(mine["to"], format!("{}T00:00:00Z", d(3)));
        assert_eq!(mine["tz"], "local");
        assert_eq!(mine["account"], USER_EMAIL);
        assert_eq!(mine["totals"]["cost_micros"], TOTAL_COST);
    }
    let mine = usage_run(&s.user, &["--json"]).json();
    let days = usage::day_costs(&mine);
    assert_eq!(days, [(d(0), 2244), (d(1), 2470), (d(2), 418)]);

    // CSV: byte for byte the gateway's.
    let csv = usage_run(&s.user, &["--by", "key", "--csv", "--currency", "RUB"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    let (_, theirs) = s
        .api
        .get(&format!(
            "/api/v1/usage?from={}&to={}&group_by=key&currency=RUB&format=csv",
            d(0),
            d(3)
        ))
        .await;
    assert_eq!(csv.stdout, theirs.as_str().unwrap());
    assert!(
        csv.stdout
            .contains(",tests,6,1,600,0,0,250,0,0,0.004344,0.401956\r\n"),
        "{csv:?}"
    );
    let csv = usage_run(&s.user, &["--csv"]);
    assert_eq!(
        csv.stdout,
        fill(
            "day,requests,errors,input_tokens,cached_tokens,cache_write_tokens,output_tokens,reasoning_tokens,images,cost_credits\r\n\
             {D0},4,0,480,0,0,200,0,0,0.002244\r\n\
             {D1},3,1,240,0,0,100,0,0,0.00247\r\n\
             {D2},2,0,240,0,0,100,0,0,0.000418\r\n"
        )
    );

    // Filters, resolved against the cached keys by name.
    let ci = usage_run(&s.user, &["--key", "ci", "--by", "model", "--json"]).json();
    assert_eq!(ci["totals"]["cost_micros"], 788);
    assert_eq!(ci["groups"].as_array().unwrap().len(), 2);
    let errors = usage_run(&s.user, &["--status", "error", "--json"]).json();
    assert_eq!(errors["totals"]["requests"], 1);
    let gpt = usage_run(&s.user, &["--model", "gpt-*", "--json"]).json();
    assert_eq!(gpt["totals"]["cost_micros"], 4392);
    let bad = usage_run(&s.user, &["--key", "nope"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("no key is named `nope`"), "{bad:?}");

    // Raw events, newest first, from the cache.
    let events = cli(&s.user, &["usage", "events", "--limit", "3", "--json"]).json();
    let models: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["gpt-4o-mini", "claude-haiku-4-5", "claude-haiku-4-5"]
    );
    // An admin asks the gateway about the user's account, or every account; a user may not.
    let admin = CliUser::new(&s.gw.url);
    let login = tokio::task::block_in_place(|| {
        admin.run_with_stdin(
            &["login", "--email", ADMIN_EMAIL, "--password-stdin"],
            &format!("{ADMIN_PASSWORD}\n"),
        )
    });
    assert_eq!(login.code, 0, "{login:?}");
    let theirs = usage_run(
        &admin,
        &["--account", USER_EMAIL, "--by", "model", "--json"],
    )
    .json();
    assert_eq!(theirs["account"], USER_EMAIL);
    assert_eq!(theirs["totals"]["cost_micros"], TOTAL_COST);
    assert_eq!(theirs["groups"].as_array().unwrap().len(), 3);
    let all = usage_run(&admin, &["--account", "all", "--by", "account", "--json"]).json();
    assert_eq!(all["groups"][0]["email"], USER_EMAIL);
    assert_eq!(all["totals"]["cost_micros"], TOTAL_COST);
    let newest = cli(
        &admin,
        &[
            "usage",
            "events",
            "--account",
            USER_EMAIL,
            "--limit",
            "2",
            "--json",
        ],
    )
    .json();
    assert_eq!(newest.as_array().unwrap().len(), 2);
    assert_eq!(newest[0]["model"], "gpt-4o-mini");
    let denied = usage_run(&s.user, &["--account", "all"]);
    assert_eq!(denied.code, 1, "{denied:?}");
    assert!(denied.stderr.contains("only admins"), "{denied:?}");

    let events_csv = cli(&s.user, &["usage", "events", "--csv"]);
    assert_eq!(events_csv.stdout.lines().count(), 10, "{events_csv:?}");
    drop(s.gw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_and_the_chart() {
    let s = setup_with(None).await;
    let table = usage_run(&s.user, &["--currency", "RUB"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert_eq!(table.stdout, fill(TABLE_AND_CHART), "\n{}", table.stdout);
    assert_eq!(
        table.stderr,
        "costs in RUB at 92.5312 per credit (1 credit = 1 USD), the gateway's rate of 2026-11-20\n"
    );
    let by_model = usage_run(&s.user, &["--by", "model"]);
    assert_eq!(by_model.stdout, BY_MODEL, "\n{}", by_model.stdout);
    let empty = cli(
        &s.user,
        &["usage", "--from", "2020-01-01", "--to", "2020-01-02"],
    );
    assert_eq!((empty.code, empty.stdout.as_str()), (0, ""));
    assert_eq!(empty.stderr, "no usage in this range\n");
}

const TABLE_AND_CHART: &str = "\
╭────────────┬──────────┬────────┬───────┬────────┬─────────────┬────────┬──────────┬───────────╮
│ day        │ requests │ errors │ input │ cached │ cache write │ output │ cost, cr │ cost, RUB │
├────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┼───────────┤
│ {D0} │        4 │      0 │   480 │      0 │           0 │    200 │ 0.002244 │  0.207640 │
│ {D1} │        3 │      1 │   240 │      0 │           0 │    100 │ 0.002470 │  0.228552 │
│ {D2} │        2 │      0 │   240 │      0 │           0 │    100 │ 0.000418 │  0.038678 │
├────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┼───────────┤
│ total      │        9 │      1 │   960 │      0 │           0 │    400 │ 0.005132 │  0.474870 │
╰────────────┴──────────┴────────┴───────┴────────┴─────────────┴────────┴──────────┴───────────╯

spend per day, RUB
{W0} {D0} │████████████████████████████████████▎    0.207640
{W1} {D1} │████████████████████████████████████████ 0.228552
{W2} {D2} │██████▊                                  0.038678
";
const BY_MODEL: &str = "\
╭──────────────────┬──────────┬────────┬───────┬────────┬─────────────┬────────┬──────────╮
│ model            │ requests │ errors │ input │ cached │ cache write │ output │ cost, cr │
├──────────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┤
│ claude-haiku-4-5 │        2 │      0 │   240 │      0 │           0 │    100 │ 0.000740 │
│ gpt-4o-mini      │        4 │      0 │   480 │      0 │           0 │    200 │ 0.000192 │
│ gpt-5.5          │        3 │      1 │   240 │      0 │           0 │    100 │ 0.004200 │
├──────────────────┼──────────┼────────┼───────┼────────┼─────────────┼────────┼──────────┤
│ total            │        9 │      1 │   960 │      0 │           0 │    400 │ 0.005132 │
╰──────────────────┴──────────┴────────┴───────┴────────┴─────────────┴────────┴──────────╯
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_reads_the_cache_and_says_how_old_it_is() {
    let s = setup_with(None).await;
    let online = usage_run(&s.user, &["--json"]).json();
    let sync = cli(&s.user, &["usage", "sync", "--json"]).json();
    assert_eq!(
        (sync["new_events"].as_u64(), sync["cached_events"].as_u64()),
        (Some(0), Some(9))
    );
    let again = cli(&s.user, &["usage", "sync", "--json"]).json();
    assert_eq!(again["cached_events"], 9, "syncing twice never duplicates");

    let url = s.gw.url.clone();
    let (status, _) = tokio::task::block_in_place(|| s.gw.terminate());
    assert!(status.success());
    let offline = usage_run(&s.user, &["--offline", "--json"]);
    let report: Value = serde_json::from_str(&offline.stdout).unwrap();
    assert_eq!(report["groups"], online["groups"]);
    assert_eq!(report["totals"], online["totals"]);
    assert!(
        offline.stderr.starts_with(&format!(
            "offline: usage of {USER_EMAIL} cached from {url}, synced "
        )) && offline.stderr.contains(", at 20"),
        "{offline:?}"
    );
    let events = cli(&s.user, &["usage", "events", "--offline", "--json"]).json();
    assert_eq!(events.as_array().unwrap().len(), 9);

    // Online without a gateway: a refusal that points at `--offline`.
    let failed = usage_run(&s.user, &["--json"]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(failed.stdout, "");
    assert!(
        failed
            .stderr
            .contains("error: the usage could not be synced"),
        "{failed:?}"
    );
    assert!(
        failed.stderr.contains("cannot reach the gateway"),
        "{failed:?}"
    );
    assert!(
        failed
            .stderr
            .contains("hint: `--offline` shows the usage cached on this machine (synced "),
        "{failed:?}"
    );
}

fn cached_events(user: &CliUser) -> i64 {
    let db = rusqlite::Connection::open(user.data_dir().join("usage-cache.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sync_resumes_without_duplicates() {
    // The CLI talks to the proxy; the proxy learns the gateway's URL once the gateway runs.
    let target = Arc::new(std::sync::Mutex::new(String::new()));
    let (proxy, calls) = flaky_proxy(target.clone(), 3).await;
    let s = setup_with(Some((&proxy, &target))).await;

    let first = cli(&s.user, &["usage", "sync"]);
    assert_ne!(first.code, 0, "{first:?}");
    assert!(
        first.stderr.contains("the gateway is restarting"),
        "{first:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        cached_events(&s.user),
        6,
        "the two pages before the failure are kept"
    );

    let second = cli(&s.user, &["usage", "sync", "--json"]).json();
    assert_eq!(second["new_events"], 3);
    assert_eq!(second["cached_events"], 9);
    assert_eq!(cached_events(&s.user), 9);
    let report = usage_run(&s.user, &["--json"]).json();
    assert_eq!(report["totals"]["requests"], 9);
    assert_eq!(report["totals"]["cost_micros"], TOTAL_COST);
}

/// A stand-in for the network between the CLI and the gateway: it forwards everything to
/// `target` (read at each request, so it can be set once the gateway runs), cuts event pages
/// to three events, and fails the `fail_at`-th page request once, with a 503.
async fn flaky_proxy(
    target: Arc<std::sync::Mutex<String>>,
    fail_at: usize,
) -> (String, Arc<AtomicUsize>) {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::Response;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let http = http_client();
    let app = axum::Router::new().fallback(move |req: Request| {
        let (http, counter) = (http.clone(), counter.clone());
        let target = target.lock().unwrap().clone();
        async move {
            let path = req.uri().path().to_owned();
            let mut query = req.uri().query().unwrap_or("").to_owned();
            if path == "/api/v1/usage/events" {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                if n == fail_at {
                    return Response::builder()
                        .status(503)
                        .header("content-type", "application/json")
                        .body(Body::from(
                            r#"{"error":{"type":"unavailable","message":"the gateway is restarting"}}"#,
                        ))
                        .unwrap();
                }
                query = query.replace("limit=1000", "limit=3");
            }
            let mut up = http.request(req.method().clone(), format!("{target}{path}?{query}"));
            for name in ["authorization", "content-type"] {
                if let Some(v) = req.headers().get(name) {
                    up = up.header(name, v);
                }
            }
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap();
            let resp = up.body(body).send().await.unwrap();
            let status = resp.status();
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(resp.bytes().await.unwrap()))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_shows_spend_and_days_left() {
    let s = setup_with(None).await;
    let b = cli(&s.user, &["balance", "--json"]).json();
    assert_eq!(b["balance_micros"], 100_000_000 - TOTAL_COST);
    assert_eq!(b["held_micros"], 0);
    assert_eq!(b["available_micros"], 100_000_000 - TOTAL_COST);
    assert_eq!(
        b["spent_today_micros"], 0,
        "every request was moved to an earlier day"
    );
    assert_eq!(b["spent_30d_micros"], TOTAL_COST);
    assert!(b["days_left"].as_i64().unwrap() > 10_000, "{b}");
    assert_eq!(b["tz"], "+00:00");
    let table = cli(&s.user, &["balance"]);
    assert_eq!(table.code, 0, "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines[0], "         balance  99.994868 cr");
    assert_eq!(lines[3], "     spent today  0.00 cr");
    assert_eq!(lines[4], "spent in 30 days  0.005132 cr");
    assert!(lines[6].starts_with("       days left  "), "{table:?}");
}

/// `script` runs the CLI on a pseudo-terminal, as a person would.
fn on_a_terminal(user: &CliUser, command: &str) -> String {
    let mut c = Command::new("script");
    for (k, v) in user.command().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .args([
            "-qec",
            &format!("{} {command}", bin().display()),
            "/dev/null",
        ])
        .env("TZ", "UTC")
        .env("COLUMNS", "100")
        .env("LINES", "40")
        .output()
        .expect("run script");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_sync_draws_a_progress_bar_on_a_terminal_only() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let s = setup_with(None).await;
    // 1,500 more events, written straight into the gateway's database. Plain inserts skip the
    // report rollup (the metering writer maintains it); this test only syncs raw events.
    {
        let db = s.gw.db();
        let (account, key): (i64, i64) = db
            .query_row(
                "SELECT a.id, k.id FROM accounts a JOIN api_keys k ON k.account_id = a.id WHERE a.email = ?1 LIMIT 1",
                [USER_EMAIL],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        db.execute_batch("BEGIN").unwrap();
        for i in 0..1500 {
            db.execute(
                "INSERT INTO usage_events (request_id, account_id, key_id, route, model, cost_micros, status, created_at)
                 VALUES (?1, ?2, ?3, 'chat.completions', 'gpt-4o-mini', 1, 200, ?4)",
                codexkey_tests::params![format!("synthetic-{i}"), account, key, 1_795_000_000_000_i64 + i],
            )
            .unwrap();
        }
        db.execute_batch("COMMIT").unwrap();
    }
    // Piped (no terminal): no bar.
    let piped = cli(&s.user, &["usage", "sync"]);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(!piped.stderr.contains("syncing usage"), "{piped:?}");
    assert!(
        piped.stderr.contains("synced 1,509 new events"),
        "{piped:?}"
    );

    // On a terminal: the bar, on stderr; but never with `--json`.
    let other = CliUser::new(&s.gw.url);
    let login = tokio::task::block_in_place(|| {
        other.run_with_stdin(
            &["login", "--email", USER_EMAIL, "--password-stdin"],
            &format!("{USER_PASSWORD}\n"),
        )
    });
    assert_eq!(login.code, 0, "{login:?}");
    let drawn = tokio::task::block_in_place(|| on_a_terminal(&other, "usage sync"));
    assert!(drawn.contains("syncing usage"), "{drawn:?}");
    assert!(drawn.contains("/1,509 events"), "{drawn:?}");
    let third = CliUser::new(&s.gw.url);
    let login = tokio::task::block_in_place(|| {
        third.run_with_stdin(
            &["login", "--email", USER_EMAIL, "--password-stdin"],
            &format!("{USER_PASSWORD}\n"),
        )
    });
    assert_eq!(login.code, 0, "{login:?}");
    let json = tokio::task::block_in_place(|| on_a_terminal(&third, "usage sync --json"));
    assert!(!json.contains("syncing usage"), "{json:?}");
    assert!(json.contains("\"new_events\": 1509"), "{json:?}");
}

/// A cache left by the first schema (raw events only) is upgraded when the CLI opens it, and
/// reports from it offline.
#[test]
fn an_old_cache_file_is_upgraded_and_read() {
    let user = CliUser::new("http://127.0.0.1:9");
    std::fs::create_dir_all(user.data_dir()).unwrap();
    let path = user.data_dir().join("usage-cache.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(include_str!("../fixtures/usage-cache-v1.sql"))
        .unwrap();
    let r = user.run_env(
        &[
            "usage",
            "--offline",
            "--from",
            "2026-11-18",
            "--to",
            "2026-11-20",
            "--json",
        ],
        &UTC,
    );
    let report = r.json();
    assert_eq!(report["totals"]["requests"], 2);
    assert_eq!(report["totals"]["cost_micros"], 4200);
    assert_eq!(report["groups"].as_array().unwrap().len(), 2);
    let db = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = db
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}

/// `codexkey ledger` shows each amount in credits and, once the user has chosen a display
/// currency the gateway has a rate for, converted beside it, naming the rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_shows_the_display_currency_beside_credits() {
    let s = setup_with(None).await;
    let plain = cli(&s.user, &["ledger", "--json"]).json();
    assert_eq!(plain["currency_rate"], Value::Null, "{plain}");

    let (status, body) = s
        .api
        .patch("/api/v1/account", &serde_json::json!({"currency": "RUB"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = cli(&s.user, &["ledger", "--json"]).json();
    assert_eq!(
        page["currency_rate"],
        serde_json::json!({"code": "RUB", "rate": "92.5312", "date": "2026-11-20"})
    );
    let table = cli(&s.user, &["ledger"]);
    assert_eq!(table.code, 0, "{table:?}");
    // The admin's funding of 100 credits: 9,253.12 RUB at 92.5312.
    assert!(
        table.stdout.contains("100.00 cr  (9253.12 RUB)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stderr.contains("RUB at 92.5312 per credit"),
        "{}",
        table.stderr
    );
}
