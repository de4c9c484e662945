//! End to end: the real `codexkey gateway` process and the real `codexkey` CLI against it.

use codexkey_tests::cli::{
    ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess, USER_EMAIL, USER_PASSWORD, command,
};

#[test]
fn register_login_key_adjust_balance_revoke_verify() {
    let gw = GatewayProcess::start();
    let user = CliUser::new(&gw.url);
    let admin = CliUser::new(&gw.url);

    let reg = user.run_with_stdin(
        &[
            "register",
            "--email",
            USER_EMAIL,
            "--password-stdin",
            "--json",
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    let reg = reg.json();
    assert_eq!(reg["account"]["email"], USER_EMAIL);
    assert_eq!(reg["account"]["role"], "user");
    assert_eq!(reg["credential_store"], "file");
    assert!(
        reg.get("token").is_none(),
        "the token is never printed: {reg}"
    );

    let login = user.run_with_stdin(
        &["login", "--email", USER_EMAIL, "--password-stdin", "--json"],
        &format!("{USER_PASSWORD}\n"),
    );
    assert_eq!(login.json()["gateway"], gw.url);
    let whoami = user.run(&["whoami", "--json"]).json();
    assert_eq!(whoami["account"]["email"], USER_EMAIL);

    let created = user
        .run(&["keys", "create", "--name", "laptop", "--json"])
        .json();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let key_id = created["key"]["id"].as_i64().expect("id");
    assert!(secret.starts_with("ck-") && secret.len() == 46, "{secret}");
    assert_eq!(created["key"]["status"], "active");
    assert_eq!(created["key"]["name"], "laptop");

    let login = admin.run_with_stdin(
        &["login", "--email", ADMIN_EMAIL, "--password-stdin"],
        &format!("{ADMIN_PASSWORD}\n"),
    );
    assert_eq!(login.code, 0, "{login:?}");
    let adjusted = admin
        .run(&[
            "admin",
            "adjust",
            USER_EMAIL,
            "10",
            "--reason",
            "welcome credit",
            "--json",
        ])
        .json();
    assert_eq!(adjusted["entry"]["amount_micros"], 10_000_000);
    assert_eq!(adjusted["entry"]["actor"], ADMIN_EMAIL);

    let balance = user.run(&["balance", "--json"]).json();
    assert_eq!(balance["balance_micros"], 10_000_000, "{balance}");
    assert_eq!(balance["held_micros"], 0);
    assert_eq!(balance["available_micros"], 10_000_000);
    let table = user.run(&["balance"]);
    assert!(table.stdout.contains("10.00 cr"), "{table:?}");

    let ledger = user.run(&["ledger", "--json"]).json();
    let entries = ledger["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "adjustment");
    assert_eq!(entries[0]["reason"], "welcome credit");

    let revoked = user
        .run(&["keys", "revoke", &key_id.to_string(), "--json"])
        .json();
    assert_eq!(revoked["status"], "revoked");
    let keys = user.run(&["keys", "list", "--json"]).json();
    assert_eq!(keys[0]["status"], "revoked");
    assert_eq!(keys[0]["prefix"], secret[..11]);

    let check = admin.run(&["admin", "verify-ledger", "--json"]).json();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["mismatches"].as_array().map(Vec::len), Some(0));
    let check = admin.run(&["admin", "verify-ledger"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stderr.contains("ledger ok"), "{check:?}");

    // Nothing secret is in the database files: not the key, the password or the session token.
    let token_file = std::fs::read_to_string(user.credentials_file()).expect("credentials file");
    let token = token_file
        .split('"')
        .find(|s| s.starts_with("cks_"))
        .expect("session token in the credentials file")
        .to_owned();
    let db = gw.database_bytes();
    let contains = |needle: &str| db.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains(USER_EMAIL), "the scan reads the real database");
    assert!(contains(&secret[..11]), "the display prefix is stored");
    assert!(!contains(&secret), "API key secret found in the database");
    assert!(
        !contains(&secret[11..]),
        "part of the API key secret found in the database"
    );
    assert!(!contains(USER_PASSWORD), "password found in the database");
    assert!(
        !contains(ADMIN_PASSWORD),
        "admin password found in the database"
    );
    assert!(!contains(&token), "session token found in the database");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(user.credentials_file())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials file mode {mode:o}");
        let mode = std::fs::metadata(&user.config_dir)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "config dir mode {mode:o}");
    }

    // Logging out forgets the token and ends the session on the gateway.
    let out = user.run(&["logout"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        !std::fs::read_to_string(user.credentials_file())
            .unwrap_or_default()
            .contains(&token)
    );
    let after = user.run(&["balance"]);
    assert_eq!(after.code, 1);
    assert!(
        after.stderr.contains("not logged in") && after.stderr.contains("codexkey login"),
        "{after:?}"
    );
    let reused = user
        .command()
        .env("CODEXKEY_TOKEN", &token)
        .args(["balance"])
        .output()
        .expect("run");
    assert_eq!(reused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&reused.stderr).contains("ended by logout"),
        "{reused:?}"
    );

    let (status, logs) = gw.terminate();
    assert!(
        status.success(),
        "the gateway exits cleanly on SIGTERM: {status:?}\n{logs}"
    );
    assert!(logs.contains("shutting down"), "{logs}");
    for secret_text in [&secret[..], USER_PASSWORD, &token] {
        assert!(
            !logs.contains(secret_text),
            "a secret reached the gateway's log"
        );
    }
}

#[test]
fn errors_name_the_cause_and_the_next_step() {
    // Nothing listens on port 9 (discard) on the loopback of these machines.
    let nobody = CliUser::new("http://127.0.0.1:9");
    let r = nobody.run(&["balance"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("you are not logged in to http://127.0.0.1:9"),
        "{r:?}"
    );

    let r = nobody.run_with_stdin(
        &["login", "--email", "x@y.z", "--password-stdin"],
        "whatever-password\n",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("error: cannot reach the gateway at http://127.0.0.1:9"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("hint:") && r.stderr.contains("codexkey gateway"),
        "{r:?}"
    );

    let gw = GatewayProcess::start();
    let user = CliUser::new(&gw.url);
    let r = user.run_with_stdin(
        &[
            "login",
            "--email",
            "nobody@codexkey.test",
            "--password-stdin",
        ],
        "wrong-password-1\n",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("error: wrong email or password"), "{r:?}");
    assert!(r.stderr.contains("codexkey register"), "{r:?}");

    let r = user.run_with_stdin(
        &[
            "register",
            "--email",
            "weak@codexkey.test",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("too weak"), "{r:?}");

    // Without a terminal and without --password-stdin there is nobody to ask.
    let r = user.run(&["login", "--email", "x@y.z"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("--password-stdin"), "{r:?}");

    let r = user.run_with_stdin(
        &[
            "register",
            "--email",
            "plain@codexkey.test",
            "--password-stdin",
        ],
        "plain user password\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = user.run(&["admin", "users"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("admin"), "{r:?}");

    let r = user.run(&[
        "admin",
        "adjust",
        "plain@codexkey.test",
        "1.0000001",
        "--reason",
        "x",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("6 decimal places"), "{r:?}");

    // Usage errors exit 2.
    let r = user.run(&["keys", "frobnicate"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = user.run(&["admin", "adjust", "plain@codexkey.test", "5"]);
    assert_eq!(r.code, 2, "a missing --reason is a usage error: {r:?}");
}

#[test]
fn print_config_shows_effective_values_leaves_secrets_out_and_is_accepted_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("gateway.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:7001\"\nlog = \"debug\"\n[admin]\npassword = \"file-secret-password\"\n[metering]\nmax_hold_credits = 5\n").expect("write");
    let print = |config: &std::path::Path| {
        let out = command()
            .args(["gateway", "--print-config", "--config"])
            .arg(config)
            .args(["--data-dir", "/srv/ck"])
            .env("CODEXKEY_LISTEN", "127.0.0.1:7002")
            .env("CODEXKEY_ADMIN_EMAIL", "Ops@Example.com")
            .output()
            .expect("run");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = print(&file);
    assert!(
        text.contains("listen = \"127.0.0.1:7002\""),
        "env beats file: {text}"
    );
    assert!(text.contains("data_dir = \"/srv/ck\""), "{text}");
    assert!(
        text.contains("database_url = \"sqlite:///srv/ck/codexkey.db\""),
        "{text}"
    );
    assert!(text.contains("log = \"debug\""), "{text}");
    assert!(text.contains("email = \"ops@example.com\""), "{text}");
    assert!(text.contains("max_hold_credits = \"5.00\""), "{text}");
    assert!(text.contains("header_read_timeout_secs = 30"), "{text}");
    assert!(!text.contains("file-secret-password"), "{text}");
    assert!(
        text.contains("#   admin.password (CODEXKEY_ADMIN_PASSWORD)"),
        "the omitted secret is named: {text}"
    );
    // What it prints is a config file `--config` accepts unchanged, to the same effect.
    let printed = dir.path().join("printed.toml");
    std::fs::write(&printed, &text).expect("write");
    let again = print(&printed);
    let settings = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(settings(&again), settings(&text));

    let out = command()
        .args(["gateway", "--print-config", "--listen", "nonsense"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid value for `listen`"),
        "{out:?}"
    );
}

/// `codexkey gateway --help` lists only the gateway's own options; the client options are
/// refused there, and their environment variables do not disturb it.
#[test]
fn gateway_help_shows_only_gateway_options() {
    let out = command()
        .args(["gateway", "--help"])
        .output()
        .expect("run codexkey");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for own in ["--config", "--listen", "--data-dir", "--print-config"] {
        assert!(help.contains(own), "{own}: {help}");
    }
    for client in ["--gateway", "--json", "--profile"] {
        assert!(!help.contains(client), "{client}: {help}");
    }
    // Every client command still has them.
    let out = command()
        .args(["balance", "--help"])
        .output()
        .expect("run codexkey");
    let help = String::from_utf8_lossy(&out.stdout);
    for client in ["--gateway", "--json", "--profile"] {
        assert!(help.contains(client), "{client}: {help}");
    }

    for typed in [
        &["gateway", "--json", "--print-config"][..],
        &["--json", "gateway", "--print-config"][..],
        &["gateway", "--gateway", "http://x", "--print-config"][..],
        &["gateway", "--profile", "admin", "--print-config"][..],
    ] {
        let out = command().args(typed).output().expect("run codexkey");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{typed:?}: {stderr}");
        assert!(
            stderr.contains("is a client option; `codexkey gateway` does not take it"),
            "{typed:?}: {stderr}"
        );
    }
    let out = command()
        .args(["gateway", "--print-config"])
        .env("CODEXKEY_GATEWAY", "http://127.0.0.1:1")
        .env("CODEXKEY_PROFILE", "admin")
        .output()
        .expect("run codexkey");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A suspended account's error says "contact the gateway's operator" once, not in the message
/// and again in the hint.
#[test]
fn no_message_is_printed_twice() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let admin = CliUser::admin(&gw);
    assert_eq!(admin.run(&["admin", "suspend", USER_EMAIL]).code, 0);

    let r = user.run(&["balance"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("suspended"), "{r:?}");
    assert_eq!(
        r.stderr.matches("contact the gateway's operator").count(),
        1,
        "{r:?}"
    );
    // No line repeats another.
    let lines: Vec<&str> = r.stderr.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        assert!(!lines[..i].contains(l), "`{l}` twice: {r:?}");
    }
}
