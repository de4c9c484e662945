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
//!
//! With balance leases (`leases.rs`), a settlement names the lease its request was admitted
//! under. While that lease exists the charge comes out of it (balance, leased amount and the
//! lease's own amount move together). Once it has ended, the request was either settled by the
//! crash rule when the lease was swept (its event exists: this settlement is dropped, so each
//! request is settled once) or never seen by the sweep (its hold was not yet written): it is
//! then charged from the account's free balance, never more than is free (`lease_lost`).

use std::collections::HashSet;
use std::sync::Arc;

use codexkey_common::settlement::Settlement;

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
            // Holds under a lease belong to their replica; the lease sweep settles them.
            "SELECT request_id, account_id, key_id, crash_charge_micros, route, model, provider
             FROM holds WHERE replica_id IS NULL ORDER BY created_at, request_id",
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
            totals.settle(event, true)?;
        }
        totals.finish(&tx).await?;
        super::reports::roll_up(&tx, events.iter()).await?;
        tx.execute(
            "UPDATE accounts SET held_micros = 0 WHERE held_micros != 0
             AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.account_id = accounts.id)",
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
    /// Leased to replicas, after the batch's charges against leases so far.
    leased: Micros,
    charged: Micros,
    /// Of `charged`, what came out of leases.
    from_leases: Micros,
    /// What leases that ended in this transaction held, back in the free balance.
    leases_ended: Micros,
    held: Micros,
    updated_at: Option<Millis>,
}

/// The per-row changes of a metering batch: `accounts` and `api_keys` get one update each per
/// batch instead of one per request (most batches are many requests of few accounts), and the
/// batch's holds, ledger entries and events are gathered into columns, each kind written by one
/// statement over arrays (`unnest`), so a batch costs a handful of round trips to the server
/// however many requests it holds.
pub(super) struct BatchTotals {
    accounts: HashMap<i64, AccountChange>,
    /// key id → (spent, last used)
    keys: HashMap<i64, (Micros, Millis)>,
    holds: HoldRows,
    /// Requests whose hold may be in the database, to delete.
    released: Vec<String>,
    charges: ChargeRows,
    events: EventRows,
    /// (account, replica) → the epoch of the replica's live lease of the account, charged.
    leases: HashMap<(i64, Arc<str>), i64>,
    /// Requests of ended leases the sweep already settled by the crash rule.
    swept: HashSet<String>,
    /// Requests of ended leases charged from the free balance: their events as written.
    late: HashMap<String, UsageEventRecord>,
}

#[derive(Default)]
struct HoldRows {
    request_id: Vec<String>,
    account_id: Vec<i64>,
    key_id: Vec<i64>,
    amount: Vec<i64>,
    crash_charge: Vec<i64>,
    route: Vec<&'static str>,
    model: Vec<String>,
    provider: Vec<Option<String>>,
    created_at: Vec<i64>,
    replica: Vec<Option<String>>,
    epoch: Vec<Option<i64>>,
}

/// Ledger rows of kind `charge`, in the order they were charged.
#[derive(Default)]
struct ChargeRows {
    account_id: Vec<i64>,
    amount: Vec<i64>,
    balance_after: Vec<i64>,
    request_id: Vec<String>,
    created_at: Vec<i64>,
}

#[derive(Default)]
struct EventRows {
    request_id: Vec<String>,
    account_id: Vec<i64>,
    key_id: Vec<Option<i64>>,
    route: Vec<&'static str>,
    provider: Vec<Option<String>>,
    model: Vec<Option<String>>,
    input_tokens: Vec<i64>,
    cached_tokens: Vec<i64>,
    cache_write_tokens: Vec<i64>,
    output_tokens: Vec<i64>,
    reasoning_tokens: Vec<i64>,
    images: Vec<i64>,
    cost: Vec<i64>,
    status: Vec<i64>,
    error_code: Vec<Option<String>>,
    latency_ms: Vec<Option<i64>>,
    ttfb_ms: Vec<Option<i64>>,
    client_ip: Vec<Option<String>>,
    user_agent: Vec<Option<String>>,
    price_snapshot: Vec<Option<String>>,
    settlement: Vec<&'static str>,
    created_at: Vec<i64>,
    uncapped_cost: Vec<Option<i64>>,
}

/// Money arithmetic of a batch: an amount leaving the range fails the batch instead of
/// wrapping. The data plane bounds every charge by its hold, so this never fires in practice.
fn checked(amount: Option<Micros>) -> Result<Micros, StoreError> {
    amount.ok_or_else(|| StoreError::Backend("a metering batch would overflow an amount".into()))
}

impl BatchTotals {
    /// Locks the rows of `accounts` (in id order, whatever order they come in) and reads
    /// their balances. An account that does not exist is left out: a write for it then fails
    /// on its foreign key, as in SQLite.
    pub(super) async fn lock(
        tx: &Tx<'_>,
        accounts: impl Iterator<Item = i64>,
    ) -> Result<BatchTotals, StoreError> {
        let mut ids: Vec<i64> = accounts.collect();
        ids.sort_unstable();
        ids.dedup();
        let stmt = tx
            .prepare_cached(
                "SELECT id, balance_micros, leased_micros FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            )
            .await?;
        let mut changes = HashMap::with_capacity(ids.len());
        for r in tx.query(&stmt, &[&ids]).await? {
            changes.insert(
                r.try_get(0)?,
                AccountChange {
                    balance: Micros(r.try_get(1)?),
                    leased: Micros(r.try_get(2)?),
                    charged: Micros::ZERO,
                    from_leases: Micros::ZERO,
                    leases_ended: Micros::ZERO,
                    held: Micros::ZERO,
                    updated_at: None,
                },
            );
        }
        Ok(BatchTotals {
            accounts: changes,
            keys: HashMap::new(),
            holds: HoldRows::default(),
            released: Vec::new(),
            charges: ChargeRows::default(),
            events: EventRows::default(),
            leases: HashMap::new(),
            swept: HashSet::new(),
            late: HashMap::new(),
        })
    }

    /// Charges the leases the batch's settlements were admitted under, each by the sum of
    /// its settlements' costs, and learns which of them still exist: one statement, run after
    /// their accounts are locked (the order every lease writer keeps), that matches no row for
    /// an ended lease. Under those account locks no other writer changes a lease's amount or
    /// ends it, so what it answers holds for the rest of the batch. Then finds which of the
    /// requests whose lease has ended the sweep settled already.
    async fn charge_leases<'o>(
        &mut self,
        tx: &Tx<'_>,
        settled: impl Iterator<Item = (&'o UsageEventRecord, &'o LeaseOwner)>,
    ) -> Result<(), StoreError> {
        let settled: Vec<_> = settled.collect();
        if settled.is_empty() {
            return Ok(());
        }
        let mut charges: HashMap<(i64, &str, i64), Micros> = HashMap::new();
        for (e, o) in &settled {
            let charge = charges
                .entry((e.account_id, &*o.replica, o.epoch))
                .or_insert(Micros::ZERO);
            *charge = checked(charge.checked_add(e.cost))?;
        }
        let mut charges: Vec<_> = charges.into_iter().collect();
        charges.sort_unstable();
        let accounts: Vec<i64> = charges.iter().map(|((a, _, _), _)| *a).collect();
        let replicas: Vec<&str> = charges.iter().map(|((_, r, _), _)| *r).collect();
        let epochs: Vec<i64> = charges.iter().map(|((_, _, e), _)| *e).collect();
        let amounts: Vec<i64> = charges.iter().map(|(_, c)| c.0).collect();
        let stmt = tx
            .prepare_cached(
                "UPDATE balance_leases l SET amount_micros = l.amount_micros - w.charged
                 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
                      AS w(account_id, replica_id, epoch, charged)
                 WHERE l.account_id = w.account_id AND l.replica_id = w.replica_id
                   AND l.epoch = w.epoch
                 RETURNING l.account_id, l.replica_id, l.epoch",
            )
            .await?;
        for r in tx
            .query(&stmt, &[&accounts, &replicas, &epochs, &amounts])
            .await?
        {
            let replica: String = r.try_get(1)?;
            self.leases
                .insert((r.try_get(0)?, Arc::from(replica)), r.try_get(2)?);
        }
        let ended: Vec<&str> = settled
            .iter()
            .filter(|(e, o)| !self.lease_live(e.account_id, o))
            .map(|(e, _)| e.request_id.as_str())
            .collect();
        if !ended.is_empty() {
            let stmt = tx
                .prepare_cached("SELECT request_id FROM usage_events WHERE request_id = ANY($1)")
                .await?;
            for r in tx.query(&stmt, &[&ended]).await? {
                self.swept.insert(r.try_get(0)?);
            }
        }
        Ok(())
    }

    /// What `account_id` has that is neither leased nor charged, as of the batch so far.
    pub(super) fn free(&self, account_id: i64) -> Option<Micros> {
        self.accounts
            .get(&account_id)
            .map(|a| Micros((a.balance.0 - a.leased.0).max(0)))
    }

    /// Records that leases of `account_id` holding `amount` in all ended.
    pub(super) fn end_leases(&mut self, account_id: i64, amount: Micros) -> Result<(), StoreError> {
        if let Some(a) = self.accounts.get_mut(&account_id) {
            a.leased = checked(a.leased.checked_sub(amount))?;
            a.leases_ended = checked(a.leases_ended.checked_add(amount))?;
        }
        Ok(())
    }

    /// Records that a hold of `amount` was deleted (by the sweep) outside the batch's rows.
    pub(super) fn hold_gone(&mut self, account_id: i64, amount: Micros) -> Result<(), StoreError> {
        if let Some(a) = self.accounts.get_mut(&account_id) {
            a.held = checked(a.held.checked_sub(amount))?;
        }
        Ok(())
    }

    fn lease_live(&self, account_id: i64, owner: &LeaseOwner) -> bool {
        self.leases
            .get(&(account_id, owner.replica.clone()))
            .is_some_and(|epoch| *epoch == owner.epoch)
    }

    /// Settles a request admitted under `owner`'s lease: against the lease while it lives;
    /// not at all when the sweep settled it; else from what the account has free.
    fn settle_leased(
        &mut self,
        e: &UsageEventRecord,
        hold_written: bool,
        owner: &LeaseOwner,
    ) -> Result<(), StoreError> {
        if self.lease_live(e.account_id, owner) {
            // The lease's own amount was charged by `charge_leases`.
            if let Some(a) = self.accounts.get_mut(&e.account_id) {
                a.leased = checked(a.leased.checked_sub(e.cost))?;
                a.from_leases = checked(a.from_leases.checked_add(e.cost))?;
            }
            return self.settle(e, hold_written);
        }
        if self.swept.contains(&e.request_id) {
            tracing::warn!(request_id = %e.request_id, "a settlement arrived after its lease ended and the request was settled by the crash rule; dropped");
            return Ok(());
        }
        let a = self
            .accounts
            .get(&e.account_id)
            .ok_or(StoreError::NotFound)?;
        let free = Micros((a.balance.0 - a.leased.0).max(0));
        let mut late = UsageEventRecord {
            settlement: Settlement::LeaseLost,
            ..e.clone()
        };
        if late.cost > free {
            late.uncapped_cost = Some(late.cost);
            late.cost = free;
        }
        tracing::warn!(request_id = %e.request_id, cost = late.cost.0, "a settlement arrived after its lease ended; charged from the free balance");
        self.settle(&late, hold_written)?;
        self.late.insert(late.request_id.clone(), late);
        Ok(())
    }

    /// The events this batch wrote, as written (for the rollups): the sweep's settled ones
    /// left out, the late ones as charged.
    fn written<'e>(
        &'e self,
        events: impl Iterator<Item = &'e UsageEventRecord> + 'e,
    ) -> impl Iterator<Item = &'e UsageEventRecord> + 'e {
        events
            .filter(|e| !self.swept.contains(&e.request_id))
            .map(|e| self.late.get(&e.request_id).unwrap_or(e))
    }

    fn hold(&mut self, h: &NewHold) -> Result<(), StoreError> {
        let rows = &mut self.holds;
        rows.request_id.push(h.request_id.clone());
        rows.account_id.push(h.account_id);
        rows.key_id.push(h.key_id);
        rows.amount.push(h.amount.0);
        rows.crash_charge.push(h.crash_charge.0);
        rows.route.push(h.route);
        rows.model.push(h.model.clone());
        rows.provider.push(h.provider.clone());
        rows.created_at.push(h.created_at);
        rows.replica
            .push(h.owner.as_ref().map(|o| o.replica.to_string()));
        rows.epoch.push(h.owner.as_ref().map(|o| o.epoch));
        // An unknown account is left to the foreign key, which refuses the hold.
        if let Some(a) = self.accounts.get_mut(&h.account_id) {
            a.held = checked(a.held.checked_add(h.amount))?;
        }
        Ok(())
    }

    /// Releases the request's hold (if it was written), charges its cost and records its
    /// event: the balance after each charge is computed here, in order.
    pub(super) fn settle(
        &mut self,
        e: &UsageEventRecord,
        hold_written: bool,
    ) -> Result<(), StoreError> {
        if hold_written {
            self.released.push(e.request_id.clone());
        }
        if e.cost != Micros::ZERO {
            let entry = checked(e.cost.checked_neg())?;
            let a = self
                .accounts
                .get_mut(&e.account_id)
                .ok_or(StoreError::NotFound)?;
            a.balance = checked(a.balance.checked_add(entry))?;
            a.charged = checked(a.charged.checked_add(e.cost))?;
            a.updated_at = Some(a.updated_at.map_or(e.created_at, |t| t.max(e.created_at)));
            let c = &mut self.charges;
            c.account_id.push(e.account_id);
            c.amount.push(entry.0);
            c.balance_after.push(a.balance.0);
            c.request_id.push(e.request_id.clone());
            c.created_at.push(e.created_at);
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
        let v = &mut self.events;
        v.request_id.push(e.request_id.clone());
        v.account_id.push(e.account_id);
        v.key_id.push(e.key_id);
        v.route.push(e.route);
        v.provider.push(e.provider.clone());
        v.model.push(e.model.clone());
        v.input_tokens.push(tokens(u.input_tokens)?);
        v.cached_tokens.push(tokens(u.cached_tokens)?);
        v.cache_write_tokens.push(tokens(
            u.cache_write_5m_tokens
                .saturating_add(u.cache_write_1h_tokens),
        )?);
        v.output_tokens.push(tokens(u.output_tokens)?);
        v.reasoning_tokens.push(tokens(u.reasoning_tokens)?);
        v.images.push(tokens(u.images)?);
        v.cost.push(e.cost.0);
        v.status.push(i64::from(e.status));
        v.error_code.push(e.error_code.clone());
        v.latency_ms.push(e.latency_ms);
        v.ttfb_ms.push(e.ttfb_ms);
        v.client_ip.push(e.client_ip.clone());
        v.user_agent.push(e.user_agent.clone());
        v.price_snapshot
            .push(e.price_snapshot.as_deref().map(str::to_owned));
        v.settlement.push(e.settlement.as_str());
        v.created_at.push(e.created_at);
        v.uncapped_cost.push(e.uncapped_cost.map(|c| c.0));
        Ok(())
    }

    /// Writes the gathered rows, in the order SQLite's writer would: holds placed, holds
    /// released (a hold placed and released in one batch is never written, see
    /// `SettledRequest::hold_written`), charges in the order they were charged (`WITH
    /// ORDINALITY … ORDER BY`, so ids follow it and the schema's ledger chain holds), events.
    async fn write(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let h = &self.holds;
        if !h.request_id.is_empty() {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros,
                                        route, model, provider, created_at, replica_id, lease_epoch)
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
                                          $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[],
                                          $10::text[], $11::bigint[])",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &h.request_id,
                    &h.account_id,
                    &h.key_id,
                    &h.amount,
                    &h.crash_charge,
                    &h.route,
                    &h.model,
                    &h.provider,
                    &h.created_at,
                    &h.replica,
                    &h.epoch,
                ],
            )
            .await?;
        }
        if !self.released.is_empty() {
            let stmt = tx
                .prepare_cached(
                    "DELETE FROM holds WHERE request_id = ANY($1) RETURNING account_id, amount_micros",
                )
                .await?;
            for r in tx.query(&stmt, &[&self.released]).await? {
                let account: i64 = r.try_get(0)?;
                let amount: i64 = r.try_get(1)?;
                if let Some(a) = self.accounts.get_mut(&account) {
                    a.held = checked(a.held.checked_sub(Micros(amount)))?;
                }
            }
        }
        let c = &self.charges;
        if !c.account_id.is_empty() {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros,
                                                 request_id, created_at)
                     SELECT account_id, 'charge', amount, balance_after, request_id, created_at
                     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[])
                          WITH ORDINALITY AS c(account_id, amount, balance_after, request_id, created_at, n)
                     ORDER BY n",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &c.account_id,
                    &c.amount,
                    &c.balance_after,
                    &c.request_id,
                    &c.created_at,
                ],
            )
            .await?;
        }
        let v = &self.events;
        if !v.request_id.is_empty() {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO usage_events (request_id, account_id, key_id, route, provider, model,
                         input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                         images, cost_micros, status, error_code, latency_ms, ttfb_ms, client_ip, user_agent,
                         price_snapshot, settlement, created_at, uncapped_cost_micros)
                     SELECT request_id, account_id, key_id, route, provider, model, input_tokens,
                            cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, images, cost,
                            status, error_code, latency_ms, ttfb_ms, client_ip, user_agent, price_snapshot,
                            settlement, created_at, uncapped_cost
                     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                 $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                                 $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[],
                                 $17::bigint[], $18::text[], $19::text[], $20::text[], $21::text[],
                                 $22::bigint[], $23::bigint[])
                          WITH ORDINALITY AS e(request_id, account_id, key_id, route, provider, model,
                              input_tokens, cached_tokens, cache_write_tokens, output_tokens,
                              reasoning_tokens, images, cost, status, error_code, latency_ms, ttfb_ms,
                              client_ip, user_agent, price_snapshot, settlement, created_at,
                              uncapped_cost, n)
                     ORDER BY n",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &v.request_id,
                    &v.account_id,
                    &v.key_id,
                    &v.route,
                    &v.provider,
                    &v.model,
                    &v.input_tokens,
                    &v.cached_tokens,
                    &v.cache_write_tokens,
                    &v.output_tokens,
                    &v.reasoning_tokens,
                    &v.images,
                    &v.cost,
                    &v.status,
                    &v.error_code,
                    &v.latency_ms,
                    &v.ttfb_ms,
                    &v.client_ip,
                    &v.user_agent,
                    &v.price_snapshot,
                    &v.settlement,
                    &v.created_at,
                    &v.uncapped_cost,
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Writes the gathered rows, then the accumulated account and key changes.
    pub(super) async fn finish(mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        self.write(tx).await?;
        let accounts = tx
            .prepare_cached(
                "UPDATE accounts SET balance_micros = balance_micros - $2,
                        held_micros = GREATEST(held_micros + $3, 0),
                        updated_at = COALESCE($4, updated_at),
                        leased_micros = leased_micros - $5 - $6
                 WHERE id = $1",
            )
            .await?;
        // In id order, accounts then keys: writers that lock rows in one order never wait on
        // each other in a circle.
        let mut changed: Vec<(i64, AccountChange)> = self.accounts.into_iter().collect();
        changed.sort_unstable_by_key(|(id, _)| *id);
        for (id, a) in changed {
            if a.charged == Micros::ZERO && a.held == Micros::ZERO && a.leases_ended == Micros::ZERO
            {
                continue;
            }
            tx.execute(
                &accounts,
                &[
                    &id,
                    &a.charged.0,
                    &a.held.0,
                    &a.updated_at,
                    &a.from_leases.0,
                    &a.leases_ended.0,
                ],
            )
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
        totals
            .charge_leases(
                &tx,
                ops.iter().filter_map(|op| match op {
                    MeterOp::Settle(s) => s.owner.as_ref().map(|o| (&s.event, o)),
                    MeterOp::Hold(_) => None,
                }),
            )
            .await?;
        for op in ops {
            match op {
                MeterOp::Hold(h) => totals.hold(h)?,
                MeterOp::Settle(s) => match &s.owner {
                    Some(owner) => totals.settle_leased(&s.event, s.hold_written, owner)?,
                    None => totals.settle(&s.event, s.hold_written)?,
                },
            }
        }
        let settled: Vec<&UsageEventRecord> = totals
            .written(ops.iter().filter_map(|op| match op {
                MeterOp::Settle(s) => Some(&s.event),
                MeterOp::Hold(_) => None,
            }))
            .collect();
        super::reports::roll_up(&tx, settled.into_iter()).await?;
        totals.finish(&tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
