//! The group-commit writer: one task that turns the stream of metering writes into few
//! database transactions. When a write arrives it waits `interval` for more, then applies
//! everything queued (up to [`MAX_BATCH`]) in one transaction, so many requests share one
//! commit. A hold whose request settles within the same batch is never written at all: most
//! requests finish within the window, and then their hold costs the database nothing.
//!
//! The window is also how long a hold may be in memory only: a crash inside it loses the hold
//! (the request then goes unreconciled), which is why it is milliseconds.
//!
//! Writes are applied in the order they were queued; a ledger entry with a reply (an admin
//! adjustment, a credit) first flushes the batch before it. A batch that fails is retried write by write,
//! and a write that keeps failing is logged with its request id and dropped rather than
//! blocking every later one.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{
    CreditCondition, CreditOutcome, DebitCondition, DebitOutcome, LedgerRecord, MeterOp, NewAudit,
    NewLedgerEntry, Store, StoreError,
};

const MAX_BATCH: usize = 2048;
const RETRIES: u32 = 3;

pub(super) enum Msg {
    Op(MeterOp),
    Ledger {
        entry: Box<NewLedgerEntry>,
        audit: Option<Box<NewAudit>>,
        reply: oneshot::Sender<Result<LedgerRecord, StoreError>>,
    },
    /// A credit that may be refused (see [`Store::credit`]): the meter applies it to memory
    /// only once it is committed.
    Credit {
        entry: Box<NewLedgerEntry>,
        condition: CreditCondition,
        audit: Box<NewAudit>,
        reply: oneshot::Sender<Result<CreditOutcome, StoreError>>,
    },
    /// A refund's debit that may be refused (see [`Store::debit`]): the meter took it from
    /// memory before sending it, and gives it back if refused.
    Debit {
        entry: Box<NewLedgerEntry>,
        condition: DebitCondition,
        audit: Box<NewAudit>,
        reply: oneshot::Sender<Result<DebitOutcome, StoreError>>,
    },
    Flush(oneshot::Sender<()>),
}

/// The writer task; awaiting it after the last sender is gone drains every queued write.
pub struct WriterHandle(JoinHandle<()>);

impl WriterHandle {
    pub async fn join(self) {
        let _ = self.0.await;
    }
}

/// What `/readyz` and `/metrics` learn of the writer, shared with it.
#[derive(Debug, Default)]
pub(super) struct WriterHealth {
    /// Holds and settlements sent and not yet taken into a batch.
    pub(super) queued: AtomicUsize,
    /// The last batch failed (it was then applied write by write); cleared by one that commits.
    pub(super) failing: AtomicBool,
}

pub(super) fn spawn(
    store: Arc<dyn Store>,
    interval: Duration,
    health: Arc<WriterHealth>,
) -> (mpsc::UnboundedSender<Msg>, WriterHandle) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        tx,
        WriterHandle(tokio::spawn(run(store, rx, interval, health))),
    )
}

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    interval: Duration,
    health: Arc<WriterHealth>,
) {
    let mut batch: Vec<MeterOp> = Vec::new();
    while let Some(first) = rx.recv().await {
        if !interval.is_zero() {
            tokio::time::sleep(interval).await;
        }
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Op(op) => {
                    health.queued.fetch_sub(1, Ordering::Relaxed);
                    batch.push(op);
                }
                Msg::Ledger {
                    entry,
                    audit,
                    reply,
                } => {
                    commit(&*store, &mut batch, &health).await;
                    let _ = reply.send(store.append_ledger(*entry, audit.map(|a| *a)).await);
                }
                Msg::Credit {
                    entry,
                    condition,
                    audit,
                    reply,
                } => {
                    commit(&*store, &mut batch, &health).await;
                    let _ = reply.send(store.credit(*entry, condition, *audit).await);
                }
                Msg::Debit {
                    entry,
                    condition,
                    audit,
                    reply,
                } => {
                    commit(&*store, &mut batch, &health).await;
                    let _ = reply.send(store.debit(*entry, condition, *audit).await);
                }
                Msg::Flush(done) => {
                    commit(&*store, &mut batch, &health).await;
                    let _ = done.send(());
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        commit(&*store, &mut batch, &health).await;
    }
}

/// Drops the holds of requests that settle in the same batch: their row would be inserted and
/// deleted in one transaction, and the held amount added and taken away. Their settlements
/// learn that no hold row exists, so they skip looking for one.
fn coalesce(batch: &mut Vec<MeterOp>) {
    let held: HashSet<&str> = batch
        .iter()
        .filter_map(|op| match op {
            MeterOp::Hold(h) => Some(h.request_id.as_str()),
            MeterOp::Settle(_) => None,
        })
        .collect();
    if held.is_empty() {
        return;
    }
    let settled: HashSet<String> = batch
        .iter()
        .filter_map(|op| match op {
            MeterOp::Settle(s) if held.contains(s.event.request_id.as_str()) => {
                Some(s.event.request_id.clone())
            }
            _ => None,
        })
        .collect();
    if settled.is_empty() {
        return;
    }
    batch.retain_mut(|op| match op {
        MeterOp::Hold(h) => !settled.contains(&h.request_id),
        MeterOp::Settle(s) => {
            if settled.contains(&s.event.request_id) {
                s.hold_written = false;
            }
            true
        }
    });
}

async fn commit(store: &dyn Store, batch: &mut Vec<MeterOp>, health: &WriterHealth) {
    if batch.is_empty() {
        return;
    }
    coalesce(batch);
    let ops = std::mem::take(batch);
    let started = std::time::Instant::now();
    let applied = store.apply_metering(ops).await;
    crate::metrics::get().metering_commit(started.elapsed());
    let Err((e, ops)) = applied else {
        health.failing.store(false, Ordering::Relaxed);
        return;
    };
    health.failing.store(true, Ordering::Relaxed);
    tracing::error!(error = %e, writes = ops.len(), "a metering batch failed; applying its writes one by one");
    for op in ops {
        let mut op = vec![op];
        let mut attempt = 0;
        loop {
            match store.apply_metering(op).await {
                Ok(()) => {
                    health.failing.store(false, Ordering::Relaxed);
                    break;
                }
                Err((e, back)) if attempt + 1 < RETRIES && !back.is_empty() => {
                    op = back;
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "retrying a metering write");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err((e, back)) => {
                    let request_id = match back.first() {
                        Some(MeterOp::Hold(h)) => h.request_id.as_str(),
                        Some(MeterOp::Settle(s)) => s.event.request_id.as_str(),
                        None => "?",
                    };
                    tracing::error!(error = %e, request_id, "a metering write failed for good and is dropped");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testkit;

    fn hold(request: &str) -> MeterOp {
        MeterOp::Hold(testkit::hold(request, 1, 1, 5))
    }

    fn settle(request: &str) -> MeterOp {
        testkit::settle(testkit::event(request, 1, Some(1), 1, 0))
    }

    /// `(hold or settle, request id, hold_written)` of each write, in order.
    fn shape(batch: &[MeterOp]) -> Vec<(&'static str, String, bool)> {
        batch
            .iter()
            .map(|op| match op {
                MeterOp::Hold(h) => ("hold", h.request_id.clone(), true),
                MeterOp::Settle(s) => ("settle", s.event.request_id.clone(), s.hold_written),
            })
            .collect()
    }

    #[test]
    fn holds_settled_in_the_batch_are_dropped_and_their_settlements_told() {
        // r0 was held in an earlier batch; r1 is held and settled here; r2 is still running.
        let mut batch = vec![settle("r0"), hold("r1"), hold("r2"), settle("r1")];
        coalesce(&mut batch);
        assert_eq!(
            shape(&batch),
            [
                ("settle", "r0".to_owned(), true),
                ("hold", "r2".to_owned(), true),
                ("settle", "r1".to_owned(), false),
            ]
        );
    }
}
