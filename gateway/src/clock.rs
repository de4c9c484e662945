//! Time as the store keeps it (Unix milliseconds) and as the API shows it (RFC 3339, UTC).

use chrono::{DateTime, Utc};

/// A point in time as Unix milliseconds, as the store keeps it.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

pub fn to_utc(ms: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}
