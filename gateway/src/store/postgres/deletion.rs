//! Deleting an account: pseudonymised, its billing records kept.
//!
//! The account's row is locked `FOR UPDATE` first: its email (a unique key) changes, which
//! takes that lock anyway, and taking it before anything else means every other writer of the
//! account (metering, a payment, a new session) waits for the deletion instead of meeting it
//! half way. A request admitted meanwhile shows as a hold and refuses the deletion.
//!
//! Unlike SQLite's, the old email's bytes are not zeroed in the files at once: PostgreSQL keeps
//! the old row versions until vacuum frees their space and later writes reuse it (README,
//! account deletion: `VACUUM FULL` when it must be at once).

use super::*;

#[async_trait]
impl DeletionStore for PgStore {
    async fn delete_account(
        &self,
        id: i64,
        pseudonym: &str,
        rule: BalanceRule,
        mut audit: NewAudit,
    ) -> Result<DeletionRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT email, balance_micros, held_micros, deleted_at FROM accounts
                 WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let (email, balance, held, deleted_at): (String, i64, i64, Option<i64>) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        if deleted_at.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "this account is deleted already".into(),
            ));
        }
        if held > 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "this account has requests in flight; try again when they have finished".into(),
            ));
        }
        // What replicas still lease of the balance comes back now: the account's keys are
        // revoked below, in this transaction, and every replica hears it at commit. A request
        // a replica admitted on such a lease and had not yet written down settles from what
        // is left free (README, "Balances across replicas").
        tx.execute("DELETE FROM balance_leases WHERE account_id = $1", &[&id])
            .await?;
        tx.execute(
            "UPDATE accounts SET leased_micros = 0 WHERE id = $1",
            &[&id],
        )
        .await?;
        let at = audit.created_at;
        let forfeited = if rule == BalanceRule::Forfeit && balance > 0 {
            insert_entry(
                &tx,
                &NewLedgerEntry {
                    account_id: id,
                    kind: LedgerKind::Adjustment,
                    amount: Micros(-balance),
                    reason: Some("account deleted".into()),
                    actor_id: audit.actor_id,
                    request_id: None,
                    created_at: at,
                    forbid_negative: true,
                    promotional: false,
                },
            )
            .await?;
            Micros(balance)
        } else {
            Micros::ZERO
        };
        // `!` is no PHC string: no password ever verifies against it.
        tx.execute(
            "UPDATE accounts SET email = $2, password_hash = '!', status = 'suspended',
                 deleted_at = $3, updated_at = $3 WHERE id = $1",
            &[&id, &pseudonym, &at],
        )
        .await?;
        let keys_revoked = tx
            .execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
                &[&id, &at],
            )
            .await?;
        tx.execute(
            "UPDATE api_keys SET name = NULL WHERE account_id = $1",
            &[&id],
        )
        .await?;
        let sessions_ended = super::accounts::end_others(&tx, id, None, at).await?;
        tx.execute(
            "UPDATE sessions SET client_ip = NULL, user_agent = NULL WHERE account_id = $1",
            &[&id],
        )
        .await?;
        tx.execute(
            "UPDATE usage_events SET client_ip = NULL, user_agent = NULL WHERE account_id = $1",
            &[&id],
        )
        .await?;
        tx.execute("DELETE FROM recovery_codes WHERE account_id = $1", &[&id])
            .await?;
        tx.execute("DELETE FROM account_totp WHERE account_id = $1", &[&id])
            .await?;
        tx.execute("DELETE FROM login_challenges WHERE account_id = $1", &[&id])
            .await?;
        tx.execute(
            "UPDATE account_tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL",
            &[&id, &at],
        )
        .await?;
        tx.execute(
            "UPDATE invitations SET email = $2 WHERE email = $1",
            &[&email, &pseudonym],
        )
        .await?;
        tx.execute(
            "UPDATE audit_log SET target = $2 WHERE target = $1",
            &[&email, &pseudonym],
        )
        .await?;
        audit.target = Some(pseudonym.to_owned());
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(DeletionRecord {
            keys_revoked,
            sessions_ended,
            forfeited,
        })
    }
}
