//! The service unit and container recipe shipped in `packaging/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `systemd-analyze verify` accepts the unit without a warning (it checks every key and that
/// the binary exists: the built one stands in for /usr/local/bin/codexkey).
#[test]
fn the_systemd_unit_verifies_cleanly() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed here; the unit is not verified");
        return;
    }
    let unit = std::fs::read_to_string(repo().join("packaging/codexkey.service")).unwrap();
    let binary = repo().join("target/debug/codexkey");
    assert!(
        binary.exists(),
        "build the binaries first (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codexkey.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/codexkey", &binary.display().to_string()),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    // The hardening the README promises.
    for line in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "StateDirectoryMode=0700",
        "UMask=0077",
    ] {
        assert!(unit.lines().any(|l| l == line), "missing `{line}`");
    }
}

/// The container runs the gateway as an unprivileged user with its data in a volume, from a
/// release build of the locked dependencies. (No container engine runs here to build it.)
#[test]
fn the_container_recipe_runs_unprivileged() {
    let recipe = std::fs::read_to_string(repo().join("packaging/Dockerfile")).unwrap();
    let stages = recipe.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a small runtime stage");
    assert!(recipe.contains("cargo build --release --locked -p codexkey"));
    assert!(recipe.lines().any(|l| l == "USER codexkey"));
    assert!(recipe.contains("VOLUME [\"/var/lib/codexkey\"]"));
    let compose = std::fs::read_to_string(repo().join("packaging/compose.yaml")).unwrap();
    assert!(compose.contains("dockerfile: packaging/Dockerfile"));
    assert!(compose.contains("cap_drop: [ALL]"));
}

/// `codexkey --version` names the release, the commit it was built from and its date, so a
/// report from a running gateway says exactly which code it is.
#[test]
fn the_version_names_its_commit_and_date() {
    let out = Command::new(repo().join("target/debug/codexkey"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let rest = line
        .trim()
        .strip_prefix(concat!("codexkey ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, date) = rest.split_once(' ').unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(commit.trim_end_matches("-modified"), head.trim(), "{line}");
    assert!(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "{line}"
    );
}
