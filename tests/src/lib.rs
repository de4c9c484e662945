//! codexkey-tests: helpers for tests that drive a real gateway over real HTTP.
//!
//! [`TestGateway`] runs the gateway library in-process on `127.0.0.1:0`, with a fresh data
//! directory, cheap password hashing and a known admin. [`ApiClient`] makes JSON calls to it
//! and hands back `(status, body)`. [`DbSnapshot`] reads the database directly, so a test can
//! show that a refused request changed nothing.
//!
//! The store is SQLite unless `CODEXKEY_TEST_STORE=postgres` ([`backend`]): then every gateway a
//! test starts gets a scratch PostgreSQL schema of its own, and [`TestDb`] reaches either.
//!
//! Helpers that spawn the `codexkey` binary live in [`cli`] and [`proxy`]. Assertions about specific routes
//! do not belong here; they live in `tests/*.rs`.
//!
//! These helpers are test infrastructure. When one cannot do its job (the gateway does not
//! start, a connection fails, the database cannot be read), it panics with a message that
//! says why, because a broken helper means a failed test.

pub mod billing;
pub mod cli;
pub mod db;
pub mod fake_stripe;
pub mod fake_upstream;
pub mod fixtures;
pub mod plane;
pub mod proxy;
mod schema;
pub mod smtp;
mod snapshot;
pub mod stripe_signer;
pub mod totp;
pub mod usage;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use anyhow::Context as _;
use codexkey_common::Secret;
use codexkey_gateway::config::{Database, RawAdmin, RawAuth, RawConfig};
use codexkey_gateway::{Config, Running};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use tempfile::TempDir;

pub use db::{Backend, TestDb};
pub use schema::TestSchema;
pub use snapshot::{AccountRow, AuditRow, DbSnapshot, KeyRow, LedgerRow, SessionRow};

/// The variable that picks the store the tests' gateways use: `postgres`, or `sqlite` (the
/// default when unset).
pub const STORE_VAR: &str = "CODEXKEY_TEST_STORE";

/// The store this test run uses, from [`STORE_VAR`].
///
/// # Panics
/// If the variable names no store, so a typo cannot quietly test SQLite twice.
pub fn backend() -> Backend {
    match std::env::var(STORE_VAR).as_deref() {
        Err(_) | Ok("" | "sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("{STORE_VAR}={other}: expected `sqlite` or `postgres`"),
    }
}

/// Whether a test about something only the SQLite store has (its file, its locks) should stop
/// here because this run uses PostgreSQL; it says so on stderr, with `why`. Use as
/// `if sqlite_only("why") { return; }`.
pub fn sqlite_only(why: &str) -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        eprintln!("skipped on PostgreSQL: {why}");
    }
    skip
}

/// A scratch schema for a gateway when this run uses PostgreSQL.
pub(crate) fn scratch_schema() -> Option<TestSchema> {
    (backend() == Backend::Postgres).then(TestSchema::create)
}

/// Every table of the PostgreSQL database at `url`, each row in its text form one a line, as
/// `(table, bytes)`: what a scan for secrets reads where SQLite tests read the files.
pub(crate) fn postgres_tables_text(url: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let db = TestDb::postgres(url);
    let tables: Vec<String> = db
        .prepare(
            "SELECT table_name FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0)))
        .and_then(Iterator::collect)
        .unwrap_or_else(|e| panic!("cannot list the tables: {e}"));
    tables
        .into_iter()
        .map(|table| {
            let rows: Vec<String> = db
                .prepare(&format!("SELECT t::text FROM {table} t"))
                .and_then(|mut s| s.query_map([], |r| r.get(0)))
                .and_then(Iterator::collect)
                .unwrap_or_else(|e| panic!("cannot read {table}: {e}"));
            (PathBuf::from(table), rows.join("\n").into_bytes())
        })
        .collect()
}

/// The admin account every [`TestGateway`] starts with.
pub const ADMIN_EMAIL: &str = "admin@codexkey.test";
/// The admin's password. It is distinctive so that a scan of the database files for it cannot
/// match by accident.
pub const ADMIN_PASSWORD: &str = "Admin-pass-7f3Kq9zW";
/// A password that passes the policy, for users the tests register.
pub const USER_PASSWORD: &str = "User-pass-Xq84mTb2vL";

/// Argon2 cost for tests: 1 MiB, one pass, one lane. Still a real argon2id hash (the floor is
/// 8 KiB per lane), but each login or registration costs milliseconds instead of the
/// production setting's 19 MiB and two passes.
const TEST_ARGON2_MEMORY_KIB: u32 = 1024;
const TEST_ARGON2_ITERATIONS: u32 = 1;
const TEST_ARGON2_PARALLELISM: u32 = 1;

/// How long one HTTP call may take before the test fails instead of hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A reply from the gateway: its status and its body parsed as JSON. An empty body is
/// [`Value::Null`]; a body that is not JSON is kept as [`Value::String`], so a test can still
/// show it.
pub type Reply = (StatusCode, Value);

/// Installs rustls' ring crypto provider as the process default, once. reqwest is built with
/// `rustls-no-provider`, so a client built before this panics. Every helper that builds a client
/// calls it; tests that build their own clients call it first.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A reqwest client for loopback tests: no proxy from the environment (an `HTTP_PROXY` would
/// otherwise capture `127.0.0.1`), and a timeout so a hung gateway fails the test.
///
/// # Panics
/// If reqwest cannot build a client.
pub fn http_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"))
}

/// A gateway running in this process, with its own temporary data directory.
///
/// Dropping it drops the server task with the test's runtime and deletes the data directory;
/// [`TestGateway::stop`] shuts it down gracefully first.
pub struct TestGateway {
    // Field order matters for `Drop`: the gateway goes before the schema and the directory it
    // writes to.
    running: Running,
    config: Config,
    base_url: String,
    schema: Option<TestSchema>,
    data_dir: TempDir,
}

impl TestGateway {
    /// Starts a gateway with the test defaults (see [`TestGateway::start_with`]).
    ///
    /// # Panics
    /// If the gateway cannot start.
    pub async fn start() -> TestGateway {
        Self::start_with(|_| {}).await
    }

    /// Starts a gateway with the test defaults, after `tweak` has adjusted the raw
    /// configuration, e.g. `|c| c.auth.session_ttl_secs = Some(1)` or
    /// `|c| c.auth.allow_registration = Some(false)`.
    ///
    /// The defaults: `listen = 127.0.0.1:0`, a fresh temporary data dir holding `codexkey.db`
    /// (or, when this run uses PostgreSQL, a fresh scratch schema as `database_url`), cheap
    /// argon2 parameters, and the admin [`ADMIN_EMAIL`] / [`ADMIN_PASSWORD`].
    ///
    /// # Panics
    /// If the configuration is invalid or the gateway cannot start.
    pub async fn start_with(tweak: impl FnOnce(&mut RawConfig)) -> TestGateway {
        match Self::try_start_with(tweak).await {
            Ok(gw) => gw,
            Err(e) => panic!("cannot start the test gateway: {e:#}"),
        }
    }

    /// [`TestGateway::start_with`], returning start-up failures instead of panicking, for tests
    /// of start-up itself.
    pub async fn try_start_with(tweak: impl FnOnce(&mut RawConfig)) -> anyhow::Result<TestGateway> {
        let data_dir = tempfile::Builder::new()
            .prefix("codexkey-test-")
            .tempdir()
            .context("cannot create a temporary data directory")?;
        let mut raw = RawConfig {
            listen: Some("127.0.0.1:0".to_owned()),
            data_dir: Some(data_dir.path().to_owned()),
            admin: RawAdmin {
                email: Some(ADMIN_EMAIL.to_owned()),
                password: Some(Secret::new(ADMIN_PASSWORD.to_owned())),
            },
            auth: RawAuth {
                argon2_memory_kib: Some(TEST_ARGON2_MEMORY_KIB),
                argon2_iterations: Some(TEST_ARGON2_ITERATIONS),
                argon2_parallelism: Some(TEST_ARGON2_PARALLELISM),
                ..RawAuth::default()
            },
            ..RawConfig::default()
        };
        let schema = scratch_schema();
        raw.database_url = schema.as_ref().map(TestSchema::url);
        tweak(&mut raw);
        let config = Config::validate(raw).context("invalid test configuration")?;
        Self::launch(config, schema, data_dir).await
    }

    async fn launch(
        config: Config,
        schema: Option<TestSchema>,
        data_dir: TempDir,
    ) -> anyhow::Result<TestGateway> {
        install_crypto_provider();
        let running = codexkey_gateway::start(config.clone())
            .await
            .context("the gateway did not start")?;
        let base_url = format!("http://{}", running.addr);
        Ok(TestGateway {
            running,
            config,
            base_url,
            schema,
            data_dir,
        })
    }

    /// Stops the gateway gracefully (requests in flight finish) and then deletes its data.
    ///
    /// # Panics
    /// If the server task failed.
    pub async fn stop(self) {
        let TestGateway {
            running,
            schema,
            data_dir,
            ..
        } = self;
        if let Err(e) = running.stop().await {
            panic!("the gateway did not stop cleanly: {e}");
        }
        drop(schema);
        drop(data_dir);
    }

    /// Stops the gateway gracefully and hands its data directory over instead of deleting it
    /// (it goes when the returned value drops): for a test that works on the SQLite file a
    /// stopped gateway left, as an operator's offline tools do.
    ///
    /// # Panics
    /// If the server task failed, or the gateway's database is not SQLite (a scratch schema
    /// would go with the gateway, so a test of the files it left must not think it has them).
    pub async fn stop_keeping_data(self) -> TempDir {
        let TestGateway {
            running,
            config,
            data_dir,
            ..
        } = self;
        if let Database::Postgres { shown, .. } = &config.database {
            panic!("stop_keeping_data keeps SQLite files; this gateway uses {shown}");
        }
        if let Err(e) = running.stop().await {
            panic!("the gateway did not stop cleanly: {e}");
        }
        data_dir
    }

    /// Stops the gateway and starts it again on the same data directory and configuration (on a
    /// new port): what an operator's restart looks like.
    ///
    /// # Panics
    /// If the gateway does not stop cleanly or does not start again.
    pub async fn restart(self) -> TestGateway {
        let TestGateway {
            running,
            config,
            schema,
            data_dir,
            ..
        } = self;
        if let Err(e) = running.stop().await {
            panic!("the gateway did not stop cleanly: {e}");
        }
        match Self::launch(config, schema, data_dir).await {
            Ok(gw) => gw,
            Err(e) => panic!("the gateway did not start again: {e:#}"),
        }
    }

    /// The running gateway's shared state (its meter, key cache, price book).
    pub fn state(&self) -> &codexkey_gateway::AppState {
        &self.running.state
    }

    /// Waits until every metering write queued so far (holds, charges, usage events) is in the
    /// database, so a test can read it there.
    pub async fn flush(&self) {
        self.running.state.meter.flush().await;
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// Where `/metrics` is served when `server.metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.running.metrics_addr
    }

    /// The configuration the gateway runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The SQLite database file.
    ///
    /// # Panics
    /// Never with the test configuration; only if a tweak picked another kind of database.
    pub fn db_path(&self) -> PathBuf {
        match &self.config.database {
            Database::Sqlite { path } => path.clone(),
            other => panic!("the test gateway's database is not SQLite: {other:?}"),
        }
    }

    pub fn admin_email(&self) -> &str {
        ADMIN_EMAIL
    }

    pub fn admin_password(&self) -> &str {
        ADMIN_PASSWORD
    }

    /// A client without a session.
    pub fn client(&self) -> ApiClient {
        ApiClient::new(&self.base_url)
    }

    /// A client logged in as the admin.
    ///
    /// # Panics
    /// If the login does not succeed.
    pub async fn admin(&self) -> ApiClient {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Registers an account and returns the `Account` body.
    ///
    /// # Panics
    /// Unless the gateway answers 201.
    pub async fn register(&self, email: &str, password: &str) -> Value {
        let (status, body) = self
            .client()
            .post(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {email}: {body}");
        body
    }

    /// Logs in and returns a client that sends the new session token.
    ///
    /// # Panics
    /// Unless the gateway answers 200 with a token.
    pub async fn login(&self, email: &str, password: &str) -> ApiClient {
        ApiClient::login(&self.base_url, email, password).await
    }

    /// Registers `email` with [`USER_PASSWORD`] and logs in.
    ///
    /// # Panics
    /// If either step fails.
    pub async fn new_user(&self, email: &str) -> ApiClient {
        self.register(email, USER_PASSWORD).await;
        self.login(email, USER_PASSWORD).await
    }

    /// A connection to the gateway's database, for checking what it wrote. On SQLite it is
    /// read-only.
    ///
    /// # Panics
    /// If the database cannot be opened.
    pub fn db(&self) -> TestDb {
        match &self.config.database {
            Database::Sqlite { path } => TestDb::sqlite(path, false),
            Database::Postgres { url, .. } => TestDb::postgres(url.expose()),
        }
    }

    /// A writable connection to the gateway's database, for staging states the API cannot
    /// reach (a session that expired yesterday). Prefer the API wherever it can do the job.
    ///
    /// # Panics
    /// If the database cannot be opened.
    pub fn db_rw(&self) -> TestDb {
        match &self.config.database {
            Database::Sqlite { path } => TestDb::sqlite(path, true),
            Database::Postgres { url, .. } => TestDb::postgres(url.expose()),
        }
    }

    /// Which store the gateway runs on.
    pub fn backend(&self) -> Backend {
        match &self.config.database {
            Database::Sqlite { .. } => Backend::Sqlite,
            Database::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Everything a refused request must leave alone, read straight from the database.
    ///
    /// # Panics
    /// If the database cannot be read.
    pub fn snapshot(&self) -> DbSnapshot {
        match DbSnapshot::read(&self.db()) {
            Ok(s) => s,
            Err(e) => panic!("cannot read a database snapshot: {e}"),
        }
    }

    /// Everything the gateway's database holds right now, for scans that no secret is stored
    /// in the clear. On SQLite: the bytes of the main file and, when present, its `-wal` and
    /// `-shm` companions, where recent writes live until a checkpoint moves them. On
    /// PostgreSQL: each table's rows in their text form, named by the table.
    ///
    /// # Panics
    /// If the database cannot be read.
    pub fn database_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        if let Database::Postgres { url, .. } = &self.config.database {
            return postgres_tables_text(url.expose());
        }
        let db = self.db_path();
        let mut files = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            let path = PathBuf::from(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((path, bytes)),
                Err(e) if suffix.is_empty() => panic!("cannot read {}: {e}", path.display()),
                Err(_) => {}
            }
        }
        files
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JSON client of one gateway, optionally holding a session token that it sends as
/// `Authorization: Bearer …`.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
}

impl ApiClient {
    /// A client of the gateway at `base_url` (`http://127.0.0.1:PORT`).
    ///
    /// # Panics
    /// If reqwest cannot build a client.
    pub fn new(base_url: &str) -> ApiClient {
        ApiClient {
            http: http_client(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// Logs in at the gateway at `base_url` and returns a client that sends the new session
    /// token.
    ///
    /// # Panics
    /// Unless the gateway answers 200 with a token.
    pub async fn login(base_url: &str, email: &str, password: &str) -> ApiClient {
        let client = ApiClient::new(base_url);
        let (status, body) = client
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        match body["token"].as_str() {
            Some(token) => client.with_token(token),
            None => panic!("login {email}: no token in {body}"),
        }
    }

    /// As an admin: credits `email` with `micros` by an adjustment with `reason`.
    ///
    /// # Panics
    /// Unless the gateway answers 200.
    pub async fn fund(&self, email: &str, micros: i64, reason: &str) {
        let (status, body) = self
            .post(
                &format!("/api/v1/admin/users/{email}/adjust"),
                &json!({ "amount_micros": micros, "reason": reason }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The same client, sending `token` from now on.
    pub fn with_token(&self, token: &str) -> ApiClient {
        ApiClient {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// The same client without a session.
    pub fn anonymous(&self) -> ApiClient {
        ApiClient {
            token: None,
            ..self.clone()
        }
    }

    /// The session token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `path` (starting with `/`) with the session token, if any, for tests that
    /// need to shape the request themselves (odd headers, a raw body). Send it with
    /// [`ApiClient::send`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, self.url(path));
        match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    /// Sends a request and reads the whole reply. The future owns everything it needs, so it can
    /// be spawned (`JoinSet::spawn`) to race requests against each other.
    ///
    /// # Panics
    /// If the request cannot be sent or the reply cannot be read (not on an error status).
    pub fn send(&self, req: RequestBuilder) -> impl Future<Output = Reply> + Send + 'static {
        send_request(req)
    }

    pub fn get(&self, path: &str) -> impl Future<Output = Reply> + Send + 'static {
        self.send(self.request(Method::GET, path))
    }

    /// POST with `body` as JSON.
    pub fn post(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> impl Future<Output = Reply> + Send + 'static {
        self.send(self.request(Method::POST, path).json(body))
    }

    /// POST without a body (logout, suspend, activate, rotate).
    pub fn post_empty(&self, path: &str) -> impl Future<Output = Reply> + Send + 'static {
        self.send(self.request(Method::POST, path))
    }

    /// PATCH with `body` as JSON.
    pub fn patch(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> impl Future<Output = Reply> + Send + 'static {
        self.send(self.request(Method::PATCH, path).json(body))
    }

    pub fn delete(&self, path: &str) -> impl Future<Output = Reply> + Send + 'static {
        self.send(self.request(Method::DELETE, path))
    }
}

async fn send_request(req: RequestBuilder) -> Reply {
    let response = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("cannot read the reply body: {e}"));
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, body)
}

/// The management API's error body, `{"error":{"type":…,"message":…}}`, for exact comparisons.
pub fn error_body(kind: &str, message: &str) -> Value {
    json!({ "error": { "type": kind, "message": message } })
}

/// Asserts that `reply` is an error with this status and `type`, and returns its message for
/// further checks (for messages that embed details such as a parser's position).
///
/// # Panics
/// When the reply is anything else.
#[track_caller]
pub fn assert_error(reply: &Reply, status: StatusCode, kind: &str) -> String {
    let (got_status, body) = reply;
    assert_eq!(*got_status, status, "status of {body}");
    assert_eq!(body["error"]["type"], kind, "type of {body}");
    let Some(obj) = body.as_object() else {
        panic!("error body is not an object: {body}");
    };
    assert_eq!(obj.len(), 1, "error body has extra fields: {body}");
    let Some(detail) = body["error"].as_object() else {
        panic!("`error` is not an object: {body}");
    };
    assert_eq!(detail.len(), 2, "`error` has extra fields: {body}");
    match body["error"]["message"].as_str() {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => panic!("error body has no message: {body}"),
    }
}
