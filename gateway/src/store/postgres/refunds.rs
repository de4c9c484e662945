//! Refunds of paid orders, the checks that book a refund's debit (or give it back) inside the
//! ledger's transaction, and the order's state following its refunds.
//!
//! Locks, in the order every path takes them: the refund's row, then its order's, then the
//! account's (when [`insert_entry`] appends). Deciding a refund (approving, denying, failing,
//! completing it) locks the refund's row first, so two decisions of one refund queue and the
//! second finds the first's state.

use super::orders::{ORDER_COLUMNS, ORDER_FROM, lock_order, order_row};
use super::*;

const REFUND_COLUMNS: &str = "r.id, r.order_id, r.account_id, a.email, r.state, r.source,
     r.amount_micros, r.amount_minor, o.currency, r.ledger_id, r.provider_refund_id, r.reason,
     r.created_at, r.updated_at";

const REFUND_FROM: &str =
    "FROM refunds r JOIN accounts a ON a.id = r.account_id JOIN orders o ON o.id = r.order_id";

fn refund_row(r: &Row) -> Result<RefundRecord, StoreError> {
    let state: &str = r.try_get(4)?;
    Ok(RefundRecord {
        id: r.try_get(0)?,
        order_id: r.try_get(1)?,
        account_id: r.try_get(2)?,
        account_email: r.try_get(3)?,
        state: RefundState::parse(state).ok_or_else(|| bad_value("refund state"))?,
        source: r.try_get(5)?,
        amount: Micros(r.try_get(6)?),
        amount_minor: r.try_get(7)?,
        currency: r.try_get(8)?,
        ledger_id: r.try_get(9)?,
        provider_refund_id: r.try_get(10)?,
        reason: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
    })
}

async fn refund_in<C: deadpool_postgres::GenericClient>(
    c: &C,
    id: i64,
) -> Result<Option<RefundRecord>, StoreError> {
    c.query_opt(
        &format!("SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(refund_row)
    .transpose()
}

/// Locks refund `id`'s row for the rest of the transaction, then reads it as committed.
async fn lock_refund(tx: &Tx<'_>, id: i64) -> Result<Option<RefundRecord>, StoreError> {
    let locked = tx
        .query_opt(
            "SELECT 1 FROM refunds WHERE id = $1 FOR NO KEY UPDATE",
            &[&id],
        )
        .await?;
    if locked.is_none() {
        return Ok(None);
    }
    refund_in(tx, id).await
}

/// Moves order `order_id` to `partly_refunded` or `refunded` by the sum of its succeeded
/// refunds (nothing when none succeeded). The caller holds the order's row.
async fn follow_refunds(tx: &Tx<'_>, order_id: i64, at: Millis) -> Result<(), StoreError> {
    // SUM of BIGINT is NUMERIC: compared in the database, never overflowing.
    let row = tx
        .query_one(
            "SELECT COALESCE(SUM(r.amount_micros), 0) > 0,
                    COALESCE(SUM(r.amount_micros), 0) >= o.amount_micros
             FROM orders o LEFT JOIN refunds r ON r.order_id = o.id AND r.state = 'succeeded'
             WHERE o.id = $1 GROUP BY o.amount_micros",
            &[&order_id],
        )
        .await?;
    let (any, all): (bool, bool) = (row.try_get(0)?, row.try_get(1)?);
    let to = match (any, all) {
        (false, _) => return Ok(()),
        (true, true) => "refunded",
        (true, false) => "partly_refunded",
    };
    tx.execute(
        "UPDATE orders SET state = $2, updated_at = $3 WHERE id = $1 AND state <> $2",
        &[&order_id, &to, &at],
    )
    .await?;
    Ok(())
}

/// Whether order `o` can be refunded to `account_id`: its own, paid or partly refunded.
fn refundable(o: &OrderRecord, account_id: i64) -> bool {
    o.account_id == account_id && matches!(o.state, OrderState::Paid | OrderState::PartlyRefunded)
}

/// Checks a debit's condition and, when it holds, appends the entry and applies the state
/// change; the caller writes the audit row and commits (or drops the transaction on a
/// refusal, rolling back whatever the check wrote).
pub(super) async fn debit(
    tx: &Tx<'_>,
    e: &NewLedgerEntry,
    condition: &DebitCondition,
) -> Result<DebitOutcome, StoreError> {
    match condition {
        DebitCondition::RefundRequested {
            refund_id,
            amount_minor,
            decided_by,
        } => {
            let Some(r) = lock_refund(tx, *refund_id).await? else {
                return Ok(DebitOutcome::Refused(DebitRefusal::RefundUnknown));
            };
            if r.state != RefundState::Requested {
                return Ok(DebitOutcome::Refused(DebitRefusal::RefundNotRequested(
                    r.state,
                )));
            }
            // The amount is frozen at approval: at most what was asked.
            let frozen = e.amount.0.checked_neg().unwrap_or(0);
            if r.account_id != e.account_id || frozen <= 0 || frozen > r.amount.0 {
                return Ok(DebitOutcome::Refused(DebitRefusal::RefundMismatch));
            }
            match lock_order(tx, r.order_id).await? {
                Some(o) if refundable(&o, e.account_id) => {}
                _ => return Ok(DebitOutcome::Refused(DebitRefusal::OrderNotRefundable)),
            }
            let entry = insert_entry(tx, e).await?;
            tx.execute(
                "UPDATE refunds SET state = 'approved', amount_micros = $6, amount_minor = $2,
                        ledger_id = $3, decided_by = $4, updated_at = $5 WHERE id = $1",
                &[
                    refund_id,
                    amount_minor,
                    &entry.id,
                    decided_by,
                    &e.created_at,
                    &frozen,
                ],
            )
            .await?;
            let refund = refund_in(tx, *refund_id)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(DebitOutcome::Debited(
                Box::new(entry),
                Some(Box::new(refund)),
            ))
        }
        DebitCondition::ProviderRefund {
            event,
            order_id,
            amount_minor,
            provider_refund_id,
        } => {
            if !super::orders::insert_event(tx, event).await? {
                return Ok(DebitOutcome::Refused(DebitRefusal::EventSeen));
            }
            match lock_order(tx, *order_id).await? {
                Some(o) if refundable(&o, e.account_id) => {}
                _ => return Ok(DebitOutcome::Refused(DebitRefusal::OrderNotRefundable)),
            }
            let entry = insert_entry(tx, e).await?;
            let amount =
                e.amount.0.checked_neg().ok_or_else(|| {
                    StoreError::Conflict("a refund's amount is out of range".into())
                })?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO refunds (order_id, account_id, state, source, amount_micros,
                            amount_minor, ledger_id, provider_refund_id, created_at, updated_at)
                     VALUES ($1, $2, 'succeeded', 'provider', $3, $4, $5, $6, $7, $7) RETURNING id",
                    &[
                        order_id,
                        &e.account_id,
                        &amount,
                        amount_minor,
                        &entry.id,
                        provider_refund_id,
                        &e.created_at,
                    ],
                )
                .await?
                .try_get(0)?;
            follow_refunds(tx, *order_id, e.created_at).await?;
            let refund = refund_in(tx, id).await?.ok_or(StoreError::NotFound)?;
            Ok(DebitOutcome::Debited(
                Box::new(entry),
                Some(Box::new(refund)),
            ))
        }
        DebitCondition::CommissionTakeBack {
            refund_id,
            order_id,
            due,
        } => super::referrals::take_back(tx, e, *refund_id, *order_id, *due).await,
    }
}

/// The check of [`CreditCondition::RefundFailed`]: refund `refund_id` is approved, of the
/// credit's account, and the credit gives back exactly its debit. Locks the refund's row (a
/// racing completion waits, then finds it failed); changes nothing.
pub(super) async fn failable(
    tx: &Tx<'_>,
    refund_id: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let ok = lock_refund(tx, refund_id).await?.is_some_and(|r| {
        r.state == RefundState::Approved
            && r.account_id == e.account_id
            && r.amount == e.amount
            && e.kind == LedgerKind::Refund
            && !e.promotional
    });
    Ok(if ok {
        Ok(())
    } else {
        Err(CreditRefusal::RefundNotApproved)
    })
}

/// Marks an approved refund failed, given back by entry `ledger_id`, after [`failable`] held.
pub(super) async fn mark_failed(
    tx: &Tx<'_>,
    refund_id: i64,
    ledger_id: i64,
    reason: &str,
    at: Millis,
) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE refunds SET state = 'failed', return_ledger_id = $2, reason = $3, updated_at = $4
             WHERE id = $1 AND state = 'approved'",
            &[&refund_id, &ledger_id, &reason, &at],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "refund {refund_id} was not approved when it failed"
        )));
    }
    Ok(())
}

#[async_trait]
impl RefundStore for PgStore {
    async fn request_refund(
        &self,
        refund: NewRefund,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // A second request racing this one for the same order waits on the open-refund index,
        // then inserts nothing once this one commits.
        let id: Option<i64> = tx
            .query_opt(
                "INSERT INTO refunds (order_id, account_id, state, source, amount_micros,
                        created_at, updated_at)
                 VALUES ($1, $2, 'requested', 'request', $3, $4, $4)
                 ON CONFLICT DO NOTHING RETURNING id",
                &[
                    &refund.order_id,
                    &refund.account_id,
                    &refund.amount.0,
                    &refund.created_at,
                ],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(id) = id else {
            tx.rollback().await?;
            return Ok(None);
        };
        let mut audit = audit;
        audit.detail["refund"] = serde_json::json!(id);
        insert_audit(&tx, &audit).await?;
        let record = refund_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn refund(&self, id: i64) -> Result<Option<RefundRecord>, StoreError> {
        let c = self.client().await?;
        refund_in(&c, id).await
    }

    async fn refunds(
        &self,
        filter: RefundFilter,
        limit: u32,
    ) -> Result<Vec<RefundRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            &format!(
                "SELECT {REFUND_COLUMNS} {REFUND_FROM}
                 WHERE ($1::bigint IS NULL OR r.account_id = $1)
                   AND ($2::bigint IS NULL OR r.order_id = $2)
                   AND ($3::text IS NULL OR r.state = $3)
                 ORDER BY r.id DESC LIMIT $4"
            ),
            &[
                &filter.account_id,
                &filter.order_id,
                &filter.state.map(RefundState::as_str),
                &i64::from(limit),
            ],
        )
        .await?
        .iter()
        .map(refund_row)
        .collect()
    }

    async fn deny_refund(
        &self,
        id: i64,
        decided_by: Option<i64>,
        reason: &str,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The UPDATE locks the row; a racing approval that got it first leaves it approved,
        // which this then does not match.
        let changed = tx
            .execute(
                "UPDATE refunds SET state = 'denied', reason = $2, decided_by = $3, updated_at = $4
                 WHERE id = $1 AND state = 'requested'",
                &[&id, &reason, &decided_by, &audit.created_at],
            )
            .await?;
        if changed != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_audit(&tx, &audit).await?;
        let record = refund_in(&tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn complete_refund(
        &self,
        id: i64,
        provider_refund_id: Option<String>,
        event: Option<NewProviderEvent>,
        audit: NewAudit,
        at: Millis,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if let Some(event) = &event
            && !super::orders::insert_event(&tx, event).await?
        {
            tx.rollback().await?;
            return Ok(None);
        }
        let Some(refund) = lock_refund(&tx, id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        if refund.state != RefundState::Approved {
            tx.rollback().await?;
            return Ok(None);
        }
        // Refund, then order: the order every path locks them in.
        lock_order(&tx, refund.order_id).await?;
        tx.execute(
            "UPDATE refunds SET state = 'succeeded',
                    provider_refund_id = COALESCE($2, provider_refund_id), updated_at = $3
             WHERE id = $1",
            &[&id, &provider_refund_id, &at],
        )
        .await?;
        let record = refund_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        follow_refunds(&tx, record.order_id, at).await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn set_payment_intent(
        &self,
        order_id: i64,
        payment_intent: &str,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "UPDATE orders SET payment_intent = $2 WHERE id = $1 AND payment_intent IS NULL",
            &[&order_id, &payment_intent],
        )
        .await?;
        Ok(())
    }

    async fn payment_intent(&self, order_id: i64) -> Result<Option<String>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT payment_intent FROM orders WHERE id = $1",
            &[&order_id],
        )
        .await?
        .map(|r| r.try_get::<_, Option<String>>(0))
        .transpose()?
        .flatten())
    }

    async fn order_by_payment_intent(
        &self,
        provider: &str,
        payment_intent: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let c = self.client().await?;
        // The oldest, should a payment intent ever be recorded twice (SQLite answers its first).
        c.query_opt(
            &format!(
                "SELECT {ORDER_COLUMNS} {ORDER_FROM}
                 WHERE o.provider = $1 AND o.payment_intent = $2 ORDER BY o.id LIMIT 1"
            ),
            &[&provider, &payment_intent],
        )
        .await?
        .as_ref()
        .map(order_row)
        .transpose()
    }
}
