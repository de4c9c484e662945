//! The group-commit writer: one task that turns the stream of metering writes into few
//! database transactions. It takes whatever has queued while the previous commit ran (up to
//! [`MAX_BATCH`]) and applies it in one transaction, so under load many requests share one
//! commit and at low load a write waits for nobody.
//!
//! Writes are applied in the order they were queued; a ledger entry with a reply (an admin
//! adjustment) first flushes the batch before it. A batch that fails is retried write by write,
//! and a write that keeps failing is logged with its request id and dropped rather than
//! blocking every later one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{LedgerRecord, MeterOp, NewAudit, NewLedgerEntry, Store, StoreError};

const MAX_BATCH: usize = 2048;
const RETRIES: u32 = 3;

pub(super) enum Msg {
    Op(MeterOp),
    Ledger {
        entry: Box<NewLedgerEntry>,
        audit: Option<Box<NewAudit>>,
        reply: oneshot::Sender<Result<LedgerRecord, StoreError>>,
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

pub(super) fn spawn(store: Arc<dyn Store>) -> (mpsc::UnboundedSender<Msg>, WriterHandle) {
    let (tx, rx) = mpsc::unbounded_channel();
    (tx, WriterHandle(tokio::spawn(run(store, rx))))
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut batch: Vec<MeterOp> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Op(op) => batch.push(op),
                Msg::Ledger {
                    entry,
                    audit,
                    reply,
                } => {
                    commit(&*store, &mut batch).await;
                    let _ = reply.send(store.append_ledger(*entry, audit.map(|a| *a)).await);
                }
                Msg::Flush(done) => {
                    commit(&*store, &mut batch).await;
                    let _ = done.send(());
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        commit(&*store, &mut batch).await;
    }
}

async fn commit(store: &dyn Store, batch: &mut Vec<MeterOp>) {
    if batch.is_empty() {
        return;
    }
    let ops = std::mem::take(batch);
    let Err((e, ops)) = store.apply_metering(ops).await else {
        return;
    };
    tracing::error!(error = %e, writes = ops.len(), "a metering batch failed; applying its writes one by one");
    for op in ops {
        let mut op = vec![op];
        let mut attempt = 0;
        loop {
            match store.apply_metering(op).await {
                Ok(()) => break,
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
