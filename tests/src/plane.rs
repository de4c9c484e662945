//! A data-plane test bench: a [`FakeUpstream`] serving as both the `openai` and the `anthropic`
//! upstream of an in-process [`TestGateway`], a user with a gateway key, and readers for what
//! metering wrote (usage events, ledger charges, holds).

use crate::params;
use codexkey_common::Secret;
use codexkey_gateway::config::{Provider, RawConfig, RawUpstream};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_upstream::FakeUpstream;
use crate::{ApiClient, TestGateway, http_client};

/// The upstream keys the gateway is configured with.
pub const OPENAI_KEYS: [&str; 2] = ["sk-upstream-openai-A", "sk-upstream-openai-B"];
pub const ANTHROPIC_KEY: &str = "sk-ant-upstream-1";

pub struct Plane {
    pub upstream: FakeUpstream,
    pub gw: TestGateway,
    pub admin: ApiClient,
    pub user: ApiClient,
    pub user_email: String,
    /// The user's gateway API key (`ck-…`).
    pub key: String,
    pub key_id: i64,
    pub http: reqwest::Client,
}

/// One row of `usage_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    pub request_id: String,
    pub route: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub input_tokens: i64,
    pub cached_tokens: i64,
    pub cache_write_tokens: i64,
    pub output_tokens: i64,
    pub reasoning_tokens: i64,
    pub images: i64,
    pub cost_micros: i64,
    pub status: i64,
    pub error_code: Option<String>,
    pub settlement: String,
    pub price_snapshot: Option<Value>,
}

/// The upstreams of a [`Plane`]: `openai` (two keys) and `anthropic` (one key), both at
/// `base_url`; for another gateway serving the same deployment.
pub fn upstreams(base_url: &str) -> Vec<RawUpstream> {
    vec![
        RawUpstream {
            name: "openai".into(),
            provider: Provider::Openai,
            base_url: Some(base_url.to_owned()),
            keys: OPENAI_KEYS
                .iter()
                .map(|k| Secret::new((*k).to_owned()))
                .collect(),
            models: None,
            origin: Default::default(),
        },
        RawUpstream {
            name: "anthropic".into(),
            provider: Provider::Anthropic,
            base_url: Some(base_url.to_owned()),
            keys: vec![Secret::new(ANTHROPIC_KEY.to_owned())],
            models: None,
            origin: Default::default(),
        },
    ]
}

impl Plane {
    /// Upstreams `openai` (two keys) and `anthropic` (one key) pointing at a fake; a user
    /// funded with `balance_micros` and holding one key.
    pub async fn start(balance_micros: i64) -> Plane {
        Self::start_with(balance_micros, |_| {}).await
    }

    pub async fn start_with(balance_micros: i64, tweak: impl FnOnce(&mut RawConfig)) -> Plane {
        let upstream = FakeUpstream::start().await;
        let base = upstream.base_url().to_owned();
        let gw = TestGateway::start_with(|raw| {
            raw.upstreams = upstreams(&base);
            // Tests that fail a key once must not find it cooling down in the next request.
            raw.upstream.cooldown_secs = Some(0);
            tweak(raw);
        })
        .await;
        let admin = gw.admin().await;
        let user_email = "plane-user@codexkey.test".to_owned();
        let user = gw.new_user(&user_email).await;
        let (status, created) = user.post("/api/v1/keys", &json!({ "name": "tests" })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let key = created["secret"].as_str().unwrap_or_default().to_owned();
        let key_id = created["key"]["id"].as_i64().unwrap_or_default();
        let plane = Plane {
            upstream,
            gw,
            admin,
            user,
            user_email,
            key,
            key_id,
            http: http_client(),
        };
        if balance_micros != 0 {
            plane.fund(balance_micros).await;
        }
        plane
    }

    /// Credits the user by an admin adjustment.
    pub async fn fund(&self, micros: i64) {
        self.admin
            .fund(&self.user_email, micros, "test funding")
            .await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gw.base_url())
    }

    /// A POST with the user's key as `Authorization: Bearer`.
    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
    }

    /// An Anthropic-style POST: the key in `x-api-key`, with `anthropic-version`.
    pub fn post_anthropic(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .header("x-api-key", &self.key)
            .header("anthropic-version", "2023-06-01")
            .json(body)
    }

    /// `(balance, held)` from the management API.
    pub async fn balance(&self) -> (i64, i64) {
        let (status, b) = self.user.get("/api/v1/balance").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        (
            b["balance_micros"].as_i64().unwrap_or(i64::MIN),
            b["held_micros"].as_i64().unwrap_or(i64::MIN),
        )
    }

    /// Every usage event, oldest first, after flushing the metering writer.
    pub async fn usage_events(&self) -> Vec<UsageRow> {
        self.gw.flush().await;
        read_usage_events(&self.gw.db())
    }

    /// The one usage event of `request_id`.
    pub async fn event(&self, request_id: &str) -> UsageRow {
        let events = self.usage_events().await;
        match events.into_iter().find(|e| e.request_id == request_id) {
            Some(e) => e,
            None => panic!("no usage event for {request_id}"),
        }
    }

    /// Sum of `charge` ledger entries (negative) and their count.
    pub async fn charges(&self) -> (i64, i64) {
        self.gw.flush().await;
        let db = self.gw.db();
        db.query_row(
            "SELECT COALESCE(SUM(amount_micros), 0), COUNT(*) FROM ledger_entries WHERE kind = 'charge'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("cannot read charges: {e}"))
    }

    /// Holds still in the database.
    pub async fn holds(&self) -> i64 {
        self.gw.flush().await;
        self.gw
            .db()
            .query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("cannot read holds: {e}"))
    }

    /// The admin ledger check, asserting it passes.
    pub async fn assert_ledger_ok(&self) {
        let (status, check) = self.admin.get("/api/v1/admin/ledger/verify").await;
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["ok"], true, "ledger check failed: {check}");
    }
}

pub fn read_usage_events(db: &crate::TestDb) -> Vec<UsageRow> {
    let mut stmt = db
        .prepare(
            "SELECT request_id, route, provider, model, input_tokens, cached_tokens, cache_write_tokens,
                    output_tokens, reasoning_tokens, images, cost_micros, status, error_code, settlement,
                    price_snapshot
             FROM usage_events ORDER BY id",
        )
        .unwrap_or_else(|e| panic!("cannot read usage events: {e}"));
    stmt.query_map(params![], |r| {
        Ok(UsageRow {
            request_id: r.get(0)?,
            route: r.get(1)?,
            provider: r.get(2)?,
            model: r.get(3)?,
            input_tokens: r.get(4)?,
            cached_tokens: r.get(5)?,
            cache_write_tokens: r.get(6)?,
            output_tokens: r.get(7)?,
            reasoning_tokens: r.get(8)?,
            images: r.get(9)?,
            cost_micros: r.get(10)?,
            status: r.get(11)?,
            error_code: r.get(12)?,
            settlement: r.get(13)?,
            price_snapshot: r
                .get::<_, Option<String>>(14)?
                .and_then(|s| serde_json::from_str(&s).ok()),
        })
    })
    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
    .unwrap_or_else(|e| panic!("cannot read usage events: {e}"))
}

/// The `x-request-id` the gateway returned.
pub fn request_id(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no x-request-id on the response: {:?}", resp.headers()))
        .to_owned()
}

/// SSE `data:` payloads of a whole stream body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("data:")
                        .map(|d| d.strip_prefix(' ').unwrap_or(d))
                })
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}
