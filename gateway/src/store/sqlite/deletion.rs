//! Deleting an account: pseudonymised, its billing records kept.

use super::*;

#[async_trait]
impl DeletionStore for SqliteStore {
    async fn delete_account(
        &self,
        id: i64,
        pseudonym: &str,
        rule: BalanceRule,
        audit: NewAudit,
    ) -> Result<DeletionRecord, StoreError> {
        let pseudonym = pseudonym.to_owned();
        let mut audit = audit;
        self.writer
            .call(move |c| {
                // The old email must not linger in freed space: zeroed while this deletion
                // runs (only then: metering deletes a hold per request), and the WAL, which
                // still holds the pages as they were, is checkpointed and emptied afterwards.
                c.pragma_update(None, "secure_delete", "ON")?;
                let done = delete_in(c, id, &pseudonym, rule, &mut audit);
                c.pragma_update(None, "secure_delete", "OFF")?;
                let done = done?;
                // Best effort: a reader still on an old snapshot keeps the WAL for now; the next
                // checkpoint overwrites it.
                let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                Ok(done)
            })
            .await
    }
}

fn delete_in(
    c: &mut Connection,
    id: i64,
    pseudonym: &str,
    rule: BalanceRule,
    audit: &mut NewAudit,
) -> Result<DeletionRecord, StoreError> {
    let pseudonym = pseudonym.to_owned();
    let tx = c.transaction()?;
    let row: Option<(String, i64, i64, Option<i64>)> = tx
        .query_row(
            "SELECT email, balance_micros, held_micros, deleted_at FROM accounts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (email, balance, held, deleted_at) = row.ok_or(StoreError::NotFound)?;
    if deleted_at.is_some() {
        return Err(StoreError::Conflict(
            "this account is deleted already".into(),
        ));
    }
    if held > 0 {
        return Err(StoreError::Conflict(
            "this account has requests in flight; try again when they have finished".into(),
        ));
    }
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
        )?;
        Micros(balance)
    } else {
        Micros::ZERO
    };
    // `!` is no PHC string: no password ever verifies against it.
    tx.execute(
        "UPDATE accounts SET email = ?2, password_hash = '!', status = 'suspended',
             deleted_at = ?3, updated_at = ?3 WHERE id = ?1",
        params![id, pseudonym, at],
    )?;
    let keys_revoked = tx.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE account_id = ?1 AND revoked_at IS NULL",
        params![id, at],
    )? as u64;
    tx.execute(
        "UPDATE api_keys SET name = NULL WHERE account_id = ?1",
        [id],
    )?;
    let sessions_ended = super::accounts::end_others(&tx, id, None, at)?;
    tx.execute(
        "UPDATE sessions SET client_ip = NULL, user_agent = NULL WHERE account_id = ?1",
        [id],
    )?;
    tx.execute(
        "UPDATE usage_events SET client_ip = NULL, user_agent = NULL WHERE account_id = ?1",
        [id],
    )?;
    tx.execute("DELETE FROM recovery_codes WHERE account_id = ?1", [id])?;
    tx.execute("DELETE FROM account_totp WHERE account_id = ?1", [id])?;
    tx.execute("DELETE FROM login_challenges WHERE account_id = ?1", [id])?;
    tx.execute(
        "UPDATE account_tokens SET used_at = ?2 WHERE account_id = ?1 AND used_at IS NULL",
        params![id, at],
    )?;
    tx.execute(
        "UPDATE invitations SET email = ?2 WHERE email = ?1",
        params![email, pseudonym],
    )?;
    tx.execute(
        "UPDATE audit_log SET target = ?2 WHERE target = ?1",
        params![email, pseudonym],
    )?;
    audit.target = Some(pseudonym);
    insert_audit(&tx, audit)?;
    tx.commit()?;
    Ok(DeletionRecord {
        keys_revoked,
        sessions_ended,
        forfeited,
    })
}
