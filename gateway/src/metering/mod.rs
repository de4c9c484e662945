//! Prepaid metering: admission, holds, settlement.
//!
//! A request is admitted only while the account's available balance (balance minus the holds
//! of requests in flight) is positive, and its key is within budget. Admission places a
//! [`Hold`] of the request's worst-case cost; the hold ends in exactly one settlement that
//! charges the real cost. Because every admitted request first saw a positive available balance
//! and reserved its worst case, concurrency can overdraw an account by at most the holds.
//!
//! Balances and holds live in memory (one small mutex per account) so the hot path makes no
//! database round-trip; every change also goes, in order, to the group-commit [`writer`], which
//! makes it durable in batches. Memory is always the database plus the writes still queued.
//! All balance changes, admin adjustments included, go through here so the two never diverge.

pub mod keys;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use codexkey_common::Micros;
use codexkey_common::settlement::Settlement;
use tokio::sync::{mpsc, oneshot};

use crate::clock::{Millis, now_ms};
use crate::error::ApiError;
use crate::metering::keys::{KeyCounters, KeyEntry};
use crate::proxy::error::ProxyError;
use crate::route::Route;
use crate::store::{
    LedgerRecord, MeterOp, NewAudit, NewHold, NewLedgerEntry, SettledRequest, Store, StoreError,
    UsageEventRecord,
};

pub use writer::WriterHandle;

/// An account's money as the data plane sees it.
#[derive(Debug)]
struct Funds {
    balance: i64,
    held: i64,
}

pub struct Meter {
    store: Arc<dyn Store>,
    accounts: RwLock<HashMap<i64, Arc<Mutex<Funds>>>>,
    writer: mpsc::UnboundedSender<writer::Msg>,
}

/// What a hold is for, recorded with it in case a crash leaves it behind.
pub struct HoldRequest {
    pub request_id: String,
    pub key: Arc<KeyEntry>,
    pub amount: Micros,
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
    amount: i64,
    crash_charge: i64,
    settled: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these small locks leaves plain integers behind; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The admission rule: the key within its budget, the account's available balance positive.
fn admissible(key: &KeyEntry, k: &KeyCounters, f: &Funds) -> Result<(), ProxyError> {
    if let Some(budget) = key.budget
        && k.spent + k.held >= budget
    {
        return Err(ProxyError::KeyBudgetExhausted);
    }
    if f.balance - f.held <= 0 {
        return Err(ProxyError::InsufficientBalance);
    }
    Ok(())
}

impl Meter {
    /// Starts the meter and its group-commit writer, which commits every `interval`.
    pub fn start(
        store: Arc<dyn Store>,
        interval: std::time::Duration,
    ) -> (Arc<Meter>, WriterHandle) {
        let (tx, handle) = writer::spawn(store.clone(), interval);
        let meter = Arc::new(Meter {
            store,
            accounts: RwLock::new(HashMap::new()),
            writer: tx,
        });
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
                    balance: account.balance.0,
                    held: 0,
                }))
            })
            .clone())
    }

    /// Admits a request if its key is within budget and its account's available balance is
    /// positive, reserving `amount`.
    pub async fn admit(
        self: &Arc<Self>,
        req: HoldRequest,
        provider: Option<String>,
    ) -> Result<Hold, ProxyError> {
        let funds = self
            .funds(req.key.account_id)
            .await
            .map_err(|e| ProxyError::Internal(e.to_string()))?;
        let amount = req.amount.0.max(0);
        {
            let mut k = lock(&req.key.counters);
            let mut f = lock(&funds);
            admissible(&req.key, &k, &f)?;
            f.held += amount;
            k.held += amount;
        }
        let now = now_ms();
        self.send(MeterOp::Hold(NewHold {
            request_id: req.request_id.clone(),
            account_id: req.key.account_id,
            key_id: req.key.id,
            amount: Micros(amount),
            crash_charge: req.crash_charge,
            route: req.route,
            model: req.model.clone(),
            provider,
            created_at: now,
        }));
        Ok(Hold {
            meter: self.clone(),
            funds,
            key: req.key,
            request_id: req.request_id,
            route: req.route,
            model: req.model,
            amount,
            crash_charge: req.crash_charge.0,
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
        let k = lock(&key.counters);
        let f = lock(&funds);
        admissible(key, &k, &f)
    }

    fn send(&self, op: MeterOp) {
        if self.writer.send(writer::Msg::Op(op)).is_err() {
            tracing::error!("the metering writer has stopped; a metering write is lost");
        }
    }

    /// Appends a ledger entry that is not a request charge (an admin adjustment, a top-up),
    /// keeping memory and database in step. Refuses to take a balance below zero when
    /// `entry.forbid_negative` is set.
    pub async fn append(
        &self,
        entry: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, ApiError> {
        let funds = self.funds(entry.account_id).await?;
        {
            let mut f = lock(&funds);
            f.balance = Micros(f.balance)
                .balance_after(entry.amount, entry.forbid_negative)
                .map_err(|r| ApiError::Conflict(r.to_string()))?
                .0;
        }
        let (reply, rx) = oneshot::channel();
        let amount = entry.amount.0;
        let sent = self.writer.send(writer::Msg::Ledger {
            entry: Box::new(entry),
            audit: audit.map(Box::new),
            reply,
        });
        let result = match sent {
            Ok(()) => rx.await.unwrap_or(Err(StoreError::Closed)),
            Err(_) => Err(StoreError::Closed),
        };
        if result.is_err() {
            lock(&funds).balance -= amount;
        }
        Ok(result?)
    }

    /// The live `(balance, held)` of an account the data plane has seen, else `None`.
    pub fn funds_of(&self, account_id: i64) -> Option<(Micros, Micros)> {
        let map = self.accounts.read().unwrap_or_else(|p| p.into_inner());
        let f = lock(map.get(&account_id)?);
        Some((Micros(f.balance), Micros(f.held)))
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
        Micros(self.amount)
    }

    pub fn crash_charge(&self) -> Micros {
        Micros(self.crash_charge)
    }

    /// Ends the request: releases the hold, charges `event.cost`, records the event.
    pub fn settle(mut self, event: UsageEventRecord) {
        self.finish(event);
    }

    fn finish(&mut self, event: UsageEventRecord) {
        if self.settled {
            return;
        }
        self.settled = true;
        let cost = event.cost.0;
        {
            let mut k = lock(&self.key.counters);
            k.held -= self.amount;
            k.spent += cost;
            let mut f = lock(&self.funds);
            f.held -= self.amount;
            f.balance -= cost;
        }
        self.meter
            .send(MeterOp::Settle(Box::new(SettledRequest::new(event))));
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
            Micros(self.crash_charge),
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
            report.charged = Micros(report.charged.0.saturating_add(h.crash_charge.0));
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
        })
        .collect();
    store.settle_left_holds(events).await?;
    Ok(report)
}
