//! The append-only ledger, its check, and the audit log.

use std::collections::HashMap;

use super::*;

/// What a credit's entry is tied to once written.
enum Link {
    Nothing,
    Code(i64),
    Order(i64),
}

/// Checks `condition` inside the credit's transaction, applying what it changes before the
/// entry (a code's compare-and-swap, an event's record); says why not when it does not hold.
fn check(
    tx: &Transaction<'_>,
    condition: &CreditCondition,
    e: &NewLedgerEntry,
) -> Result<Result<Link, CreditRefusal>, StoreError> {
    Ok(match condition {
        CreditCondition::Unconditional => Ok(Link::Nothing),
        CreditCondition::CodeRedeemable { code_id } => {
            super::codes::redeem(tx, *code_id, e)?.map(|()| Link::Code(*code_id))
        }
        CreditCondition::OrderPending {
            order_id,
            provider,
            session_id,
            currency,
            amount_minor,
        } => super::orders::payable(
            tx,
            *order_id,
            provider,
            session_id,
            currency,
            *amount_minor,
            e,
        )?
        .map(|()| Link::Order(*order_id)),
        CreditCondition::EventUnseen { event, then } => {
            if !super::orders::insert_event(tx, event)? {
                return Ok(Err(CreditRefusal::EventSeen));
            }
            check(tx, then, e)?
        }
    })
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn append_ledger(
        &self,
        e: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let record = insert_entry(&tx, &e)?;
                if let Some(audit) = audit {
                    insert_audit(&tx, &audit)?;
                }
                tx.commit()?;
                Ok(record)
            })
            .await
    }

    async fn credit(
        &self,
        e: NewLedgerEntry,
        condition: CreditCondition,
        audit: NewAudit,
    ) -> Result<CreditOutcome, StoreError> {
        if !e.amount.is_positive() {
            return Err(StoreError::Conflict(
                "a credit's amount must be positive".into(),
            ));
        }
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let link = match check(&tx, &condition, &e)? {
                    Ok(link) => link,
                    // Dropping the transaction rolls back whatever the check wrote.
                    Err(refusal) => return Ok(CreditOutcome::Refused(refusal)),
                };
                let record = insert_entry(&tx, &e)?;
                match link {
                    Link::Nothing => {}
                    Link::Code(code_id) => {
                        tx.execute(
                            "UPDATE redemption_codes SET ledger_id = ?2 WHERE id = ?1",
                            params![code_id, record.id],
                        )?;
                    }
                    Link::Order(order_id) => {
                        super::orders::mark_paid(&tx, order_id, record.id, e.created_at)?;
                    }
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(CreditOutcome::Credited(record))
            })
            .await
    }

    async fn ledger(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id
                     WHERE l.account_id = ?1 AND l.id < ?2 ORDER BY l.id DESC LIMIT ?3"
                ))?;
                let rows = stmt
                    .query_map(params![account_id, before.unwrap_or(i64::MAX), limit], ledger_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn verify_ledger(&self) -> Result<LedgerCheckRecord, StoreError> {
        // On the writer, so the check sees one consistent snapshot that no write interleaves with.
        self.writer
            .call(|c| {
                let tx = c.transaction()?;
                let accounts: i64 =
                    tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
                let entries: i64 =
                    tx.query_row("SELECT COUNT(*) FROM ledger_entries", [], |r| r.get(0))?;
                // Summed here in i128, not by SQL's SUM: no ledger, however corrupt, makes
                // the check itself overflow.
                let mut sums: HashMap<i64, i128> = HashMap::new();
                let mut stmt =
                    tx.prepare("SELECT account_id, amount_micros FROM ledger_entries")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    *sums.entry(r.get(0)?).or_default() += i128::from(r.get::<_, i64>(1)?);
                }
                drop(rows);
                drop(stmt);
                let mut stmt =
                    tx.prepare("SELECT id, email, balance_micros FROM accounts ORDER BY id")?;
                let mut mismatches = Vec::new();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id: i64 = r.get(0)?;
                    let balance: i64 = r.get(2)?;
                    let sum = sums.get(&id).copied().unwrap_or(0);
                    if i128::from(balance) != sum {
                        let shown =
                            i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX });
                        mismatches.push((id, r.get(1)?, Micros(balance), Micros(shown)));
                    }
                }
                drop(rows);
                drop(stmt);
                let (usage_invalid, capped_at_hold, capped_excess) = anomalies(&tx)?;
                tx.commit()?;
                Ok(LedgerCheckRecord {
                    accounts: accounts as u64,
                    entries: entries as u64,
                    mismatches,
                    usage_invalid,
                    capped_at_hold,
                    capped_excess,
                })
            })
            .await
    }

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT l.id, actor.email, l.action, l.target, l.detail, l.created_at
                     FROM audit_log l LEFT JOIN accounts actor ON actor.id = l.actor_id
                     WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2",
                )?;
                let rows = stmt
                    .query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
                        let detail: String = r.get(4)?;
                        Ok(AuditRecord {
                            id: r.get(0)?,
                            actor_email: r.get(1)?,
                            action: r.get(2)?,
                            target: r.get(3)?,
                            detail: serde_json::from_str(&detail)
                                .unwrap_or(serde_json::Value::Null),
                            created_at: r.get(5)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }
}

/// Appends `e` and moves its account's balance, refusing an overdraft `e` forbids.
pub(super) fn insert_entry(
    tx: &Transaction<'_>,
    e: &NewLedgerEntry,
) -> Result<LedgerRecord, StoreError> {
    let balance: i64 = tx
        .query_row(
            "SELECT balance_micros FROM accounts WHERE id = ?1",
            [e.account_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let after = Micros(balance)
        .balance_after(e.amount, e.forbid_negative)
        .map_err(|r| StoreError::Conflict(r.to_string()))?
        .0;
    tx.execute(
        "INSERT INTO ledger_entries
         (account_id, kind, amount_micros, balance_after_micros, reason, actor_id, request_id, created_at, promotional)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.account_id,
            e.kind.as_str(),
            e.amount.0,
            after,
            e.reason,
            e.actor_id,
            e.request_id,
            e.created_at,
            e.promotional
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE accounts SET balance_micros = ?2, updated_at = ?3 WHERE id = ?1",
        params![e.account_id, after, e.created_at],
    )?;
    Ok(tx.query_row(
        &format!("SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id WHERE l.id = ?1"),
        [id],
        ledger_row,
    )?)
}

/// The money-floor anomalies among the usage events: `(usage_invalid, capped_at_hold, what the
/// capped ones would have cost beyond their charges)`. The excess is summed in i128 and shown
/// at most as the largest amount.
fn anomalies(tx: &rusqlite::Transaction<'_>) -> Result<(u64, u64, Micros), StoreError> {
    let invalid: i64 = tx.query_row(
        "SELECT COUNT(*) FROM usage_events WHERE settlement = 'usage_invalid'",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare(
        "SELECT COALESCE(uncapped_cost_micros, 0) - cost_micros FROM usage_events
         WHERE settlement = 'capped_at_hold'",
    )?;
    let mut rows = stmt.query([])?;
    let (mut capped, mut excess) = (0u64, 0i128);
    while let Some(r) = rows.next()? {
        capped += 1;
        excess += i128::from(r.get::<_, i64>(0)?);
    }
    let excess = i64::try_from(excess.clamp(0, i128::from(Micros::MAX.0))).unwrap_or(0);
    Ok((invalid.max(0) as u64, capped, Micros(excess)))
}
