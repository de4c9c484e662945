//! Redemption code batches and their codes (hashes only), and the compare-and-swap that
//! redeems one inside a credit's transaction.

use super::*;

/// The batch columns with its codes counted by state as of `?1` (a time).
const BATCH_COLUMNS: &str =
    "b.id, b.amount_micros, b.promotional, b.note, b.expires_at, creator.email, b.created_at,
     COUNT(c.id),
     COALESCE(SUM(c.redeemed_at IS NULL AND c.disabled_at IS NULL
                  AND (b.expires_at IS NULL OR b.expires_at > ?1)), 0),
     COALESCE(SUM(c.redeemed_at IS NOT NULL), 0),
     COALESCE(SUM(c.disabled_at IS NOT NULL), 0),
     COALESCE(SUM(c.redeemed_at IS NULL AND c.disabled_at IS NULL
                  AND b.expires_at IS NOT NULL AND b.expires_at <= ?1), 0)";

const BATCH_FROM: &str = "FROM code_batches b
     LEFT JOIN accounts creator ON creator.id = b.created_by
     LEFT JOIN redemption_codes c ON c.batch_id = b.id";

fn batch_row(r: &Row<'_>) -> rusqlite::Result<CodeBatchRecord> {
    let count = |i: usize| -> rusqlite::Result<u32> {
        Ok(u32::try_from(r.get::<_, i64>(i)?).unwrap_or(u32::MAX))
    };
    Ok(CodeBatchRecord {
        id: r.get(0)?,
        amount: Micros(r.get(1)?),
        promotional: r.get(2)?,
        note: r.get(3)?,
        expires_at: r.get(4)?,
        created_by_email: r.get(5)?,
        created_at: r.get(6)?,
        count: count(7)?,
        unused: count(8)?,
        redeemed: count(9)?,
        disabled: count(10)?,
        expired: count(11)?,
    })
}

const CODE_COLUMNS: &str =
    "c.id, c.batch_id, b.amount_micros, b.promotional, b.expires_at, redeemer.email,
     c.redeemed_at, c.disabled_at";

const CODE_FROM: &str = "FROM redemption_codes c
     JOIN code_batches b ON b.id = c.batch_id
     LEFT JOIN accounts redeemer ON redeemer.id = c.redeemed_by";

fn code_row(r: &Row<'_>) -> rusqlite::Result<CodeRecord> {
    Ok(CodeRecord {
        id: r.get(0)?,
        batch_id: r.get(1)?,
        amount: Micros(r.get(2)?),
        promotional: r.get(3)?,
        expires_at: r.get(4)?,
        redeemed_by_email: r.get(5)?,
        redeemed_at: r.get(6)?,
        disabled_at: r.get(7)?,
    })
}

fn batch_in(c: &Connection, id: i64, at: Millis) -> rusqlite::Result<Option<CodeBatchRecord>> {
    c.query_row(
        &format!("SELECT {BATCH_COLUMNS} {BATCH_FROM} WHERE b.id = ?2 GROUP BY b.id"),
        params![at, id],
        batch_row,
    )
    .optional()
}

/// The compare-and-swap of a redemption, inside the credit's transaction: marks code `code_id`
/// redeemed by `e`'s account if it is neither redeemed, nor disabled, nor expired at
/// `e.created_at`; else says why not, having changed nothing. The code's batch must be worth
/// `e`'s amount with its promotional flag: anything else is a caller's bug, refused whole.
pub(super) fn redeem(
    tx: &Transaction<'_>,
    code_id: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let swapped = tx.execute(
        "UPDATE redemption_codes SET redeemed_by = ?2, redeemed_at = ?3
         WHERE id = ?1 AND redeemed_at IS NULL AND disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM code_batches b WHERE b.id = redemption_codes.batch_id
                           AND b.expires_at IS NOT NULL AND b.expires_at <= ?3)",
        params![code_id, e.account_id, e.created_at],
    )?;
    let code = tx
        .query_row(
            &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.id = ?1"),
            [code_id],
            code_row,
        )
        .optional()?;
    let Some(code) = code else {
        return Ok(Err(CreditRefusal::CodeUnknown));
    };
    if swapped == 0 {
        return Ok(Err(if code.redeemed_at.is_some() {
            CreditRefusal::CodeRedeemed
        } else if code.disabled_at.is_some() {
            CreditRefusal::CodeDisabled
        } else {
            CreditRefusal::CodeExpired
        }));
    }
    if code.amount != e.amount || code.promotional != e.promotional {
        return Err(StoreError::Conflict(format!(
            "code {code_id} is worth {} (promotional: {}), not the credit's {} (promotional: {})",
            code.amount.0, code.promotional, e.amount.0, e.promotional
        )));
    }
    Ok(Ok(()))
}

#[async_trait]
impl CodeStore for SqliteStore {
    async fn create_code_batch(
        &self,
        batch: NewCodeBatch,
        audit: NewAudit,
    ) -> Result<CodeBatchRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "INSERT INTO code_batches (amount_micros, promotional, note, expires_at, created_by, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        batch.amount.0,
                        batch.promotional,
                        batch.note,
                        batch.expires_at,
                        batch.created_by,
                        batch.created_at
                    ],
                )?;
                let id = tx.last_insert_rowid();
                {
                    let mut insert = tx.prepare(
                        "INSERT INTO redemption_codes (batch_id, code_hash) VALUES (?1, ?2)",
                    )?;
                    for hash in &batch.hashes {
                        insert.execute(params![id, hash])?;
                    }
                }
                let mut audit = audit;
                if let Some(detail) = audit.detail.as_object_mut() {
                    detail.insert("batch".into(), id.into());
                }
                insert_audit(&tx, &audit)?;
                let record = batch_in(&tx, id, batch.created_at)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(record)
            })
            .await
    }

    async fn code_batches(&self, at: Millis) -> Result<Vec<CodeBatchRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {BATCH_COLUMNS} {BATCH_FROM} GROUP BY b.id ORDER BY b.id DESC"
                ))?;
                let rows = stmt
                    .query_map([at], batch_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn code_batch(
        &self,
        id: i64,
        at: Millis,
    ) -> Result<Option<(CodeBatchRecord, Vec<CodeRecord>)>, StoreError> {
        self.reader
            .call(move |c| {
                let tx = c.transaction()?;
                let Some(batch) = batch_in(&tx, id, at)? else {
                    return Ok(None);
                };
                let codes = {
                    let mut stmt = tx.prepare(&format!(
                        "SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.batch_id = ?1 ORDER BY c.id"
                    ))?;
                    stmt.query_map([id], code_row)?
                        .collect::<Result<Vec<_>, _>>()?
                };
                tx.commit()?;
                Ok(Some((batch, codes)))
            })
            .await
    }

    async fn code_by_hash(&self, hash: &str) -> Result<Option<CodeRecord>, StoreError> {
        let hash = hash.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.code_hash = ?1"),
                    [hash],
                    code_row,
                )
                .optional()?)
            })
            .await
    }

    async fn disable_codes(
        &self,
        target: CodeTarget,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Option<u32>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let changed = match &target {
                    CodeTarget::Batch(id) => {
                        let exists = tx
                            .query_row("SELECT 1 FROM code_batches WHERE id = ?1", [id], |_| Ok(()))
                            .optional()?;
                        if exists.is_none() {
                            return Ok(None);
                        }
                        tx.execute(
                            "UPDATE redemption_codes SET disabled_at = ?2
                             WHERE batch_id = ?1 AND redeemed_at IS NULL AND disabled_at IS NULL",
                            params![id, at],
                        )?
                    }
                    CodeTarget::Code(hash) => {
                        let exists = tx
                            .query_row(
                                "SELECT 1 FROM redemption_codes WHERE code_hash = ?1",
                                [hash],
                                |_| Ok(()),
                            )
                            .optional()?;
                        if exists.is_none() {
                            return Ok(None);
                        }
                        tx.execute(
                            "UPDATE redemption_codes SET disabled_at = ?2
                             WHERE code_hash = ?1 AND redeemed_at IS NULL AND disabled_at IS NULL",
                            params![hash, at],
                        )?
                    }
                };
                let changed = u32::try_from(changed).unwrap_or(u32::MAX);
                let mut audit = audit;
                if let Some(detail) = audit.detail.as_object_mut() {
                    detail.insert("disabled".into(), changed.into());
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Some(changed))
            })
            .await
    }
}
