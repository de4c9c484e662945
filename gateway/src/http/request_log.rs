//! What the one log line per request carries beyond method, route, status and latency: the
//! request id, account, key, model and upstream, filled in by whoever learns them (the session extractor, the
//! data plane) through a slot that `log_request` puts in the request's extensions.

use std::sync::{Arc, Mutex};

use axum::http::Extensions;

/// A shared slot for the request's log fields; cloning it shares the slot. The default is
/// detached: writing to it does nothing and costs no allocation (requests are not logged).
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Option<Arc<Mutex<LogFields>>>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFields {
    pub request_id: Option<String>,
    pub account_id: Option<i64>,
    pub key_id: Option<i64>,
    pub model: Option<String>,
    pub upstream: Option<String>,
}

impl RequestLog {
    /// A slot that keeps what is written to it.
    pub fn attached() -> RequestLog {
        RequestLog(Some(Arc::default()))
    }

    /// The request's slot; a detached one when nothing logs requests.
    pub fn of(extensions: &Extensions) -> RequestLog {
        extensions.get::<RequestLog>().cloned().unwrap_or_default()
    }

    fn with(&self, f: impl FnOnce(&mut LogFields)) {
        if let Some(slot) = &self.0 {
            f(&mut slot.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    pub fn request_id(&self, id: &str) {
        self.with(|l| l.request_id = Some(id.to_owned()));
    }

    pub fn account(&self, id: i64) {
        self.with(|l| l.account_id = Some(id));
    }

    pub fn key(&self, id: i64) {
        self.with(|l| l.key_id = Some(id));
    }

    /// The upstream that answered.
    pub fn upstream(&self, name: &str) {
        self.with(|l| l.upstream = Some(name.to_owned()));
    }

    pub fn model(&self, model: &str) {
        self.with(|l| l.model = Some(model.to_owned()));
    }

    pub fn fields(&self) -> LogFields {
        self.0.as_ref().map_or_else(LogFields::default, |slot| {
            slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_share_the_slot() {
        let mut ext = Extensions::new();
        let log = RequestLog::attached();
        ext.insert(log.clone());
        RequestLog::of(&ext).request_id("req_1");
        RequestLog::of(&ext).account(7);
        RequestLog::of(&ext).model("gpt-4o");
        RequestLog::of(&ext).key(3);
        RequestLog::of(&ext).upstream("openai");
        assert_eq!(
            log.fields(),
            LogFields {
                request_id: Some("req_1".into()),
                account_id: Some(7),
                key_id: Some(3),
                model: Some("gpt-4o".into()),
                upstream: Some("openai".into()),
            }
        );
        // Without a slot, writing is harmless and keeps nothing.
        let detached = RequestLog::of(&Extensions::new());
        detached.account(1);
        assert_eq!(detached.fields(), LogFields::default());
    }
}
