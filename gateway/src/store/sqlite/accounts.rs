//! Accounts and their login sessions.

use super::*;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn count_accounts(&self) -> Result<u64, StoreError> {
        self.reader
            .call(|c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))?
                        as u64,
                )
            })
            .await
    }

    async fn create_account(
        &self,
        a: NewAccount,
        audit: Option<NewAudit>,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let inserted = tx.execute(
                    "INSERT INTO accounts (email, password_hash, role, language, currency, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (email) DO NOTHING",
                    params![a.email, a.password_hash, role_str(a.role), a.language, a.currency, a.created_at],
                )?;
                if inserted == 0 {
                    return Err(StoreError::Conflict("an account with this email already exists".into()));
                }
                let id = tx.last_insert_rowid();
                if let Some(mut audit) = audit {
                    audit.actor_id = audit.actor_id.or(Some(id));
                    insert_audit(&tx, &audit)?;
                }
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let email = email.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = ?1"),
                    [email],
                    account_row,
                )
                .optional()?)
            })
            .await
    }

    async fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, StoreError> {
        self.reader.call(move |c| Ok(account_in(c, id)?)).await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.id"
                ))?;
                let rows = stmt
                    .query_map([], account_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn update_preferences(
        &self,
        id: i64,
        language: Option<String>,
        currency: Option<String>,
        at: Millis,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE accounts SET language = COALESCE(?2, language), currency = COALESCE(?3, currency),
                     updated_at = ?4 WHERE id = ?1",
                    params![id, language, currency, at],
                )?;
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }

    async fn set_account_status(
        &self,
        id: i64,
        status: AccountStatus,
        audit: NewAudit,
    ) -> Result<AccountRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "UPDATE accounts SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, status_str(status), audit.created_at],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                insert_audit(&tx, &audit)?;
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(account)
            })
            .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        account_id: i64,
        token_hash: &str,
        created_at: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                c.execute(
                    "INSERT INTO sessions (account_id, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![account_id, token_hash, created_at, expires_at],
                )?;
                Ok(())
            })
            .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS}, s.expires_at, s.ended_at
                         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
                    ),
                    [token_hash],
                    |r| {
                        Ok(SessionRecord {
                            account: account_row(r)?,
                            expires_at: r.get(10)?,
                            ended_at: r.get(11)?,
                        })
                    },
                )
                .optional()?)
            })
            .await
    }

    async fn end_session(&self, token_hash: &str, at: Millis) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                let n = c.execute(
                    "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
                    params![token_hash, at],
                )?;
                Ok(n > 0)
            })
            .await
    }
}
