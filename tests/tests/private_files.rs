//! Files on disk are private whatever the umask: the gateway's data directory 0700 and its
//! database, WAL and SHM files 0600 (password hashes, usage metadata, sealed upstream keys);
//! the CLI's config and data directories the same. Both run here under umask 000, which would
//! leave every file they do not guard world-writable.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;

use codexkey_tests::cli::{CliUser, GatewayProcess, under_umask};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_gateway_keeps_its_data_private_under_any_umask() {
    if codexkey_tests::sqlite_only(
        "file modes of the SQLite database files; on PostgreSQL the gateway keeps no database files",
    ) {
        return;
    }
    let gw = GatewayProcess::start_with_umask(0o000);
    // Traffic that writes the database and its WAL.
    let user = CliUser::new(&gw.url);
    let reg = user.run_with_stdin(
        &[
            "register",
            "--email",
            "dev@codexkey.test",
            "--password-stdin",
        ],
        "a long and unusual passphrase\n",
    );
    assert_eq!(reg.code, 0, "{reg:?}");

    assert_eq!(mode(&gw.data_dir), 0o700, "the data directory");
    let db = gw.data_dir.join("codexkey.db");
    for file in [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let mut names: Vec<String> = std::fs::read_dir(&gw.data_dir)
        .expect("data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["codexkey.db", "codexkey.db-shm", "codexkey.db-wal"]);

    // Files an older version left readable are made private on the next start.
    let stopped = gw.kill9();
    let gw = stopped.start_again();
    for file in [db.clone(), db.with_extension("db-wal")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(gw);
}

#[test]
fn the_cli_keeps_its_config_and_usage_cache_private_under_any_umask() {
    let gw = GatewayProcess::start();
    let user = CliUser::new(&gw.url);
    let run = |args: &[&str], stdin: &str| {
        let mut cmd = user.command();
        cmd.args(args);
        let mut child = under_umask(&cmd, 0o000)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn codexkey");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("codexkey");
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    run(
        &[
            "register",
            "--email",
            "dev@codexkey.test",
            "--password-stdin",
        ],
        "a long and unusual passphrase\n",
    );
    run(&["usage"], "");

    assert_eq!(mode(&user.config_dir), 0o700, "the config directory");
    assert_eq!(
        mode(&user.credentials_file()),
        0o600,
        "the credentials file"
    );
    let data = user.data_dir();
    assert_eq!(mode(&data), 0o700, "the data directory");
    let mut files = 0;
    for entry in std::fs::read_dir(&data).expect("data dir") {
        let path = entry.expect("entry").path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        files += 1;
    }
    assert!(files >= 1, "the usage cache is in {}", data.display());
}
