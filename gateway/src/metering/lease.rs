//! Escrow leases: how a replica admits requests against a balance other replicas share.
//!
//! A replica leases part of an account's balance from the database ([`LeaseStore`]) and
//! admits against that part in memory with the meter's usual hold → settle code, so the
//! holds in flight on every replica together never exceed the balance. A lease that does not
//! cover the next request grows first ([`Leasing::cover`]); the meter's background round
//! ([`Leasing::refresh`], [`Leasing::give_back_idle`], [`Leasing::sweep`]) refreshes this
//! replica's leases, learns which ended, gives back the ones idle, and ends every replica's
//! expired leases (the crash rule settles what they held).
//!
//! Each lease is trusted only until a local deadline a quarter of its time-to-live before the
//! database's expiry, measured from before the request that set it was sent: a replica that
//! loses the database stops admitting on its leases before any other replica may end them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codexkey_common::Micros;

use super::funds::{Funds, LocalLease, Tenure, lock};
use crate::clock::{Millis, now_ms};
use crate::proxy::error::ProxyError;
use crate::store::{LeaseAsk, LeaseOwner, LeaseStore, Store, StoreError};

/// How long leases last; from `metering.lease_ttl_ms`.
#[derive(Debug, Clone, Copy)]
pub struct LeaseSettings {
    pub ttl: Duration,
}

/// A replica's side of the leases: who it is and how long its leases last.
pub(super) struct Leasing {
    replica: Arc<str>,
    ttl: Duration,
    /// One grant at a time per account (sharded by id): a grant's answer is applied to memory
    /// knowing no other grant of the account raced it, and requests arriving together on an
    /// empty lease wait for one grant instead of each asking the database.
    granting: [tokio::sync::Mutex<()>; GRANT_SHARDS],
    /// One give-back at a time: the one at shutdown waits for a round's give-back still
    /// ending leases (it took them out of memory first), so the gateway does not exit with
    /// them half given back.
    giving_back: tokio::sync::Mutex<()>,
}

const GRANT_SHARDS: usize = 16;

/// A grant asks for at least enough for this many requests like the one that needs it, when
/// there is plenty: an account's first lease, or one that has been quiet.
const REQUESTS_PER_GRANT: i64 = 16;

/// And for at most this many: a busy account's lease holds what it spends here in about a
/// round of the background work (a quarter of the lease time), up to this many requests'
/// worst case, so grants stay rare under sustained load (one per several hundred requests)
/// without one replica sitting on a balance other replicas may need.
const MAX_REQUESTS_PER_GRANT: i64 = 1024;

/// How many requests like the next one a grant asks for: as many as the lease admitted since
/// it last grew (`admitted`, over `elapsed`) would come in `horizon` at that pace, within
/// [`REQUESTS_PER_GRANT`] and [`MAX_REQUESTS_PER_GRANT`]. A lease emptied quickly grows by
/// more next time, one that lasted long by less.
fn requests_per_grant(admitted: u64, elapsed: Duration, horizon: Duration) -> i64 {
    let pace = u128::from(admitted).saturating_mul(horizon.as_nanos()) / elapsed.as_nanos().max(1);
    i64::try_from(pace)
        .unwrap_or(i64::MAX)
        .clamp(REQUESTS_PER_GRANT, MAX_REQUESTS_PER_GRANT)
}

impl Leasing {
    pub(super) fn new(settings: LeaseSettings) -> Leasing {
        let mut id = [0u8; 8];
        // Without the system's randomness the clock still tells replicas apart well enough.
        if getrandom::fill(&mut id).is_err() {
            id = now_ms().to_le_bytes();
        }
        Leasing {
            replica: Arc::from(format!("{:016x}", u64::from_le_bytes(id))),
            ttl: settings.ttl,
            granting: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
            giving_back: tokio::sync::Mutex::new(()),
        }
    }

    fn shard(account_id: i64) -> usize {
        usize::try_from(account_id.rem_euclid(GRANT_SHARDS as i64)).unwrap_or(0)
    }

    pub(super) fn owner(&self, epoch: i64) -> LeaseOwner {
        LeaseOwner {
            replica: self.replica.clone(),
            epoch,
        }
    }

    /// How long a lease is trusted locally after a request about it was sent.
    fn trust(&self) -> Duration {
        self.ttl.mul_f64(0.75)
    }

    fn expiry(&self) -> Millis {
        now_ms().saturating_add(i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX))
    }

    /// The store's leases. `Meter::start` is given lease settings only for a store that has
    /// them, so the error is a bug's.
    fn store<'s>(&self, store: &'s dyn Store) -> Result<&'s dyn LeaseStore, StoreError> {
        store
            .leases()
            .ok_or_else(|| StoreError::Backend("this store has no balance leases".into()))
    }

    /// Grows the account's lease until it covers `want`, when the free balance allows; with
    /// less free, the lease takes what there is and admission sizes the request to it.
    /// Answers whether the free balance was short (growing again would not help).
    pub(super) async fn cover(
        &self,
        store: &dyn Store,
        account_id: i64,
        funds: &Mutex<Funds>,
        want: Micros,
    ) -> Result<bool, ProxyError> {
        let covered = |f: &Funds| {
            let available = f.available();
            (available >= want && available.is_positive()).then_some(available)
        };
        if covered(&lock(funds)).is_some() {
            return Ok(false);
        }
        let _granting = self.granting[Leasing::shard(account_id)].lock().await;
        // Another request may have grown the lease while this one waited.
        let (shortfall, requests) = {
            let f = lock(funds);
            if covered(&f).is_some() {
                return Ok(false);
            }
            let requests = match f.tenure {
                Tenure::Leased(l) => {
                    requests_per_grant(l.admitted, l.grown_at.elapsed(), self.period())
                }
                Tenure::Whole | Tenure::Unleased => REQUESTS_PER_GRANT,
            };
            (
                Micros(want.0.saturating_sub(f.available().0).max(1)),
                requests,
            )
        };
        let ask = LeaseAsk {
            need: shortfall,
            extra: Micros(want.0.saturating_mul(requests)),
        };
        let sent = Instant::now();
        let leases = self
            .store(store)
            .map_err(|e| ProxyError::Internal(e.to_string()))?;
        crate::metrics::get().lease_grant();
        let grant = leases
            .grant_lease(account_id, &self.replica, ask, self.expiry())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, account_id, "cannot lease balance from the database");
                ProxyError::Unavailable
            })?;
        let Some(grant) = grant else {
            return Ok(true);
        };
        let short = grant.granted < shortfall;
        let mut f = lock(funds);
        let now = Instant::now();
        let since = match f.tenure {
            Tenure::Leased(l) if l.epoch == grant.epoch => {
                f.balance = f.balance.checked_add(grant.granted).unwrap_or(f.balance);
                l.since
            }
            // A lease new to this process: what it holds is all this replica may spend now.
            _ => {
                f.balance = grant.amount;
                now
            }
        };
        f.tenure = Tenure::Leased(LocalLease {
            epoch: grant.epoch,
            since,
            trusted_until: sent + self.trust(),
            last_used: now,
            admitted: 0,
            grown_at: now,
        });
        Ok(short)
    }
}

/// An account's funds as the meter keeps them, for a round over all of them.
pub(super) type AccountFunds = (i64, Arc<Mutex<Funds>>);

impl Leasing {
    /// How often the background round runs: a quarter of the leases' time-to-live.
    pub(super) fn period(&self) -> Duration {
        self.ttl / 4
    }

    /// Extends this replica's leases in the database and learns which ended: those stop
    /// admitting at once (their requests in flight settle as of an ended lease).
    pub(super) async fn refresh(&self, store: &dyn Store, accounts: &[AccountFunds]) {
        let Ok(leases) = self.store(store) else {
            return;
        };
        let sent = Instant::now();
        match leases.refresh_leases(&self.replica, self.expiry()).await {
            Ok(live) => {
                let live: std::collections::HashMap<i64, i64> = live.into_iter().collect();
                for (account_id, funds) in accounts {
                    let mut f = lock(funds);
                    let Tenure::Leased(mut l) = f.tenure else {
                        continue;
                    };
                    if live.get(account_id) == Some(&l.epoch) {
                        l.trusted_until = l.trusted_until.max(sent + self.trust());
                        f.tenure = Tenure::Leased(l);
                    } else if l.since < sent {
                        // Ended by another replica's sweep: spend nothing more of it. (A lease
                        // granted after the refresh was sent is not in its answer.)
                        tracing::warn!(
                            account_id,
                            epoch = l.epoch,
                            "a balance lease ended before this replica gave it back"
                        );
                        f.tenure = Tenure::Unleased;
                        f.balance = Micros::ZERO;
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot refresh balance leases; admitting on them only until they are due");
            }
        }
    }

    /// Ends every replica's expired leases; the holds they covered are settled by `crash`.
    pub(super) async fn sweep(
        &self,
        store: &dyn Store,
        crash: fn(crate::store::LeftHold, Millis) -> crate::store::UsageEventRecord,
    ) {
        let Ok(leases) = self.store(store) else {
            return;
        };
        match leases.expire_leases(now_ms(), crash).await {
            Ok(sweep) if sweep.leases > 0 || sweep.holds > 0 => tracing::warn!(
                leases = sweep.leases,
                returned_micros = sweep.returned.0,
                holds = sweep.holds,
                charged_micros = sweep.charged.0,
                "ended expired balance leases (a replica stopped or lost the database); their holds settled by the crash rule"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot end expired balance leases"),
        }
    }

    /// Gives back the leases nothing was admitted on for `idle_after` and that have no request
    /// in flight (all of them with `idle_after` zero, at shutdown once requests drained).
    /// `flush` brings the charges already settled against them to the database first.
    pub(super) async fn give_back_idle(
        &self,
        store: &dyn Store,
        accounts: Vec<AccountFunds>,
        idle_after: Duration,
        flush: impl Future<Output = ()>,
    ) {
        let _giving_back = self.giving_back.lock().await;
        let idle = |f: &Funds, now: Instant| match f.tenure {
            Tenure::Leased(l)
                if f.held == Micros::ZERO && now.duration_since(l.last_used) >= idle_after =>
            {
                Some(l.epoch)
            }
            _ => None,
        };
        let now = Instant::now();
        let candidates: Vec<_> = accounts
            .into_iter()
            .filter(|(_, funds)| idle(&lock(funds), now).is_some())
            .collect();
        if candidates.is_empty() {
            return;
        }
        // No grant of these accounts may run until their leases are ended: a request arriving
        // meanwhile would otherwise grow the very lease about to end, and be admitted on it.
        // Shards are taken in ascending order; a grant takes only one.
        let mut shards: Vec<usize> = candidates.iter().map(|(id, _)| Self::shard(*id)).collect();
        shards.sort_unstable();
        shards.dedup();
        let mut guards = Vec::with_capacity(shards.len());
        for shard in shards {
            guards.push(self.granting[shard].lock().await);
        }
        let now = Instant::now();
        let mut ending = Vec::new();
        for (account_id, funds) in candidates {
            let mut f = lock(&funds);
            if let Some(epoch) = idle(&f, now) {
                // Out of memory first: nothing more is admitted on it.
                f.tenure = Tenure::Unleased;
                f.balance = Micros::ZERO;
                ending.push((account_id, epoch));
            }
        }
        if !ending.is_empty() {
            flush.await;
            for (account_id, epoch) in ending {
                let ended = match self.store(store) {
                    Ok(leases) => leases.end_lease(account_id, &self.replica, epoch).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = ended {
                    tracing::warn!(error = %e, account_id, "cannot give a balance lease back; it returns when it expires");
                }
            }
        }
        drop(guards);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_asks_for_what_the_lease_would_admit_in_a_round_at_its_last_pace() {
        let round = Duration::from_millis(2_500);
        // A lease new to this replica, or nothing admitted on it: the floor.
        assert_eq!(requests_per_grant(0, Duration::from_secs(1), round), 16);
        // 100 requests in a second: 250 in a round.
        assert_eq!(requests_per_grant(100, Duration::from_secs(1), round), 250);
        assert_eq!(
            requests_per_grant(400, Duration::from_millis(2_500), round),
            400
        );
        // A quiet account: the floor.
        assert_eq!(requests_per_grant(10, Duration::from_secs(60), round), 16);
        // A busy one (64 requests in 5 ms): the cap.
        assert_eq!(
            requests_per_grant(64, Duration::from_millis(5), round),
            1024
        );
        // Nothing elapsed, or beyond every range: still the cap, no division by zero.
        assert_eq!(requests_per_grant(3, Duration::ZERO, round), 1024);
        assert_eq!(
            requests_per_grant(u64::MAX, Duration::ZERO, Duration::MAX),
            1024
        );
    }
}
