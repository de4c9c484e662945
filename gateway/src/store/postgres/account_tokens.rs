//! Single-use tokens for password resets and e-mail verification.
//!
//! Creating a token locks its account's row, so two links asked for at once queue and only the
//! newest stays unused (the schema allows one unused token per account and purpose). Spending
//! one is a single `UPDATE … WHERE used_at IS NULL`: two requests racing with one token queue
//! on its row, and the second finds it used.

use super::accounts::end_others;
use super::*;

fn purpose_str(p: TokenPurpose) -> &'static str {
    match p {
        TokenPurpose::PasswordReset => "password_reset",
        TokenPurpose::VerifyEmail => "verify_email",
    }
}

/// Spends the unused token of `purpose` with this hash that has not expired at `at`: its
/// account's id and email, or `None` (nothing changed).
async fn spend(
    tx: &Tx<'_>,
    token_hash: &str,
    purpose: TokenPurpose,
    at: Millis,
) -> Result<Option<(i64, String)>, StoreError> {
    let row = tx
        .query_opt(
            "UPDATE account_tokens t SET used_at = $3 FROM accounts a
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > $3
               AND a.id = t.account_id
             RETURNING t.account_id, a.email",
            &[&token_hash, &purpose_str(purpose), &at],
        )
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

async fn mark_verified(tx: &Tx<'_>, account_id: i64, at: Millis) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2
         WHERE id = $1",
        &[&account_id, &at],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl AccountTokenStore for PgStore {
    async fn create_account_token(
        &self,
        t: NewAccountToken,
        audit: Option<NewAudit>,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.query_opt(
            "SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE",
            &[&t.account_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        tx.execute(
            "UPDATE account_tokens SET used_at = $3
             WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
            &[&t.account_id, &purpose_str(t.purpose), &t.created_at],
        )
        .await?;
        tx.execute(
            "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &t.token_hash,
                &t.account_id,
                &purpose_str(t.purpose),
                &t.created_at,
                &t.expires_at,
            ],
        )
        .await?;
        if let Some(audit) = audit {
            insert_audit(&tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn account_by_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        at: Millis,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            &format!(
                "SELECT {ACCOUNT_COLUMNS} FROM account_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > $3"
            ),
            &[&token_hash, &purpose_str(purpose), &at],
        )
        .await?
        .as_ref()
        .map(account_row)
        .transpose()
    }

    async fn reset_password_by_token(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Millis,
        mut audit: NewAudit,
    ) -> Result<Option<TokenReset>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some((account_id, email)) =
            spend(&tx, token_hash, TokenPurpose::PasswordReset, at).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        tx.execute(
            "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
            &[&account_id, &password_hash, &at],
        )
        .await?;
        mark_verified(&tx, account_id, at).await?;
        let sessions_ended = end_others(&tx, account_id, None, at).await?;
        audit.target = audit.target.or(Some(email));
        audit.actor_id = audit.actor_id.or(Some(account_id));
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(TokenReset {
            account_id,
            sessions_ended,
        }))
    }

    async fn verify_email_by_token(
        &self,
        token_hash: &str,
        at: Millis,
        mut audit: NewAudit,
    ) -> Result<Option<i64>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some((account_id, email)) =
            spend(&tx, token_hash, TokenPurpose::VerifyEmail, at).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        mark_verified(&tx, account_id, at).await?;
        audit.target = audit.target.or(Some(email));
        audit.actor_id = audit.actor_id.or(Some(account_id));
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(account_id))
    }
}
