//! The data plane's writes, applied in batches by the metering writer: holds placed, settlements
//! (hold removed, charge appended with the balance moved, key spend, usage event, rollup), and
//! the holds a previous run left behind.
//!
//! The same batch semantics as SQLite's (`sqlite/metering.rs`): one transaction per batch, every
//! ledger row with the balance right after its own charge, one update per account and key per
//! batch. What PostgreSQL adds: the batch's accounts are locked up front, in id order (its keys
//! are updated in id order after them), so a concurrent ledger write (an admin adjustment, a
//! redemption, later another replica's writer) waits instead of computing from the balance this
//! batch is about to move, and two batches never lock each other's rows crosswise.

use super::*;

#[async_trait]
impl MeteringStore for PgStore {
    async fn apply_metering(&self, ops: Vec<MeterOp>) -> Result<(), (StoreError, Vec<MeterOp>)> {
        match self.apply_batch(&ops).await {
            Ok(()) => Ok(()),
            Err(e) => Err((e, ops)),
        }
    }

    async fn left_holds(&self) -> Result<Vec<LeftHold>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT request_id, account_id, key_id, crash_charge_micros, route, model, provider
             FROM holds ORDER BY created_at, request_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(LeftHold {
                request_id: r.try_get(0)?,
                account_id: r.try_get(1)?,
                key_id: r.try_get(2)?,
                crash_charge: Micros(r.try_get(3)?),
                route: r.try_get(4)?,
                model: r.try_get(5)?,
                provider: r.try_get(6)?,
            })
        })
        .collect()
    }

    async fn settle_left_holds(&self, events: Vec<UsageEventRecord>) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let mut totals = BatchTotals::lock(&tx, events.iter().map(|e| e.account_id)).await?;
        for event in &events {
            totals.settle(&tx, event, true).await?;
        }
        totals.finish(&tx).await?;
        super::reports::roll_up(&tx, events.iter()).await?;
        tx.execute(
            "UPDATE accounts SET held_micros = 0 WHERE held_micros != 0",
            &[],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn request_state(&self, request_id: &str) -> Result<RequestState, StoreError> {
        let c = self.client().await?;
        super::reports::request_state(&c, request_id).await
    }
}

/// What a batch changes in one account's row, written once at the end of the batch.
struct AccountChange {
    /// The balance after the batch's charges so far: each ledger row needs its own.
    balance: Micros,
    charged: Micros,
    held: Micros,
    updated_at: Option<Millis>,
}

/// The per-row changes of a metering batch: `accounts` and `api_keys` get one update each per
/// batch instead of one per request (most batches are many requests of few accounts).
struct BatchTotals {
    accounts: HashMap<i64, AccountChange>,
    /// key id → (spent, last used)
    keys: HashMap<i64, (Micros, Millis)>,
}

/// Money arithmetic of a batch: an amount leaving the range fails the batch instead of
/// wrapping. The data plane bounds every charge by its hold, so this never fires in practice.
fn checked(amount: Option<Micros>) -> Result<Micros, StoreError> {
    amount.ok_or_else(|| StoreError::Backend("a metering batch would overflow an amount".into()))
}

impl BatchTotals {
    /// Locks the rows of `accounts` (in id order, whatever order they come in) and reads
    /// their balances. An account that does not exist is left out: the first write for it
    /// then fails on its foreign key, as in SQLite.
    async fn lock(
        tx: &Tx<'_>,
        accounts: impl Iterator<Item = i64>,
    ) -> Result<BatchTotals, StoreError> {
        let mut ids: Vec<i64> = accounts.collect();
        ids.sort_unstable();
        ids.dedup();
        let stmt = tx
            .prepare_cached(
                "SELECT id, balance_micros FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            )
            .await?;
        let mut changes = HashMap::with_capacity(ids.len());
        for r in tx.query(&stmt, &[&ids]).await? {
            changes.insert(
                r.try_get(0)?,
                AccountChange {
                    balance: Micros(r.try_get(1)?),
                    charged: Micros::ZERO,
                    held: Micros::ZERO,
                    updated_at: None,
                },
            );
        }
        Ok(BatchTotals {
            accounts: changes,
            keys: HashMap::new(),
        })
    }

    fn account(&mut self, id: i64) -> Result<&mut AccountChange, StoreError> {
        self.accounts.get_mut(&id).ok_or(StoreError::NotFound)
    }

    async fn hold(&mut self, tx: &Tx<'_>, h: &NewHold) -> Result<(), StoreError> {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros, route, model, provider, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &h.request_id,
                &h.account_id,
                &h.key_id,
                &h.amount.0,
                &h.crash_charge.0,
                &h.route,
                &h.model,
                &h.provider,
                &h.created_at,
            ],
        )
        .await?;
        let a = self.account(h.account_id)?;
        a.held = checked(a.held.checked_add(h.amount))?;
        Ok(())
    }

    /// Removes the request's hold (if it was written), charges its cost and records its event.
    async fn settle(
        &mut self,
        tx: &Tx<'_>,
        e: &UsageEventRecord,
        hold_written: bool,
    ) -> Result<(), StoreError> {
        if hold_written {
            let stmt = tx
                .prepare_cached("DELETE FROM holds WHERE request_id = $1 RETURNING amount_micros")
                .await?;
            if let Some(r) = tx.query_opt(&stmt, &[&e.request_id]).await? {
                let held: i64 = r.try_get(0)?;
                let a = self.account(e.account_id)?;
                a.held = checked(a.held.checked_sub(Micros(held)))?;
            }
        }
        if e.cost != Micros::ZERO {
            let entry = checked(e.cost.checked_neg())?;
            let a = self.account(e.account_id)?;
            a.balance = checked(a.balance.checked_add(entry))?;
            a.charged = checked(a.charged.checked_add(e.cost))?;
            a.updated_at = Some(a.updated_at.map_or(e.created_at, |t| t.max(e.created_at)));
            let after = a.balance;
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, request_id, created_at)
                     VALUES ($1, 'charge', $2, $3, $4, $5)",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &e.account_id,
                    &entry.0,
                    &after.0,
                    &e.request_id,
                    &e.created_at,
                ],
            )
            .await?;
        }
        if let Some(key_id) = e.key_id {
            let k = self
                .keys
                .entry(key_id)
                .or_insert((Micros::ZERO, e.created_at));
            k.0 = checked(k.0.checked_add(e.cost))?;
            k.1 = k.1.max(e.created_at);
        }
        let u = &e.usage;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO usage_events (request_id, account_id, key_id, route, provider, model, input_tokens, cached_tokens,
                     cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, error_code, latency_ms,
                     ttfb_ms, client_ip, user_agent, price_snapshot, settlement, created_at, uncapped_cost_micros)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &e.request_id,
                &e.account_id,
                &e.key_id,
                &e.route,
                &e.provider,
                &e.model,
                &tokens(u.input_tokens)?,
                &tokens(u.cached_tokens)?,
                &tokens(
                    u.cache_write_5m_tokens
                        .saturating_add(u.cache_write_1h_tokens),
                )?,
                &tokens(u.output_tokens)?,
                &tokens(u.reasoning_tokens)?,
                &tokens(u.images)?,
                &e.cost.0,
                &i64::from(e.status),
                &e.error_code,
                &e.latency_ms,
                &e.ttfb_ms,
                &e.client_ip,
                &e.user_agent,
                &e.price_snapshot.as_deref(),
                &e.settlement.as_str(),
                &e.created_at,
                &e.uncapped_cost.map(|c| c.0),
            ],
        )
        .await?;
        Ok(())
    }

    /// Writes the accumulated account and key changes.
    async fn finish(self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let accounts = tx
            .prepare_cached(
                "UPDATE accounts SET balance_micros = balance_micros - $2,
                        held_micros = GREATEST(held_micros + $3, 0),
                        updated_at = COALESCE($4, updated_at)
                 WHERE id = $1",
            )
            .await?;
        // In id order, accounts then keys: writers that lock rows in one order never wait on
        // each other in a circle.
        let mut changed: Vec<(i64, AccountChange)> = self.accounts.into_iter().collect();
        changed.sort_unstable_by_key(|(id, _)| *id);
        for (id, a) in changed {
            if a.charged == Micros::ZERO && a.held == Micros::ZERO {
                continue;
            }
            tx.execute(&accounts, &[&id, &a.charged.0, &a.held.0, &a.updated_at])
                .await?;
        }
        let keys = tx
            .prepare_cached(
                "UPDATE api_keys SET spent_micros = spent_micros + $2,
                        last_used_at = GREATEST(COALESCE(last_used_at, 0), $3) WHERE id = $1",
            )
            .await?;
        let mut keys_changed: Vec<(i64, (Micros, Millis))> = self.keys.into_iter().collect();
        keys_changed.sort_unstable_by_key(|(id, _)| *id);
        for (id, (spent, last_used)) in keys_changed {
            tx.execute(&keys, &[&id, &spent.0, &last_used]).await?;
        }
        Ok(())
    }
}

/// A token count as its BIGINT column takes it; beyond `i64::MAX` is no real count.
fn tokens(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n)
        .map_err(|_| StoreError::Conflict(format!("a token count of {n} is out of range")))
}

impl PgStore {
    /// One metering batch in one transaction; on any error nothing of it is applied.
    async fn apply_batch(&self, ops: &[MeterOp]) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let mut totals = BatchTotals::lock(
            &tx,
            ops.iter().map(|op| match op {
                MeterOp::Hold(h) => h.account_id,
                MeterOp::Settle(s) => s.event.account_id,
            }),
        )
        .await?;
        for op in ops {
            match op {
                MeterOp::Hold(h) => totals.hold(&tx, h).await?,
                MeterOp::Settle(s) => totals.settle(&tx, &s.event, s.hold_written).await?,
            }
        }
        totals.finish(&tx).await?;
        super::reports::roll_up(
            &tx,
            ops.iter().filter_map(|op| match op {
                MeterOp::Settle(s) => Some(&s.event),
                MeterOp::Hold(_) => None,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
