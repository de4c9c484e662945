//! Retention purges: request metadata erased, raw usage events deleted with the rollup kept,
//! deleted accounts purged to a tombstone once their billing records' retention is over.

use super::*;

#[async_trait]
impl RetentionStore for PgStore {
    async fn purge(
        &self,
        metadata_before: Millis,
        events_before: Option<Millis>,
    ) -> Result<PurgeRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let events_anonymised = tx
            .execute(
                "UPDATE usage_events SET client_ip = NULL, user_agent = NULL
                 WHERE created_at < $1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                &[&metadata_before],
            )
            .await?;
        let sessions_anonymised = tx
            .execute(
                "UPDATE sessions SET client_ip = NULL, user_agent = NULL
                 WHERE created_at < $1 AND (ended_at IS NOT NULL OR expires_at <= $1)
                   AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                &[&metadata_before],
            )
            .await?;
        let events_deleted = match events_before {
            None => 0,
            Some(before) => {
                // The rollup's delete trigger stands aside while this row exists; it is gone
                // before the commit, so no other transaction ever sees it. A second purge
                // waits here for this one.
                tx.execute("INSERT INTO usage_purge (one) VALUES (1)", &[])
                    .await?;
                let n = tx
                    .execute("DELETE FROM usage_events WHERE created_at < $1", &[&before])
                    .await?;
                tx.execute("DELETE FROM usage_purge", &[]).await?;
                n
            }
        };
        tx.commit().await?;
        Ok(PurgeRecord {
            events_anonymised,
            sessions_anonymised,
            events_deleted,
        })
    }

    async fn purge_deleted_accounts(
        &self,
        deleted_before: Millis,
        audit: NewAudit,
    ) -> Result<u64, StoreError> {
        let due: Vec<i64> = self
            .client()
            .await?
            .query(
                "SELECT id FROM accounts WHERE deleted_at < $1 AND purged_at IS NULL ORDER BY id",
                &[&deleted_before],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let mut purged = 0;
        for id in due {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Locked and re-checked: another replica's purge may have come first.
            let Some(row) = tx
                .query_opt(
                    "SELECT email FROM accounts
                     WHERE id = $1 AND deleted_at IS NOT NULL AND purged_at IS NULL FOR UPDATE",
                    &[&id],
                )
                .await?
            else {
                tx.rollback().await?;
                continue;
            };
            let email: String = row.try_get(0)?;
            // Both marks are gone before the commit, so no other transaction ever sees them; a
            // second purge waits here for this one.
            tx.execute("INSERT INTO account_purge (one) VALUES (1)", &[])
                .await?;
            // The rollup rows go whole below; its delete trigger need not follow.
            tx.execute("INSERT INTO usage_purge (one) VALUES (1)", &[])
                .await?;
            for sql in PURGE_ACCOUNT {
                tx.execute(*sql, &[&id]).await?;
            }
            tx.execute("DELETE FROM usage_purge", &[]).await?;
            tx.execute("DELETE FROM account_purge", &[]).await?;
            tx.execute(
                "UPDATE accounts SET balance_micros = 0, held_micros = 0, purged_at = $2,
                     updated_at = $2 WHERE id = $1",
                &[&id, &audit.created_at],
            )
            .await?;
            let mut audit = audit.clone();
            audit.target = Some(email);
            insert_audit(&tx, &audit).await?;
            tx.commit().await?;
            purged += 1;
        }
        Ok(purged)
    }
}

/// What a purge deletes of account `$1`, in an order no foreign key objects to: what points at
/// the account's orders, refunds and ledger entries first, then those, then the rest.
const PURGE_ACCOUNT: &[&str] = &[
    "DELETE FROM referral_commissions WHERE referrer_id = $1 OR referee_id = $1",
    "DELETE FROM provider_events WHERE order_id IN (SELECT id FROM orders WHERE account_id = $1)",
    "DELETE FROM refunds WHERE account_id = $1",
    "UPDATE redemption_codes SET ledger_id = NULL
     WHERE ledger_id IN (SELECT id FROM ledger_entries WHERE account_id = $1)",
    "DELETE FROM orders WHERE account_id = $1",
    "DELETE FROM usage_events WHERE account_id = $1",
    "DELETE FROM usage_rollup WHERE account_id = $1",
    "DELETE FROM holds WHERE account_id = $1",
    "DELETE FROM ledger_entries WHERE account_id = $1",
    "DELETE FROM api_keys WHERE account_id = $1",
    "DELETE FROM sessions WHERE account_id = $1",
    "DELETE FROM account_tokens WHERE account_id = $1",
    "DELETE FROM login_challenges WHERE account_id = $1",
    "DELETE FROM recovery_codes WHERE account_id = $1",
    "DELETE FROM account_totp WHERE account_id = $1",
    "DELETE FROM referrals WHERE referee_id = $1 OR referrer_id = $1",
    "DELETE FROM referral_codes WHERE account_id = $1",
    "DELETE FROM invitations WHERE account_id = $1",
];
