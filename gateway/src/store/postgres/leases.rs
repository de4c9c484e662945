//! Escrow leases on balances (migration 0007): how replicas take, keep and give back parts of
//! an account's balance. Every writer here locks the account row first and the lease rows
//! after it, as the metering batches do, so no two writers wait on each other in a circle.

use super::metering::BatchTotals;
use super::*;

#[async_trait]
impl LeaseStore for PgStore {
    async fn grant_lease(
        &self,
        account_id: i64,
        replica: &str,
        ask: LeaseAsk,
        expires_at: Millis,
    ) -> Result<Option<LeaseGrant>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let lock = tx
            .prepare_cached(
                "SELECT balance_micros, leased_micros FROM accounts WHERE id = $1 FOR NO KEY UPDATE",
            )
            .await?;
        let Some(row) = tx.query_opt(&lock, &[&account_id]).await? else {
            return Err(StoreError::NotFound);
        };
        let (balance, leased) = (Micros(row.try_get(0)?), Micros(row.try_get(1)?));
        let free = Micros((balance.0 - leased.0).max(0));
        let Some(granted) = ask.grant(free) else {
            tx.commit().await?;
            return Ok(None);
        };
        // The replica's lease grows whichever epoch it has: a replica that lost track of its
        // epoch (a grant whose answer never came) finds it again, and a lease with requests in
        // flight on it is never replaced under them. Its amount is read and written by the
        // upsert itself, under the account's lock every writer of lease amounts takes first,
        // so the grant is these two statements. (A conflicting insert still draws an epoch
        // from the sequence; epochs need only be new, not consecutive.)
        let grow = tx
            .prepare_cached(
                "WITH lease AS (
                     INSERT INTO balance_leases (account_id, replica_id, epoch, amount_micros, expires_at)
                     VALUES ($1, $2, nextval('lease_epochs'), $3, $4)
                     ON CONFLICT (account_id, replica_id) DO UPDATE
                         SET amount_micros = balance_leases.amount_micros + excluded.amount_micros,
                             expires_at = excluded.expires_at
                     RETURNING epoch, amount_micros),
                 account AS (UPDATE accounts SET leased_micros = leased_micros + $3 WHERE id = $1)
                 SELECT epoch, amount_micros FROM lease",
            )
            .await?;
        let row = tx
            .query_one(&grow, &[&account_id, &replica, &granted.0, &expires_at])
            .await?;
        let (epoch, amount) = (row.try_get(0)?, Micros(row.try_get(1)?));
        tx.commit().await?;
        Ok(Some(LeaseGrant {
            epoch,
            granted,
            amount,
        }))
    }

    async fn refresh_leases(
        &self,
        replica: &str,
        expires_at: Millis,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let c = self.client().await?;
        let refresh = c
            .prepare_cached(
                "UPDATE balance_leases SET expires_at = $2 WHERE replica_id = $1
                 RETURNING account_id, epoch",
            )
            .await?;
        c.query(&refresh, &[&replica, &expires_at])
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn end_lease(
        &self,
        account_id: i64,
        replica: &str,
        epoch: i64,
    ) -> Result<Micros, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let lock = tx
            .prepare_cached("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
            .await?;
        tx.execute(&lock, &[&account_id]).await?;
        let end = tx
            .prepare_cached(
                "DELETE FROM balance_leases WHERE account_id = $1 AND replica_id = $2 AND epoch = $3
                 RETURNING amount_micros",
            )
            .await?;
        let Some(row) = tx.query_opt(&end, &[&account_id, &replica, &epoch]).await? else {
            return Ok(Micros::ZERO);
        };
        let amount: i64 = row.try_get(0)?;
        let give_back = tx
            .prepare_cached("UPDATE accounts SET leased_micros = leased_micros - $2 WHERE id = $1")
            .await?;
        tx.execute(&give_back, &[&account_id, &amount]).await?;
        tx.commit().await?;
        Ok(Micros(amount))
    }

    async fn expire_leases(
        &self,
        now: Millis,
        crash: fn(LeftHold, Millis) -> UsageEventRecord,
    ) -> Result<LeaseSweep, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Which accounts to lock: those with an expired lease or an orphaned hold (one whose
        // lease is gone: its replica wrote it after the lease ended). Read again once locked.
        let due = tx
            .prepare_cached(
                "SELECT account_id FROM balance_leases WHERE expires_at < $1
                 UNION
                 SELECT h.account_id FROM holds h WHERE h.replica_id IS NOT NULL AND NOT EXISTS
                   (SELECT 1 FROM balance_leases l WHERE l.account_id = h.account_id
                      AND l.replica_id = h.replica_id AND l.epoch = h.lease_epoch)",
            )
            .await?;
        let accounts: Vec<i64> = tx
            .query(&due, &[&now])
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let mut sweep = LeaseSweep::default();
        if accounts.is_empty() {
            return Ok(sweep);
        }
        let mut totals = BatchTotals::lock(&tx, accounts.iter().copied()).await?;
        let end = tx
            .prepare_cached(
                "DELETE FROM balance_leases WHERE account_id = ANY($1) AND expires_at < $2
                 RETURNING account_id, amount_micros",
            )
            .await?;
        let ended = tx.query(&end, &[&accounts, &now]).await?;
        for r in &ended {
            let amount = Micros(r.try_get(1)?);
            totals.end_leases(r.try_get(0)?, amount)?;
            sweep.leases += 1;
            sweep.returned = sweep.returned.checked_add(amount).unwrap_or(Micros::MAX);
        }
        let orphaned = tx
            .prepare_cached(
                "DELETE FROM holds h WHERE h.account_id = ANY($1) AND h.replica_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM balance_leases l WHERE l.account_id = h.account_id
                                     AND l.replica_id = h.replica_id AND l.epoch = h.lease_epoch)
                 RETURNING request_id, account_id, key_id, crash_charge_micros, route, model,
                           provider, amount_micros, created_at",
            )
            .await?;
        let orphans = tx.query(&orphaned, &[&accounts]).await?;
        let mut rows: Vec<(Millis, LeftHold, Micros)> = orphans
            .iter()
            .map(|r| {
                Ok((
                    r.try_get(8)?,
                    LeftHold {
                        request_id: r.try_get(0)?,
                        account_id: r.try_get(1)?,
                        key_id: r.try_get(2)?,
                        crash_charge: Micros(r.try_get(3)?),
                        route: r.try_get(4)?,
                        model: r.try_get(5)?,
                        provider: r.try_get(6)?,
                    },
                    Micros(r.try_get(7)?),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        // In the order they were admitted, so each ledger row's balance-after follows on.
        rows.sort_by(|a, b| (a.0, &a.1.request_id).cmp(&(b.0, &b.1.request_id)));
        let mut events = Vec::with_capacity(rows.len());
        for (_, hold, amount) in rows {
            let account_id = hold.account_id;
            totals.hold_gone(account_id, amount)?;
            let mut event = crash(hold, now);
            // The lease that covered it has returned to the free balance; the crash charge
            // comes from there, never more than is free.
            let free = totals.free(account_id).unwrap_or(Micros::ZERO);
            if event.cost > free {
                event.uncapped_cost = Some(event.cost);
                event.cost = free;
            }
            totals.settle(&event, false)?;
            sweep.holds += 1;
            sweep.charged = sweep.charged.checked_add(event.cost).unwrap_or(Micros::MAX);
            events.push(event);
        }
        super::reports::roll_up(&tx, events.iter()).await?;
        totals.finish(&tx).await?;
        tx.commit().await?;
        Ok(sweep)
    }
}
