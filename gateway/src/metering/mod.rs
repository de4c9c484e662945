//! Prepaid metering: admission, holds, settlement.
//!
//! A request is admitted only if its key is within budget and its hold fits in the account's
//! available balance (balance minus the holds of requests in flight). Under
//! [`Admission::Bounded`] (the default) the hold is the request's worst-case cost, possibly
//! lowered with its output cap to what the balance covers, and a settlement never charges more
//! than its hold: the holds in flight never exceed the balance, so no balance goes below zero
//! whatever runs concurrently. Under [`Admission::Capped`] a request only needs a positive
//! available balance and holds a capped estimate; concurrency may then overdraw by the holds.
//! Every hold ends in exactly one settlement.
//!
//! Balances and holds live in memory (one small mutex per account) so the hot path makes no
//! database round-trip; every change also goes, in order, to the group-commit [`writer`], which
//! makes it durable in batches. Memory is always the database plus the writes still queued.
//! All balance changes, admin adjustments included, go through here so the two never diverge.
//! A debit leaves memory before it is written (and comes back if the write fails), so nothing
//! is admitted on money on its way out; a credit arrives in memory only once committed
//! ([`Meter::credit`]), so nothing is admitted on money that may yet be refused.
//!
//! On a database several replicas share, memory holds not the balance but this replica's
//! lease on part of it ([`lease`]): admission is the same, against the lease, and a lease
//! that does not cover a request grows first, from the database.

mod funds;
pub mod keys;
pub mod lease;
pub mod limits;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use codexkey_common::Micros;
use codexkey_common::settlement::Settlement;
use tokio::sync::{mpsc, oneshot};

use crate::clock::{Millis, now_ms};
use crate::error::ApiError;
use crate::metering::keys::{KeyCounters, KeyEntry};
use crate::proxy::error::ProxyError;
use crate::route::Route;
use crate::store::{
    CreditCondition, CreditOutcome, DebitCondition, DebitOutcome, LeaseOwner, LedgerRecord,
    MeterOp, NewAudit, NewHold, NewLedgerEntry, SettledRequest, Store, StoreError,
    UsageEventRecord,
};

use self::funds::{Funds, Tenure, lock};
pub use crate::config::Admission;
pub use writer::WriterHandle;

pub struct Meter {
    store: Arc<dyn Store>,
    admission: Admission,
    /// Balances are leased from a database replicas share; `None`: held whole.
    leasing: Option<lease::Leasing>,
    accounts: RwLock<HashMap<i64, Arc<Mutex<Funds>>>>,
    writer: mpsc::UnboundedSender<writer::Msg>,
    health: Arc<writer::WriterHealth>,
}

/// Why the metering writer does not keep up (`/readyz` says so).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriterNotReady {
    #[error("the metering writer has stopped")]
    Stopped,
    #[error("the metering writer cannot commit to the database")]
    Failing,
    #[error("the metering writer is behind: {queued} writes queued (limit {limit})")]
    Behind { queued: usize, limit: usize },
}

/// What a hold is for, recorded with it in case a crash leaves it behind.
pub struct HoldRequest {
    pub request_id: String,
    pub key: Arc<KeyEntry>,
    /// The hold under [`Admission::Capped`]; under [`Admission::Bounded`] the hold is sized by
    /// the caller from the available balance (see [`Meter::admit`]).
    pub amount: Micros,
    /// Under [`Admission::Bounded`], the hold the request takes when nothing lowers it: what a
    /// lease grows to cover before admission.
    pub want: Micros,
    pub crash_charge: Micros,
    pub route: &'static str,
    pub model: String,
}

/// A reservation of an account's money for one request in flight. It must end in
/// [`Hold::settle`]; dropping it unsettled (a bug or a panic) settles it by the crash rule.
#[must_use = "a hold must be settled"]
pub struct Hold {
    meter: Arc<Meter>,
    funds: Arc<Mutex<Funds>>,
    key: Arc<KeyEntry>,
    request_id: String,
    route: &'static str,
    model: String,
    amount: Micros,
    crash_charge: Micros,
    /// Charges above the hold are capped at it ([`Admission::Bounded`]).
    caps_charge: bool,
    /// The lease the request was admitted under, when balances are leased.
    owner: Option<LeaseOwner>,
    settled: bool,
}

/// How many times admission grows a lease that concurrent requests keep emptying before it
/// sizes the request to what it has.
const MAX_COVER_ATTEMPTS: u32 = 4;

/// The admission rule shared by every mode: the key within its budget, the account's available
/// balance positive.
fn admissible(key: &KeyEntry, k: &KeyCounters, f: &Funds) -> Result<(), ProxyError> {
    within_budget(key, k)?;
    if !f.available().is_positive() {
        return Err(ProxyError::InsufficientBalance);
    }
    Ok(())
}

fn within_budget(key: &KeyEntry, k: &KeyCounters) -> Result<(), ProxyError> {
    if let Some(budget) = key.budget
        && k.spent
            .checked_add(k.held)
            .is_none_or(|used| used >= budget)
    {
        return Err(ProxyError::KeyBudgetExhausted);
    }
    Ok(())
}

impl Meter {
    /// Starts the meter and its group-commit writer, which commits every `interval`.
    /// With `leases`, balances are leased from the store (which must have leases) by this
    /// replica; without, each account's balance is held whole in memory.
    pub fn start(
        store: Arc<dyn Store>,
        interval: std::time::Duration,
        admission: Admission,
        leases: Option<lease::LeaseSettings>,
    ) -> (Arc<Meter>, WriterHandle) {
        let health = Arc::new(writer::WriterHealth::default());
        let (tx, handle) = writer::spawn(store.clone(), interval, health.clone());
        let meter = Arc::new(Meter {
            health,
            store,
            admission,
            leasing: leases.map(lease::Leasing::new),
            accounts: RwLock::new(HashMap::new()),
            writer: tx,
        });
        if let Some(leasing) = &meter.leasing {
            tokio::spawn(run_leases(Arc::downgrade(&meter), leasing.period()));
        }
        (meter, handle)
    }

    async fn funds(&self, account_id: i64) -> Result<Arc<Mutex<Funds>>, StoreError> {
        if let Some(f) = self
            .accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&account_id)
        {
            return Ok(f.clone());
        }
        if self.leasing.is_some() {
            // Leased: nothing is known of the account until its first lease.
            let mut map = self.accounts.write().unwrap_or_else(|p| p.into_inner());
            return Ok(map
                .entry(account_id)
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Funds {
                        balance: Micros::ZERO,
                        held: Micros::ZERO,
                        tenure: Tenure::Unleased,
                    }))
                })
                .clone());
        }
        // First use since start: nothing of this account is queued (all its writes come
        // through here), so the stored balance is current and no hold is in flight.
        let account = self
            .store
            .account_by_id(account_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut map = self.accounts.write().unwrap_or_else(|p| p.into_inner());
        Ok(map
            .entry(account_id)
            .or_insert_with(|| {
                Arc::new(Mutex::new(Funds {
                    balance: account.balance,
                    held: Micros::ZERO,
                    tenure: Tenure::Whole,
                }))
            })
            .clone())
    }

    /// Admits a request if its key is within budget and its hold fits, and reserves the hold.
    ///
    /// Under [`Admission::Bounded`], `size` is given the account's available balance and
    /// answers the hold to take (at most that balance), or `None` when the request cannot run
    /// on it; it runs under the account's lock, so concurrent requests never both count the
    /// same money. Under [`Admission::Capped`] the hold is `req.amount`.
    pub async fn admit(
        self: &Arc<Self>,
        req: HoldRequest,
        provider: Option<String>,
        size: impl FnOnce(Micros) -> Option<Micros>,
    ) -> Result<Hold, ProxyError> {
        let funds = self
            .funds(req.key.account_id)
            .await
            .map_err(|e| ProxyError::Internal(e.to_string()))?;
        let want = match self.admission {
            Admission::Bounded => req.want,
            Admission::Capped => req.amount,
        };
        // Leased, a lease too thin for the request grows first, and again if other requests
        // took the growth meanwhile: the money floor lowers a request's cap only when the
        // balance itself is short, never because this replica's part of it is.
        let mut exhausted = self.leasing.is_none();
        let mut attempts = 0;
        let (amount, owner) = loop {
            if let Some(leasing) = self.leasing.as_ref().filter(|_| !exhausted) {
                within_budget(&req.key, &lock(&req.key.counters))?;
                exhausted = leasing
                    .cover(&*self.store, req.key.account_id, &funds, want)
                    .await?;
                attempts += 1;
            }
            let mut k = lock(&req.key.counters);
            let mut f = lock(&funds);
            if !exhausted && attempts < MAX_COVER_ATTEMPTS && f.available() < want {
                continue;
            }
            admissible(&req.key, &k, &f)?;
            let available = f.available();
            let amount = match self.admission {
                Admission::Bounded => size(available)
                    .filter(|a| *a <= available && !a.is_negative())
                    .ok_or(ProxyError::InsufficientBalance)?,
                Admission::Capped => req.amount.max(Micros::ZERO),
            };
            let (Some(held), Some(key_held)) =
                (f.held.checked_add(amount), k.held.checked_add(amount))
            else {
                return Err(ProxyError::InsufficientBalance);
            };
            f.held = held;
            k.held = key_held;
            let owner = match (&self.leasing, &mut f.tenure) {
                (Some(leasing), Tenure::Leased(l)) => {
                    l.last_used = Instant::now();
                    l.admitted = l.admitted.saturating_add(1);
                    Some(leasing.owner(l.epoch))
                }
                _ => None,
            };
            break (amount, owner);
        };
        let now = now_ms();
        self.send(MeterOp::Hold(NewHold {
            request_id: req.request_id.clone(),
            account_id: req.key.account_id,
            key_id: req.key.id,
            amount,
            crash_charge: req.crash_charge.min(amount),
            route: req.route,
            model: req.model.clone(),
            provider,
            created_at: now,
            owner: owner.clone(),
        }));
        crate::metrics::get().hold_taken();
        Ok(Hold {
            meter: self.clone(),
            funds,
            key: req.key,
            request_id: req.request_id,
            route: req.route,
            model: req.model,
            amount,
            crash_charge: req.crash_charge.min(amount),
            caps_charge: self.admission == Admission::Bounded,
            owner,
            settled: false,
        })
    }

    /// Whether a request of this key would be admitted for its money (key within budget,
    /// account's available balance positive), without holding anything: for the free routes
    /// that still use upstream quota.
    pub async fn payable(&self, key: &KeyEntry) -> Result<(), ProxyError> {
        let funds = self
            .funds(key.account_id)
            .await
            .map_err(|e| ProxyError::Internal(e.to_string()))?;
        {
            let k = lock(&key.counters);
            let f = lock(&funds);
            match admissible(key, &k, &f) {
                Err(ProxyError::InsufficientBalance) if self.leasing.is_some() => {}
                other => return other,
            }
        }
        // Leased: no lease here says nothing of the balance; the database does.
        let account = self
            .store
            .account_by_id(key.account_id)
            .await
            .map_err(|e| ProxyError::Internal(e.to_string()))?
            .ok_or(ProxyError::InvalidKey)?;
        if account.balance.is_positive() {
            Ok(())
        } else {
            Err(ProxyError::InsufficientBalance)
        }
    }

    fn send(&self, op: MeterOp) {
        self.health
            .queued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.writer.send(writer::Msg::Op(op)).is_err() {
            self.health
                .queued
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!("the metering writer has stopped; a metering write is lost");
        }
    }

    /// Appends a ledger entry that is not a request charge (an admin adjustment), keeping
    /// memory and database in step. Refuses to take a balance below zero when
    /// `entry.forbid_negative` is set. A credit goes the way of [`Meter::credit`], unconditional.
    pub async fn append(
        &self,
        entry: NewLedgerEntry,
        audit: NewAudit,
    ) -> Result<LedgerRecord, ApiError> {
        if entry.amount.is_positive() {
            return match self
                .credit(entry, CreditCondition::Unconditional, audit)
                .await?
            {
                CreditOutcome::Credited(record) => Ok(record),
                CreditOutcome::Refused(why) => Err(ApiError::internal(format!(
                    "an unconditional credit was refused: {why:?}"
                ))),
            };
        }
        if self.leasing.is_some() {
            // Leased: memory holds leases, not the balance; the store refuses a debit of
            // money that is leased (README, "Balances across replicas").
            let (reply, rx) = oneshot::channel();
            let sent = self.writer.send(writer::Msg::Ledger {
                entry: Box::new(entry),
                audit: Some(Box::new(audit)),
                reply,
            });
            return match sent {
                Ok(()) => Ok(rx.await.unwrap_or(Err(StoreError::Closed))?),
                Err(_) => Err(StoreError::Closed.into()),
            };
        }
        let funds = self.funds(entry.account_id).await?;
        let before = {
            let mut f = lock(&funds);
            let before = f.balance;
            let after = f
                .balance
                .balance_after(entry.amount, entry.forbid_negative)
                .map_err(|r| ApiError::Conflict(r.to_string()))?;
            // A debit may not take what requests in flight hold: their charges, up to their
            // holds, must still find it, or the balance could end below zero.
            if entry.forbid_negative && entry.amount.is_negative() && after < f.held {
                return Err(ApiError::Conflict(format!(
                    "{} credits are held by requests in flight; at most {} credits can be debited now",
                    f.held,
                    f.available()
                )));
            }
            // A debit is taken from memory first, so no request is admitted on money that is
            // on its way out; a failed write gives it back.
            f.balance = after;
            before
        };
        let (reply, rx) = oneshot::channel();
        let amount = entry.amount;
        let sent = self.writer.send(writer::Msg::Ledger {
            entry: Box::new(entry),
            audit: Some(Box::new(audit)),
            reply,
        });
        let result = match sent {
            Ok(()) => rx.await.unwrap_or(Err(StoreError::Closed)),
            Err(_) => Err(StoreError::Closed),
        };
        if result.is_err() {
            // Undo exactly this entry; later entries may have moved the balance meanwhile.
            let mut f = lock(&funds);
            f.balance = f.balance.checked_sub(amount).unwrap_or(before);
        }
        Ok(result?)
    }

    /// Credits an account if `condition` holds (see [`crate::store::LedgerStore::credit`]),
    /// with `audit`. Unlike a debit, a credit reaches the in-memory balance only after its
    /// transaction committed: a credit that may still be refused must never admit a request,
    /// or taking it back could leave the balance below what that request is charged.
    pub async fn credit(
        &self,
        entry: NewLedgerEntry,
        condition: CreditCondition,
        audit: NewAudit,
    ) -> Result<CreditOutcome, ApiError> {
        if !entry.amount.is_positive() {
            return Err(ApiError::internal("a credit's amount must be positive"));
        }
        // Loaded before the write: loading after it would read the credit from the database
        // and then count it a second time. The same goes for a referrer a payment may credit
        // a commission to, in the same transaction.
        let funds = self.funds(entry.account_id).await?;
        let commission = match condition.commission() {
            Some((order_id, referrer_id)) => Some((order_id, self.funds(referrer_id).await?)),
            None => None,
        };
        let amount = entry.amount;
        let (reply, rx) = oneshot::channel();
        let sent = self.writer.send(writer::Msg::Credit {
            entry: Box::new(entry),
            condition,
            audit: Box::new(audit),
            reply,
        });
        let outcome = match sent {
            Ok(()) => rx.await.unwrap_or(Err(StoreError::Closed)),
            Err(_) => Err(StoreError::Closed),
        }?;
        // Leased, a credit lands in the free balance, where the next lease finds it.
        if let CreditOutcome::Credited(_) = outcome
            && self.leasing.is_none()
        {
            {
                let mut f = lock(&funds);
                // Cannot overflow: the store refused a balance beyond the largest amount.
                f.balance = f.balance.checked_add(amount).unwrap_or(f.balance);
            }
            if let Some((order_id, referrer)) = commission
                && let Some((_, earned, _)) = self.store.order_commission(order_id).await?
            {
                let mut f = lock(&referrer);
                f.balance = f.balance.checked_add(earned).unwrap_or(f.balance);
            }
        }
        Ok(outcome)
    }

    /// Books a refund's debit if `condition` holds (see [`crate::store::LedgerStore::debit`]),
    /// with `audit`. Like every debit it leaves memory first, so nothing is admitted on money
    /// on its way out, and it may take neither the balance below zero nor what requests in
    /// flight hold; refused or failed, it comes back.
    pub async fn debit(
        &self,
        entry: NewLedgerEntry,
        condition: DebitCondition,
        audit: NewAudit,
    ) -> Result<DebitOutcome, ApiError> {
        if !entry.amount.is_negative() {
            return Err(ApiError::internal("a debit's amount must be negative"));
        }
        if self.leasing.is_some() {
            let (reply, rx) = oneshot::channel();
            let sent = self.writer.send(writer::Msg::Debit {
                entry: Box::new(entry),
                condition,
                audit: Box::new(audit),
                reply,
            });
            return match sent {
                Ok(()) => Ok(rx.await.unwrap_or(Err(StoreError::Closed))?),
                Err(_) => Err(StoreError::Closed.into()),
            };
        }
        let funds = self.funds(entry.account_id).await?;
        let amount = entry.amount;
        let before = {
            let mut f = lock(&funds);
            let before = f.balance;
            let after = f
                .balance
                .balance_after(amount, true)
                .map_err(|r| ApiError::Conflict(r.to_string()))?;
            if after < f.held {
                return Err(ApiError::Conflict(format!(
                    "{} credits are held by requests in flight; at most {} credits can be refunded now",
                    f.held,
                    f.available()
                )));
            }
            f.balance = after;
            before
        };
        let (reply, rx) = oneshot::channel();
        let sent = self.writer.send(writer::Msg::Debit {
            entry: Box::new(entry),
            condition,
            audit: Box::new(audit),
            reply,
        });
        let result = match sent {
            Ok(()) => rx.await.unwrap_or(Err(StoreError::Closed)),
            Err(_) => Err(StoreError::Closed),
        };
        if !matches!(result, Ok(DebitOutcome::Debited(..))) {
            // Undo exactly this entry; later entries may have moved the balance meanwhile.
            let mut f = lock(&funds);
            f.balance = f.balance.checked_sub(amount).unwrap_or(before);
        }
        Ok(result?)
    }

    /// The live `(balance, held)` of an account the data plane has seen, else `None` (and
    /// always `None` under leases, where memory holds a lease, not the balance).
    pub fn funds_of(&self, account_id: i64) -> Option<(Micros, Micros)> {
        if self.leasing.is_some() {
            return None;
        }
        let map = self.accounts.read().unwrap_or_else(|p| p.into_inner());
        let f = lock(map.get(&account_id)?);
        Some((f.balance, f.held))
    }

    /// Whether balances are leased from a shared database (memory holds leases, not them).
    pub fn leases_balances(&self) -> bool {
        self.leasing.is_some()
    }

    /// Metering writes queued and not yet taken by the writer.
    pub fn queue_depth(&self) -> usize {
        self.health
            .queued
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the writer keeps up: running (it ends only when the gateway stops, or if it
    /// panicked), committing, and with at most `max_queue` writes waiting.
    pub fn writer_ready(&self, max_queue: usize) -> Result<(), WriterNotReady> {
        if self.writer.is_closed() {
            return Err(WriterNotReady::Stopped);
        }
        if self
            .health
            .failing
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(WriterNotReady::Failing);
        }
        let queued = self.queue_depth();
        if queued > max_queue {
            return Err(WriterNotReady::Behind {
                queued,
                limit: max_queue,
            });
        }
        Ok(())
    }

    /// Resolves once every write queued before the call is in the database.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.writer.send(writer::Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

impl Hold {
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn amount(&self) -> Micros {
        self.amount
    }

    pub fn crash_charge(&self) -> Micros {
        self.crash_charge
    }

    /// The most this request may be charged: its hold under [`Admission::Bounded`], else
    /// unbounded.
    pub fn ceiling(&self) -> Option<Micros> {
        self.caps_charge.then_some(self.amount)
    }

    /// Ends the request: releases the hold, charges `event.cost`, records the event.
    pub fn settle(mut self, event: UsageEventRecord) {
        self.finish(event);
    }

    fn finish(&mut self, mut event: UsageEventRecord) {
        if self.settled {
            return;
        }
        self.settled = true;
        if let Some(ceiling) = self.ceiling()
            && event.cost > ceiling
        {
            // The settlement rules cap a charge at its hold before it gets here; a charge
            // above it would be a bug, and must not take the balance below zero either.
            tracing::error!(request_id = %self.request_id, cost = event.cost.0, hold = ceiling.0, "a charge above its hold; charging the hold");
            event.cost = ceiling;
        }
        let cost = event.cost;
        self.key
            .add_tokens(event.usage.total_input() + event.usage.output_tokens);
        crate::metrics::get().settled(
            self.route,
            event.settlement,
            event.latency_ms,
            event.ttfb_ms,
        );
        {
            let mut k = lock(&self.key.counters);
            k.held = k.held.checked_sub(self.amount).unwrap_or(Micros::ZERO);
            k.spent = k.spent.checked_add(cost).unwrap_or(Micros::MAX);
            let mut f = lock(&self.funds);
            f.held = f.held.checked_sub(self.amount).unwrap_or(Micros::ZERO);
            // A lease that ended meanwhile is not this one's to charge: the database settles
            // the request against the account's free balance, or found it swept.
            if self.owner.as_ref().map(|o| o.epoch) == f.epoch() {
                // Cannot fail: the cost is within the range and the balance covers it
                // (bounded), or is at most a hold below zero (capped).
                f.balance = f.balance.checked_sub(cost).unwrap_or(f.balance);
            }
        }
        self.meter
            .send(MeterOp::Settle(Box::new(SettledRequest::new(
                event,
                self.owner.take(),
            ))));
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        tracing::error!(request_id = %self.request_id, "a hold was dropped unsettled; settling it by the crash rule");
        let event = crash_event(
            std::mem::take(&mut self.request_id),
            self.key.account_id,
            Some(self.key.id),
            self.route,
            None,
            std::mem::take(&mut self.model),
            self.crash_charge,
            now_ms(),
        );
        self.finish(event);
    }
}

/// The crash rule, the one place it is written: a request whose hold outlived it (the gateway
/// stopped, or a bug dropped the hold) is charged its crash charge, the estimated cost of its
/// input, and recorded as `crash_reconciled` with the error `gateway_interrupted`.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of the event, each named once"
)]
fn crash_event(
    request_id: String,
    account_id: i64,
    key_id: Option<i64>,
    route: &'static str,
    provider: Option<String>,
    model: String,
    charge: Micros,
    at: Millis,
) -> UsageEventRecord {
    UsageEventRecord {
        provider,
        cost: charge,
        error_code: Some("gateway_interrupted".into()),
        settlement: Settlement::CrashReconciled,
        ..UsageEventRecord::new(request_id, account_id, key_id, route, model, at)
    }
}

/// The leases' background work, every `period` until the meter goes: refresh this replica's
/// leases, give back the idle ones, end every replica's expired ones.
async fn run_leases(meter: std::sync::Weak<Meter>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(meter) = meter.upgrade() else {
            return;
        };
        let Some(leasing) = &meter.leasing else {
            return;
        };
        leasing.refresh(&*meter.store, &meter.all_funds()).await;
        meter.give_back_idle(period).await;
        leasing.sweep(&*meter.store, crash_hold).await;
    }
}

impl Meter {
    /// Gives back this replica's leases idle for `idle_after` with nothing in flight (all of
    /// them with zero, at shutdown once requests drained); nothing without leases.
    pub async fn give_back_idle(&self, idle_after: Duration) {
        if let Some(leasing) = &self.leasing {
            leasing
                .give_back_idle(&*self.store, self.all_funds(), idle_after, self.flush())
                .await;
        }
    }

    fn all_funds(&self) -> Vec<lease::AccountFunds> {
        self.accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, f)| (*id, f.clone()))
            .collect()
    }
}

/// The crash rule's event for a hold found in the database.
fn crash_hold(h: crate::store::LeftHold, at: Millis) -> UsageEventRecord {
    let route = Route::parse(&h.route).map_or("unknown", Route::as_str);
    crash_event(
        h.request_id,
        h.account_id,
        h.key_id,
        route,
        h.provider,
        h.model,
        h.crash_charge,
        at,
    )
}

/// What [`reconcile`] did at start-up.
#[derive(Debug, Clone, Default)]
pub struct ReconcileReport {
    pub holds: u64,
    pub charged: Micros,
}

/// Settles, by the crash rule, every hold a previous run left in the database. Runs at
/// start-up, before the meter serves.
pub async fn reconcile(store: &dyn Store, at: Millis) -> Result<ReconcileReport, StoreError> {
    let holds = store.left_holds().await?;
    let mut report = ReconcileReport::default();
    let events = holds
        .into_iter()
        .map(|h| {
            report.holds += 1;
            report.charged = report
                .charged
                .checked_add(h.crash_charge)
                .unwrap_or(Micros::MAX);
            crash_hold(h, at)
        })
        .collect();
    store.settle_left_holds(events).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use std::time::Duration;

    use codexkey_common::api::LedgerKind;

    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{CreditRefusal, testkit};

    fn entry(account_id: i64, kind: LedgerKind, amount: i64) -> NewLedgerEntry {
        NewLedgerEntry {
            account_id,
            kind,
            amount: Micros(amount),
            reason: Some("test".into()),
            actor_id: None,
            request_id: None,
            created_at: 1,
            forbid_negative: true,
            promotional: false,
        }
    }

    /// A meter whose writer waits `window` before each transaction, so a test can look at
    /// memory while a write is queued, and an account with 1.0 credit in memory.
    async fn meter(window: Duration) -> (Arc<Meter>, i64, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap());
        let account = store
            .create_account(testkit::account("a@x.io", 0), None)
            .await
            .unwrap();
        let (meter, _writer) = Meter::start(store, window, Admission::Bounded, None);
        meter
            .credit(
                entry(account.id, LedgerKind::Adjustment, 1_000_000),
                CreditCondition::Unconditional,
                testkit::audit("balance.adjust", 1),
            )
            .await
            .unwrap();
        (meter, account.id, dir)
    }

    #[tokio::test]
    async fn a_credit_reaches_memory_only_once_committed_and_a_debit_at_once() {
        let (meter, id, _dir) = meter(Duration::from_millis(300)).await;
        assert_eq!(meter.funds_of(id), Some((Micros(1_000_000), Micros::ZERO)));

        let credit = tokio::spawn({
            let meter = meter.clone();
            async move {
                meter
                    .credit(
                        entry(id, LedgerKind::Adjustment, 500_000),
                        CreditCondition::Unconditional,
                        testkit::audit("balance.adjust", 2),
                    )
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            meter.funds_of(id),
            Some((Micros(1_000_000), Micros::ZERO)),
            "a queued credit admits nothing"
        );
        assert!(matches!(
            credit.await.unwrap().unwrap(),
            CreditOutcome::Credited(_)
        ));
        assert_eq!(meter.funds_of(id), Some((Micros(1_500_000), Micros::ZERO)));

        let debit = tokio::spawn({
            let meter = meter.clone();
            async move {
                meter
                    .append(
                        entry(id, LedgerKind::Adjustment, -400_000),
                        testkit::audit("balance.adjust", 3),
                    )
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            meter.funds_of(id),
            Some((Micros(1_100_000), Micros::ZERO)),
            "a queued debit is already gone from what requests may take"
        );
        debit.await.unwrap().unwrap();
        assert_eq!(meter.funds_of(id), Some((Micros(1_100_000), Micros::ZERO)));
    }

    #[tokio::test]
    async fn a_refused_credit_leaves_memory_and_database_alone() {
        let (meter, id, _dir) = meter(Duration::ZERO).await;
        let outcome = meter
            .credit(
                entry(id, LedgerKind::Code, 700_000),
                CreditCondition::CodeRedeemable { code_id: 42 },
                testkit::audit("codes.redeem", 2),
            )
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            CreditOutcome::Refused(CreditRefusal::CodeUnknown)
        ));
        assert_eq!(meter.funds_of(id), Some((Micros(1_000_000), Micros::ZERO)));
        let stored = meter.store.account_by_id(id).await.unwrap().unwrap();
        assert_eq!(stored.balance, Micros(1_000_000));
        assert_eq!(meter.store.ledger(id, None, 10).await.unwrap().len(), 1);
    }
}
