//! An account's money in the meter's memory, and the small lock around it.

use std::sync::Mutex;
use std::time::Instant;

use codexkey_common::Micros;

/// An account's money as the data plane sees it: the whole balance, or this replica's lease.
#[derive(Debug)]
pub(super) struct Funds {
    /// The account's balance, or under a lease what the lease has left.
    pub(super) balance: Micros,
    pub(super) held: Micros,
    pub(super) tenure: Tenure,
}

/// On what the data plane admits an account's requests.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tenure {
    /// The whole balance: one process owns the database.
    Whole,
    /// Nothing yet: a lease is needed first.
    Unleased,
    Leased(LocalLease),
}

impl Funds {
    /// What new holds may take: the balance less the holds in flight, never below zero;
    /// nothing on a lease past its local deadline.
    pub(super) fn available(&self) -> Micros {
        let usable = match self.tenure {
            Tenure::Whole => true,
            Tenure::Unleased => false,
            Tenure::Leased(l) => l.usable(Instant::now()),
        };
        if !usable {
            return Micros::ZERO;
        }
        self.balance
            .checked_sub(self.held)
            .map_or(Micros::ZERO, |a| a.max(Micros::ZERO))
    }

    /// The epoch of the lease this account's requests are admitted under now.
    pub(super) fn epoch(&self) -> Option<i64> {
        match self.tenure {
            Tenure::Leased(l) => Some(l.epoch),
            Tenure::Whole | Tenure::Unleased => None,
        }
    }
}

/// A lease as this replica holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct LocalLease {
    pub(super) epoch: i64,
    /// When this replica learned of the epoch: a refresh sent before it cannot know it.
    pub(super) since: Instant,
    /// Past this, nothing is admitted on the lease until a refresh or a grant confirms it.
    pub(super) trusted_until: Instant,
    pub(super) last_used: Instant,
    /// Requests admitted on the lease since it last grew, and when that was: the pace the
    /// next grant is sized by.
    pub(super) admitted: u64,
    pub(super) grown_at: Instant,
}

impl LocalLease {
    pub(super) fn usable(&self, now: Instant) -> bool {
        now < self.trusted_until
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these small locks leaves plain integers behind; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
