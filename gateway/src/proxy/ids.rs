//! Request ids: ours, minted per request, and upstream's, passed on.

use axum::http::HeaderName;

/// Our id for a request, returned to the client and kept in its usage event.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Upstream's own id for the request, passed on under this name.
pub const UPSTREAM_REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-upstream-request-id");
/// Set when the gateway lowered the request's output cap to what the balance covers: the cap it
/// sent upstream, in tokens.
pub const OUTPUT_CAP_HEADER: HeaderName = HeaderName::from_static("x-codexkey-output-cap");

/// `req_` + a random prefix drawn once per process + a counter: unique across restarts and
/// replicas, and no system call per request.
pub fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        codexkey_common::key::random_base62(12)
            .unwrap_or_else(|_| format!("{:012x}", crate::clock::now_ms()))
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("req_{prefix}{n:010}")
}
