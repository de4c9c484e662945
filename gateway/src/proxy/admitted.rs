//! An admitted request on its way to upstream: everything its exchange and its settlement
//! need to know, and the usage event and price they build from it. Below both the exchange
//! (which tries upstreams) and the stream (which relays and settles), so neither calls back
//! into the other.

use std::sync::Arc;
use std::time::Instant;

use axum::http::HeaderMap;
use bytes::Bytes;
use codexkey_common::{Micros, Usage};

use crate::clock::now_ms;
use crate::metering::keys::KeyEntry;
use crate::pricing::SharedPrices;
use crate::route::Route;
use crate::state::AppState;
use crate::store::UsageEventRecord;
use crate::upstream::Upstream;

pub struct Exchange {
    pub state: AppState,
    pub route: Route,
    pub model: String,
    pub key: Arc<KeyEntry>,
    pub prices: SharedPrices,
    pub candidates: Vec<Arc<Upstream>>,
    pub body: Bytes,
    /// Length of the body the client sent (before any change of ours), for estimates.
    pub client_body_len: usize,
    pub headers: HeaderMap,
    pub query: Option<String>,
    pub streams: bool,
    pub hide_usage: bool,
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

    pub fn idle_timeout(&self) -> std::time::Duration {
        self.state.upstreams.load().tuning.idle_timeout
    }

    pub fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Prices `usage` for this request's model, with the snapshot that explains it.
    pub fn price(&self, usage: &Usage) -> (Micros, Option<Arc<str>>) {
        let billed = usage.billable(self.route.wire());
        match self.prices.quote(&self.model) {
            Some(q) => (q.cost(&billed), q.snapshot()),
            // The quote existed at admission and the book is immutable: unreachable in practice.
            None => (Micros::ZERO, None),
        }
    }
}
