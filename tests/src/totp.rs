//! Authenticator codes from an independent TOTP implementation: `pyotp` (PyPI, pinned in
//! `scripts/setup-python.sh`, in the venv at `.tools/venv`), so the gateway's codes are checked
//! against someone else's reading of RFC 6238 rather than against itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 32 bytes of hex: a `master_key` for gateways whose tests enrol in two-factor login.
pub const MASTER_KEY: &str = "8f1c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh (scripts/test.sh runs it) to create the venv \
         with pyotp",
        python.display()
    );
    python
}

const STEP_SECS: u64 = 30;

/// The code of the time step `offset` steps from now, as pyotp computes it for `secret` (base32).
///
/// Close to the end of a step it first waits for the next one, so that the gateway checks the
/// code within the step it was computed for: tests that count steps (replays, the ±1 skew) do
/// not flake on a boundary.
pub fn code(secret: &str, offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let into_step = now % STEP_SECS as f64;
    if into_step > STEP_SECS as f64 - 2.0 {
        std::thread::sleep(Duration::from_secs_f64(STEP_SECS as f64 - into_step + 0.1));
    }
    let script = "import sys, time, pyotp\n\
                  t = pyotp.TOTP(sys.argv[1])\n\
                  print(t.at(int(time.time()) + 30 * int(sys.argv[2])))\n";
    let out = Command::new(venv_python())
        .args(["-c", script, secret, &offset.to_string()])
        .env_clear()
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONNOUSERSITE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "pyotp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "pyotp printed {code:?}"
    );
    code
}

/// The secret of an `otpauth://` URI, read by pyotp's own URI parser (which also checks the
/// URI is one authenticator apps take: issuer, label, SHA-1, 6 digits, 30 s).
pub fn secret_of_uri(uri: &str) -> String {
    let script = "import sys, pyotp\n\
                  t = pyotp.parse_uri(sys.argv[1])\n\
                  assert t.digits == 6 and t.interval == 30 and t.digest().name == 'sha1'\n\
                  print(t.issuer, t.name, t.secret)\n";
    let out = Command::new(venv_python())
        .args(["-c", script, uri])
        .env_clear()
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONNOUSERSITE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "pyotp cannot read {uri}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let parts: Vec<&str> = text.split(' ').collect();
    assert_eq!(parts.len(), 3, "{text}");
    assert_eq!(parts[0], "codexkey", "the issuer");
    parts[2].to_owned()
}
