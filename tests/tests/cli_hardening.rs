//! End to end with the real binary: what a new user following the README meets in the CLI —
//! keys named as `keys list` shows them, key edits, closed pipes, price edits that keep what
//! was not given, and messages said once.

use codexkey_tests::cli::{CliUser, GatewayProcess, USER_EMAIL, refused};
use serde_json::Value;

fn key(keys: &Value, id: i64) -> &Value {
    keys.as_array()
        .expect("keys")
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("no key {id}: {keys}"))
}

#[test]
fn keys_are_named_by_id_name_or_prefix_and_edited_in_place() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let created = user
        .run(&[
            "keys", "create", "--name", "laptop", "--models", "gpt-*", "--json",
        ])
        .json();
    let id = created["key"]["id"].as_i64().expect("id");
    assert_eq!(
        created["key"]["allowed_models"],
        serde_json::json!(["gpt-*"])
    );

    // Edit by name: a budget and a rate limit, then remove the allow-list.
    let updated = user
        .run(&[
            "keys",
            "update",
            "laptop",
            "--budget",
            "2.5",
            "--rpm",
            "30",
            "--all-models",
            "--json",
        ])
        .json();
    assert_eq!(updated["id"], id);
    assert_eq!(updated["budget_micros"], 2_500_000);
    assert_eq!(updated["rpm_limit"], 30);
    assert_eq!(updated["allowed_models"], Value::Null);
    assert_eq!(updated["name"], "laptop", "what was not given is kept");
    let table = user.run(&["keys", "update", "laptop", "--no-budget"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stderr.contains(&format!("updated key {id}")),
        "{table:?}"
    );
    let keys = user.run(&["keys", "list", "--json"]).json();
    assert_eq!(key(&keys, id)["budget_micros"], Value::Null);
    assert_eq!(key(&keys, id)["rpm_limit"], 30);

    // A token limit: set, shown in the table, removed; the request limit stays.
    let updated = user
        .run(&["keys", "update", "laptop", "--tpm", "5000", "--json"])
        .json();
    assert_eq!(updated["tpm_limit"], 5000);
    assert_eq!(updated["rpm_limit"], 30);
    let table = user.run(&["keys", "list"]);
    assert_eq!(table.code, 0, "{table:?}");
    let header = table
        .stdout
        .lines()
        .find(|l| l.contains("rpm"))
        .expect("a header");
    assert!(header.contains("tpm"), "{table:?}");
    assert!(table.stdout.contains("5000"), "{table:?}");
    let updated = user
        .run(&["keys", "update", "laptop", "--no-tpm", "--json"])
        .json();
    assert_eq!(updated["tpm_limit"], Value::Null);
    assert_eq!(updated["rpm_limit"], 30);
    let limited = user
        .run(&["keys", "create", "--name", "tpm", "--tpm", "900", "--json"])
        .json();
    assert_eq!(limited["key"]["tpm_limit"], 900);
    let both = user.run(&["keys", "update", "tpm", "--tpm", "1", "--no-tpm"]);
    assert_eq!(both.code, 2, "{both:?}");

    // Nothing to change is a usage error, before any request.
    let none = user.run(&["keys", "update", "laptop"]);
    assert_eq!(none.code, 2, "{none:?}");

    // Rotate by name: the name now means the replacement; revoke it by its prefix.
    let rotated = user.run(&["keys", "rotate", "laptop", "--json"]).json();
    let new_id = rotated["key"]["id"].as_i64().expect("id");
    assert_ne!(new_id, id);
    let prefix = rotated["key"]["prefix"]
        .as_str()
        .expect("prefix")
        .to_owned();
    let revoked = user.run(&["keys", "revoke", &prefix, "--json"]).json();
    assert_eq!(revoked["id"], new_id);
    assert_eq!(revoked["status"], "revoked");

    // Two revoked keys named `laptop` and no active one: the name is ambiguous.
    refused(
        &user.run(&["keys", "revoke", "laptop"]),
        "several of your keys are named `laptop`",
    );
    refused(
        &user.run(&["keys", "rotate", "desktop"]),
        "you have no key named `desktop`",
    );
}

/// No byte that drives a terminal: ESC, BEL, NUL, other C0/C1 controls, DEL.
fn assert_no_controls(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{200b}'),
        "raw control characters reached the terminal: {text:?}"
    );
}

#[test]
fn untrusted_text_never_reaches_the_terminal_raw() {
    let gw = GatewayProcess::start();
    let _user = CliUser::registered(&gw);
    let admin = CliUser::admin(&gw);
    // An email stored before the gateway refused such characters (written straight into the
    // database): what an operator's terminal must survive.
    let evil = "dev\u{1b}]0;pwned\u{7}\u{200b}@codexkey.test";
    let changed = gw
        .db()
        .execute(
            "UPDATE accounts SET email = ?1 WHERE email = ?2",
            [evil, USER_EMAIL],
        )
        .expect("update");
    assert_eq!(changed, 1);

    let users = admin.run(&["admin", "users"]);
    assert_eq!(users.code, 0, "{users:?}");
    assert_no_controls(&users.stdout);
    assert!(
        users
            .stdout
            .contains("dev\\u{1b}]0;pwned\\u{7}\\u{200b}@codexkey.test"),
        "{users:?}"
    );
    // JSON keeps the stored value exactly (escaped the JSON way), for scripts.
    let json = admin.run(&["admin", "users", "--json"]).json();
    assert!(
        json.to_string().contains("dev\\u001b]0;pwned\\u0007"),
        "{json}"
    );

    // An error quoting what was typed.
    let r = admin.run(&["admin", "suspend", "nobody\u{1b}[2J@codexkey.test"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_no_controls(&r.stderr);
    assert!(r.stderr.contains("nobody\\u{1b}[2J@codexkey.test"), "{r:?}");
}

/// Runs `codexkey ARGS`, reads one line of its stdout and closes the pipe, as `| head -1` does.
fn first_line_then_close(
    user: &CliUser,
    args: &[&str],
) -> (String, std::process::ExitStatus, String) {
    use std::io::{BufRead as _, Read as _};
    let mut child = user
        .command()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    {
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut first).expect("read");
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    (first, child.wait().expect("wait"), err)
}

#[test]
fn a_closed_pipe_ends_quietly_with_status_zero() {
    let gw = GatewayProcess::start();
    let user = CliUser::new(&gw.url);
    for args in [
        &["completions", "bash"][..],
        &["pricing", "--json"][..],
        &["pricing"][..],
    ] {
        let (first, status, err) = first_line_then_close(&user, args);
        assert!(!first.is_empty(), "{args:?}");
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("error") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}
