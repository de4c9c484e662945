//! End to end with the real binary: what a new user following the README meets in the CLI —
//! keys named as `keys list` shows them, key edits, closed pipes, price edits that keep what
//! was not given, and messages said once.

use codexkey_tests::cli::{CliUser, GatewayProcess, Run};
use serde_json::Value;

const USER_EMAIL: &str = "dev@codexkey.test";
const USER_PASSWORD: &str = "a long and unusual passphrase";

fn registered(gw: &GatewayProcess) -> CliUser {
    let user = CliUser::new(&gw.url);
    let reg = user.run_with_stdin(
        &["register", "--email", USER_EMAIL, "--password-stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    assert_eq!(reg.code, 0, "{reg:?}");
    user
}

fn refused(run: &Run, needle: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "errors stay off stdout: {run:?}");
    assert!(
        run.stderr.contains("error: ") && run.stderr.contains(needle),
        "expected `{needle}`: {run:?}"
    );
}

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
    let user = registered(&gw);
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
