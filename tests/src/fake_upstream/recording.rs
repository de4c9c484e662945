//! What the fake saw: a [`RecordedRequest`] per request, recorded before any fault applies.

use std::time::Instant;

use axum::body::Bytes;
use serde_json::Value;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query, e.g. `/v1/messages`.
    pub path: String,
    /// The query string without `?`, e.g. `beta=true`.
    pub query: Option<String>,
    /// Headers in arrival order, names lower-case, values lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The body exactly as received.
    pub body: Bytes,
    /// The upstream key it carried: `Authorization: Bearer` on OpenAI routes, `x-api-key` (or
    /// Bearer) on Anthropic ones.
    pub key: Option<String>,
    /// When the whole request had arrived.
    pub received_at: Instant,
}

impl RecordedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    /// If the body is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} body is not JSON ({e}): {}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as (lossy) UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
