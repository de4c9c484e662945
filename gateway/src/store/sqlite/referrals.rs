//! Referral codes and links, and the commissions earned (inside a payment's transaction) and
//! taken back (inside a debit's).

use super::*;

/// Credits the referrer of `e`'s account the commission of order `order_id` when `terms` hold;
/// runs in the payment's transaction, after the order was marked paid.
pub(super) fn earn(
    tx: &Transaction<'_>,
    order_id: i64,
    e: &NewLedgerEntry,
    terms: &CommissionTerms,
) -> Result<(), StoreError> {
    let link: Option<(i64, i64)> = tx
        .query_row(
            "SELECT referrer_id, created_at FROM referrals WHERE referee_id = ?1",
            [e.account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((referrer_id, linked_at)) = link else {
        return Ok(());
    };
    if referrer_id != terms.referrer_id || e.created_at.saturating_sub(linked_at) > terms.max_age {
        return Ok(());
    }
    let earned: i64 = tx.query_row(
        "SELECT COUNT(*) FROM referral_commissions WHERE referee_id = ?1 AND kind = 'earned'",
        [e.account_id],
        |r| r.get(0),
    )?;
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
    )?;
    tx.execute(
        "INSERT INTO referral_commissions (kind, order_id, referee_id, referrer_id, ledger_id,
                amount_micros, due_micros, created_at)
         VALUES ('earned', ?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![
            order_id,
            e.account_id,
            referrer_id,
            entry.id,
            amount,
            e.created_at
        ],
    )?;
    Ok(())
}

/// The check and write of [`DebitCondition::CommissionTakeBack`].
pub(super) fn take_back(
    tx: &Transaction<'_>,
    e: &NewLedgerEntry,
    refund_id: i64,
    order_id: i64,
    due: Micros,
) -> Result<DebitOutcome, StoreError> {
    let earned: Option<(i64, i64)> = tx
        .query_row(
            "SELECT referrer_id, referee_id FROM referral_commissions
             WHERE order_id = ?1 AND kind = 'earned'",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let succeeded: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM refunds WHERE id = ?1 AND order_id = ?2
                        AND state = 'succeeded')",
        params![refund_id, order_id],
        |r| r.get(0),
    )?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM referral_commissions
                        WHERE refund_id = ?1 AND kind = 'taken_back')",
        [refund_id],
        |r| r.get(0),
    )?;
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
    let entry = insert_entry(tx, e)?;
    tx.execute(
        "INSERT INTO referral_commissions (kind, order_id, refund_id, referee_id, referrer_id,
                ledger_id, amount_micros, due_micros, created_at)
         VALUES ('taken_back', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            order_id,
            refund_id,
            referee_id,
            referrer_id,
            entry.id,
            amount,
            due.0,
            e.created_at
        ],
    )?;
    Ok(DebitOutcome::Debited(Box::new(entry), None))
}

#[async_trait]
impl ReferralStore for SqliteStore {
    async fn referral_code(
        &self,
        account_id: i64,
        code: &str,
        at: Millis,
    ) -> Result<String, StoreError> {
        let code = code.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let mine: Option<String> = tx
                    .query_row(
                        "SELECT code FROM referral_codes WHERE account_id = ?1",
                        [account_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(mine) = mine {
                    return Ok(mine);
                }
                let taken: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM referral_codes WHERE code = ?1)",
                    [&code],
                    |r| r.get(0),
                )?;
                if taken {
                    return Err(StoreError::Conflict("this referral code is taken".into()));
                }
                tx.execute(
                    "INSERT INTO referral_codes (account_id, code, created_at) VALUES (?1, ?2, ?3)",
                    params![account_id, code, at],
                )?;
                tx.commit()?;
                Ok(code)
            })
            .await
    }

    async fn account_by_referral_code(&self, code: &str) -> Result<Option<i64>, StoreError> {
        let code = code.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT account_id FROM referral_codes WHERE code = ?1",
                    [code],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await
    }

    async fn link_referral(
        &self,
        referee_id: i64,
        code: &str,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Result<i64, LinkRefusal>, StoreError> {
        let code = code.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let referrer: Option<i64> = tx
                    .query_row(
                        "SELECT account_id FROM referral_codes WHERE code = ?1",
                        [&code],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(referrer) = referrer else {
                    return Ok(Err(LinkRefusal::UnknownCode));
                };
                if referrer == referee_id {
                    return Ok(Err(LinkRefusal::SelfReferral));
                }
                let inserted = tx.execute(
                    "INSERT INTO referrals (referee_id, referrer_id, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (referee_id) DO NOTHING",
                    params![referee_id, referrer, at],
                )?;
                if inserted == 0 {
                    return Ok(Err(LinkRefusal::AlreadyReferred));
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Ok(referrer))
            })
            .await
    }

    async fn referrer_of(&self, account_id: i64) -> Result<Option<(i64, Millis)>, StoreError> {
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT referrer_id, created_at FROM referrals WHERE referee_id = ?1",
                    [account_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
            })
            .await
    }

    async fn referees(&self, referrer_id: i64) -> Result<Vec<RefereeRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT a.email, r.created_at,
                            COALESCE((SELECT SUM(amount_micros) FROM referral_commissions k
                              WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                                AND k.kind = 'earned'), 0),
                            COALESCE((SELECT SUM(amount_micros) FROM referral_commissions k
                              WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                                AND k.kind = 'taken_back'), 0),
                            (SELECT COUNT(*) FROM referral_commissions k
                              WHERE k.referee_id = r.referee_id AND k.referrer_id = r.referrer_id
                                AND k.kind = 'earned')
                     FROM referrals r JOIN accounts a ON a.id = r.referee_id
                     WHERE r.referrer_id = ?1 ORDER BY r.created_at, r.referee_id",
                )?;
                let rows = stmt
                    .query_map([referrer_id], |r| {
                        Ok(RefereeRecord {
                            email: r.get(0)?,
                            linked_at: r.get(1)?,
                            earned: Micros(r.get(2)?),
                            taken_back: Micros(r.get(3)?),
                            topups: r.get(4)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn commissions(&self, referrer_id: i64) -> Result<Vec<CommissionRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT k.id, k.kind = 'earned', a.email, k.amount_micros, k.due_micros,
                            k.created_at
                     FROM referral_commissions k JOIN accounts a ON a.id = k.referee_id
                     WHERE k.referrer_id = ?1 ORDER BY k.id",
                )?;
                let rows = stmt
                    .query_map([referrer_id], |r| {
                        Ok(CommissionRecord {
                            id: r.get(0)?,
                            earned: r.get(1)?,
                            referee_email: r.get(2)?,
                            amount: Micros(r.get(3)?),
                            due: Micros(r.get(4)?),
                            created_at: r.get(5)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn order_commission(
        &self,
        order_id: i64,
    ) -> Result<Option<(i64, Micros, Micros)>, StoreError> {
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT referrer_id, amount_micros,
                            (SELECT COALESCE(SUM(amount_micros), 0) FROM referral_commissions t
                              WHERE t.order_id = k.order_id AND t.kind = 'taken_back')
                     FROM referral_commissions k WHERE order_id = ?1 AND kind = 'earned'",
                    [order_id],
                    |r| Ok((r.get(0)?, Micros(r.get(1)?), Micros(r.get(2)?))),
                )
                .optional()?)
            })
            .await
    }
}
