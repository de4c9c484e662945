//! Refunds of paid orders, the checks that book a refund's debit (or give it back) inside the
//! ledger's transaction, and the order's state following its refunds.

use super::*;

const REFUND_COLUMNS: &str = "r.id, r.order_id, r.account_id, a.email, r.state, r.source,
     r.amount_micros, r.amount_minor, o.currency, r.ledger_id, r.provider_refund_id, r.reason,
     r.created_at, r.updated_at";

const REFUND_FROM: &str =
    "FROM refunds r JOIN accounts a ON a.id = r.account_id JOIN orders o ON o.id = r.order_id";

fn refund_row(r: &Row<'_>) -> rusqlite::Result<RefundRecord> {
    let state: String = r.get(4)?;
    Ok(RefundRecord {
        id: r.get(0)?,
        order_id: r.get(1)?,
        account_id: r.get(2)?,
        account_email: r.get(3)?,
        state: RefundState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("a refund state this version does not know: {state}").into(),
            )
        })?,
        source: r.get(5)?,
        amount: Micros(r.get(6)?),
        amount_minor: r.get(7)?,
        currency: r.get(8)?,
        ledger_id: r.get(9)?,
        provider_refund_id: r.get(10)?,
        reason: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

fn refund_in(c: &Connection, id: i64) -> rusqlite::Result<Option<RefundRecord>> {
    c.query_row(
        &format!("SELECT {REFUND_COLUMNS} {REFUND_FROM} WHERE r.id = ?1"),
        [id],
        refund_row,
    )
    .optional()
}

/// Moves order `order_id` to `partly_refunded` or `refunded` by the sum of its succeeded
/// refunds (nothing when none succeeded).
fn follow_refunds(tx: &Transaction<'_>, order_id: i64, at: Millis) -> Result<(), StoreError> {
    let (amount, refunded): (i64, i64) = tx.query_row(
        "SELECT o.amount_micros, COALESCE((SELECT SUM(r.amount_micros) FROM refunds r
                 WHERE r.order_id = o.id AND r.state = 'succeeded'), 0)
         FROM orders o WHERE o.id = ?1",
        [order_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let to = match refunded {
        0 => return Ok(()),
        r if r >= amount => "refunded",
        _ => "partly_refunded",
    };
    tx.execute(
        "UPDATE orders SET state = ?2, updated_at = ?3 WHERE id = ?1 AND state <> ?2",
        params![order_id, to, at],
    )?;
    Ok(())
}

/// Checks a refund's debit condition and, when it holds, appends the entry and applies the
/// state change; the caller writes the audit row and commits.
pub(super) fn debit(
    tx: &Transaction<'_>,
    e: &NewLedgerEntry,
    condition: &DebitCondition,
) -> Result<DebitOutcome, StoreError> {
    let refundable = |o: &OrderRecord| {
        o.account_id == e.account_id
            && matches!(o.state, OrderState::Paid | OrderState::PartlyRefunded)
    };
    match condition {
        DebitCondition::RefundRequested {
            refund_id,
            amount_minor,
            decided_by,
        } => {
            let Some(r) = refund_in(tx, *refund_id)? else {
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
            match super::orders::order_in(tx, r.order_id)? {
                Some(o) if refundable(&o) => {}
                _ => return Ok(DebitOutcome::Refused(DebitRefusal::OrderNotRefundable)),
            }
            let entry = insert_entry(tx, e)?;
            tx.execute(
                "UPDATE refunds SET state = 'approved', amount_micros = ?6, amount_minor = ?2,
                        ledger_id = ?3, decided_by = ?4, updated_at = ?5 WHERE id = ?1",
                params![
                    refund_id,
                    amount_minor,
                    entry.id,
                    decided_by,
                    e.created_at,
                    frozen
                ],
            )?;
            let refund = refund_in(tx, *refund_id)?.ok_or(StoreError::NotFound)?;
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
            if !super::orders::insert_event(tx, event)? {
                return Ok(DebitOutcome::Refused(DebitRefusal::EventSeen));
            }
            match super::orders::order_in(tx, *order_id)? {
                Some(o) if refundable(&o) => {}
                _ => return Ok(DebitOutcome::Refused(DebitRefusal::OrderNotRefundable)),
            }
            let entry = insert_entry(tx, e)?;
            tx.execute(
                "INSERT INTO refunds (order_id, account_id, state, source, amount_micros,
                        amount_minor, ledger_id, provider_refund_id, created_at, updated_at)
                 VALUES (?1, ?2, 'succeeded', 'provider', ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    order_id,
                    e.account_id,
                    -e.amount.0,
                    amount_minor,
                    entry.id,
                    provider_refund_id,
                    e.created_at
                ],
            )?;
            let id = tx.last_insert_rowid();
            follow_refunds(tx, *order_id, e.created_at)?;
            let refund = refund_in(tx, id)?.ok_or(StoreError::NotFound)?;
            Ok(DebitOutcome::Debited(
                Box::new(entry),
                Some(Box::new(refund)),
            ))
        }
        DebitCondition::CommissionTakeBack {
            refund_id,
            order_id,
            due,
        } => super::referrals::take_back(tx, e, *refund_id, *order_id, *due),
    }
}

/// The check of [`CreditCondition::RefundFailed`]: refund `refund_id` is approved, of the
/// credit's account, and the credit gives back exactly its debit. Changes nothing.
pub(super) fn failable(
    tx: &Transaction<'_>,
    refund_id: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let ok = refund_in(tx, refund_id)?.is_some_and(|r| {
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
pub(super) fn mark_failed(
    tx: &Transaction<'_>,
    refund_id: i64,
    ledger_id: i64,
    reason: &str,
    at: Millis,
) -> Result<(), StoreError> {
    let changed = tx.execute(
        "UPDATE refunds SET state = 'failed', return_ledger_id = ?2, reason = ?3, updated_at = ?4
         WHERE id = ?1 AND state = 'approved'",
        params![refund_id, ledger_id, reason, at],
    )?;
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "refund {refund_id} was not approved when it failed"
        )));
    }
    Ok(())
}

#[async_trait]
impl RefundStore for SqliteStore {
    async fn request_refund(
        &self,
        refund: NewRefund,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let inserted = tx.execute(
                    "INSERT INTO refunds (order_id, account_id, state, source, amount_micros,
                            created_at, updated_at)
                     VALUES (?1, ?2, 'requested', 'request', ?3, ?4, ?4)
                     ON CONFLICT DO NOTHING",
                    params![
                        refund.order_id,
                        refund.account_id,
                        refund.amount.0,
                        refund.created_at
                    ],
                )?;
                if inserted == 0 {
                    return Ok(None);
                }
                let id = tx.last_insert_rowid();
                let mut audit = audit;
                audit.detail["refund"] = serde_json::json!(id);
                insert_audit(&tx, &audit)?;
                let record = refund_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(Some(record))
            })
            .await
    }

    async fn refund(&self, id: i64) -> Result<Option<RefundRecord>, StoreError> {
        self.reader.call(move |c| Ok(refund_in(c, id)?)).await
    }

    async fn refunds(
        &self,
        filter: RefundFilter,
        limit: u32,
    ) -> Result<Vec<RefundRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {REFUND_COLUMNS} {REFUND_FROM}
                     WHERE (?1 IS NULL OR r.account_id = ?1) AND (?2 IS NULL OR r.order_id = ?2)
                       AND (?3 IS NULL OR r.state = ?3)
                     ORDER BY r.id DESC LIMIT ?4"
                ))?;
                let rows = stmt
                    .query_map(
                        params![
                            filter.account_id,
                            filter.order_id,
                            filter.state.map(RefundState::as_str),
                            limit
                        ],
                        refund_row,
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn deny_refund(
        &self,
        id: i64,
        decided_by: Option<i64>,
        reason: &str,
        audit: NewAudit,
    ) -> Result<Option<RefundRecord>, StoreError> {
        let reason = reason.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let changed = tx.execute(
                    "UPDATE refunds SET state = 'denied', reason = ?2, decided_by = ?3,
                            updated_at = ?4
                     WHERE id = ?1 AND state = 'requested'",
                    params![id, reason, decided_by, audit.created_at],
                )?;
                if changed != 1 {
                    return Ok(None);
                }
                insert_audit(&tx, &audit)?;
                let record = refund_in(&tx, id)?;
                tx.commit()?;
                Ok(record)
            })
            .await
    }

    async fn complete_refund(
        &self,
        id: i64,
        provider_refund_id: Option<String>,
        event: Option<NewProviderEvent>,
        audit: NewAudit,
        at: Millis,
    ) -> Result<Option<RefundRecord>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                if let Some(event) = &event
                    && !super::orders::insert_event(&tx, event)?
                {
                    return Ok(None);
                }
                let changed = tx.execute(
                    "UPDATE refunds SET state = 'succeeded',
                            provider_refund_id = COALESCE(?2, provider_refund_id), updated_at = ?3
                     WHERE id = ?1 AND state = 'approved'",
                    params![id, provider_refund_id, at],
                )?;
                if changed != 1 {
                    return Ok(None);
                }
                let record = refund_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                follow_refunds(&tx, record.order_id, at)?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Some(record))
            })
            .await
    }

    async fn set_payment_intent(
        &self,
        order_id: i64,
        payment_intent: &str,
    ) -> Result<(), StoreError> {
        let pi = payment_intent.to_owned();
        self.writer
            .call(move |c| {
                c.execute(
                    "UPDATE orders SET payment_intent = ?2
                     WHERE id = ?1 AND payment_intent IS NULL",
                    params![order_id, pi],
                )?;
                Ok(())
            })
            .await
    }

    async fn payment_intent(&self, order_id: i64) -> Result<Option<String>, StoreError> {
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT payment_intent FROM orders WHERE id = ?1",
                    [order_id],
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()?
                .flatten())
            })
            .await
    }

    async fn order_by_payment_intent(
        &self,
        provider: &str,
        payment_intent: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let (provider, pi) = (provider.to_owned(), payment_intent.to_owned());
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ORDER_COLUMNS} {ORDER_FROM}
                         WHERE o.provider = ?1 AND o.payment_intent = ?2",
                        ORDER_COLUMNS = super::orders::ORDER_COLUMNS,
                        ORDER_FROM = super::orders::ORDER_FROM
                    ),
                    params![provider, pi],
                    super::orders::order_row,
                )
                .optional()?)
            })
            .await
    }
}
