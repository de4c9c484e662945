//! End to end: `codexkey account 2fa …`, `codexkey login` with a second step, `codexkey account
//! sessions …`, `codexkey account password` and `codexkey admin users reset-2fa`, with the real
//! binary against a real `codexkey gateway` process and codes from pyotp.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use codexkey_tests::cli::{
    ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess, USER_EMAIL, USER_PASSWORD, refused,
};
use codexkey_tests::totp::{self, MASTER_KEY};

const NEW_PASSWORD: &str = "a quite different passphrase 42";

fn gateway() -> GatewayProcess {
    GatewayProcess::start_with_env(&[("CODEXKEY_MASTER_KEY", MASTER_KEY)])
}

/// Turns two-factor login on for `user` in the two calls a script makes; returns the secret and
/// the recovery codes.
fn enable(user: &CliUser) -> (String, Vec<String>) {
    let enrollment = user
        .run_with_stdin(
            &["account", "2fa", "enable", "--password-stdin", "--json"],
            &format!("{USER_PASSWORD}\n"),
        )
        .json();
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        totp::secret_of_uri(enrollment["otpauth_uri"].as_str().unwrap()),
        secret
    );
    let confirmed = user
        .run(&[
            "account",
            "2fa",
            "confirm",
            &totp::code(&secret, -1),
            "--json",
        ])
        .json();
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

fn login(user: &CliUser, extra: &[&str], password: &str) -> codexkey_tests::cli::Run {
    let mut args = vec!["login", "--email", USER_EMAIL, "--password-stdin"];
    args.extend_from_slice(extra);
    user.run_with_stdin(&args, &format!("{password}\n"))
}

#[test]
fn two_factor_login_from_the_cli() {
    let gw = gateway();
    let user = CliUser::registered(&gw);

    // Without a terminal, `enable` prints the enrolment as data and says how to finish.
    let r = user.run(&["account", "2fa", "enable"]);
    refused(&r, "--password-stdin");
    let plain = user.run_with_stdin(
        &["account", "2fa", "enable", "--password-stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(
        plain.stdout.contains("otpauth://totp/codexkey:"),
        "{plain:?}"
    );
    assert!(
        plain.stderr.contains("codexkey account 2fa confirm CODE"),
        "{plain:?}"
    );
    let pending = plain
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("secret"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no secret line: {plain:?}"));
    let valid: Vec<String> = (-1..=1).map(|o| totp::code(pending, o)).collect();
    let wrong = (0..)
        .map(|n| format!("{:06}", (123_457 + n * 7919) % 1_000_000))
        .find(|c| !valid.contains(c))
        .unwrap();
    refused(
        &user.run(&["account", "2fa", "confirm", &wrong]),
        "wrong code",
    );

    let (secret, recovery) = enable(&user);
    let me = user.run(&["whoami", "--json"]).json();
    assert_eq!(me["account"]["two_factor"], true);

    // A login without a code and without a terminal says what to pass.
    let r = login(&user, &[], USER_PASSWORD);
    refused(&r, "--code CODE");
    // With the code of this step; the same code again is refused with a next step.
    let code = totp::code(&secret, 0);
    let r = login(&user, &["--code", &code, "--json"], USER_PASSWORD);
    assert_eq!(r.code, 0, "{r:?}");
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["account"]["email"], USER_EMAIL);
    assert!(
        !r.stdout.contains("ck_"),
        "the token is never printed: {r:?}"
    );
    let r = login(&user, &["--code", &code], USER_PASSWORD);
    refused(&r, "code already used");
    assert!(r.stderr.contains("hint: "), "{r:?}");
    // A recovery code, once.
    let r = login(&user, &["--recovery-code", &recovery[0]], USER_PASSWORD);
    assert_eq!(r.code, 0, "{r:?}");
    let r = login(&user, &["--recovery-code", &recovery[0]], USER_PASSWORD);
    refused(&r, "code already used");
    // A wrong password is the same refusal as ever.
    let r = login(&user, &["--code", "123456"], "not the password 123");
    refused(&r, "wrong email or password");

    // Off again: the password from stdin and a current code.
    let r = user.run_with_stdin(
        &[
            "account",
            "2fa",
            "disable",
            "--password-stdin",
            "--code",
            &totp::code(&secret, 1),
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = login(&user, &["--json"], USER_PASSWORD);
    assert_eq!(r.code, 0, "one step again: {r:?}");
}

#[test]
fn sessions_and_password_from_the_cli() {
    let gw = gateway();
    let user = CliUser::registered(&gw);
    // The same account on a second machine.
    let other = CliUser::new(&gw.url);
    let r = login(&other, &[], USER_PASSWORD);
    assert_eq!(r.code, 0, "{r:?}");

    let list = user.run(&["account", "sessions", "--json"]).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["current"], true);
    assert!(
        list[0]["user_agent"]
            .as_str()
            .unwrap()
            .starts_with("codexkey/"),
        "{list:?}"
    );
    let table = user.run(&["account", "sessions"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stdout.contains("127.0.0.1") && table.stdout.contains("codexkey/"),
        "{table:?}"
    );

    // Revoking a session that is not there is a refusal with a next step.
    let r = user.run(&["account", "sessions", "revoke", "999999"]);
    refused(&r, "no open session 999999");
    let other_id = list[1]["id"].as_i64().unwrap().to_string();
    let r = user.run(&["account", "sessions", "revoke", &other_id]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = other.run(&["whoami"]);
    refused(&r, "ended");

    // A password change ends the other sessions; the old password stops working.
    let r = login(&other, &[], USER_PASSWORD);
    assert_eq!(r.code, 0, "{r:?}");
    let r = user.run_with_stdin(
        &["account", "password", "--stdin"],
        &format!("not the password 123\n{NEW_PASSWORD}\n"),
    );
    refused(&r, "the current password is wrong");
    let r = user.run_with_stdin(
        &["account", "password", "--stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    refused(&r, "no new password on standard input");
    let changed = user
        .run_with_stdin(
            &["account", "password", "--stdin", "--json"],
            &format!("{USER_PASSWORD}\n{NEW_PASSWORD}\n"),
        )
        .json();
    assert_eq!(changed["sessions_revoked"], 1);
    refused(&other.run(&["whoami"]), "ended");
    assert_eq!(user.run(&["whoami"]).code, 0);
    refused(
        &login(&other, &[], USER_PASSWORD),
        "wrong email or password",
    );
    assert_eq!(login(&other, &[], NEW_PASSWORD).code, 0);

    let r = user
        .run(&["account", "sessions", "revoke-others", "--json"])
        .json();
    assert_eq!(r["revoked"], 1);
}

#[test]
fn an_admin_resets_two_factor_from_the_cli() {
    let gw = gateway();
    let user = CliUser::registered(&gw);
    enable(&user);
    let admin = CliUser::admin(&gw);
    let r = admin.run(&["admin", "users", "reset-2fa", USER_EMAIL]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("turned off two-factor login"), "{r:?}");
    let r = admin.run(&["admin", "users", "reset-2fa", USER_EMAIL]);
    refused(&r, "has no two-factor login to reset");
    // `admin users` alone still lists.
    let users = admin.run(&["admin", "users", "--json"]).json();
    assert_eq!(users.as_array().unwrap().len(), 2);
    let (actor, target): (String, String) = gw
        .db()
        .query_row(
            "SELECT a.email, l.target FROM audit_log l JOIN accounts a ON a.id = l.actor_id
             WHERE l.action = 'account.2fa_reset'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((actor.as_str(), target.as_str()), (ADMIN_EMAIL, USER_EMAIL));
    let r = login(&user, &["--json"], USER_PASSWORD);
    assert_eq!(r.code, 0, "the password alone again: {r:?}");
    // A user cannot.
    refused(
        &user.run(&["admin", "users", "reset-2fa", USER_EMAIL]),
        "admin",
    );
}

#[test]
fn enabling_without_a_master_key_says_how_to_set_one() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let r = user.run_with_stdin(
        &["account", "2fa", "enable", "--password-stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    refused(&r, "openssl rand -hex 32");
}

#[test]
fn an_admin_who_must_enrol_is_told_how() {
    let gw = GatewayProcess::start_with_env(&[
        ("CODEXKEY_MASTER_KEY", MASTER_KEY),
        ("CODEXKEY_AUTH__REQUIRE_2FA_FOR_ADMINS", "true"),
    ]);
    let admin = CliUser::admin(&gw);
    let r = admin.run(&["admin", "users"]);
    refused(&r, "codexkey account 2fa enable");
    let me = admin.run(&["whoami"]);
    assert_eq!(me.code, 0, "{me:?}");
    assert!(
        me.stdout.contains("two-factor") && me.stdout.contains("off"),
        "{me:?}"
    );
    let enrollment = admin
        .run_with_stdin(
            &["account", "2fa", "enable", "--password-stdin", "--json"],
            &format!("{ADMIN_PASSWORD}\n"),
        )
        .json();
    let secret = enrollment["secret"].as_str().unwrap();
    let confirmed = admin.run(&[
        "account",
        "2fa",
        "confirm",
        &totp::code(secret, -1),
        "--json",
    ]);
    assert_eq!(confirmed.code, 0, "{confirmed:?}");
    assert_eq!(admin.run(&["admin", "users", "--json"]).code, 0);
}

/// Runs `codexkey ARGS` for `user` on a pseudo-terminal (`tests/python/cli_tty.py`), answering
/// each prompt of `steps` in turn; returns the exit code and what the terminal showed.
fn on_a_terminal(user: &CliUser, steps: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../.tools/venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup-python.sh for {}",
        python.display()
    );
    let template = user.command();
    let mut cmd = std::process::Command::new(python);
    cmd.env_clear();
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let steps = serde_json::to_string(steps).unwrap();
    let out = cmd
        .arg(root.join("python/cli_tty.py"))
        .arg(steps)
        .arg(template.get_program())
        .args(args)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        out.stderr.is_empty() || code != 0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, shown + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn on_a_terminal_enable_draws_a_qr_code_and_login_asks_for_the_code() {
    let gw = gateway();
    let user = CliUser::registered(&gw);
    let (code, shown) = on_a_terminal(
        &user,
        &[
            ("Password: ", USER_PASSWORD),
            ("Code from the app: ", "totp-shown:-1"),
        ],
        &["account", "2fa", "enable"],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains('\u{2588}') && shown.contains('\u{2580}'),
        "a QR code of half blocks: {shown}"
    );
    assert!(shown.contains("two-factor login is on"), "{shown}");
    let recovery: Vec<&str> = shown
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 19 && l.matches('-').count() == 3)
        .collect();
    assert_eq!(recovery.len(), 10, "{shown}");
    let me = user.run(&["whoami", "--json"]).json();
    assert_eq!(me["account"]["two_factor"], true);

    // `login` on a terminal asks for the password, then for the code; a recovery code typed
    // there works too.
    let (code, shown) = on_a_terminal(
        &user,
        &[
            ("Password: ", USER_PASSWORD),
            ("Two-factor code (or a recovery code): ", recovery[0]),
        ],
        &["login", "--email", USER_EMAIL],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("logged in to"), "{shown}");
    let (code, shown) = on_a_terminal(
        &user,
        &[
            ("Password: ", USER_PASSWORD),
            ("Two-factor code (or a recovery code): ", recovery[0]),
        ],
        &["login", "--email", USER_EMAIL],
    );
    assert_eq!(code, 1, "a used recovery code: {shown}");
    assert!(shown.contains("code already used"), "{shown}");
}

#[test]
fn on_a_terminal_password_asks_for_the_new_one_twice() {
    let gw = gateway();
    let user = CliUser::registered(&gw);
    let (code, shown) = on_a_terminal(
        &user,
        &[
            ("Current password: ", USER_PASSWORD),
            ("New password: ", NEW_PASSWORD),
            ("New password (again): ", "something else entirely 7"),
        ],
        &["account", "password"],
    );
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("the new passwords differ"), "{shown}");
    let (code, shown) = on_a_terminal(
        &user,
        &[
            ("Current password: ", USER_PASSWORD),
            ("New password: ", NEW_PASSWORD),
            ("New password (again): ", NEW_PASSWORD),
        ],
        &["account", "password"],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("password changed"), "{shown}");
    assert_eq!(login(&user, &[], NEW_PASSWORD).code, 0);
}

#[test]
fn preferences_from_the_cli() {
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_CURRENCIES", "RUB=92.5312@2026-11-20")]);
    let user = CliUser::registered(&gw);
    let account = user
        .run(&[
            "account",
            "set",
            "--currency",
            "rub",
            "--language",
            "ru",
            "--json",
        ])
        .json();
    assert_eq!(account["currency"], "RUB", "{account}");
    assert_eq!(account["language"], "ru", "{account}");
    let run = user.run(&["account", "set", "--language", "en"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("RUB") && run.stdout.contains("en"),
        "{}",
        run.stdout
    );
    // Nothing to set is a usage error; a bad value is refused with nothing changed.
    let run = user.run(&["account", "set"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    refused(
        &user.run(&["account", "set", "--currency", "rubles"]),
        "currency code",
    );
    let account = user.run(&["whoami", "--json"]).json();
    assert_eq!(account["account"]["currency"], "RUB", "{account}");
}
