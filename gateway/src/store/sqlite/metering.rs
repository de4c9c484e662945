//! The data plane's writes, applied in batches by the metering writer: holds placed, settlements
//! (hold removed, charge appended with the balance moved, key spend, usage event, rollup), and
//! the holds a previous run left behind.

use super::*;

#[async_trait]
impl MeteringStore for SqliteStore {
    async fn apply_metering(&self, ops: Vec<MeterOp>) -> Result<(), (StoreError, Vec<MeterOp>)> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let result = match SqliteStore::apply_batch(c, &ops) {
                Ok(()) => Ok(()),
                Err(e) => Err((e, ops)),
            };
            let _ = tx.send(result);
        });
        if self.writer.jobs.send(job).is_err() {
            return Err((StoreError::Closed, Vec::new()));
        }
        rx.await.unwrap_or(Err((StoreError::Closed, Vec::new())))
    }

    async fn left_holds(&self) -> Result<Vec<LeftHold>, StoreError> {
        self.writer
            .call(|c| {
                let mut stmt = c.prepare(
                    "SELECT request_id, account_id, key_id, crash_charge_micros, route, model, provider
                     FROM holds ORDER BY created_at",
                )?;
                let holds = stmt
                    .query_map([], |r| {
                        Ok(LeftHold {
                            request_id: r.get(0)?,
                            account_id: r.get(1)?,
                            key_id: r.get(2)?,
                            crash_charge: Micros(r.get(3)?),
                            route: r.get(4)?,
                            model: r.get(5)?,
                            provider: r.get(6)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(holds)
            })
            .await
    }

    async fn settle_left_holds(&self, events: Vec<UsageEventRecord>) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                for event in &events {
                    let mut totals = BatchTotals::default();
                    totals.settle(&tx, event, true)?;
                    totals.finish(&tx)?;
                }
                reports::roll_up(&tx, events.iter())?;
                tx.execute(
                    "UPDATE accounts SET held_micros = 0 WHERE held_micros != 0",
                    [],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn request_state(
        &self,
        request_id: &str,
    ) -> Result<crate::store::RequestState, StoreError> {
        let request_id = request_id.to_owned();
        self.reader
            .call(move |c| self::reports::request_state(c, &request_id))
            .await
    }
}

fn insert_hold(tx: &Transaction<'_>, h: &NewHold) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO holds (request_id, account_id, key_id, amount_micros, crash_charge_micros, route, model, provider, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        h.request_id,
        h.account_id,
        h.key_id,
        h.amount.0,
        h.crash_charge.0,
        h.route,
        h.model,
        h.provider,
        h.created_at
    ])?;
    Ok(())
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
#[derive(Default)]
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
    fn account<'a>(
        &'a mut self,
        tx: &Transaction<'_>,
        id: i64,
    ) -> Result<&'a mut AccountChange, StoreError> {
        use std::collections::hash_map::Entry;
        Ok(match self.accounts.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let balance: i64 = tx
                    .prepare_cached("SELECT balance_micros FROM accounts WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                e.insert(AccountChange {
                    balance: Micros(balance),
                    charged: Micros::ZERO,
                    held: Micros::ZERO,
                    updated_at: None,
                })
            }
        })
    }

    fn hold(&mut self, tx: &Transaction<'_>, h: &NewHold) -> Result<(), StoreError> {
        insert_hold(tx, h)?;
        let a = self.account(tx, h.account_id)?;
        a.held = checked(a.held.checked_add(h.amount))?;
        Ok(())
    }

    /// Removes the request's hold (if it was written), charges its cost and records its event.
    fn settle(
        &mut self,
        tx: &Transaction<'_>,
        e: &UsageEventRecord,
        hold_written: bool,
    ) -> Result<(), StoreError> {
        if hold_written {
            let held: Option<i64> = tx
                .prepare_cached("DELETE FROM holds WHERE request_id = ?1 RETURNING amount_micros")?
                .query_row([&e.request_id], |r| r.get(0))
                .optional()?;
            if let Some(held) = held {
                let a = self.account(tx, e.account_id)?;
                a.held = checked(a.held.checked_sub(Micros(held)))?;
            }
        }
        if e.cost != Micros::ZERO {
            let entry = checked(e.cost.checked_neg())?;
            let a = self.account(tx, e.account_id)?;
            a.balance = checked(a.balance.checked_add(entry))?;
            a.charged = checked(a.charged.checked_add(e.cost))?;
            a.updated_at = Some(a.updated_at.map_or(e.created_at, |t| t.max(e.created_at)));
            let after = a.balance;
            tx.prepare_cached(
                "INSERT INTO ledger_entries (account_id, kind, amount_micros, balance_after_micros, request_id, created_at)
                 VALUES (?1, 'charge', ?2, ?3, ?4, ?5)",
            )?
            .execute(params![e.account_id, entry.0, after.0, e.request_id, e.created_at])?;
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
        tx.prepare_cached(
            "INSERT INTO usage_events (request_id, account_id, key_id, route, provider, model, input_tokens, cached_tokens,
                 cache_write_tokens, output_tokens, reasoning_tokens, images, cost_micros, status, error_code, latency_ms,
                 ttfb_ms, client_ip, user_agent, price_snapshot, settlement, created_at, uncapped_cost_micros)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        )?
        .execute(params![
            e.request_id,
            e.account_id,
            e.key_id,
            e.route,
            e.provider,
            e.model,
            u.input_tokens as i64,
            u.cached_tokens as i64,
            (u.cache_write_5m_tokens + u.cache_write_1h_tokens) as i64,
            u.output_tokens as i64,
            u.reasoning_tokens as i64,
            u.images as i64,
            e.cost.0,
            e.status,
            e.error_code,
            e.latency_ms,
            e.ttfb_ms,
            e.client_ip,
            e.user_agent,
            e.price_snapshot.as_deref(),
            e.settlement.as_str(),
            e.created_at,
            e.uncapped_cost.map(|c| c.0)
        ])?;
        Ok(())
    }

    /// Writes the accumulated account and key changes.
    fn finish(self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        for (id, a) in self.accounts {
            if a.charged == Micros::ZERO && a.held == Micros::ZERO {
                continue;
            }
            tx.prepare_cached(
                "UPDATE accounts SET balance_micros = balance_micros - ?2,
                        held_micros = MAX(held_micros + ?3, 0),
                        updated_at = COALESCE(?4, updated_at)
                 WHERE id = ?1",
            )?
            .execute(params![id, a.charged.0, a.held.0, a.updated_at])?;
        }
        for (id, (spent, last_used)) in self.keys {
            tx.prepare_cached(
                "UPDATE api_keys SET spent_micros = spent_micros + ?2,
                        last_used_at = MAX(COALESCE(last_used_at, 0), ?3) WHERE id = ?1",
            )?
            .execute(params![id, spent.0, last_used])?;
        }
        Ok(())
    }
}

impl SqliteStore {
    pub(super) fn apply_batch(c: &mut Connection, ops: &[MeterOp]) -> Result<(), StoreError> {
        let tx = c.transaction()?;
        let mut totals = BatchTotals::default();
        for op in ops {
            match op {
                MeterOp::Hold(h) => totals.hold(&tx, h)?,
                MeterOp::Settle(s) => totals.settle(&tx, &s.event, s.hold_written)?,
            }
        }
        totals.finish(&tx)?;
        // The usage rollup of migration 0003, one upsert per group of the batch.
        reports::roll_up(
            &tx,
            ops.iter().filter_map(|op| match op {
                MeterOp::Settle(s) => Some(&s.event),
                MeterOp::Hold(_) => None,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Applies every migration, for tests of what they build.
#[cfg(test)]
mod metering_tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::store::testkit;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_for_tests(&mut c);
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, balance_micros, created_at, updated_at) VALUES
                 (1, 'a@x', 'h', 1000000, 0, 0), (2, 'b@x', 'h', 500, 0, 0);
             INSERT INTO api_keys (id, account_id, prefix, secret_hash, name, created_at) VALUES
                 (1, 1, 'ck-one', 'h1', 'one', 0), (2, 2, 'ck-two', 'h2', NULL, 0);",
        )
        .unwrap();
        c
    }

    fn hold(request: &str, account: i64, amount: i64) -> MeterOp {
        MeterOp::Hold(NewHold {
            created_at: 10,
            ..testkit::hold(request, account, account, amount)
        })
    }

    fn settle(request: &str, account: i64, cost: i64, at: i64, hold_written: bool) -> MeterOp {
        MeterOp::Settle(Box::new(SettledRequest {
            event: testkit::event(request, account, Some(account), cost, at),
            hold_written,
            owner: None,
        }))
    }

    fn ints(c: &Connection, sql: &str) -> Vec<i64> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// One update per account and key per batch, yet every ledger row carries the balance
    /// right after its own charge, and holds written earlier are released.
    #[test]
    fn a_batch_charges_in_order_and_releases_holds() {
        let mut c = db();
        SqliteStore::apply_batch(&mut c, &[hold("r1", 1, 500), hold("r2", 1, 700)]).unwrap();
        assert_eq!(
            ints(&c, "SELECT held_micros FROM accounts ORDER BY id"),
            [1200, 0]
        );
        SqliteStore::apply_batch(
            &mut c,
            &[
                settle("r1", 1, 100, 20, true),
                // Held and settled within one batch: its hold was never written.
                settle("r3", 1, 50, 30, false),
                hold("r4", 2, 300),
                settle("r5", 2, 0, 25, false),
            ],
        )
        .unwrap();
        assert_eq!(
            ints(
                &c,
                "SELECT balance_after_micros FROM ledger_entries WHERE account_id = 1 ORDER BY id"
            ),
            [999_900, 999_850]
        );
        assert_eq!(
            ints(&c, "SELECT amount_micros FROM ledger_entries ORDER BY id"),
            [-100, -50],
            "a zero cost writes no ledger row"
        );
        assert_eq!(
            ints(&c, "SELECT balance_micros FROM accounts ORDER BY id"),
            [999_850, 500]
        );
        assert_eq!(
            ints(&c, "SELECT held_micros FROM accounts ORDER BY id"),
            [700, 300]
        );
        assert_eq!(
            ints(&c, "SELECT spent_micros FROM api_keys ORDER BY id"),
            [150, 0]
        );
        assert_eq!(
            ints(&c, "SELECT last_used_at FROM api_keys ORDER BY id"),
            [30, 25]
        );
        assert_eq!(
            ints(
                &c,
                "SELECT COUNT(*) FROM holds WHERE request_id IN ('r2', 'r4')"
            ),
            [2]
        );
        assert_eq!(ints(&c, "SELECT COUNT(*) FROM usage_events"), [3]);
        assert_eq!(
            ints(&c, "SELECT updated_at FROM accounts ORDER BY id"),
            [30, 0],
            "an account is touched only by charges"
        );
    }
}
