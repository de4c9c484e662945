//! Redemption code batches and their codes (hashes only), and the compare-and-swap that
//! redeems one inside a credit's transaction.

use super::*;

/// The batch columns with its codes counted by state as of `$1` (a time).
const BATCH_COLUMNS: &str =
    "b.id, b.amount_micros, b.promotional, b.note, b.expires_at, creator.email, b.created_at,
     COUNT(c.id),
     COUNT(c.id) FILTER (WHERE c.redeemed_at IS NULL AND c.disabled_at IS NULL
                          AND (b.expires_at IS NULL OR b.expires_at > $1)),
     COUNT(c.id) FILTER (WHERE c.redeemed_at IS NOT NULL),
     COUNT(c.id) FILTER (WHERE c.disabled_at IS NOT NULL),
     COUNT(c.id) FILTER (WHERE c.redeemed_at IS NULL AND c.disabled_at IS NULL
                          AND b.expires_at IS NOT NULL AND b.expires_at <= $1)";

const BATCH_FROM: &str = "FROM code_batches b
     LEFT JOIN accounts creator ON creator.id = b.created_by
     LEFT JOIN redemption_codes c ON c.batch_id = b.id";

/// `creator.email` is grouped by along with the batch's key: PostgreSQL wants every column
/// that is not aggregated named (the batch's own follow from its primary key).
const BATCH_GROUP: &str = "GROUP BY b.id, creator.email";

fn batch_row(r: &Row) -> Result<CodeBatchRecord, StoreError> {
    let n = |i: usize| -> Result<u32, StoreError> {
        Ok(u32::try_from(r.try_get::<_, i64>(i)?).unwrap_or(u32::MAX))
    };
    Ok(CodeBatchRecord {
        id: r.try_get(0)?,
        amount: Micros(r.try_get(1)?),
        promotional: r.try_get(2)?,
        note: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        created_by_email: r.try_get(5)?,
        created_at: r.try_get(6)?,
        count: n(7)?,
        unused: n(8)?,
        redeemed: n(9)?,
        disabled: n(10)?,
        expired: n(11)?,
    })
}

const CODE_COLUMNS: &str =
    "c.id, c.batch_id, b.amount_micros, b.promotional, b.expires_at, redeemer.email,
     c.redeemed_at, c.disabled_at";

const CODE_FROM: &str = "FROM redemption_codes c
     JOIN code_batches b ON b.id = c.batch_id
     LEFT JOIN accounts redeemer ON redeemer.id = c.redeemed_by";

fn code_row(r: &Row) -> Result<CodeRecord, StoreError> {
    Ok(CodeRecord {
        id: r.try_get(0)?,
        batch_id: r.try_get(1)?,
        amount: Micros(r.try_get(2)?),
        promotional: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        redeemed_by_email: r.try_get(5)?,
        redeemed_at: r.try_get(6)?,
        disabled_at: r.try_get(7)?,
    })
}

async fn batch_in<C: deadpool_postgres::GenericClient>(
    c: &C,
    id: i64,
    at: Millis,
) -> Result<Option<CodeBatchRecord>, StoreError> {
    c.query_opt(
        &format!("SELECT {BATCH_COLUMNS} {BATCH_FROM} WHERE b.id = $2 {BATCH_GROUP}"),
        &[&at, &id],
    )
    .await?
    .as_ref()
    .map(batch_row)
    .transpose()
}

/// The compare-and-swap of a redemption, inside the credit's transaction: marks code `code_id`
/// redeemed by `e`'s account if it is neither redeemed, nor disabled, nor expired at
/// `e.created_at`; else says why not, having changed nothing. The code's batch must be worth
/// `e`'s amount with its promotional flag: anything else is a caller's bug, refused whole.
///
/// The UPDATE's row lock makes two concurrent redemptions of one code queue: the second
/// re-checks `redeemed_at IS NULL` after the first commits and swaps nothing.
pub(super) async fn redeem(
    tx: &Tx<'_>,
    code_id: i64,
    e: &NewLedgerEntry,
) -> Result<Result<(), CreditRefusal>, StoreError> {
    let swapped = tx
        .execute(
            "UPDATE redemption_codes SET redeemed_by = $2, redeemed_at = $3
             WHERE id = $1 AND redeemed_at IS NULL AND disabled_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM code_batches b WHERE b.id = redemption_codes.batch_id
                               AND b.expires_at IS NOT NULL AND b.expires_at <= $3)",
            &[&code_id, &e.account_id, &e.created_at],
        )
        .await?;
    let code = tx
        .query_opt(
            &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.id = $1"),
            &[&code_id],
        )
        .await?
        .as_ref()
        .map(code_row)
        .transpose()?;
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
impl CodeStore for PgStore {
    async fn create_code_batch(
        &self,
        batch: NewCodeBatch,
        audit: NewAudit,
    ) -> Result<CodeBatchRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO code_batches (amount_micros, promotional, note, expires_at, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &batch.amount.0,
                    &batch.promotional,
                    &batch.note,
                    &batch.expires_at,
                    &batch.created_by,
                    &batch.created_at,
                ],
            )
            .await?
            .try_get(0)?;
        // One statement for the whole batch: codes come by the thousand.
        tx.execute(
            "INSERT INTO redemption_codes (batch_id, code_hash) SELECT $1, h FROM unnest($2::text[]) AS h",
            &[&id, &batch.hashes],
        )
        .await?;
        let mut audit = audit;
        if let Some(detail) = audit.detail.as_object_mut() {
            detail.insert("batch".into(), id.into());
        }
        insert_audit(&tx, &audit).await?;
        let record = batch_in(&tx, id, batch.created_at)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn code_batches(&self, at: Millis) -> Result<Vec<CodeBatchRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            &format!("SELECT {BATCH_COLUMNS} {BATCH_FROM} {BATCH_GROUP} ORDER BY b.id DESC"),
            &[&at],
        )
        .await?
        .iter()
        .map(batch_row)
        .collect()
    }

    async fn code_batch(
        &self,
        id: i64,
        at: Millis,
    ) -> Result<Option<(CodeBatchRecord, Vec<CodeRecord>)>, StoreError> {
        let mut c = self.client().await?;
        // The batch's counts and its codes from one snapshot.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let Some(batch) = batch_in(&tx, id, at).await? else {
            return Ok(None);
        };
        let codes = tx
            .query(
                &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.batch_id = $1 ORDER BY c.id"),
                &[&id],
            )
            .await?
            .iter()
            .map(code_row)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(Some((batch, codes)))
    }

    async fn code_by_hash(&self, hash: &str) -> Result<Option<CodeRecord>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.code_hash = $1"),
            &[&hash],
        )
        .await?
        .as_ref()
        .map(code_row)
        .transpose()
    }

    async fn disable_codes(
        &self,
        target: CodeTarget,
        at: Millis,
        audit: NewAudit,
    ) -> Result<Option<u32>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let changed = match &target {
            CodeTarget::Batch(id) => {
                let exists = tx
                    .query_opt("SELECT 1 FROM code_batches WHERE id = $1", &[id])
                    .await?;
                if exists.is_none() {
                    return Ok(None);
                }
                tx.execute(
                    "UPDATE redemption_codes SET disabled_at = $2
                     WHERE batch_id = $1 AND redeemed_at IS NULL AND disabled_at IS NULL",
                    &[id, &at],
                )
                .await?
            }
            CodeTarget::Code(hash) => {
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM redemption_codes WHERE code_hash = $1",
                        &[hash],
                    )
                    .await?;
                if exists.is_none() {
                    return Ok(None);
                }
                tx.execute(
                    "UPDATE redemption_codes SET disabled_at = $2
                     WHERE code_hash = $1 AND redeemed_at IS NULL AND disabled_at IS NULL",
                    &[hash, &at],
                )
                .await?
            }
        };
        let changed = u32::try_from(changed).unwrap_or(u32::MAX);
        let mut audit = audit;
        if let Some(detail) = audit.detail.as_object_mut() {
            detail.insert("disabled".into(), changed.into());
        }
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(changed))
    }
}
