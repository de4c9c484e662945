//! Top-up orders and provider events, and the checks that pay an order inside a credit's
//! transaction.
//!
//! Locks, so that concurrent writers (a webhook, a re-delivery, the sweep, another gateway)
//! queue instead of both acting: creating an order locks its account's row (the pending limit
//! is counted under it); paying or closing an order locks the order's row, `FOR NO KEY UPDATE`
//! as its `UPDATE` would, so an event that merely references the order does not block it. A
//! credit then locks the account's row to append its entry: order first, account second,
//! and no path takes them the other way round.

use super::*;

pub(super) const ORDER_COLUMNS: &str =
    "o.id, o.account_id, a.email, o.provider, o.amount_micros, o.currency,
     o.amount_minor, o.state, o.session_id, o.checkout_url, o.ledger_id, o.created_at,
     o.updated_at, o.paid_at";

pub(super) const ORDER_FROM: &str = "FROM orders o JOIN accounts a ON a.id = o.account_id";

pub(super) fn order_row(r: &Row) -> Result<OrderRecord, StoreError> {
    let state: &str = r.try_get(7)?;
    Ok(OrderRecord {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        account_email: r.try_get(2)?,
        provider: r.try_get(3)?,
        amount: Micros(r.try_get(4)?),
        currency: r.try_get(5)?,
        amount_minor: r.try_get(6)?,
        state: OrderState::parse(state).ok_or_else(|| bad_value("order state"))?,
        session_id: r.try_get(8)?,
        checkout_url: r.try_get(9)?,
        ledger_id: r.try_get(10)?,
        created_at: r.try_get(11)?,
        updated_at: r.try_get(12)?,
        paid_at: r.try_get(13)?,
    })
}

pub(super) async fn order_in<C: deadpool_postgres::GenericClient>(
    c: &C,
    id: i64,
) -> Result<Option<OrderRecord>, StoreError> {
    c.query_opt(
        &format!("SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(order_row)
    .transpose()
}

/// Records `event` unless its id was recorded before; answers whether it was new. A second
/// transaction recording the same id waits for the first: if that commits, it records nothing.
pub(super) async fn insert_event(
    tx: &Tx<'_>,
    event: &NewProviderEvent,
) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO provider_events (provider, event_id, event_type, order_id, outcome, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, event_id) DO NOTHING",
            &[
                &event.provider,
                &event.event_id,
                &event.event_type,
                &event.order_id,
                &event.outcome,
                &event.received_at,
            ],
        )
        .await?;
    Ok(inserted == 1)
}

/// Locks order `id`'s row for the rest of the transaction, then reads it as committed.
pub(super) async fn lock_order(tx: &Tx<'_>, id: i64) -> Result<Option<OrderRecord>, StoreError> {
    let locked = tx
        .query_opt(
            "SELECT 1 FROM orders WHERE id = $1 FOR NO KEY UPDATE",
            &[&id],
        )
        .await?;
    if locked.is_none() {
        return Ok(None);
    }
    order_in(tx, id).await
}

/// The check of [`CreditCondition::OrderPending`]: whether order `order_id` is pending and is
/// exactly what credit `e` pays for. Locks the order's row (a racing payment of the same order
/// waits, then finds it paid); changes nothing.
pub(super) async fn payable(
    tx: &Tx<'_>,
    order_id: i64,
    provider: &str,
    session_id: &str,
    currency: &str,
    amount_minor: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let Some(o) = lock_order(tx, order_id).await? else {
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
pub(super) async fn mark_paid(
    tx: &Tx<'_>,
    order_id: i64,
    ledger_id: i64,
    at: Millis,
) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE orders SET state = 'paid', ledger_id = $2, paid_at = $3, updated_at = $3
             WHERE id = $1 AND state = 'pending'",
            &[&order_id, &ledger_id, &at],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "order {order_id} was not pending when paid"
        )));
    }
    Ok(())
}

#[async_trait]
impl OrderStore for PgStore {
    async fn create_order(
        &self,
        order: NewOrder,
        max_pending: u32,
        audit: NewAudit,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Two orders created at once for one account queue here, so the second counts the
        // first: the limit holds under concurrency as it does on SQLite's single writer.
        tx.query_opt(
            "SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE",
            &[&order.account_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let pending: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM orders WHERE account_id = $1 AND state = 'pending'",
                &[&order.account_id],
            )
            .await?
            .try_get(0)?;
        if pending >= i64::from(max_pending) {
            return Ok(None);
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO orders (account_id, provider, amount_micros, currency, amount_minor,
                                     state, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING id",
                &[
                    &order.account_id,
                    &order.provider,
                    &order.amount.0,
                    &order.currency,
                    &order.amount_minor,
                    &order.created_at,
                ],
            )
            .await?
            .try_get(0)?;
        let mut audit = audit;
        if let Some(detail) = audit.detail.as_object_mut() {
            detail.insert("order".into(), id.into());
        }
        insert_audit(&tx, &audit).await?;
        let record = order_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn attach_session(
        &self,
        order_id: i64,
        session_id: &str,
        checkout_url: &str,
        at: Millis,
    ) -> Result<OrderRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE orders SET session_id = $2, checkout_url = $3, updated_at = $4
                 WHERE id = $1 AND session_id IS NULL AND state = 'pending'",
                &[&order_id, &session_id, &checkout_url, &at],
            )
            .await?;
        let record = order_in(&tx, order_id).await?.ok_or(StoreError::NotFound)?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "order {order_id} already has a checkout session or is not pending"
            )));
        }
        tx.commit().await?;
        Ok(record)
    }

    async fn order(&self, id: i64) -> Result<Option<OrderRecord>, StoreError> {
        let c = self.client().await?;
        order_in(&c, id).await
    }

    async fn order_by_session(
        &self,
        provider: &str,
        session_id: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            &format!(
                "SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.provider = $1 AND o.session_id = $2"
            ),
            &[&provider, &session_id],
        )
        .await?
        .as_ref()
        .map(order_row)
        .transpose()
    }

    async fn orders(
        &self,
        filter: OrderFilter,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        // Two fixed statements, not an order spliced in: every value stays bound.
        let order = if filter.oldest_first { "ASC" } else { "DESC" };
        let c = self.client().await?;
        c.query(
            &format!(
                "SELECT {ORDER_COLUMNS} {ORDER_FROM}
                 WHERE ($1::bigint IS NULL OR o.account_id = $1)
                   AND ($2::text IS NULL OR o.state = $2)
                   AND ($3::bigint IS NULL OR o.created_at <= $3)
                 ORDER BY o.id {order} LIMIT $4"
            ),
            &[
                &filter.account_id,
                &filter.state.map(OrderState::as_str),
                &filter.created_before,
                &i64::from(limit),
            ],
        )
        .await?
        .iter()
        .map(order_row)
        .collect()
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
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Dropping the transaction on a refusal rolls back whatever was written before it.
        if let Some(event) = &event
            && !insert_event(&tx, event).await?
        {
            return Ok(Err(CreditRefusal::EventSeen));
        }
        let Some(record) = lock_order(&tx, order_id).await? else {
            return Ok(Err(CreditRefusal::OrderUnknown));
        };
        if record.state != OrderState::Pending {
            return Ok(Err(CreditRefusal::OrderNotPending(record.state)));
        }
        tx.execute(
            "UPDATE orders SET state = $2, updated_at = $3 WHERE id = $1",
            &[&order_id, &to.as_str(), &audit.created_at],
        )
        .await?;
        let record = order_in(&tx, order_id).await?.ok_or(StoreError::NotFound)?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Ok(record))
    }

    async fn record_event(
        &self,
        event: NewProviderEvent,
        audit: Option<NewAudit>,
    ) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if !insert_event(&tx, &event).await? {
            return Ok(false);
        }
        if let Some(audit) = &audit {
            insert_audit(&tx, audit).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
