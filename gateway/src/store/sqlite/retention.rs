//! Retention purges: request metadata erased, raw usage events deleted with the rollup kept,
//! deleted accounts purged to a tombstone once their billing records' retention is over.

use super::*;

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn purge(
        &self,
        metadata_before: Millis,
        events_before: Option<Millis>,
    ) -> Result<PurgeRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let events_anonymised = tx.execute(
                    "UPDATE usage_events SET client_ip = NULL, user_agent = NULL
                     WHERE created_at < ?1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                    [metadata_before],
                )? as u64;
                let sessions_anonymised = tx.execute(
                    "UPDATE sessions SET client_ip = NULL, user_agent = NULL
                     WHERE created_at < ?1 AND (ended_at IS NOT NULL OR expires_at <= ?1)
                       AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                    [metadata_before],
                )? as u64;
                let events_deleted = match events_before {
                    None => 0,
                    Some(before) => {
                        // The rollup's delete trigger stands aside while this row exists.
                        tx.execute("INSERT INTO usage_purge (one) VALUES (1)", [])?;
                        let n =
                            tx.execute("DELETE FROM usage_events WHERE created_at < ?1", [before])?;
                        tx.execute("DELETE FROM usage_purge", [])?;
                        n as u64
                    }
                };
                tx.commit()?;
                Ok(PurgeRecord {
                    events_anonymised,
                    sessions_anonymised,
                    events_deleted,
                })
            })
            .await
    }

    async fn purge_deleted_accounts(
        &self,
        deleted_before: Millis,
        audit: NewAudit,
    ) -> Result<u64, StoreError> {
        let due: Vec<i64> = self
            .writer
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT id FROM accounts
                     WHERE deleted_at < ?1 AND purged_at IS NULL ORDER BY id",
                )?;
                let ids = stmt
                    .query_map([deleted_before], |r| r.get(0))?
                    .collect::<Result<Vec<i64>, _>>()?;
                Ok(ids)
            })
            .await?;
        let mut purged = 0;
        for id in due {
            let mut audit = audit.clone();
            let done = self
                .writer
                .call(move |c| {
                    let tx = c.transaction()?;
                    // Re-checked inside: another purge may have come first.
                    let email: Option<String> = tx
                        .query_row(
                            "SELECT email FROM accounts
                             WHERE id = ?1 AND deleted_at IS NOT NULL AND purged_at IS NULL",
                            [id],
                            |r| r.get(0),
                        )
                        .optional()?;
                    let Some(email) = email else {
                        return Ok(false);
                    };
                    tx.execute("INSERT INTO account_purge (one) VALUES (1)", [])?;
                    // The rollup rows go whole below; its delete trigger need not follow.
                    tx.execute("INSERT INTO usage_purge (one) VALUES (1)", [])?;
                    for sql in PURGE_ACCOUNT {
                        tx.execute(sql, [id])?;
                    }
                    tx.execute("DELETE FROM usage_purge", [])?;
                    tx.execute("DELETE FROM account_purge", [])?;
                    tx.execute(
                        "UPDATE accounts SET balance_micros = 0, held_micros = 0, purged_at = ?2,
                             updated_at = ?2 WHERE id = ?1",
                        params![id, audit.created_at],
                    )?;
                    audit.target = Some(email);
                    insert_audit(&tx, &audit)?;
                    tx.commit()?;
                    Ok(true)
                })
                .await?;
            purged += u64::from(done);
        }
        Ok(purged)
    }
}

/// What a purge deletes of account `?1`, in an order no foreign key objects to: what points at
/// the account's orders, refunds and ledger entries first, then those, then the rest.
const PURGE_ACCOUNT: &[&str] = &[
    "DELETE FROM referral_commissions WHERE referrer_id = ?1 OR referee_id = ?1",
    "DELETE FROM provider_events WHERE order_id IN (SELECT id FROM orders WHERE account_id = ?1)",
    "DELETE FROM refunds WHERE account_id = ?1",
    "UPDATE redemption_codes SET ledger_id = NULL
     WHERE ledger_id IN (SELECT id FROM ledger_entries WHERE account_id = ?1)",
    "DELETE FROM orders WHERE account_id = ?1",
    "DELETE FROM usage_events WHERE account_id = ?1",
    "DELETE FROM usage_rollup WHERE account_id = ?1",
    "DELETE FROM holds WHERE account_id = ?1",
    "DELETE FROM ledger_entries WHERE account_id = ?1",
    "DELETE FROM api_keys WHERE account_id = ?1",
    "DELETE FROM sessions WHERE account_id = ?1",
    "DELETE FROM account_tokens WHERE account_id = ?1",
    "DELETE FROM login_challenges WHERE account_id = ?1",
    "DELETE FROM recovery_codes WHERE account_id = ?1",
    "DELETE FROM account_totp WHERE account_id = ?1",
    "DELETE FROM referrals WHERE referee_id = ?1 OR referrer_id = ?1",
    "DELETE FROM referral_codes WHERE account_id = ?1",
    "DELETE FROM invitations WHERE account_id = ?1",
];
