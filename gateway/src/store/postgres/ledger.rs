//! The append-only ledger, its check, and the audit log.

use super::*;

/// What a credit's entry is tied to once written.
enum Link {
    Nothing,
    Code(i64),
    Order(i64, Option<CommissionTerms>),
    FailedRefund(i64, String),
}

/// Checks `condition` inside the credit's transaction, applying what it changes before the
/// entry (a code's compare-and-swap, an event's record); says why not when it does not hold.
/// What it locks (a code's or an order's row) it locks before [`insert_entry`] locks the
/// account's, the order every credit takes them in.
async fn check(
    tx: &Tx<'_>,
    condition: &CreditCondition,
    e: &NewLedgerEntry,
) -> Result<Result<Link, CreditRefusal>, StoreError> {
    // Boxed: `EventUnseen` nests a condition, and an async fn cannot hold itself unboxed.
    Box::pin(async move {
        Ok(match condition {
            CreditCondition::Unconditional => Ok(Link::Nothing),
            CreditCondition::CodeRedeemable { code_id } => super::codes::redeem(tx, *code_id, e)
                .await?
                .map(|()| Link::Code(*code_id)),
            CreditCondition::OrderPending {
                order_id,
                provider,
                session_id,
                currency,
                amount_minor,
                commission,
            } => super::orders::payable(
                tx,
                *order_id,
                provider,
                session_id,
                currency,
                *amount_minor,
                e,
            )
            .await?
            .map(|()| Link::Order(*order_id, commission.clone())),
            CreditCondition::EventUnseen { event, then } => {
                if !super::orders::insert_event(tx, event).await? {
                    return Ok(Err(CreditRefusal::EventSeen));
                }
                check(tx, then, e).await?
            }
            CreditCondition::RefundFailed { refund_id, reason } => {
                super::refunds::failable(tx, *refund_id, e)
                    .await?
                    .map(|()| Link::FailedRefund(*refund_id, reason.clone()))
            }
        })
    })
    .await
}

#[async_trait]
impl LedgerStore for PgStore {
    async fn append_ledger(
        &self,
        e: NewLedgerEntry,
        audit: Option<NewAudit>,
    ) -> Result<LedgerRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let record = insert_entry(&tx, &e).await?;
        if let Some(audit) = audit {
            insert_audit(&tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(record)
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
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let link = match check(&tx, &condition, &e).await? {
            Ok(link) => link,
            Err(refusal) => {
                tx.rollback().await?;
                return Ok(CreditOutcome::Refused(refusal));
            }
        };
        if let Some((_, referrer_id)) = condition.commission() {
            // The payment may credit the referrer too: both balances are locked now, in id
            // order, as every write moving two balances takes them.
            tx.query(
                "SELECT 1 FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
                &[&vec![e.account_id, referrer_id]],
            )
            .await?;
        }
        let record = insert_entry(&tx, &e).await?;
        match link {
            Link::Nothing => {}
            Link::Code(code_id) => {
                tx.execute(
                    "UPDATE redemption_codes SET ledger_id = $2 WHERE id = $1",
                    &[&code_id, &record.id],
                )
                .await?;
            }
            Link::Order(order_id, commission) => {
                super::orders::mark_paid(&tx, order_id, record.id, e.created_at).await?;
                if let Some(terms) = commission {
                    super::referrals::earn(&tx, order_id, &e, &terms).await?;
                }
            }
            Link::FailedRefund(refund_id, reason) => {
                super::refunds::mark_failed(&tx, refund_id, record.id, &reason, e.created_at)
                    .await?;
            }
        }
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(CreditOutcome::Credited(record))
    }

    async fn debit(
        &self,
        e: NewLedgerEntry,
        condition: DebitCondition,
        audit: NewAudit,
    ) -> Result<DebitOutcome, StoreError> {
        if !e.amount.is_negative()
            || !matches!(e.kind, LedgerKind::Refund | LedgerKind::ReferralCommission)
            || e.promotional
        {
            return Err(StoreError::Conflict(
                "a conditional debit is a negative, not promotional entry of kind `refund` or `referral_commission`".into(),
            ));
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let outcome = super::refunds::debit(&tx, &e, &condition).await?;
        // A refusal rolls back whatever the check wrote (an event recorded).
        if let DebitOutcome::Debited(..) = outcome {
            insert_audit(&tx, &audit).await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(outcome)
    }

    async fn spending_history(&self, account_id: i64) -> Result<Vec<SpendingEntry>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT l.id, l.kind, l.amount_micros, l.promotional,
                    (SELECT o.id FROM orders o WHERE o.ledger_id = l.id),
                    (SELECT r.order_id FROM refunds r
                      WHERE r.ledger_id = l.id OR r.return_ledger_id = l.id LIMIT 1)
             FROM ledger_entries l WHERE l.account_id = $1 ORDER BY l.id",
            &[&account_id],
        )
        .await?
        .iter()
        .map(|r| {
            let kind: &str = r.try_get(1)?;
            Ok(SpendingEntry {
                id: r.try_get(0)?,
                kind: LedgerKind::parse(kind).ok_or_else(|| bad_value("ledger kind"))?,
                amount: Micros(r.try_get(2)?),
                promotional: r.try_get(3)?,
                paid_order: r.try_get(4)?,
                refund_of: r.try_get(5)?,
            })
        })
        .collect()
    }

    async fn write_audit(&self, audit: NewAudit) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ledger(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            &format!(
                "SELECT {LEDGER_COLUMNS} FROM ledger_entries l LEFT JOIN accounts actor ON actor.id = l.actor_id
                 WHERE l.account_id = $1 AND l.id < $2 ORDER BY l.id DESC LIMIT $3"
            ),
            &[&account_id, &before.unwrap_or(i64::MAX), &i64::from(limit)],
        )
        .await?
        .iter()
        .map(ledger_row)
        .collect()
    }

    async fn verify_ledger(&self) -> Result<LedgerCheckRecord, StoreError> {
        let mut c = self.client().await?;
        // One snapshot for every read of the check: writes committed meanwhile are not half
        // seen (an entry without its balance move, or the reverse).
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let accounts: i64 = tx
            .query_one("SELECT COUNT(*) FROM accounts", &[])
            .await?
            .try_get(0)?;
        let entries: i64 = tx
            .query_one("SELECT COUNT(*) FROM ledger_entries", &[])
            .await?
            .try_get(0)?;
        // SUM of BIGINT is NUMERIC in PostgreSQL: no ledger, however corrupt, makes the check
        // itself overflow. It comes back as text, read into i128.
        let rows = tx
            .query(
                "SELECT a.id, a.email, a.balance_micros, COALESCE(s.total, 0)::text
                 FROM accounts a
                 LEFT JOIN (SELECT account_id, SUM(amount_micros) AS total
                            FROM ledger_entries GROUP BY account_id) s ON s.account_id = a.id
                 ORDER BY a.id",
                &[],
            )
            .await?;
        let mut mismatches = Vec::new();
        for r in &rows {
            let balance: i64 = r.try_get(2)?;
            let sum: i128 = r
                .try_get::<_, &str>(3)?
                .parse()
                .map_err(|_| bad_value("ledger sum"))?;
            if i128::from(balance) != sum {
                let shown = i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX });
                mismatches.push((r.try_get(0)?, r.try_get(1)?, Micros(balance), Micros(shown)));
            }
        }
        let invalid: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM usage_events WHERE settlement = 'usage_invalid'",
                &[],
            )
            .await?
            .try_get(0)?;
        let capped = tx
            .query_one(
                "SELECT COUNT(*), COALESCE(SUM(COALESCE(uncapped_cost_micros, 0) - cost_micros), 0)::text
                 FROM usage_events WHERE settlement = 'capped_at_hold'",
                &[],
            )
            .await?;
        let excess: i128 = capped
            .try_get::<_, &str>(1)?
            .parse()
            .map_err(|_| bad_value("capped excess"))?;
        let excess = i64::try_from(excess.clamp(0, i128::from(Micros::MAX.0))).unwrap_or(0);
        tx.commit().await?;
        Ok(LedgerCheckRecord {
            accounts: count(accounts),
            entries: count(entries),
            mismatches,
            usage_invalid: count(invalid),
            capped_at_hold: count(capped.try_get(0)?),
            capped_excess: Micros(excess),
        })
    }

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT l.id, actor.email, l.action, l.target, l.detail, l.created_at
             FROM audit_log l LEFT JOIN accounts actor ON actor.id = l.actor_id
             WHERE l.id < $1 ORDER BY l.id DESC LIMIT $2",
            &[&before.unwrap_or(i64::MAX), &i64::from(limit)],
        )
        .await?
        .iter()
        .map(|r| {
            let detail: &str = r.try_get(4)?;
            Ok(AuditRecord {
                id: r.try_get(0)?,
                actor_email: r.try_get(1)?,
                action: r.try_get(2)?,
                target: r.try_get(3)?,
                detail: serde_json::from_str(detail).unwrap_or(serde_json::Value::Null),
                created_at: r.try_get(5)?,
            })
        })
        .collect()
    }
}
