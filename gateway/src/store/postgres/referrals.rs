//! Referral codes and links, and the commissions earned (inside a payment's transaction) and
//! taken back (inside a debit's).
//!
//! Locks: a payment that may earn a commission locks the buyer's and the referrer's account
//! rows together, in id order, before appending either entry (see `ledger::credit`); taking a
//! commission back locks the refund's row, then the referrer's account, as every refund path
//! does.

use super::*;

/// Credits the referrer of `e`'s account the commission of order `order_id` when `terms` hold;
/// runs in the payment's transaction, after the order was marked paid.
pub(super) async fn earn(
    tx: &Tx<'_>,
    order_id: i64,
    e: &NewLedgerEntry,
    terms: &CommissionTerms,
) -> Result<(), StoreError> {
    let link = tx
        .query_opt(
            "SELECT referrer_id, created_at FROM referrals WHERE referee_id = $1",
            &[&e.account_id],
        )
        .await?;
    let Some(link) = link else {
        return Ok(());
    };
    let (referrer_id, linked_at): (i64, Millis) = (link.try_get(0)?, link.try_get(1)?);
    if referrer_id != terms.referrer_id || e.created_at.saturating_sub(linked_at) > terms.max_age {
        return Ok(());
    }
    let earned: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM referral_commissions WHERE referee_id = $1 AND kind = 'earned'",
            &[&e.account_id],
        )
        .await?
        .try_get(0)?;
    if earned >= i64::from(terms.max_topups) {
        return Ok(());
    }
    let amount = i128::from(e.amount.0) * i128::from(terms.rate_bps) / 10_000;
    let amount =
        i64::try_from(amount).map_err(|_| StoreError::Conflict("commission too large".into()))?;
    if amount <= 0 {
        return Ok(());
    }
    let entry = insert_entry(
        tx,
        &NewLedgerEntry {
            account_id: referrer_id,
            kind: LedgerKind::ReferralCommission,
            amount: Micros(amount),
            reason: Some(format!("commission on order {order_id} of a referee")),
            actor_id: None,
            request_id: None,
            created_at: e.created_at,
            forbid_negative: true,
            promotional: true,
        },
    )
    .await?;
    tx.execute(
        "INSERT INTO referral_commissions (kind, order_id, referee_id, referrer_id, ledger_id,
                amount_micros, due_micros, created_at)
         VALUES ('earned', $1, $2, $3, $4, $5, $5, $6)",
        &[
            &order_id,
            &e.account_id,
            &referrer_id,
            &entry.id,
            &amount,
            &e.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// The check and write of [`DebitCondition::CommissionTakeBack`]. Locks the refund's row first,
/// so a second take-back for the same refund waits, then finds this one's.
pub(super) async fn take_back(
    tx: &Tx<'_>,
    e: &NewLedgerEntry,
    refund_id: i64,
    order_id: i64,
    due: Micros,
) -> Result<DebitOutcome, StoreError> {
    let succeeded = tx
        .query_opt(
            "SELECT 1 FROM refunds WHERE id = $1 AND order_id = $2 AND state = 'succeeded'
             FOR NO KEY UPDATE",
            &[&refund_id, &order_id],
        )
        .await?
        .is_some();
    let earned = tx
        .query_opt(
            "SELECT referrer_id, referee_id FROM referral_commissions
             WHERE order_id = $1 AND kind = 'earned'",
            &[&order_id],
        )
        .await?
        .map(|r| Ok::<_, StoreError>((r.try_get::<_, i64>(0)?, r.try_get::<_, i64>(1)?)))
        .transpose()?;
    let taken: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM referral_commissions
                            WHERE refund_id = $1 AND kind = 'taken_back')",
            &[&refund_id],
        )
        .await?
        .try_get(0)?;
    let amount = e.amount.0.checked_neg().unwrap_or(0);
    let Some((referrer_id, referee_id)) = earned.filter(|(r, _)| *r == e.account_id) else {
        return Ok(DebitOutcome::Refused(DebitRefusal::NothingToTakeBack));
    };
    if !succeeded
        || taken
        || e.kind != LedgerKind::ReferralCommission
        || amount <= 0
        || amount > due.0
    {
        return Ok(DebitOutcome::Refused(DebitRefusal::NothingToTakeBack));
    }
    let entry = insert_entry(tx, e).await?;
    tx.execute(
        "INSERT INTO referral_commissions (kind, order_id, refund_id, referee_id, referrer_id,
                ledger_id, amount_micros, due_micros, created_at)
         VALUES ('taken_back', $1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &order_id,
            &refund_id,
            &referee_id,
            &referrer_id,
            &entry.id,
            &amount,
            &due.0,
            &e.created_at,
        ],
    )
    .await?;
    Ok(DebitOutcome::Debited(Box::new(entry), None))
}

#[async_trait]
impl ReferralStore for PgStore {
    async fn referral_code(
        &self,
        account_id: i64,
        code: &str,
        at: Millis,
    ) -> Result<String, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let mine = "SELECT code FROM referral_codes WHERE account_id = $1";
        if let Some(r) = tx.query_opt(mine, &[&account_id]).await? {
            return Ok(r.try_get(0)?);
        }
        // Either key may collide: the account got a code meanwhile (a racing first use, which
        // this waits for and then answers), or `code` is another account's.
        let inserted = tx
            .execute(
                "INSERT INTO referral_codes (account_id, code, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&account_id, &code, &at],
            )
            .await?;
        if inserted == 1 {
            tx.commit().await?;
            return Ok(code.to_owned());
        }
        match tx.query_opt(mine, &[&account_id]).await? {
            Some(r) => Ok(r.try_get(0)?),
            None => {
                tx.rollback().await?;
                Err(StoreError::Conflict("this referral code is taken".into()))
            }
        }
    }

    async fn account_by_referral_code(&self, code: &str) -> Result<Option<i64>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT account_id FROM referral_codes WHERE code = $1",
            &[&code],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    async fn link_referral(
        &self,
        referee_id: i64,
        code: &str,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Result<i64, LinkRefusal>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let referrer: Option<i64> = tx
            .query_opt(
                "SELECT account_id FROM referral_codes WHERE code = $1",
                &[&code],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(referrer) = referrer else {
            tx.rollback().await?;
            return Ok(Err(LinkRefusal::UnknownCode));
        };
        if referrer == referee_id {
            tx.rollback().await?;
            return Ok(Err(LinkRefusal::SelfReferral));
        }
        let inserted = tx
            .execute(
                "INSERT INTO referrals (referee_id, referrer_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (referee_id) DO NOTHING",
                &[&referee_id, &referrer, &at],
            )
            .await?;
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(Err(LinkRefusal::AlreadyReferred));
        }
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Ok(referrer))
    }

    async fn referrer_of(&self, account_id: i64) -> Result<Option<(i64, Millis)>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            "SELECT referrer_id, created_at FROM referrals WHERE referee_id = $1",
            &[&account_id],
        )
        .await?
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
    }

    async fn referees(&self, referrer_id: i64) -> Result<Vec<RefereeRecord>, StoreError> {
        let c = self.client().await?;
        // Sums as NUMERIC read back as BIGINT: each is at most the referee's top-ups'.
        c.query(
            "SELECT a.email, r.created_at,
                    COALESCE((SELECT SUM(amount_micros) FROM referral_commissions k
                      WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                        AND k.kind = 'earned'), 0)::bigint,
                    COALESCE((SELECT SUM(amount_micros) FROM referral_commissions k
                      WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                        AND k.kind = 'taken_back'), 0)::bigint,
                    (SELECT COUNT(*) FROM referral_commissions k
                      WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                        AND k.kind = 'earned')
             FROM referrals r JOIN accounts a ON a.id = r.referee_id
             WHERE r.referrer_id = $1 ORDER BY r.created_at, r.referee_id",
            &[&referrer_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(RefereeRecord {
                email: r.try_get(0)?,
                linked_at: r.try_get(1)?,
                earned: Micros(r.try_get(2)?),
                taken_back: Micros(r.try_get(3)?),
                topups: u32::try_from(r.try_get::<_, i64>(4)?)
                    .map_err(|_| bad_value("commission count"))?,
            })
        })
        .collect()
    }

    async fn commissions(&self, referrer_id: i64) -> Result<Vec<CommissionRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT k.id, k.kind = 'earned', a.email, k.amount_micros, k.due_micros, k.created_at
             FROM referral_commissions k JOIN accounts a ON a.id = k.referee_id
             WHERE k.referrer_id = $1 ORDER BY k.id",
            &[&referrer_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CommissionRecord {
                id: r.try_get(0)?,
                earned: r.try_get(1)?,
                referee_email: r.try_get(2)?,
                amount: Micros(r.try_get(3)?),
                due: Micros(r.try_get(4)?),
                created_at: r.try_get(5)?,
            })
        })
        .collect()
    }

    async fn order_commission(
        &self,
        order_id: i64,
    ) -> Result<Option<(i64, Micros, Micros)>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            "SELECT referrer_id, amount_micros,
                    (SELECT COALESCE(SUM(amount_micros), 0) FROM referral_commissions t
                      WHERE t.order_id = k.order_id AND t.kind = 'taken_back')::bigint
             FROM referral_commissions k WHERE order_id = $1 AND kind = 'earned'",
            &[&order_id],
        )
        .await?
        .map(|r| Ok((r.try_get(0)?, Micros(r.try_get(1)?), Micros(r.try_get(2)?))))
        .transpose()
    }
}
