//! Top-up orders and provider events, and the checks that pay an order inside a credit's
//! transaction.

use super::*;

pub(super) const ORDER_COLUMNS: &str =
    "o.id, o.account_id, a.email, o.provider, o.amount_micros, o.currency,
     o.amount_minor, o.state, o.session_id, o.checkout_url, o.ledger_id, o.created_at,
     o.updated_at, o.paid_at";

pub(super) const ORDER_FROM: &str = "FROM orders o JOIN accounts a ON a.id = o.account_id";

pub(super) fn order_row(r: &Row<'_>) -> rusqlite::Result<OrderRecord> {
    let state: String = r.get(7)?;
    Ok(OrderRecord {
        id: r.get(0)?,
        account_id: r.get(1)?,
        account_email: r.get(2)?,
        provider: r.get(3)?,
        amount: Micros(r.get(4)?),
        currency: r.get(5)?,
        amount_minor: r.get(6)?,
        state: OrderState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                7,
                rusqlite::types::Type::Text,
                format!("an order state this version does not know: {state}").into(),
            )
        })?,
        session_id: r.get(8)?,
        checkout_url: r.get(9)?,
        ledger_id: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        paid_at: r.get(13)?,
    })
}

pub(super) fn order_in(c: &Connection, id: i64) -> rusqlite::Result<Option<OrderRecord>> {
    c.query_row(
        &format!("SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.id = ?1"),
        [id],
        order_row,
    )
    .optional()
}

/// Records `event` unless its id was recorded before; answers whether it was new.
pub(super) fn insert_event(
    tx: &Transaction<'_>,
    event: &NewProviderEvent,
) -> rusqlite::Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO provider_events (provider, event_id, event_type, order_id, outcome, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (provider, event_id) DO NOTHING",
        params![
            event.provider,
            event.event_id,
            event.event_type,
            event.order_id,
            event.outcome,
            event.received_at
        ],
    )?;
    Ok(inserted == 1)
}

/// The check of [`CreditCondition::OrderPending`]: whether order `order_id` is pending and is
/// exactly what credit `e` pays for. Changes nothing.
pub(super) fn payable(
    tx: &Transaction<'_>,
    order_id: i64,
    provider: &str,
    session_id: &str,
    currency: &str,
    amount_minor: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let Some(o) = order_in(tx, order_id)? else {
        return Ok(Err(CreditRefusal::OrderUnknown));
    };
    if o.state != OrderState::Pending {
        return Ok(Err(CreditRefusal::OrderNotPending(o.state)));
    }
    let matches = o.account_id == e.account_id
        && o.provider == provider
        && o.session_id.as_deref() == Some(session_id)
        && o.currency == currency
        && o.amount_minor == amount_minor
        && o.amount == e.amount
        && e.kind == LedgerKind::Payment
        && !e.promotional;
    Ok(if matches {
        Ok(())
    } else {
        Err(CreditRefusal::OrderMismatch)
    })
}

/// Marks a pending order paid by ledger entry `ledger_id`, after [`payable`] held.
pub(super) fn mark_paid(
    tx: &Transaction<'_>,
    order_id: i64,
    ledger_id: i64,
    at: Millis,
) -> Result<(), StoreError> {
    let changed = tx.execute(
        "UPDATE orders SET state = 'paid', ledger_id = ?2, paid_at = ?3, updated_at = ?3
         WHERE id = ?1 AND state = 'pending'",
        params![order_id, ledger_id, at],
    )?;
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "order {order_id} was not pending when paid"
        )));
    }
    Ok(())
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn create_order(
        &self,
        order: NewOrder,
        max_pending: u32,
        audit: NewAudit,
    ) -> Result<Option<OrderRecord>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let pending: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM orders WHERE account_id = ?1 AND state = 'pending'",
                    [order.account_id],
                    |r| r.get(0),
                )?;
                if pending >= i64::from(max_pending) {
                    return Ok(None);
                }
                tx.execute(
                    "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor,
                                         state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)",
                    params![
                        order.account_id,
                        order.provider,
                        order.amount.0,
                        order.currency,
                        order.amount_minor,
                        order.created_at
                    ],
                )?;
                let id = tx.last_insert_rowid();
                let mut audit = audit;
                if let Some(detail) = audit.detail.as_object_mut() {
                    detail.insert("order".into(), id.into());
                }
                insert_audit(&tx, &audit)?;
                let record = order_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(Some(record))
            })
            .await
    }

    async fn attach_session(
        &self,
        order_id: i64,
        session_id: &str,
        checkout_url: &str,
        at: Millis,
    ) -> Result<OrderRecord, StoreError> {
        let (session_id, checkout_url) = (session_id.to_owned(), checkout_url.to_owned());
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let changed = tx.execute(
                    "UPDATE orders SET session_id = ?2, checkout_url = ?3, updated_at = ?4
                     WHERE id = ?1 AND session_id IS NULL AND state = 'pending'",
                    params![order_id, session_id, checkout_url, at],
                )?;
                let record = order_in(&tx, order_id)?.ok_or(StoreError::NotFound)?;
                if changed != 1 {
                    return Err(StoreError::Conflict(format!(
                        "order {order_id} already has a checkout session or is not pending"
                    )));
                }
                tx.commit()?;
                Ok(record)
            })
            .await
    }

    async fn order(&self, id: i64) -> Result<Option<OrderRecord>, StoreError> {
        self.reader.call(move |c| Ok(order_in(c, id)?)).await
    }

    async fn order_by_session(
        &self,
        provider: &str,
        session_id: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let (provider, session_id) = (provider.to_owned(), session_id.to_owned());
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.provider = ?1 AND o.session_id = ?2"
                    ),
                    params![provider, session_id],
                    order_row,
                )
                .optional()?)
            })
            .await
    }

    async fn orders(
        &self,
        filter: OrderFilter,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        // Two fixed statements, not an order spliced in: every value stays bound.
        let order = if filter.oldest_first { "ASC" } else { "DESC" };
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {ORDER_COLUMNS} {ORDER_FROM}
                     WHERE (?1 IS NULL OR o.account_id = ?1) AND (?2 IS NULL OR o.state = ?2)
                       AND (?3 IS NULL OR o.created_at <= ?3)
                     ORDER BY o.id {order} LIMIT ?4"
                ))?;
                let rows = stmt
                    .query_map(
                        params![
                            filter.account_id,
                            filter.state.map(OrderState::as_str),
                            filter.created_before,
                            limit
                        ],
                        order_row,
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn close_order(
        &self,
        order_id: i64,
        to: OrderState,
        event: Option<NewProviderEvent>,
        audit: NewAudit,
    ) -> Result<Result<OrderRecord, CreditRefusal>, StoreError> {
        if !matches!(to, OrderState::Expired | OrderState::Failed) {
            return Err(StoreError::Conflict(format!(
                "an order is closed unpaid as expired or failed, not {}",
                to.as_str()
            )));
        }
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                if let Some(event) = &event
                    && !insert_event(&tx, event)?
                {
                    return Ok(Err(CreditRefusal::EventSeen));
                }
                let changed = tx.execute(
                    "UPDATE orders SET state = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'pending'",
                    params![order_id, to.as_str(), audit.created_at],
                )?;
                let Some(record) = order_in(&tx, order_id)? else {
                    return Ok(Err(CreditRefusal::OrderUnknown));
                };
                if changed != 1 {
                    return Ok(Err(CreditRefusal::OrderNotPending(record.state)));
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Ok(record))
            })
            .await
    }

    async fn record_event(
        &self,
        event: NewProviderEvent,
        audit: Option<NewAudit>,
    ) -> Result<bool, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                if !insert_event(&tx, &event)? {
                    return Ok(false);
                }
                if let Some(audit) = &audit {
                    insert_audit(&tx, audit)?;
                }
                tx.commit()?;
                Ok(true)
            })
            .await
    }
}
