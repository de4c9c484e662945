//! Single-use tokens for password resets and e-mail verification.

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
fn spend(
    tx: &Transaction<'_>,
    token_hash: &str,
    purpose: TokenPurpose,
    at: Millis,
) -> rusqlite::Result<Option<(i64, String)>> {
    let account_id: Option<i64> = tx
        .query_row(
            "UPDATE account_tokens SET used_at = ?3
             WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
             RETURNING account_id",
            params![token_hash, purpose_str(purpose), at],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = account_id else {
        return Ok(None);
    };
    let email: String = tx.query_row("SELECT email FROM accounts WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    Ok(Some((id, email)))
}

fn mark_verified(tx: &Transaction<'_>, account_id: i64, at: Millis) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, ?2), updated_at = ?2
         WHERE id = ?1",
        params![account_id, at],
    )?;
    Ok(())
}

#[async_trait]
impl AccountTokenStore for SqliteStore {
    async fn create_account_token(
        &self,
        t: NewAccountToken,
        audit: Option<NewAudit>,
    ) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                if account_in(&tx, t.account_id)?.is_none() {
                    return Err(StoreError::NotFound);
                }
                tx.execute(
                    "UPDATE account_tokens SET used_at = ?3
                     WHERE account_id = ?1 AND purpose = ?2 AND used_at IS NULL",
                    params![t.account_id, purpose_str(t.purpose), t.created_at],
                )?;
                tx.execute(
                    "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![t.token_hash, t.account_id, purpose_str(t.purpose), t.created_at, t.expires_at],
                )?;
                if let Some(audit) = audit {
                    insert_audit(&tx, &audit)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn account_by_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        at: Millis,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM account_tokens t JOIN accounts a ON a.id = t.account_id
                         WHERE t.token_hash = ?1 AND t.purpose = ?2 AND t.used_at IS NULL AND t.expires_at > ?3"
                    ),
                    params![token_hash, purpose_str(purpose), at],
                    account_row,
                )
                .optional()?)
            })
            .await
    }

    async fn reset_password_by_token(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Millis,
        mut audit: NewAudit,
    ) -> Result<Option<TokenReset>, StoreError> {
        let token_hash = token_hash.to_owned();
        let password_hash = password_hash.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let Some((account_id, email)) =
                    spend(&tx, &token_hash, TokenPurpose::PasswordReset, at)?
                else {
                    return Ok(None);
                };
                tx.execute(
                    "UPDATE accounts SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                    params![account_id, password_hash, at],
                )?;
                mark_verified(&tx, account_id, at)?;
                let sessions_ended = end_others(&tx, account_id, None, at)?;
                audit.target = audit.target.or(Some(email));
                audit.actor_id = audit.actor_id.or(Some(account_id));
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Some(TokenReset {
                    account_id,
                    sessions_ended,
                }))
            })
            .await
    }

    async fn verify_email_by_token(
        &self,
        token_hash: &str,
        at: Millis,
        mut audit: NewAudit,
    ) -> Result<Option<i64>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let Some((account_id, email)) =
                    spend(&tx, &token_hash, TokenPurpose::VerifyEmail, at)?
                else {
                    return Ok(None);
                };
                mark_verified(&tx, account_id, at)?;
                audit.target = audit.target.or(Some(email));
                audit.actor_id = audit.actor_id.or(Some(account_id));
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(Some(account_id))
            })
            .await
    }
}
