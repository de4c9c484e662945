//! Running the real `codexkey` binary: the gateway as a child process, and CLI commands against
//! it, each user with a private config dir so their sessions never mix.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::{TestDb, TestSchema};

/// The `codexkey` binary: `$CODEXKEY_BIN`, else `target/debug/codexkey` beside this test binary.
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CODEXKEY_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/debug/deps/<test> -> target/debug/codexkey
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join(format!("codexkey{}", std::env::consts::EXE_SUFFIX)))
        .unwrap_or_default();
    assert!(
        path.exists(),
        "the codexkey binary is missing at {}; build it first with `cargo build -p codexkey` (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A command for the binary with a clean environment: no inherited codexkey settings or logs.
pub fn command() -> Command {
    let mut c = Command::new(bin());
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CODEXKEY_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    c.env("NO_COLOR", "1");
    c
}

/// The same command (program, arguments so far, environment) run by `sh` under `umask`.
pub fn under_umask(cmd: &Command, umask: u32) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {umask:03o} && exec \"$@\""))
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

pub const ADMIN_EMAIL: &str = "root@codexkey.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// The user the CLI tests register ([`CliUser::registered`]).
pub const USER_EMAIL: &str = "dev@codexkey.test";
pub const USER_PASSWORD: &str = "a long and unusual passphrase";

/// Reads a child's stderr on a thread, one line at a time, into the returned channel.
pub(crate) fn stderr_lines(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The variable the gateway reads its `database_url` from.
const DATABASE_URL_VAR: &str = "CODEXKEY_DATABASE_URL";

/// When this run uses PostgreSQL and `vars` name no database: a scratch schema, with its URL
/// added to `vars`.
fn scratch_database(vars: &mut Vec<(String, String)>) -> Option<TestSchema> {
    if vars.iter().any(|(k, _)| k == DATABASE_URL_VAR) {
        return None;
    }
    let schema = crate::scratch_schema()?;
    vars.push((DATABASE_URL_VAR.to_owned(), schema.url()));
    Some(schema)
}

/// A connection to the database a gateway process was given: its scratch schema's, or the
/// SQLite file in its data directory (also after the gateway stopped); writable.
fn open_db(vars: &[(String, String)], data_dir: &Path) -> TestDb {
    match vars.iter().find(|(k, _)| k == DATABASE_URL_VAR) {
        Some((_, url)) if url.starts_with("postgres") => TestDb::postgres(url),
        Some((_, url)) => panic!("a test helper reads SQLite only from the data dir, not {url}"),
        None => TestDb::sqlite(&data_dir.join("codexkey.db"), true),
    }
}

/// Asserts that `run` is a refusal the user can act on: exit code 1, nothing on stdout, and an
/// `error: ` on stderr that says `needle`.
#[track_caller]
pub fn refused(run: &Run, needle: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "errors stay off stdout: {run:?}");
    assert!(
        run.stderr.contains("error: ") && run.stderr.contains(needle),
        "expected `{needle}`: {run:?}"
    );
}

/// `codexkey gateway` running as a child process on an ephemeral port with a temp data dir.
pub struct GatewayProcess {
    pub url: String,
    pub data_dir: PathBuf,
    child: Child,
    stderr: mpsc::Receiver<String>,
    /// Every stderr line read so far.
    log: Vec<String>,
    vars: Vec<(String, String)>,
    umask: Option<u32>,
    /// Taken by [`GatewayProcess::kill9`] to keep the data for a restart.
    dir: Option<tempfile::TempDir>,
    /// The gateway's database when this run uses PostgreSQL; it goes after the process.
    schema: Option<TestSchema>,
}

/// A gateway process that was stopped, its data directory kept for a restart.
pub struct StoppedGateway {
    vars: Vec<(String, String)>,
    umask: Option<u32>,
    dir: tempfile::TempDir,
    schema: Option<TestSchema>,
    /// What it wrote to stderr before it stopped.
    pub log: String,
}

impl GatewayProcess {
    pub fn start() -> GatewayProcess {
        GatewayProcess::start_with_env(&[])
    }

    /// Like [`GatewayProcess::start`], with extra environment variables for the gateway (e.g.
    /// `CODEXKEY_MASTER_KEY`).
    pub fn start_with_env(vars: &[(&str, &str)]) -> GatewayProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let schema = scratch_database(&mut vars);
        GatewayProcess::spawn(dir, vars, None, schema)
    }

    /// Like [`GatewayProcess::start_with_env`], with both upstreams (`openai` and `anthropic`)
    /// at `base_url`, a fake upstream, under placeholder keys; `extra` comes after them.
    pub fn start_with_upstream(base_url: &str, extra: &[(&str, &str)]) -> GatewayProcess {
        let vars: Vec<(&str, &str)> = [
            ("CODEXKEY_OPENAI_API_KEY", "sk-upstream-openai"),
            ("CODEXKEY_OPENAI_BASE_URL", base_url),
            ("CODEXKEY_ANTHROPIC_API_KEY", "sk-ant-upstream"),
            ("CODEXKEY_ANTHROPIC_BASE_URL", base_url),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
        GatewayProcess::start_with_env(&vars)
    }

    /// Like [`GatewayProcess::start`], run under this umask (`0o000` makes every file it
    /// creates world-writable unless it sets the mode itself).
    pub fn start_with_umask(umask: u32) -> GatewayProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars = Vec::new();
        let schema = scratch_database(&mut vars);
        GatewayProcess::spawn(dir, vars, Some(umask), schema)
    }

    fn spawn(
        dir: tempfile::TempDir,
        vars: Vec<(String, String)>,
        umask: Option<u32>,
        schema: Option<TestSchema>,
    ) -> GatewayProcess {
        let data_dir = dir.path().join("data");
        let mut cmd = command();
        if let Some(mask) = umask {
            cmd = under_umask(&cmd, mask);
        }
        let mut child = cmd
            .args(["gateway", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .env("CODEXKEY_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CODEXKEY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Cheap password hashing: the cost is a setting, and tests need not pay it.
            .env("CODEXKEY_AUTH__ARGON2_MEMORY_KIB", "1024")
            .env("CODEXKEY_AUTH__ARGON2_ITERATIONS", "1")
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn codexkey gateway");
        let rx = stderr_lines(child.stderr.take().expect("stderr"));
        let mut seen = Vec::new();
        let url = loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    let found = line.find("listening on ").map(|i| {
                        // The address ends the text line, or the message of a JSON line.
                        let rest = &line[i + "listening on ".len()..];
                        rest.split(|c: char| c.is_whitespace() || c == '"')
                            .next()
                            .unwrap_or(rest)
                            .to_owned()
                    });
                    seen.push(line);
                    if let Some(url) = found {
                        break url;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "the gateway did not start; its stderr:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        GatewayProcess {
            url,
            data_dir,
            child,
            stderr: rx,
            log: seen,
            vars,
            umask,
            dir: Some(dir),
            schema,
        }
    }

    /// Everything the gateway wrote to stderr so far.
    pub fn log(&mut self) -> String {
        self.log.extend(self.stderr.try_iter());
        self.log.join("\n")
    }

    /// `kill -9`: the process dies at once, with nothing flushed or drained.
    pub fn kill9(mut self) -> StoppedGateway {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.log();
        StoppedGateway {
            vars: std::mem::take(&mut self.vars),
            umask: self.umask,
            dir: self.dir.take().expect("the data dir"),
            schema: self.schema.take(),
            log,
        }
    }

    /// A connection to its database.
    pub fn db(&self) -> TestDb {
        open_db(&self.vars, &self.data_dir)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits; returns the exit status and the rest of stderr.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait for the gateway");
        let rest: Vec<String> = self.stderr.try_iter().collect();
        (status, rest.join("\n"))
    }

    /// Everything its database holds, for scans that no secret is stored in the clear: every
    /// file of the SQLite database (main file, WAL, shared memory), concatenated; on PostgreSQL
    /// every table's rows in their text form.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        if let Some((_, url)) = self.vars.iter().find(|(k, _)| k == DATABASE_URL_VAR) {
            for (_, bytes) in crate::postgres_tables_text(url) {
                all.extend(bytes);
            }
            return all;
        }
        for entry in std::fs::read_dir(&self.data_dir).expect("data dir") {
            let path = entry.expect("entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("codexkey.db"))
            {
                all.extend(std::fs::read(&path).expect("read db file"));
            }
        }
        all
    }
}

impl StoppedGateway {
    /// Starts the gateway again on the same data directory, database and environment.
    pub fn start_again(self) -> GatewayProcess {
        GatewayProcess::spawn(self.dir, self.vars, self.umask, self.schema)
    }

    /// A connection to the database it left.
    pub fn db(&self) -> TestDb {
        open_db(&self.vars, &self.dir.path().join("data"))
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One CLI user: a private config dir (settings and the credentials file) and a gateway URL.
pub struct CliUser {
    pub gateway: String,
    pub config_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// What a CLI run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success and parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

impl CliUser {
    pub fn new(gateway: &str) -> CliUser {
        let dir = tempfile::tempdir().expect("temp dir");
        CliUser {
            gateway: gateway.to_owned(),
            config_dir: dir.path().join("config"),
            _dir: dir,
        }
    }

    /// A new user of `gw`, logged in as the admin.
    ///
    /// # Panics
    /// Unless `login` exits 0.
    pub fn admin(gw: &GatewayProcess) -> CliUser {
        let admin = CliUser::new(&gw.url);
        let login = admin.run_with_stdin(
            &["login", "--email", ADMIN_EMAIL, "--password-stdin"],
            &format!("{ADMIN_PASSWORD}\n"),
        );
        assert_eq!(login.code, 0, "{login:?}");
        admin
    }

    /// A new user of `gw`, registered as [`USER_EMAIL`] with [`USER_PASSWORD`].
    ///
    /// # Panics
    /// Unless `register` exits 0.
    pub fn registered(gw: &GatewayProcess) -> CliUser {
        let user = CliUser::new(&gw.url);
        let reg = user.run_with_stdin(
            &["register", "--email", USER_EMAIL, "--password-stdin"],
            &format!("{USER_PASSWORD}\n"),
        );
        assert_eq!(reg.code, 0, "{reg:?}");
        user
    }

    pub fn command(&self) -> Command {
        let mut c = command();
        c.env("CODEXKEY_GATEWAY", &self.gateway)
            .env("CODEXKEY_CONFIG_DIR", &self.config_dir)
            .env("CODEXKEY_CREDENTIAL_STORE", "file")
            .env("CODEXKEY_CLI_DATA_DIR", self.data_dir())
            .env("HOME", self._dir.path());
        c
    }

    /// Where this user's CLI keeps its data (the usage cache), never the real user's.
    pub fn data_dir(&self) -> PathBuf {
        self._dir.path().join("data")
    }

    /// [`CliUser::run`] with extra environment variables (e.g. `TZ`).
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let out = self
            .command()
            .args(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run codexkey");
        Run::from(out)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn codexkey");
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(stdin.as_bytes()).expect("write stdin");
        drop(pipe);
        Run::from(child.wait_with_output().expect("wait for codexkey"))
    }

    /// The file the CLI keeps secrets in when no keyring is used.
    pub fn credentials_file(&self) -> PathBuf {
        self.config_dir.join("credentials.toml")
    }
}
