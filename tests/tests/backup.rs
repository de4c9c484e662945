//! `codexkey admin backup FILE` while the data plane is under load: the file is private, is the
//! source database at one instant (every table a prefix of the source's), and restores into a
//! fresh gateway whose ledger check passes and whose counts are the backup's, plus the crash
//! rule's settlement of the requests that were in flight when it was taken.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use codexkey_tests::cli::CliUser;
use codexkey_tests::fixtures::{CREDITS_100, chat_usage};
use codexkey_tests::plane::Plane;
use codexkey_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestDb, TestGateway};
use reqwest::StatusCode;
use serde_json::json;

#[derive(Debug, PartialEq, Eq)]
struct Counts {
    accounts: i64,
    ledger_entries: i64,
    usage_events: i64,
    holds: i64,
}

fn counts(db: &TestDb) -> Counts {
    let n = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    Counts {
        accounts: n("SELECT COUNT(*) FROM accounts"),
        ledger_entries: n("SELECT COUNT(*) FROM ledger_entries"),
        usage_events: n("SELECT COUNT(*) FROM usage_events"),
        holds: n("SELECT COUNT(*) FROM holds"),
    }
}

fn max_id(db: &TestDb, table: &str) -> i64 {
    db.query_row(
        &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn open(path: &Path) -> TestDb {
    TestDb::sqlite(path, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_is_one_instant_and_restores() {
    if codexkey_tests::sqlite_only(
        "`admin backup` copies the SQLite file; on PostgreSQL backups are pg_dump's and the command refuses",
    ) {
        return;
    }
    let p = Arc::new(Plane::start(CREDITS_100).await);
    p.upstream.update_script(|s| {
        s.usage = chat_usage();
        // Streams stay in flight a while, so the backup catches some holds.
        s.event_delay = Duration::from_millis(10);
    });
    let admin = CliUser::new(p.gw.base_url());
    let login = admin.run_with_stdin(
        &["login", "--email", ADMIN_EMAIL, "--password-stdin"],
        &format!("{ADMIN_PASSWORD}\n"),
    );
    assert_eq!(login.code, 0, "{login:?}");

    // Four clients send chat completions until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (p, stop, done) = (p.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                let body = json!({"model": "gpt-5.5", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
                while !stop.load(Ordering::Relaxed) {
                    let resp = p.post("/v1/chat/completions", &body).send().await.unwrap();
                    assert_eq!(resp.status(), StatusCode::OK);
                    resp.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    while done.load(Ordering::Relaxed) < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("codexkey-backup.db");
    let run = {
        let file = file.clone();
        let admin_args = ["--json", "admin", "backup"];
        tokio::task::spawn_blocking(move || {
            let mut args: Vec<&str> = admin_args.to_vec();
            let f = file.to_str().unwrap().to_owned();
            args.push(&f);
            admin.run(&args)
        })
        .await
        .unwrap()
    };
    let before_stop = done.load(Ordering::Relaxed);
    // The load goes on a little after the backup, then stops.
    while done.load(Ordering::Relaxed) < before_stop + 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let out = run.json();
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert_eq!(out["bytes"], bytes, "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is private");
    }
    // Nothing but the backup next to it, and nothing left in the gateway's data directory.
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(dir.path()), ["codexkey-backup.db"]);
    assert!(
        !names(p.gw.data_dir()).iter().any(|n| n.contains("backup")),
        "{:?}",
        names(p.gw.data_dir())
    );

    // The backup is the source at one instant: each append-only table is a prefix of the
    // source's, and the source went on past it.
    p.gw.flush().await;
    let backup = open(&file);
    let at_backup = counts(&backup);
    let source = p.gw.db();
    for table in ["accounts", "ledger_entries", "usage_events"] {
        let upto = max_id(&backup, table);
        let source_upto: i64 = source
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE id <= ?1"),
                [upto],
                |r| r.get(0),
            )
            .unwrap();
        let in_backup: i64 = backup
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            in_backup, source_upto,
            "{table} is not a prefix of the source"
        );
    }
    assert!(at_backup.usage_events >= 40 - 4, "{at_backup:?}");
    assert!(counts(&source).usage_events > at_backup.usage_events);
    // Every event's charge is in the backup's ledger, and every balance equals its ledger.
    let unmatched: i64 = backup
        .query_row(
            "SELECT COUNT(*) FROM usage_events e WHERE e.cost_micros > 0 AND NOT EXISTS \
             (SELECT 1 FROM ledger_entries l WHERE l.request_id = e.request_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unmatched, 0);
    let in_flight: Vec<String> = backup
        .prepare("SELECT request_id FROM holds ORDER BY request_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(backup);

    // Restore: the file becomes the database of a fresh gateway.
    let restore = tempfile::tempdir().unwrap();
    std::fs::copy(&file, restore.path().join("codexkey.db")).unwrap();
    let restored = TestGateway::start_with(|raw| {
        raw.data_dir = Some(restore.path().to_owned());
    })
    .await;
    restored.flush().await;
    let admin = restored.admin().await;
    let (status, check) = admin.get("/api/v1/admin/ledger/verify").await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["ok"], true, "{check}");
    let db = restored.db();
    let now = counts(&db);
    // The requests in flight at backup time are settled by the crash rule at start-up: one
    // event each, a charge each, and no hold left.
    let crashed: Vec<String> = db
        .prepare(
            "SELECT request_id FROM usage_events WHERE settlement = 'crash_reconciled' \
             ORDER BY request_id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(crashed, in_flight);
    let crash_charges: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM ledger_entries WHERE request_id IN \
             (SELECT request_id FROM usage_events WHERE settlement = 'crash_reconciled')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        now,
        Counts {
            accounts: at_backup.accounts,
            ledger_entries: at_backup.ledger_entries + crash_charges,
            usage_events: at_backup.usage_events + in_flight.len() as i64,
            holds: 0,
        }
    );
    restored.stop().await;
}
