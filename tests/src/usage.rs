//! Known traffic for usage-report tests: nine requests through a gateway (to a
//! [`FakeUpstream`]) with two keys, three models, one upstream refusal, and the times each is
//! then moved to, so that reports over days, models and keys have totals computed by hand.
//!
//! The days are relative to today (UTC): [`day`]`(0)` is six days ago, so the plan always lies
//! within the CLI's default "last 7 days" and the summary's 30, and never today.
//!
//! The requests go through the real data plane and are metered as usual; only their
//! `created_at` is moved afterwards (an `UPDATE` on `usage_events`, which the rollup's triggers
//! follow), because a test cannot wait for three days to pass.

use chrono::{Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_upstream::{Action, FakeUpstream};
use crate::plane::request_id;

/// `(day, cost_micros)` of each group of a usage report grouped by day, in its order.
///
/// # Panics
/// If the report has no `groups` array or a group lacks either field.
pub fn day_costs(report: &Value) -> Vec<(String, i64)> {
    let Some(groups) = report["groups"].as_array() else {
        panic!("no groups in {report}");
    };
    groups
        .iter()
        .map(|g| match (g["day"].as_str(), g["cost_micros"].as_i64()) {
            (Some(day), Some(cost)) => (day.to_owned(), cost),
            _ => panic!("a group without day or cost_micros: {g}"),
        })
        .collect()
}

/// Which of the two keys a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The first key (named by the caller, e.g. `tests`).
    A,
    /// The second key (`ci`).
    B,
}

/// One planned request.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub key: Key,
    pub model: &'static str,
    /// Sent to `/v1/messages` (Anthropic) rather than `/v1/chat/completions`.
    pub anthropic: bool,
    /// Upstream refuses it with a 400 (relayed, not charged).
    pub refused: bool,
    /// Which day its usage event is moved to ([`day`]) …
    pub day: u64,
    /// … and at what time of that day (UTC).
    pub time: &'static str,
    /// Its cost in micro-credits, from the shipped prices and the fake's default usage (120
    /// input and 50 output tokens): gpt-4o-mini 120 × 0.15 + 50 × 0.6 = 48; gpt-5.5
    /// 120 × 5 + 50 × 30 = 2100; claude-haiku-4-5 120 × 1 + 50 × 5 = 370.
    pub cost: i64,
}

const fn chat(key: Key, model: &'static str, day: u64, time: &'static str, cost: i64) -> Planned {
    Planned {
        key,
        model,
        anthropic: false,
        refused: false,
        day,
        time,
        cost,
    }
}

/// Day `n` of the plan: six days before today (UTC), plus `n`.
pub fn day(n: u64) -> NaiveDate {
    let first = Utc::now().date_naive() - Days::new(6);
    first + Days::new(n)
}

/// `day(n)` as `YYYY-MM-DD`.
pub fn d(n: u64) -> String {
    day(n).to_string()
}

/// The plan. Per UTC day: day 0 four requests (2244), day 1 three with one refusal (2470),
/// day 2 two (418). The last is at 22:30Z: at `+03:00` it falls on day 3.
pub const PLAN: [Planned; 9] = [
    chat(Key::A, "gpt-4o-mini", 0, "12:00:00", 48),
    chat(Key::A, "gpt-4o-mini", 0, "12:01:00", 48),
    chat(Key::A, "gpt-4o-mini", 0, "12:02:00", 48),
    chat(Key::A, "gpt-5.5", 0, "12:03:00", 2100),
    chat(Key::A, "gpt-5.5", 1, "09:00:00", 2100),
    Planned {
        refused: true,
        ..chat(Key::A, "gpt-5.5", 1, "09:01:00", 0)
    },
    Planned {
        anthropic: true,
        ..chat(Key::B, "claude-haiku-4-5", 1, "15:00:00", 370)
    },
    Planned {
        anthropic: true,
        ..chat(Key::B, "claude-haiku-4-5", 2, "08:00:00", 370)
    },
    chat(Key::B, "gpt-4o-mini", 2, "22:30:00", 48),
];

/// Total cost of [`PLAN`].
pub const TOTAL_COST: i64 = 5132;

/// A request of the plan as it was sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub plan: Planned,
    pub request_id: String,
    /// When its event was moved to, in Unix ms.
    pub at_ms: i64,
}

/// Sends [`PLAN`] through the gateway at `base` with keys `a` and `b`.
///
/// # Panics
/// If a request does not end as planned.
pub async fn send(
    http: &reqwest::Client,
    base: &str,
    upstream: &FakeUpstream,
    a: &str,
    b: &str,
) -> Vec<Sent> {
    let mut sent = Vec::new();
    for plan in PLAN {
        let key = match plan.key {
            Key::A => a,
            Key::B => b,
        };
        if plan.refused {
            upstream.push(Action::status(400));
        }
        let req = if plan.anthropic {
            http.post(format!("{base}/v1/messages"))
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01")
                .json(&json!({"model": plan.model, "max_tokens": 100,
                              "messages": [{"role": "user", "content": "hi"}]}))
        } else {
            http.post(format!("{base}/v1/chat/completions"))
                .bearer_auth(key)
                .json(
                    &json!({"model": plan.model, "messages": [{"role": "user", "content": "hi"}]}),
                )
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", plan.model));
        let want = if plan.refused {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(resp.status(), want, "{plan:?}");
        let request_id = request_id(&resp);
        let _ = resp.bytes().await;
        let at = format!("{}T{}Z", d(plan.day), plan.time);
        let at_ms = chrono::DateTime::parse_from_rfc3339(&at)
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        sent.push(Sent {
            plan,
            request_id,
            at_ms,
        });
    }
    sent
}

/// Moves each sent request's usage event to its planned time, and checks its cost and status
/// are what the plan says.
///
/// # Panics
/// If an event is missing (flush the metering writer first) or differs from the plan.
pub fn backdate(db: &crate::TestDb, sent: &[Sent]) {
    for s in sent {
        let (cost, status): (i64, i64) = db
            .query_row(
                "SELECT cost_micros, status FROM usage_events WHERE request_id = ?1",
                [&s.request_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or_else(|e| panic!("no usage event for {}: {e}", s.request_id));
        assert_eq!(cost, s.plan.cost, "{:?}", s.plan);
        assert_eq!(
            status,
            if s.plan.refused { 400 } else { 200 },
            "{:?}",
            s.plan
        );
        db.execute(
            "UPDATE usage_events SET created_at = ?1 WHERE request_id = ?2",
            crate::params![s.at_ms, s.request_id],
        )
        .unwrap_or_else(|e| panic!("cannot move {}: {e}", s.request_id));
    }
}
