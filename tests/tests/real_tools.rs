//! The real coding tools through `codexkey run`: Claude Code (`@anthropic-ai/claude-code`) and
//! Codex CLI (`@openai/codex`), as installed from npm by `scripts/setup-npm.sh` into
//! `.tools/npm`, each complete a turn through the local proxy, the real gateway binary and a
//! fake upstream. The tests check what the tool printed, the charge in the ledger, the usage
//! event, and that the key's secret (`ck-…`) reaches neither the tool's environment, nor any
//! file the commands wrote, nor anything printed.
//!
//! The tools run isolated: an empty environment but for `PATH` and what each test sets, an
//! empty temporary `HOME` (and `CODEX_HOME`, `TMPDIR`, working directory), telemetry and update
//! checks off by the tools' documented switches, stdin from `/dev/null`, and every run bounded
//! by a timeout. Nothing leaves the machine: the tools get an HTTP(S) proxy that refuses and
//! records every connection ([`NetworkTrap`]; loopback is exempt), and the tests assert it saw
//! none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codexkey_common::Micros;
use codexkey_tests::cli::{ADMIN_EMAIL, ADMIN_PASSWORD, CliUser, GatewayProcess};
use codexkey_tests::fake_upstream::{FakeUpstream, MESSAGES, RESPONSES, Script, Usage};
use codexkey_tests::{ApiClient, install_crypto_provider};

/// The versions `scripts/setup-npm.sh` pins; the requests must come from exactly these.
const CLAUDE_CODE_VERSION: &str = "2.1.330";
const CODEX_VERSION: &str = "0.169.0";

const PASSWORD: &str = "a long real-tools test password";
/// What the user is funded with, in micro-credits.
const FUNDS: i64 = 100_000_000;
/// How long one `codexkey run` may take, tool start-up included.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// `.tools/npm/node_modules/.bin/<name>`, which `scripts/setup-npm.sh` installs. Missing tools
/// fail the test rather than skip it.
fn tool_bin(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin = root.join(".tools/npm/node_modules/.bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: run scripts/setup-npm.sh (scripts/test.sh does) to install Claude Code and Codex CLI",
        bin.display()
    );
    let want = if name == "claude" {
        CLAUDE_CODE_VERSION
    } else {
        CODEX_VERSION
    };
    // Even `codex --version` writes under its home: a throwaway one.
    let home = tempfile::tempdir().unwrap();
    let version = Command::new(&bin)
        .arg("--version")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CODEX_HOME", home.path())
        .output();
    let version = version
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        version.split_whitespace().any(|w| w == want),
        "{} is not version {want} (`--version`: {version:?}): run scripts/setup-npm.sh",
        bin.display()
    );
    bin
}

/// A fake upstream, the gateway binary in front of it, a funded user whose new key the proxy
/// uses, and a scratch directory for everything the tool and the CLI write.
struct Bench {
    upstream: FakeUpstream,
    gw: GatewayProcess,
    user: CliUser,
    admin: ApiClient,
    secret: String,
    key_id: i64,
    account_id: i64,
    scratch: tempfile::TempDir,
}

async fn bench(script: Script) -> Bench {
    install_crypto_provider();
    let upstream = FakeUpstream::start().await;
    upstream.set_script(script);
    let base = upstream.base_url().to_owned();
    let gw = tokio::task::block_in_place(|| GatewayProcess::start_with_upstream(&base, &[]));
    let user = CliUser::new(&gw.url);
    let email = "tools@codexkey.test";
    let r = tokio::task::block_in_place(|| {
        user.run_with_stdin(
            &["register", "--email", email, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
    });
    assert_eq!(r.code, 0, "{r:?}");
    let created = tokio::task::block_in_place(|| {
        user.run(&["keys", "create", "--name", "tools", "--use", "--json"])
    })
    .json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ck-"), "{created}");
    let key_id = created["key"]["id"].as_i64().unwrap();
    let admin = ApiClient::login(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin.fund(email, FUNDS, "test").await;
    let (_, account) = admin.get(&format!("/api/v1/admin/users/{email}")).await;
    let account_id = account["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{account}"));
    Bench {
        upstream,
        gw,
        user,
        admin,
        secret,
        key_id,
        account_id,
        scratch: tempfile::tempdir().unwrap(),
    }
}

impl Bench {
    /// A directory under the scratch dir, created if missing.
    fn dir(&self, name: &str) -> PathBuf {
        let d = self.scratch.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// `codexkey run TOOL -- ARGS` with the real tool (through a wrapper that records the
    /// environment it was started with), in an environment of only `PATH`, a temporary `HOME`,
    /// `TMPDIR` and working directory, the CLI's settings, and `vars`; stdin from /dev/null;
    /// killed after [`RUN_TIMEOUT`].
    fn run(&self, tool: &str, args: &[&str], vars: &[(&str, String)]) -> ToolRun {
        let real = tool_bin(tool);
        let env_dump = self.scratch.path().join(format!("{tool}-env.txt"));
        let wrapper = self.scratch.path().join(format!("{tool}-wrapper.sh"));
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nenv > '{}'\nexec '{}' \"$@\"\n",
                env_dump.display(),
                real.display()
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut cmd = Command::new(codexkey_tests::cli::bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("HOME", self.dir("home"))
            .env("TMPDIR", self.dir("tmp"))
            .env("NO_COLOR", "1")
            .env("CODEXKEY_GATEWAY", &self.user.gateway)
            .env("CODEXKEY_CONFIG_DIR", &self.user.config_dir)
            .env("CODEXKEY_CREDENTIAL_STORE", "file")
            .env(
                if tool == "claude" {
                    "CODEXKEY_CLAUDE_BIN"
                } else {
                    "CODEXKEY_CODEX_BIN"
                },
                &wrapper,
            )
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(self.dir("work"))
            .args(["run", tool, "--"])
            .args(args);
        let mut run = run_bounded(cmd, RUN_TIMEOUT);
        run.env = std::fs::read_to_string(&env_dump)
            .unwrap_or_else(|e| panic!("the tool was not started ({e}): {run:?}"));
        run
    }

    /// The user's proxy token (`ckp_…`), as `codexkey env` hands it over.
    fn proxy_token(&self) -> String {
        let token = self.user.run(&["env", "claude", "--json"]).json()["ANTHROPIC_AUTH_TOKEN"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(token.starts_with("ckp_"), "{token}");
        token
    }

    /// Every usage event of the user, oldest first, once metering has flushed.
    async fn usage_events(&self) -> Vec<UsageEvent> {
        // The ledger check flushes metering before it reads.
        let (_, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(check["ok"], true, "{check}");
        let db = self.gw.db();
        let mut stmt = db
            .prepare(
                "SELECT request_id, key_id, route, model, input_tokens, cached_tokens, cache_write_tokens,
                        output_tokens, cost_micros, status, settlement, user_agent,
                        (SELECT -SUM(amount_micros) FROM ledger_entries l
                          WHERE l.request_id = u.request_id AND l.kind = 'charge'),
                        (SELECT COUNT(*) FROM ledger_entries l WHERE l.request_id = u.request_id)
                   FROM usage_events u WHERE account_id = ?1 ORDER BY id",
            )
            .unwrap();
        stmt.query_map([self.account_id], |r| {
            Ok(UsageEvent {
                request_id: r.get(0)?,
                key_id: r.get(1)?,
                route: r.get(2)?,
                model: r.get(3)?,
                tokens: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                cost: r.get(8)?,
                status: r.get(9)?,
                settlement: r.get(10)?,
                user_agent: r.get(11)?,
                charged: r.get(12)?,
                ledger_entries: r.get(13)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// The user's balance now.
    async fn balance(&self) -> i64 {
        let (_, account) = self
            .admin
            .get(&format!("/api/v1/admin/users/{}", self.account_id))
            .await;
        assert_eq!(
            account["held_micros"], 0,
            "nothing is still held: {account}"
        );
        account["balance_micros"]
            .as_i64()
            .unwrap_or_else(|| panic!("{account}"))
    }

    /// Asserts the secret appears in no file under the scratch dir and the CLI's config dir
    /// but the CLI's own credential store, nor in anything the run printed, nor in the tool's
    /// environment; and that the fake upstream never saw it.
    fn assert_secret_kept(&self, run: &ToolRun) {
        let mut files = walk(self.scratch.path());
        files.extend(walk(&self.user.config_dir));
        let store = self.user.credentials_file();
        for file in files {
            let bytes = std::fs::read(&file).unwrap_or_default();
            let found = codexkey_tests::contains_bytes(&bytes, self.secret.as_bytes());
            assert_eq!(
                found,
                file == store,
                "the secret in {} (only the credential store may hold it)",
                file.display()
            );
        }
        assert!(
            !run.env.contains(&self.secret),
            "the secret is in the tool's environment:\n{}",
            run.env
        );
        assert!(!run.stdout.contains(&self.secret), "the secret on stdout");
        assert!(
            !run.stderr.contains(&self.secret),
            "the secret on stderr (the proxy's output)"
        );
        for r in self.upstream.requests() {
            assert!(
                !r.body_text().contains(&self.secret),
                "the secret went upstream"
            );
            assert!(
                r.headers.iter().all(|(_, v)| !v.contains(&self.secret)),
                "the secret went upstream"
            );
        }
    }

    fn diagnostics(&mut self, run: &ToolRun) -> String {
        let requests: Vec<String> = self
            .upstream
            .requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {}?{} {}",
                    r.method,
                    r.path,
                    r.query.as_deref().unwrap_or(""),
                    truncate(&r.body_text(), 300)
                )
            })
            .collect();
        format!(
            "{run:?}\nupstream saw:\n{}\ngateway log (tail):\n{}",
            requests.join("\n"),
            tail(&self.gw.log(), 30)
        )
    }
}

#[derive(Debug)]
#[allow(dead_code)] // `Debug` shows every field when an assertion fails.
struct UsageEvent {
    request_id: String,
    key_id: Option<i64>,
    route: String,
    model: Option<String>,
    /// Input, cached, cache-write and output tokens.
    tokens: [i64; 4],
    cost: i64,
    status: i64,
    settlement: String,
    user_agent: Option<String>,
    /// The charge entry's amount (negated), if any.
    charged: Option<i64>,
    ledger_entries: i64,
}

/// How a `codexkey run` ended, what it printed, and the environment the tool started with.
struct ToolRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    env: String,
    took: Duration,
}

impl std::fmt::Debug for ToolRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} after {:.1}s\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.took.as_secs_f64(),
            self.stdout,
            tail(&self.stderr, 80)
        )
    }
}

/// Runs `cmd` in its own process group with piped output, killing the whole group when it
/// outlives `timeout` (the tool, a child of `codexkey run`, goes with it).
fn run_bounded(mut cmd: Command, timeout: Duration) -> ToolRun {
    use std::os::unix::process::CommandExt as _;
    let started = Instant::now();
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn codexkey run");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = started.elapsed();
    let run = ToolRun {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        env: String::new(),
        took,
    };
    assert!(
        !timed_out,
        "`codexkey run` did not finish within {timeout:?}; killed: {run:?}"
    );
    run
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            out.extend(walk(&p));
        } else if meta.is_file() {
            out.push(p);
        }
    }
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// The value of `name` in an `env` dump.
fn env_var<'a>(dump: &'a str, name: &str) -> Option<&'a str> {
    dump.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
}

/// The files under `dir` whose name ends with `suffix`, concatenated as text.
fn files_text(dir: &Path, suffix: &str) -> String {
    walk(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect()
}

/// What one turn must have produced in the gateway's books.
struct Expected<'a> {
    route: &'a str,
    model: &'a str,
    /// Input, cached, cache-write and output tokens, as the usage event stores them.
    tokens: [i64; 4],
    cost: i64,
    user_agent: &'a str,
}

/// Asserts the turn's usage event and its charge, that every request the tool made was the
/// user's, succeeded and was charged exactly once, that the balance fell by the sum, and that
/// the proxy printed each request's cost and the session's total.
async fn assert_books(b: &Bench, run: &ToolRun, want: &Expected<'_>) {
    let events = b.usage_events().await;
    let turn: Vec<&UsageEvent> = events
        .iter()
        .filter(|e| e.route == want.route && e.model.as_deref() == Some(want.model))
        .collect();
    assert_eq!(
        turn.len(),
        1,
        "one {} event for {}: {events:#?}",
        want.route,
        want.model
    );
    let turn = turn[0];
    assert_eq!(
        (turn.tokens, turn.cost),
        (want.tokens, want.cost),
        "{turn:#?}"
    );
    let mut total = 0;
    for e in &events {
        assert_eq!(
            e.key_id,
            Some(b.key_id),
            "made with the key the proxy holds: {e:#?}"
        );
        assert_eq!(
            (e.status, e.settlement.as_str()),
            (200, "final_usage"),
            "{e:#?}"
        );
        assert!(
            e.user_agent
                .as_deref()
                .is_some_and(|ua| ua.starts_with(want.user_agent)),
            "the real tool sent it: {e:#?}"
        );
        if e.cost > 0 {
            assert_eq!(
                (e.charged, e.ledger_entries),
                (Some(e.cost), 1),
                "charged once: {e:#?}"
            );
        } else {
            assert_eq!(e.ledger_entries, 0, "{e:#?}");
        }
        let line = format!("{} cr", Micros(e.cost));
        assert!(
            run.stderr.lines().any(|l| l.contains(&e.route)
                && l.contains(e.model.as_deref().unwrap_or("-"))
                && l.contains(&line)),
            "the proxy printed a line for {e:?} with {line}: {run:?}"
        );
        total += e.cost;
    }
    assert_eq!(
        b.balance().await,
        FUNDS - total,
        "the balance fell by the charges"
    );
    let session = run
        .stderr
        .lines()
        .find(|l| l.starts_with("session: "))
        .unwrap_or_default();
    let n = events.len();
    let want_session = format!(
        "session: {n} request{}, {} cr (",
        if n == 1 { "" } else { "s" },
        Micros(total)
    );
    assert!(
        session.starts_with(&want_session),
        "the proxy's session total, {want_session}…: {run:?}"
    );
    assert!(
        !run.stderr
            .lines()
            .any(|l| l.contains("  [4") || l.contains("  [5") || l.contains("proxy: ")),
        "no request failed or needed the proxy's advice: {run:?}"
    );
}

/// Asserts what reached the fake upstream on `path`: the gateway's upstream key, the prompt and
/// the model, streamed.
fn assert_upstream_turn(
    b: &Bench,
    path: &str,
    key: &str,
    model: &str,
) -> codexkey_tests::fake_upstream::RecordedRequest {
    let requests = b.upstream.requests();
    let turn: Vec<_> = requests
        .iter()
        .filter(|r| r.path == path && r.body_text().contains(PROMPT))
        .collect();
    assert_eq!(
        turn.len(),
        1,
        "one turn reached upstream: {:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let turn = turn[0].clone();
    let body = turn.json();
    assert_eq!(
        (body["model"].as_str(), body["stream"].as_bool()),
        (Some(model), Some(true))
    );
    for r in &requests {
        assert_eq!(
            r.key.as_deref(),
            Some(key),
            "upstream got the gateway's key: {} {}",
            r.method,
            r.path
        );
    }
    turn
}

/// The prompt of every turn.
const PROMPT: &str = "Say hello in two words.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_completes_a_turn_through_run() {
    // 1000 fresh input tokens, 2000 read from the cache, 400 written to it (5 minutes), 50 out.
    let usage = Usage {
        input_tokens: 1000,
        cached_tokens: 2000,
        cache_write_5m_tokens: 400,
        output_tokens: 50,
        ..Usage::default()
    };
    let script = Script {
        events: 8,
        usage,
        ..Script::default()
    };
    let answer = script.text();
    let mut b = bench(script).await;
    let trap = NetworkTrap::start();
    let mut vars = trap.env();
    vars.extend(
        [
            // Claude Code's switch for telemetry, error reporting, update checks and the like.
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            // Side tasks (titles, summaries) use the small/fast model: one that has a price.
            ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "claude-haiku-5-5"),
            ("ANTHROPIC_SMALL_FAST_MODEL", "claude-haiku-5-5"),
            // The user's own key: `codexkey run` must not hand it to the tool.
            ("ANTHROPIC_API_KEY", "sk-ant-users-own-key"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    );
    // The current Sonnet: Claude Code 2.1.330 warns that claude-sonnet-4-5 retires on
    // 2026-11-30, and remaps retired models to the current one.
    let run = tokio::task::block_in_place(|| {
        b.run(
            "claude",
            &["-p", PROMPT, "--model", "claude-sonnet-5-5"],
            &vars,
        )
    });
    eprintln!(
        "claude: `codexkey run claude` took {:.1}s",
        run.took.as_secs_f64()
    );
    let diag = b.diagnostics(&run);
    assert_eq!(run.code, Some(0), "{diag}");
    assert_eq!(
        run.stdout.trim(),
        answer,
        "Claude Code prints the fake's answer: {diag}"
    );

    // The tool was pointed at the proxy with the user's proxy token, and nothing else of the
    // user's.
    let base = env_var(&run.env, "ANTHROPIC_BASE_URL").unwrap_or_default();
    assert!(base.starts_with("http://127.0.0.1:"), "{}", run.env);
    assert_eq!(
        env_var(&run.env, "ANTHROPIC_AUTH_TOKEN"),
        Some(b.proxy_token().as_str())
    );
    assert!(
        !run.env.lines().any(|l| l.starts_with("CODEXKEY_")),
        "no codexkey setting reaches the tool: {}",
        run.env
    );
    assert_eq!(
        env_var(&run.env, "ANTHROPIC_API_KEY"),
        None,
        "the user's own key is not passed on"
    );

    let turn = assert_upstream_turn(&b, MESSAGES, "sk-ant-upstream", "claude-sonnet-5-5");
    assert_eq!(
        turn.query.as_deref(),
        Some("beta=true"),
        "Claude Code's beta flag passed through"
    );
    assert_eq!(turn.header("anthropic-version"), Some("2023-06-01"));
    assert!(
        turn.header("anthropic-beta")
            .is_some_and(|v| v.contains("claude-code-")),
        "{:?}",
        turn.headers
    );

    // claude-sonnet-5-5 (per 1M: input 2, cached 0.1, 5-minute cache write 2.5, output 10
    // credits): 1000 × 2 + 2000 × 0.1 + 400 × 2.5 + 50 × 10 = 3700 micro-credits.
    let want = Expected {
        route: "messages",
        model: "claude-sonnet-5-5",
        tokens: [1000, 2000, 400, 50],
        cost: 3700,
        user_agent: &format!("claude-cli/{CLAUDE_CODE_VERSION} "),
    };
    assert_books(&b, &run, &want).await;

    // The tool kept its transcript under the temporary HOME: the scan below reads real files.
    let transcript = files_text(&b.scratch.path().join("home/.claude/projects"), ".jsonl");
    assert!(
        transcript.contains(&answer),
        "Claude Code's transcript has the answer"
    );
    b.assert_secret_kept(&run);
    trap.assert_untouched();
}

/// After `codexkey setup claude` (which points `~/.claude/settings.json` at a proxy on port
/// 4141, where nothing listens here), `codexkey run claude` still goes through its own proxy:
/// the settings it passes with `--settings` win over the user's file, whose `env` would
/// otherwise win over the process environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_set_up_for_the_proxy_still_counts_its_run() {
    let script = Script {
        events: 8,
        usage: Usage {
            input_tokens: 1000,
            output_tokens: 50,
            ..Usage::default()
        },
        ..Script::default()
    };
    let answer = script.text();
    let mut b = bench(script).await;
    let trap = NetworkTrap::start();
    let home = b.dir("home");
    let setup = tokio::task::block_in_place(|| {
        b.user
            .command()
            .env("HOME", &home)
            .args(["setup", "claude", "--yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    assert!(setup.status.success(), "{setup:?}");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join(".claude/settings.json")).unwrap())
            .unwrap();
    assert_eq!(
        settings["env"]["ANTHROPIC_BASE_URL"],
        "http://127.0.0.1:4141"
    );
    assert_eq!(
        settings["env"]["ANTHROPIC_AUTH_TOKEN"],
        b.proxy_token().as_str()
    );
    let mut vars = trap.env();
    vars.extend(
        [
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "claude-haiku-5-5"),
            ("ANTHROPIC_SMALL_FAST_MODEL", "claude-haiku-5-5"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    );
    let run = tokio::task::block_in_place(|| {
        b.run(
            "claude",
            &["-p", PROMPT, "--model", "claude-sonnet-5-5"],
            &vars,
        )
    });
    let diag = b.diagnostics(&run);
    assert_eq!(run.code, Some(0), "{diag}");
    assert_eq!(run.stdout.trim(), answer, "{diag}");
    assert_upstream_turn(&b, MESSAGES, "sk-ant-upstream", "claude-sonnet-5-5");
    let events = b.usage_events().await;
    assert!(!events.is_empty(), "{diag}");
    let session = run
        .stderr
        .lines()
        .find(|l| l.starts_with("session: "))
        .unwrap_or_default()
        .to_owned();
    let n = events.len();
    assert!(
        session.starts_with(&format!(
            "session: {n} request{}, ",
            if n == 1 { "" } else { "s" }
        )),
        "the run's own proxy counted every request: {session:?}\n{diag}"
    );
    // claude-sonnet-5-5: 1000 × 2 + 50 × 10 = 2500 micro-credits for the turn.
    let want = Expected {
        route: "messages",
        model: "claude-sonnet-5-5",
        tokens: [1000, 0, 0, 50],
        cost: 2500,
        user_agent: &format!("claude-cli/{CLAUDE_CODE_VERSION} "),
    };
    assert_books(&b, &run, &want).await;
    b.assert_secret_kept(&run);
    trap.assert_untouched();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_completes_a_turn_through_run() {
    // Responses' input_tokens include the cached ones: 2000 fresh, 1000 cached; 100 out.
    let usage = Usage {
        input_tokens: 3000,
        cached_tokens: 1000,
        output_tokens: 100,
        ..Usage::default()
    };
    let script = Script {
        events: 8,
        usage,
        ..Script::default()
    };
    let answer = script.text();
    let mut b = bench(script).await;
    let trap = NetworkTrap::start();
    let codex_home = b.dir("codex-home");
    // Codex's switches for its analytics and its plugin sync; `codexkey run` adds the provider.
    std::fs::write(
        codex_home.join("config.toml"),
        "[analytics]\nenabled = false\n\n[features]\nplugins = false\n",
    )
    .unwrap();
    let mut vars = trap.env();
    vars.extend([
        ("CODEX_HOME", codex_home.to_string_lossy().into_owned()),
        // The user's own key and base URL: `codexkey run` must not hand them to the tool.
        ("OPENAI_API_KEY", "sk-users-own-key".to_owned()),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1".to_owned()),
    ]);
    let run = tokio::task::block_in_place(|| {
        b.run(
            "codex",
            &["exec", "--skip-git-repo-check", "-m", "gpt-5.5", PROMPT],
            &vars,
        )
    });
    eprintln!(
        "codex: `codexkey run codex` took {:.1}s",
        run.took.as_secs_f64()
    );
    let diag = b.diagnostics(&run);
    assert_eq!(run.code, Some(0), "{diag}");
    assert_eq!(
        run.stdout.trim(),
        answer,
        "Codex prints the fake's answer: {diag}"
    );
    assert!(
        run.stderr.contains("provider: codexkey") && run.stderr.contains("model: gpt-5.5"),
        "{diag}"
    );

    assert_eq!(
        env_var(&run.env, "CODEXKEY_PROXY_TOKEN"),
        Some(b.proxy_token().as_str()),
        "{}",
        run.env
    );
    assert_eq!(
        run.env
            .lines()
            .filter(|l| l.starts_with("CODEXKEY_"))
            .count(),
        1,
        "only the proxy token reaches the tool: {}",
        run.env
    );
    assert_eq!(
        env_var(&run.env, "OPENAI_API_KEY"),
        None,
        "the user's own key is not passed on"
    );
    assert_eq!(env_var(&run.env, "OPENAI_BASE_URL"), None);

    let turn = assert_upstream_turn(&b, RESPONSES, "sk-upstream-openai", "gpt-5.5");
    assert_eq!(
        turn.header("originator"),
        Some("codex_exec"),
        "Codex's headers passed through"
    );
    assert!(turn.header("session-id").is_some(), "{:?}", turn.headers);

    // gpt-5.5 (per 1M: input 5, cached 0.5, output 30 credits): 2000 × 5 + 1000 × 0.5 +
    // 100 × 30 = 13500 micro-credits.
    let want = Expected {
        route: "responses",
        model: "gpt-5.5",
        tokens: [2000, 1000, 0, 100],
        cost: 13_500,
        user_agent: &format!("codex_exec/{CODEX_VERSION} "),
    };
    assert_books(&b, &run, &want).await;

    let rollout = files_text(&codex_home.join("sessions"), ".jsonl");
    assert!(
        rollout.contains(&answer),
        "Codex's session log has the answer"
    );
    b.assert_secret_kept(&run);
    trap.assert_untouched();
}

/// An HTTP(S) proxy that refuses everything and records what was asked of it: given to the
/// tools as `HTTPS_PROXY` and friends (with `NO_PROXY` for loopback), it shows any attempt to
/// reach the network beyond the local proxy.
struct NetworkTrap {
    addr: std::net::SocketAddr,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl NetworkTrap {
    fn start() -> NetworkTrap {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        // Lives as long as the test process; it only ever answers 502.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 1024];
                let n = stream.read(&mut buf).unwrap_or(0);
                let first = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("(nothing)")
                    .to_owned();
                log.lock().unwrap().push(first);
                let _ = std::io::Write::write_all(
                    &mut stream,
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        NetworkTrap { addr, seen }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let url = format!("http://{}", self.addr);
        let mut vars: Vec<(&'static str, String)> = [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .into_iter()
        .map(|k| (k, url.clone()))
        .collect();
        vars.extend(["NO_PROXY", "no_proxy"].map(|k| (k, "127.0.0.1,localhost".to_owned())));
        vars
    }

    fn assert_untouched(&self) {
        let seen = self.seen.lock().unwrap();
        assert!(
            seen.is_empty(),
            "the tool tried to reach the network: {seen:?}"
        );
    }
}
