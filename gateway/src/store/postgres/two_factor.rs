//! Two-factor login: TOTP enrolments, recovery codes and login challenges.
//!
//! Each single-use thing (a time step, a recovery code, a challenge) is spent by one
//! conditional `UPDATE`: a second request racing for it waits on the row's lock, re-checks the
//! condition on the committed row, and changes nothing.

use super::*;

#[async_trait]
impl TwoFactorStore for PgStore {
    async fn totp(&self, account_id: i64) -> Result<Option<TotpRecord>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            "SELECT t.secret_sealed, t.created_at, t.confirmed_at, t.last_step,
                (SELECT COUNT(*) FROM recovery_codes r
                 WHERE r.account_id = t.account_id AND r.used_at IS NULL)
             FROM account_totp t WHERE t.account_id = $1",
            &[&account_id],
        )
        .await?
        .map(|r| {
            Ok(TotpRecord {
                secret_sealed: r.try_get(0)?,
                created_at: r.try_get(1)?,
                confirmed_at: r.try_get(2)?,
                last_step: r.try_get(3)?,
                recovery_codes_left: count(r.try_get(4)?),
            })
        })
        .transpose()
    }

    async fn begin_totp(
        &self,
        account_id: i64,
        secret_sealed: Vec<u8>,
        at: Millis,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        // Replaces a pending enrolment only; a confirmed one stays as it is.
        let n = c
            .execute(
                "INSERT INTO account_totp (account_id, secret_sealed, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (account_id) DO UPDATE SET
                     secret_sealed = excluded.secret_sealed, created_at = excluded.created_at
                 WHERE account_totp.confirmed_at IS NULL",
                &[&account_id, &secret_sealed, &at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict(
                "two-factor login is already on for this account".into(),
            ));
        }
        Ok(())
    }

    async fn confirm_totp(
        &self,
        account_id: i64,
        step: i64,
        recovery_hashes: Vec<String>,
        audit: NewAudit,
    ) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE account_totp SET confirmed_at = $2, last_step = $3
                 WHERE account_id = $1 AND confirmed_at IS NULL",
                &[&account_id, &audit.created_at, &step],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM recovery_codes WHERE account_id = $1",
            &[&account_id],
        )
        .await?;
        // One statement for all the codes, as a code batch's are written.
        tx.execute(
            "INSERT INTO recovery_codes (account_id, code_hash, created_at)
             SELECT $1, h, $3 FROM unnest($2::text[]) AS h",
            &[&account_id, &recovery_hashes, &audit.created_at],
        )
        .await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn accept_totp_step(&self, account_id: i64, step: i64) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE account_totp SET last_step = $2
                 WHERE account_id = $1 AND confirmed_at IS NOT NULL
                   AND (last_step IS NULL OR last_step < $2)",
                &[&account_id, &step],
            )
            .await?;
        Ok(n > 0)
    }

    async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE recovery_codes SET used_at = $3
                 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
                &[&account_id, &code_hash, &at],
            )
            .await?;
        Ok(n > 0)
    }

    async fn remove_totp(&self, account_id: i64, audit: NewAudit) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "DELETE FROM account_totp WHERE account_id = $1",
                &[&account_id],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM recovery_codes WHERE account_id = $1",
            &[&account_id],
        )
        .await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_login_challenge(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "DELETE FROM login_challenges WHERE expires_at <= $1",
            &[&created_at],
        )
        .await?;
        tx.execute(
            "INSERT INTO login_challenges (token_hash, account_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &account_id, &created_at, &expires_at],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_login_challenge(
        &self,
        token_hash: &str,
        at: Millis,
    ) -> Result<Option<i64>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            "UPDATE login_challenges SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING account_id",
            &[&token_hash, &at],
        )
        .await?
        .map(|r| Ok(r.try_get(0)?))
        .transpose()
    }
}
