//! The session token in a real OS keyring: the Secret Service of gnome-keyring, in a private
//! D-Bus session (`scripts/setup-keyring.sh` installs both). With `credential_store = auto` the
//! CLI finds the keyring, keeps the token there and nowhere on disk, reads it back, and deletes
//! it on logout.

use std::process::Command;

use codexkey_tests::cli::{GatewayProcess, bin};

#[test]
fn the_token_lives_in_the_os_keyring_when_one_answers() {
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        have("dbus-run-session") && have("gnome-keyring-daemon"),
        "this test needs dbus-run-session and gnome-keyring-daemon: run scripts/setup-keyring.sh"
    );
    let gw = GatewayProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config");
    let script = r#"
        set -e
        printf 'unlock' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
        printf 'a long keyring password\n' | "$CK" register --email keyring@codexkey.test --password-stdin --json > "$OUT/register.json"
        "$CK" whoami --json > "$OUT/whoami.json"
        cp "$CODEXKEY_CONFIG_DIR/config.toml" "$OUT/config-before-logout.toml"
        "$CK" logout
        "$CK" balance > "$OUT/after.txt" 2>&1 || echo "exit $?" >> "$OUT/after.txt"
    "#;
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", script])
        .env("CK", bin())
        .env("OUT", dir.path())
        .env("HOME", dir.path())
        .env("CODEXKEY_CONFIG_DIR", &cfg)
        .env("CODEXKEY_GATEWAY", &gw.url)
        .env("CODEXKEY_CREDENTIAL_STORE", "auto")
        .env_remove("CODEXKEY_TOKEN")
        .output()
        .expect("run dbus-run-session");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
    let register: serde_json::Value =
        serde_json::from_str(&read("register.json")).expect("register --json");
    assert_eq!(register["credential_store"], "keyring", "{register}");
    let whoami: serde_json::Value =
        serde_json::from_str(&read("whoami.json")).expect("whoami --json");
    assert_eq!(
        whoami["account"]["email"], "keyring@codexkey.test",
        "the token was read back from the keyring"
    );
    assert!(
        read("config-before-logout.toml").contains("= \"keyring\""),
        "settings record where the token is"
    );
    assert!(
        !cfg.join("credentials.toml").exists(),
        "no token file when the keyring answers"
    );
    let after = read("after.txt");
    assert!(
        after.contains("not logged in") && after.contains("exit 1"),
        "logout deleted it: {after}"
    );
}
