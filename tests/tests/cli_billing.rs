//! End to end: `codexkey topup --code`, `codexkey admin codes …` and `codexkey admin bonus` with
//! the real binary against a real `codexkey gateway` process, tables and `--json`, the private
//! CSV files, exit codes and hints.

#![expect(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;

use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL, refused};
use serde_json::Value;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn codes_in(stdout: &str) -> Vec<String> {
    stdout.lines().map(str::to_owned).collect()
}

#[test]
fn admins_create_codes_users_redeem_them_once() {
    let gw = GatewayProcess::start();
    let admin = CliUser::admin(&gw);
    let user = CliUser::registered(&gw);
    let dir = tempfile::tempdir().unwrap();

    // Printed once, one per line on stdout; what was made on stderr.
    // Times print in local time: pin the zone so the expiry reads as given.
    let created = admin.run_env(
        &[
            "admin",
            "codes",
            "create",
            "--amount",
            "1.234567",
            "--count",
            "3",
            "--note",
            "launch",
            "--promotional",
            "--expires",
            "2099-01-01",
        ],
        &[("TZ", "UTC")],
    );
    assert_eq!(created.code, 0, "{created:?}");
    let codes = codes_in(&created.stdout);
    assert_eq!(codes.len(), 3, "{created:?}");
    assert!(
        codes.iter().all(|c| c.starts_with("CK-") && c.len() == 22),
        "{codes:?}"
    );
    assert!(
        created.stderr.contains(
            "created batch 1: 3 code(s) of 1.234567 cr, promotional, expiring 2099-01-01"
        ) && created.stderr.contains("shown this once"),
        "{created:?}"
    );

    // Redeemed once, exact to the micro-credit, then refused with the reason and a next step.
    let topup = user.run(&["topup", "--code", &codes[0].to_lowercase()]);
    assert_eq!(topup.code, 0, "{topup:?}");
    assert!(topup.stdout.is_empty(), "{topup:?}");
    assert!(
        topup
            .stderr
            .contains("redeemed: 1.234567 cr of promotional credit added; balance now 1.234567 cr"),
        "{topup:?}"
    );
    let again = user.run(&["topup", "--code", &codes[0]]);
    refused(&again, "already been redeemed");
    assert!(
        again.stderr.contains("hint: a code redeems once"),
        "{again:?}"
    );
    let unknown = user.run(&["topup", "--code", "CK-AAAA-BBBB-CCCC-DDDD"]);
    refused(&unknown, "no such code");
    assert!(
        unknown.stderr.contains("hint: check the code for typos"),
        "{unknown:?}"
    );
    let no_source = user.run(&["topup"]);
    assert_eq!(no_source.code, 2, "{no_source:?}");
    assert!(no_source.stderr.contains("--code"), "{no_source:?}");

    // `--json` of a redemption, and the ledger marks promotional credit.
    let second = user.run(&["topup", "--code", &codes[1], "--json"]).json();
    assert_eq!(second["entry"]["amount_micros"], 1_234_567);
    assert_eq!(second["entry"]["kind"], "code");
    assert_eq!(second["entry"]["promotional"], true);
    assert_eq!(second["balance"]["balance_micros"], 2_469_134);
    let ledger = user.run(&["ledger"]);
    assert_eq!(ledger.code, 0, "{ledger:?}");
    assert_eq!(
        ledger.stdout.matches("code (promo)").count(),
        2,
        "{ledger:?}"
    );
    let ledger = user.run(&["ledger", "--json"]).json();
    assert_eq!(ledger["entries"][0]["promotional"], true);
    assert_eq!(ledger["entries"][0]["kind"], "code");

    // `--csv`: a new private file, nothing on stdout; never over an existing file.
    let csv = dir.path().join("codes.csv");
    let made = admin.run(&[
        "admin",
        "codes",
        "create",
        "--amount",
        "5",
        "--count",
        "2",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{made:?}");
    assert!(made.stdout.is_empty(), "{made:?}");
    assert_eq!(mode(&csv), 0o600);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "code,batch,amount_credits,promotional,expires_at");
    assert_eq!(lines.len(), 3, "{text}");
    let file_code = lines[1].split(',').next().unwrap().to_owned();
    assert!(lines[1].ends_with(",2,5.00,false,"), "{text}");
    let again = admin.run(&[
        "admin",
        "codes",
        "create",
        "--amount",
        "5",
        "--count",
        "2",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    refused(&again, "already exists");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), text, "left alone");
    let listed = admin.run(&["admin", "codes", "list", "--json"]).json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the refused create made no batch: {listed}"
    );

    // `--json` create prints the codes and the batch.
    let json = admin
        .run(&[
            "admin", "codes", "create", "--amount", "0.5", "--count", "1", "--json",
        ])
        .json();
    assert_eq!(json["batch"]["id"], 3);
    assert_eq!(json["batch"]["amount_micros"], 500_000);
    assert_eq!(json["codes"].as_array().unwrap().len(), 1);

    // The list as a table, and one batch's codes.
    let table = admin.run(&["admin", "codes", "list"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stdout.contains("1.234567 cr") && table.stdout.contains("launch"),
        "{table:?}"
    );
    let unused = admin
        .run(&["admin", "codes", "list", "--unused", "--json"])
        .json();
    let ids: Vec<i64> = unused
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 2, 1], "each still has an unused code");
    let shown = admin.run(&["admin", "codes", "show", "1", "--json"]).json();
    let states: Vec<&str> = shown["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["redeemed", "redeemed", "unused"]);
    assert_eq!(shown["codes"][0]["redeemed_by"], USER_EMAIL);
    let shown = admin.run(&["admin", "codes", "show", "1"]);
    assert!(
        shown.stdout.contains(USER_EMAIL) && shown.stdout.contains("unused"),
        "{shown:?}"
    );

    // Disable one code by its text, then a whole batch.
    let one = admin.run(&["admin", "codes", "disable", "--code", &file_code]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(one.stderr.contains("disabled 1 code(s)"), "{one:?}");
    refused(&user.run(&["topup", "--code", &file_code]), "disabled");
    let batch = admin
        .run(&["admin", "codes", "disable", "1", "--json"])
        .json();
    assert_eq!(batch["disabled"], 1);
    refused(&user.run(&["topup", "--code", &codes[2]]), "disabled");
    let both = admin.run(&["admin", "codes", "disable", "1", "--code", &codes[2]]);
    assert_eq!(both.code, 2, "one target: {both:?}");
    refused(
        &admin.run(&["admin", "codes", "disable", "99"]),
        "no code batch 99",
    );

    // Export: the states and redeemers in a new private file, never the codes.
    let export = dir.path().join("batch1.csv");
    let out = admin.run(&["admin", "codes", "export", "1", export.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(mode(&export), 0o600);
    let text = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "code_id,batch,amount_credits,promotional,state,redeemed_by,redeemed_at,disabled_at,expires_at"
    );
    assert!(
        lines[1].starts_with(&format!("1,1,1.234567,true,redeemed,{USER_EMAIL},")),
        "{text}"
    );
    assert!(
        lines[3].starts_with("3,1,1.234567,true,disabled,,,"),
        "{text}"
    );
    assert!(lines[3].ends_with(",2099-01-01T00:00:00Z"), "{text}");
    for code in &codes {
        assert!(!text.contains(&code[3..]), "{text}");
    }
    refused(
        &admin.run(&["admin", "codes", "export", "1", export.to_str().unwrap()]),
        "already exists",
    );

    let balance = user.run(&["balance", "--json"]).json();
    assert_eq!(balance["balance_micros"], 2_469_134, "{balance}");
    let check = admin.run(&["admin", "verify-ledger"]);
    assert_eq!(check.code, 0, "{check:?}");
}

#[test]
fn admin_bonus_needs_a_reason_and_is_audited() {
    let gw = GatewayProcess::start();
    let admin = CliUser::admin(&gw);
    let user = CliUser::registered(&gw);

    let no_reason = admin.run(&["admin", "bonus", USER_EMAIL, "2"]);
    assert_eq!(no_reason.code, 2, "{no_reason:?}");
    assert!(no_reason.stderr.contains("--reason"), "{no_reason:?}");
    refused(
        &admin.run(&["admin", "bonus", USER_EMAIL, "2", "--reason", " "]),
        "`reason` is required",
    );
    refused(
        &admin.run(&["admin", "bonus", USER_EMAIL, "0", "--reason", "x"]),
        "must be positive",
    );
    refused(
        &admin.run(&["admin", "bonus", USER_EMAIL, "two", "--reason", "x"]),
        "AMOUNT",
    );
    refused(
        &admin.run(&["admin", "bonus", "nobody@example.com", "2", "--reason", "x"]),
        "no account",
    );
    refused(
        &user.run(&["admin", "bonus", USER_EMAIL, "2", "--reason", "me"]),
        "admin",
    );

    let given = admin.run(&[
        "admin",
        "bonus",
        USER_EMAIL,
        "2.5",
        "--reason",
        "beta tester",
    ]);
    assert_eq!(given.code, 0, "{given:?}");
    assert!(
        given.stderr.contains(&format!(
            "gave {USER_EMAIL} a bonus of 2.50 cr (promotional credit); balance now 2.50 cr"
        )),
        "{given:?}"
    );
    let json = admin
        .run(&[
            "admin",
            "bonus",
            USER_EMAIL,
            "0.000001",
            "--reason",
            "one micro",
            "--json",
        ])
        .json();
    assert_eq!(json["entry"]["amount_micros"], 1);
    assert_eq!(json["entry"]["kind"], "bonus");
    assert_eq!(json["entry"]["promotional"], true);
    assert_eq!(json["account"]["balance_micros"], 2_500_001);

    let ledger = user.run(&["ledger"]);
    assert_eq!(
        ledger.stdout.matches("bonus (promo)").count(),
        2,
        "{ledger:?}"
    );
    assert!(ledger.stdout.contains("beta tester"), "{ledger:?}");
    let audit = admin.run(&["admin", "audit", "--json"]).json();
    let bonuses: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "balance.bonus")
        .collect();
    assert_eq!(bonuses.len(), 2, "{audit}");
    assert_eq!(bonuses[1]["detail"]["reason"], "beta tester");
    assert_eq!(bonuses[1]["detail"]["amount_micros"], 2_500_000);
    assert_eq!(bonuses[1]["target"], USER_EMAIL);
    let check = admin.run(&["admin", "verify-ledger", "--json"]).json();
    assert_eq!(check["ok"], true);
}
