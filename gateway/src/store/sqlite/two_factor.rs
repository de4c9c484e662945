//! Two-factor login: TOTP enrolments, recovery codes and login challenges.

use super::*;

#[async_trait]
impl TwoFactorStore for SqliteStore {
    async fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, StoreError> {
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    "SELECT t.secret_sealed, t.created_at, t.confirmed_at, t.last_step,
                        (SELECT COUNT(*) FROM recovery_codes r
                         WHERE r.account_id = t.account_id AND r.used_at IS NULL)
                     FROM account_totp t WHERE t.account_id = ?1",
                    [account_id],
                    |r| {
                        Ok(TotpRecord {
                            secret_sealed: r.get(0)?,
                            created_at: r.get(1)?,
                            confirmed_at: r.get(2)?,
                            last_step: r.get(3)?,
                            recovery_codes_left: r.get::<_, i64>(4)? as u64,
                        })
                    },
                )
                .optional()?)
            })
            .await
    }

    async fn begin_totp(
        &self,
        account_id: i64,
        secret_sealed: Vec<u8>,
        at: Millis,
    ) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                // Replaces a pending enrolment only; a confirmed one stays as it is.
                let n = c.execute(
                    "INSERT INTO account_totp (account_id, secret_sealed, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account_id) DO UPDATE SET
                         secret_sealed = excluded.secret_sealed, created_at = excluded.created_at
                     WHERE account_totp.confirmed_at IS NULL",
                    params![account_id, secret_sealed, at],
                )?;
                if n == 0 {
                    return Err(StoreError::Conflict(
                        "two-factor login is already on for this account".into(),
                    ));
                }
                Ok(())
            })
            .await
    }

    async fn confirm_totp(
        &self,
        account_id: i64,
        step: i64,
        recovery_hashes: Vec<String>,
        audit: NewAudit,
    ) -> Result<bool, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "UPDATE account_totp SET confirmed_at = ?2, last_step = ?3
                     WHERE account_id = ?1 AND confirmed_at IS NULL",
                    params![account_id, audit.created_at, step],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                tx.execute(
                    "DELETE FROM recovery_codes WHERE account_id = ?1",
                    [account_id],
                )?;
                for hash in &recovery_hashes {
                    tx.execute(
                        "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
                        params![account_id, hash, audit.created_at],
                    )?;
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn accept_totp_step(&self, account_id: i64, step: i64) -> Result<bool, StoreError> {
        self.writer
            .call(move |c| {
                let n = c.execute(
                    "UPDATE account_totp SET last_step = ?2
                     WHERE account_id = ?1 AND confirmed_at IS NOT NULL
                       AND (last_step IS NULL OR last_step < ?2)",
                    params![account_id, step],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let code_hash = code_hash.to_owned();
        self.writer
            .call(move |c| {
                let n = c.execute(
                    "UPDATE recovery_codes SET used_at = ?3
                     WHERE account_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                    params![account_id, code_hash, at],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn remove_totp(&self, account_id: i64, audit: NewAudit) -> Result<bool, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "DELETE FROM account_totp WHERE account_id = ?1",
                    [account_id],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                tx.execute(
                    "DELETE FROM recovery_codes WHERE account_id = ?1",
                    [account_id],
                )?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn create_login_challenge(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "DELETE FROM login_challenges WHERE expires_at <= ?1",
                    [created_at],
                )?;
                tx.execute(
                    "INSERT INTO login_challenges (token_hash, account_id, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![token_hash, account_id, created_at, expires_at],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn take_login_challenge(
        &self,
        token_hash: &str,
        at: Millis,
    ) -> Result<Option<i64>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                Ok(c.query_row(
                    "UPDATE login_challenges SET used_at = ?2
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                     RETURNING account_id",
                    params![token_hash, at],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await
    }
}
