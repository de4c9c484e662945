//! Changes made through one replica, applied to the in-memory caches of every other replica
//! on the same PostgreSQL database: keys, accounts' status, the price book, the upstreams.
//!
//! The database announces each committed change on channel [`CHANNEL`] (triggers of the
//! PostgreSQL migration `0007_change_notifications`, in the transaction that makes the change:
//! `NOTIFY` is delivered only on commit, so no replica acts on a change that was rolled back).
//! Each replica runs one [`listener`] that turns the payloads into a [`Change`] and
//! [`apply`]s it. A replica hears its own changes too, after the handler already invalidated
//! its cache: applying is idempotent and cheap. A replica that lost its connection may have
//! missed changes, so after listening again it drops or reloads everything.
//!
//! SQLite is one process: its handlers' own invalidation is all there is, and none of this runs.

pub mod listener;

use std::fmt;

use crate::error::ApiError;
use crate::state::AppState;
use crate::{pricing, upstream};

/// The channel the database's triggers notify on.
pub const CHANNEL: &str = "codexkey_changes";

/// What changed, as small as a notification payload can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `key:<id>`: a key's settings (revoked, rotated away, expiry, allow-list, budget, rate
    /// limit, name).
    Key(i64),
    /// `account:<id>`: an account's status, role or existence; all its keys are re-read.
    Account(i64),
    /// `prices`: a price override or a model coefficient.
    Prices,
    /// `upstreams`: an upstream or one of its keys.
    Upstreams,
    /// Anything may have changed (changes missed while not listening, a payload this version
    /// does not know): every cache is dropped or reloaded.
    Everything,
}

/// A payload this version of the gateway does not know (a newer replica's, or a damaged one).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown change notification `{0}`")]
pub struct UnknownChange(String);

/// Payloads are ours, but a log line gets at most this much of one that is not.
const SHOWN_PAYLOAD: usize = 64;

impl Change {
    pub fn parse(payload: &str) -> Result<Change, UnknownChange> {
        let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        let change = match payload.split_once(':') {
            None => match payload {
                "prices" => Some(Change::Prices),
                "upstreams" => Some(Change::Upstreams),
                _ => None,
            },
            Some(("key", rest)) => id(rest).map(Change::Key),
            Some(("account", rest)) => id(rest).map(Change::Account),
            Some(_) => None,
        };
        change.ok_or_else(|| {
            UnknownChange(
                codexkey_common::text::escape(
                    &payload.chars().take(SHOWN_PAYLOAD).collect::<String>(),
                )
                .into_owned(),
            )
        })
    }
}

impl Change {
    /// The kind, without its id: the metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Key(_) => "key",
            Change::Account(_) => "account",
            Change::Prices => "prices",
            Change::Upstreams => "upstreams",
            Change::Everything => "everything",
        }
    }
}

impl fmt::Display for Change {
    /// The payload that announces this change (what the triggers send).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Key(id) => write!(f, "key:{id}"),
            Change::Account(id) => write!(f, "account:{id}"),
            Change::Prices => f.write_str("prices"),
            Change::Upstreams => f.write_str("upstreams"),
            Change::Everything => f.write_str("everything"),
        }
    }
}

/// Brings this replica's caches up to date with `change`. Keys are only dropped from the
/// cache (the next request re-reads them); the price book and the upstreams are rebuilt from
/// the database and swapped in, requests in flight keeping what they started with.
pub async fn apply(state: &AppState, change: Change) -> Result<(), ApiError> {
    match change {
        Change::Key(id) => state.keys.invalidate_key(id),
        Change::Account(id) => state.keys.invalidate_account(id),
        Change::Prices => pricing::admin::reload(state).await?,
        Change::Upstreams => upstream::manage::reload(state).await?,
        Change::Everything => {
            state.keys.invalidate_all();
            pricing::admin::reload(state).await?;
            upstream::manage::reload(state).await?;
        }
    }
    crate::metrics::get().change_applied(change.kind());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn payloads_parse_into_changes_and_back() {
        for (payload, change) in [
            ("key:42", Change::Key(42)),
            ("account:7", Change::Account(7)),
            ("prices", Change::Prices),
            ("upstreams", Change::Upstreams),
        ] {
            assert_eq!(Change::parse(payload), Ok(change), "{payload}");
            assert_eq!(change.to_string(), payload);
        }
    }

    #[test]
    fn unknown_payloads_are_errors_never_guesses() {
        for payload in [
            "",
            "key",
            "key:",
            "key:x",
            "key:-1",
            "key:0",
            "key:1:2",
            "account:99999999999999999999",
            "price",
            "Prices",
            "everything",
            "sessions:3",
        ] {
            assert!(Change::parse(payload).is_err(), "{payload}");
        }
        let long = "x".repeat(500);
        let err = Change::parse(&long).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("unknown change notification `{}`", "x".repeat(64))
        );
        assert_eq!(
            Change::parse("bad\nline").unwrap_err().to_string(),
            format!(
                "unknown change notification `{}`",
                codexkey_common::text::escape("bad\nline")
            )
        );
    }
}
