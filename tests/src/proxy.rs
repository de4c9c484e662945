//! `codexkey proxy` under test: the proxy as a child process ([`ProxyProcess`]), and a bench
//! ([`ProxyBench`]) of a fake upstream, the real gateway binary in front of it and a CLI user
//! whose gateway key only the proxy holds.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::cli::{ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess, stderr_lines};
use crate::fake_upstream::{FakeUpstream, Script};
use crate::{ApiClient, install_crypto_provider};

/// A fake upstream, the gateway binary with both upstreams at it, and a user of it set up for
/// the proxy through the CLI.
pub struct ProxyBench {
    pub upstream: FakeUpstream,
    pub gw: GatewayProcess,
    pub user: CliUser,
    /// The admin's API session.
    pub admin: ApiClient,
    pub email: String,
    /// The user's gateway key (`ck-…`), which only the proxy holds.
    pub secret: String,
    /// The user's proxy token (`ckp_…`), as `codexkey env` hands it over.
    pub token: String,
}

impl ProxyBench {
    /// Starts a fake upstream answering with `script` and the gateway binary in front of it
    /// (with `extra` environment); registers `email` with `password` through the CLI, creates
    /// a key `proxy` in use and reads the proxy token from `codexkey env claude`; funds the user
    /// with `funds` micro-credits unless that is 0. Needs a multi-threaded runtime: the CLI
    /// runs block.
    ///
    /// # Panics
    /// If any step fails.
    pub async fn start(
        script: Script,
        email: &str,
        password: &str,
        funds: i64,
        extra: &[(&str, &str)],
    ) -> ProxyBench {
        install_crypto_provider();
        let upstream = FakeUpstream::start().await;
        upstream.set_script(script);
        let base = upstream.base_url().to_owned();
        let gw = tokio::task::block_in_place(|| GatewayProcess::start_with_upstream(&base, extra));
        let user = CliUser::new(&gw.url);
        let (secret, token) = tokio::task::block_in_place(|| {
            let r = user.run_with_stdin(
                &["register", "--email", email, "--password-stdin"],
                &format!("{password}\n"),
            );
            assert_eq!(r.code, 0, "{r:?}");
            let created = user
                .run(&["keys", "create", "--name", "proxy", "--use", "--json"])
                .json();
            let token = user.run(&["env", "claude", "--json"]).json()["ANTHROPIC_AUTH_TOKEN"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let secret = created["secret"].as_str().unwrap_or_default().to_owned();
            (secret, token)
        });
        assert!(token.starts_with("ckp_") && token.len() == 47, "{token}");
        assert!(!secret.is_empty(), "no secret from `keys create`");
        let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        if funds > 0 {
            admin.fund(email, funds, "test").await;
        }
        ProxyBench {
            upstream,
            gw,
            user,
            admin,
            email: email.to_owned(),
            secret,
            token,
        }
    }

    /// Asserts that the gateway's ledger verifies.
    pub async fn assert_ledger_ok(&self) {
        let (_, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(check["ok"], true, "{check}");
    }

    /// The user's charges in the ledger, by request id, oldest first.
    ///
    /// # Panics
    /// Unless the gateway answers 200 with well-formed entries.
    pub async fn charges(&self) -> Vec<(String, i64)> {
        let (status, page) = self
            .admin
            .get(&format!("/api/v1/admin/users/{}/ledger", self.email))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let Some(entries) = page["entries"].as_array() else {
            panic!("no entries in {page}");
        };
        let mut out: Vec<(String, i64)> = entries
            .iter()
            .filter(|e| e["kind"] == "charge")
            .map(
                |e| match (e["request_id"].as_str(), e["amount_micros"].as_i64()) {
                    (Some(id), Some(amount)) => (id.to_owned(), -amount),
                    _ => panic!("a charge without request_id or amount_micros: {e}"),
                },
            )
            .collect();
        out.reverse();
        out
    }

    /// The ledger's charge for one request, once metering has settled it.
    ///
    /// # Panics
    /// If none is there within 5 s.
    pub async fn charge_of(&self, request_id: &str) -> i64 {
        for _ in 0..100 {
            if let Some((_, c)) = self
                .charges()
                .await
                .into_iter()
                .find(|(id, _)| id == request_id)
            {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no charge for {request_id}");
    }
}

/// `codexkey proxy` as a child process on a free port; its stderr lines are collected.
pub struct ProxyProcess {
    pub url: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl ProxyProcess {
    /// Starts `codexkey proxy --port 0` for `user`, with `extra` arguments, and waits for the
    /// line that names its URL.
    ///
    /// # Panics
    /// If it cannot be spawned or does not start within 20 s.
    pub fn start(user: &CliUser, extra: &[&str]) -> ProxyProcess {
        let mut child = user
            .command()
            .args(["proxy", "--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn codexkey proxy");
        let rx = stderr_lines(child.stderr.take().expect("stderr"));
        let mut seen = Vec::new();
        let url = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("the proxy did not start: {seen:?}"));
            let found = line
                .strip_prefix("codexkey proxy on ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned);
            seen.push(line);
            if let Some(url) = found {
                break url;
            }
        };
        ProxyProcess {
            url,
            child,
            lines: rx,
            seen,
        }
    }

    /// `host:port` of its URL.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// The most memory the proxy process has held (`VmHWM`), in bytes.
    ///
    /// # Panics
    /// If `/proc` cannot tell.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the proxy's /proc status");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status");
        kb * 1024
    }

    /// Waits until a stderr line contains `needle`, one seen before included; returns it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        self.next_line(needle)
    }

    /// The next stderr line containing `needle` not returned before.
    ///
    /// # Panics
    /// If none comes within 20 s.
    pub fn next_line(&mut self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no proxy line with `{needle}`; saw {:?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Every line printed so far, without waiting.
    pub fn drain(&mut self) -> Vec<String> {
        self.seen.extend(self.lines.try_iter());
        self.seen.clone()
    }

    /// SIGTERM, then its exit code (-1 for a signal) and everything it printed.
    pub fn stop(mut self) -> (i32, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait for the proxy");
        self.seen.extend(self.lines.iter());
        (status.code().unwrap_or(-1), self.seen.join("\n"))
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
