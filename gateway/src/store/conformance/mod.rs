//! The store conformance suite: one story per concern, told through the [`Store`] traits only,
//! that every backend must pass. A backend's test hands [`run`] a way to get a fresh database
//! ([`Database`]) and the suite runs each story on its own one.
//!
//! The stories check records, not policy: the rules above the store (the crash rule, who may
//! overdraw, what a report may show) belong to their services, and the stories apply them by
//! hand where a write needs them. Besides what the trait docs say, the stories pin what callers
//! rely on: lists come oldest first (accounts, keys, upstreams and their keys), price rows and
//! coefficients by model name, ledger and audit pages newest first; an audit row without an
//! actor written with a new account names that account; a zero charge writes no ledger entry;
//! a refused write (taken name, revoked key, overdraft, a batch that breaks a rule, a credit
//! whose condition fails) writes nothing, its audit row included, and a miss (deleting or
//! disabling what is not there) is not audited; code batches and orders list newest first.
//!
//! [`Store`]: crate::store::Store

#![expect(
    clippy::expect_used,
    reason = "a story stops at the first record that is not as it should be"
)]

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

mod account_tokens;
mod accounts;
mod catalog;
mod codes;
mod deletion;
mod invitations;
mod keys;
mod ledger;
mod metering;
mod orders;
mod purge;
mod referrals;
mod refunds;
mod retention;
mod setup;
mod two_factor;
mod usage;
mod usage_sums;

pub use self::setup::Database;

/// A story: told on a fresh database, it panics at the first record that is not as it should be.
pub type Story = for<'a> fn(&'a dyn Database) -> BoxFuture<'a, ()>;

/// Every story of the suite, by name, in the order [`run`] tells them.
pub const STORIES: &[(&str, Story)] = &[
    ("accounts", |db| Box::pin(accounts::accounts(db))),
    ("sessions", |db| Box::pin(accounts::sessions(db))),
    ("session use", |db| Box::pin(accounts::session_use(db))),
    ("two-factor", |db| Box::pin(two_factor::two_factor(db))),
    ("account tokens", |db| {
        Box::pin(account_tokens::account_tokens(db))
    }),
    ("invitations", |db| Box::pin(invitations::invitations(db))),
    ("keys", |db| Box::pin(keys::keys(db))),
    ("ledger", |db| Box::pin(ledger::ledger(db))),
    ("codes", |db| Box::pin(codes::codes(db))),
    ("orders", |db| Box::pin(orders::orders(db))),
    ("refunds", |db| Box::pin(refunds::refunds(db))),
    ("referrals", |db| Box::pin(referrals::referrals(db))),
    ("metering", |db| Box::pin(metering::metering(db))),
    ("usage", |db| Box::pin(usage::reports(db))),
    ("retention", |db| Box::pin(retention::retention(db))),
    ("deletion", |db| Box::pin(deletion::deletion(db))),
    ("account purge", |db| Box::pin(purge::purge(db))),
    ("prices", |db| Box::pin(catalog::prices(db))),
    ("upstreams", |db| Box::pin(catalog::upstream_records(db))),
];

/// Tells every story, each on a database from `fresh`, and fails with the first story that
/// does not hold (its name on stderr, then its panic).
pub async fn run<D, F, Fut>(fresh: F)
where
    D: Database,
    F: Fn() -> Fut,
    Fut: Future<Output = D>,
{
    for (name, story) in STORIES {
        let db = fresh().await;
        if let Err(panic) = AssertUnwindSafe(story(&db)).catch_unwind().await {
            #[expect(
                clippy::print_stderr,
                reason = "names the failed story above its panic"
            )]
            {
                eprintln!("store conformance: the `{name}` story failed");
            }
            std::panic::resume_unwind(panic);
        }
    }
}
