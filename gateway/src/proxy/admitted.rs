//! An admitted request on its way to upstream: everything its exchange and its settlement
//! need to know, and the usage event and price they build from it. Below both the exchange
//! (which tries upstreams) and the stream (which relays and settles), so neither calls back
//! into the other.

use std::sync::Arc;
use std::time::Instant;

use axum::http::HeaderMap;
use codexkey_common::settlement::Settlement;
use codexkey_common::usage::InvalidUsage;
use codexkey_common::{Micros, Usage};

use super::estimate::crash_input_tokens;
use crate::clock::now_ms;
use crate::http::request_log::RequestLog;
use crate::metering::Hold;
use crate::metering::keys::KeyEntry;
use crate::pricing::SharedPrices;
use crate::route::Route;
use crate::state::AppState;
use crate::store::UsageEventRecord;
use crate::upstream::Upstream;
use crate::upstream::body::OutBody;

pub struct Exchange {
    pub state: AppState,
    pub route: Route,
    pub model: String,
    pub key: Arc<KeyEntry>,
    pub prices: SharedPrices,
    pub candidates: Vec<Arc<Upstream>>,
    pub body: OutBody,
    /// Length of the body the client sent (before any change of ours), for estimates.
    pub client_body_len: usize,
    pub headers: HeaderMap,
    pub query: Option<String>,
    pub streams: bool,
    pub hide_usage: bool,
    /// The output cap sent upstream when admission lowered the client's to what the balance
    /// covers.
    pub lowered_cap: Option<u64>,
    /// The output the request's hold covers (its own cap, the model's, or the lowered one).
    pub output_cap: u64,
    /// The request's log line, told which upstream answered.
    pub log: RequestLog,
    pub started: Instant,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Exchange {
    pub fn event(&self, request_id: &str, provider: Option<&str>) -> UsageEventRecord {
        UsageEventRecord {
            provider: provider.map(str::to_owned),
            client_ip: self.client_ip.clone(),
            user_agent: self.user_agent.clone(),
            ..UsageEventRecord::new(
                request_id.to_owned(),
                self.key.account_id,
                Some(self.key.id),
                self.route.as_str(),
                self.model.clone(),
                now_ms(),
            )
        }
    }

    /// The usage the estimate rule charges when upstream's is missing or cannot be billed:
    /// the input, one token per 4 request bytes.
    pub fn input_estimate(&self) -> Usage {
        Usage {
            input_tokens: crash_input_tokens(self.client_body_len),
            ..Usage::default()
        }
    }

    pub fn idle_timeout(&self) -> std::time::Duration {
        self.state.upstreams.load().tuning.idle_timeout
    }

    pub fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Prices `usage` for this request's model, with the snapshot that explains it; `None`
    /// beyond the largest amount.
    fn price(&self, usage: &Usage) -> (Option<Micros>, Option<Arc<str>>) {
        let billed = usage.billable(self.route.wire());
        match self.prices.quote(&self.model) {
            Some(q) => (q.cost(&billed), q.snapshot()),
            // The quote existed at admission and the book is immutable: unreachable in practice.
            None => (Some(Micros::ZERO), None),
        }
    }

    /// The one rule that turns what upstream reported into a charge, written into `ev`:
    /// - valid usage is charged at its price, settled by `rule`; if that is above what the
    ///   hold allows (bounded admission), the hold is charged instead, settled
    ///   `capped_at_hold`, with the uncapped cost kept beside it;
    /// - usage upstream reported but the gateway cannot bill ([`InvalidUsage`], or usage that
    ///   prices beyond the largest amount) is charged `estimate` (at most the hold), settled
    ///   `usage_invalid`: never zero for an answer that was delivered, never wrapped.
    pub fn charge(
        &self,
        ev: &mut UsageEventRecord,
        hold: &Hold,
        reported: Result<Usage, InvalidUsage>,
        rule: Settlement,
        estimate: Usage,
    ) {
        let ceiling = hold.ceiling().unwrap_or(Micros::MAX);
        if let Ok(usage) = reported
            && let (Some(cost), snapshot) = self.price(&usage)
        {
            ev.usage = usage;
            ev.price_snapshot = snapshot;
            if cost > ceiling {
                tracing::warn!(request_id = %ev.request_id, cost = cost.0, hold = ceiling.0, "upstream reported more usage than the hold covers; charging the hold");
                ev.cost = ceiling;
                ev.uncapped_cost = Some(cost);
                ev.settlement = Settlement::CappedAtHold;
            } else {
                ev.cost = cost;
                ev.settlement = rule;
            }
            return;
        }
        tracing::warn!(request_id = %ev.request_id, "upstream reported usage that cannot be billed; charging the estimate");
        self.charge_estimate(ev, hold, estimate, Settlement::UsageInvalid);
    }

    /// Charges an estimate under `rule`: its price, at most what the hold allows.
    pub fn charge_estimate(
        &self,
        ev: &mut UsageEventRecord,
        hold: &Hold,
        estimate: Usage,
        rule: Settlement,
    ) {
        let ceiling = hold.ceiling().unwrap_or(Micros::MAX);
        let (cost, snapshot) = self.price(&estimate);
        ev.usage = estimate;
        ev.price_snapshot = snapshot;
        ev.cost = cost.unwrap_or(ceiling).min(ceiling);
        ev.settlement = rule;
    }
}
