//! Usage reports on SQLite, one engine for the gateway's store and the CLI's local cache.
//!
//! Both keep the same two tables under different names: raw usage events, and a rollup of them
//! per quarter hour, key, model and status (see [`codexkey_common::rollup`]). A [`Schema`] names
//! them and the column that says whose an event is (the gateway's account, the cache's
//! source). On top of that this crate holds what both would otherwise write twice:
//!
//! - [`filter`]: which events a report or a page covers, and its SQL conditions;
//! - [`rollup`]: adding newly stored events to the rollup;
//! - [`report`]: grouped sums from the rollup and the raw events at a range's partial ends,
//!   with days and hours taken in any [`chrono::TimeZone`];
//! - [`events`]: pages of raw events, and their row mapping.
//!
//! What does not belong here: the schemas themselves (each side's migrations own them), names
//! of accounts and keys (each side looks them up its own way), and the query language of
//! reports. SQL is assembled only from fixed fragments and the [`Schema`]'s names; every value
//! is bound.

pub mod events;
pub mod filter;
pub mod report;
pub mod rollup;
pub mod schema;

pub use events::{EventPage, EventPageQuery};
pub use filter::{Filter, StatusFilter};
pub use report::{Group, GroupRow, Period};
pub use rollup::RollupEvent;
pub use schema::Schema;

#[cfg(test)]
mod testing;
