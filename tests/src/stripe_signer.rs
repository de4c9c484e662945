//! Signs webhook payloads with the official `stripe` Python package (PyPI, pinned in
//! `scripts/setup-python.sh`, in the venv at `.tools/venv`): an implementation we did not write,
//! so the gateway's verification is checked against Stripe's real scheme and not against a copy
//! of itself. One Python process serves every signature of a test, one JSON line in, one
//! `Stripe-Signature` header out, through `stripe.WebhookSignature.generate_signature_header`
//! (whose `_compute_signature` is the `v1` HMAC).

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Mutex;

const SIGNER: &str = r#"
import json, sys
import stripe
for line in sys.stdin:
    req = json.loads(line)
    header = stripe.WebhookSignature.generate_signature_header(
        req["payload"], req["secret"], timestamp=req["timestamp"])
    print(header, flush=True)
"#;

pub struct StripeSigner {
    io: Mutex<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
    _child: Child,
}

fn venv_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let python = root.join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh to create the venv with the `stripe` package",
        python.display()
    );
    python
}

impl StripeSigner {
    /// Starts the signer.
    ///
    /// # Panics
    /// If the venv or its `stripe` package is missing.
    pub async fn start() -> StripeSigner {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("a temp dir: {e}"));
        let mut cmd = tokio::process::Command::new(venv_python());
        cmd.args(["-c", SIGNER])
            .env_clear()
            .env("HOME", home.path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONNOUSERSITE", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the Python signer: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        StripeSigner {
            io: Mutex::new((stdin, BufReader::new(stdout).lines())),
            _child: child,
        }
    }

    /// The `Stripe-Signature` header of `payload` signed with `secret` at unix time `timestamp`.
    ///
    /// # Panics
    /// If the signer died.
    pub async fn sign(&self, payload: &str, secret: &str, timestamp: i64) -> String {
        let mut io = self.io.lock().await;
        let line = json!({ "payload": payload, "secret": secret, "timestamp": timestamp });
        io.0.write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap_or_else(|e| panic!("the signer's stdin: {e}"));
        io.0.flush()
            .await
            .unwrap_or_else(|e| panic!("the signer's stdin: {e}"));
        io.1.next_line()
            .await
            .unwrap_or_else(|e| panic!("the signer's stdout: {e}"))
            .unwrap_or_else(|| panic!("the Python signer stopped (is `stripe` installed?)"))
    }
}
