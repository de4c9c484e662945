//! Time as the store keeps it (Unix milliseconds) and as the API shows it (RFC 3339, UTC).

use chrono::{DateTime, Utc};

use crate::store::Millis;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

pub fn to_utc(ms: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}
