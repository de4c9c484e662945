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

    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        audit: NewAudit,
    ) -> Result<u64, StoreError> {
        let password_hash = password_hash.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let n = tx.execute(
                    "UPDATE accounts SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, password_hash, audit.created_at],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                let ended = end_others(&tx, id, keep_session, audit.created_at)?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(ended)
            })
            .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, s: NewSession) -> Result<i64, StoreError> {
        self.writer
            .call(move |c| {
                c.execute(
                    "INSERT INTO sessions (account_id, token_hash, created_at, expires_at, client_ip, user_agent, last_used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3)",
                    params![s.account_id, s.token_hash, s.created_at, s.expires_at, s.client_ip, s.user_agent],
                )?;
                Ok(c.last_insert_rowid())
            })
            .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.reader
            .call(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS}, s.id, s.expires_at, s.ended_at, s.last_used_at
                         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
                    ),
                    [token_hash],
                    |r| {
                        let n = ACCOUNT_COLUMN_COUNT;
                        Ok(SessionRecord {
                            account: account_row(r)?,
                            id: r.get(n)?,
                            expires_at: r.get(n + 1)?,
                            ended_at: r.get(n + 2)?,
                            last_used_at: r.get(n + 3)?,
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

    async fn touch_session(&self, id: i64, at: Millis) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                // Never moves backwards: two touches may reach the writer out of order.
                c.execute(
                    "UPDATE sessions SET last_used_at = ?2
                     WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
                    params![id, at],
                )?;
                Ok(())
            })
            .await
    }

    async fn open_sessions(
        &self,
        account_id: i64,
        at: Millis,
    ) -> Result<Vec<SessionInfoRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(
                    "SELECT id, created_at, expires_at, last_used_at, client_ip, user_agent FROM sessions
                     WHERE account_id = ?1 AND ended_at IS NULL AND expires_at > ?2 ORDER BY id",
                )?;
                let rows = stmt
                    .query_map(params![account_id, at], |r| {
                        Ok(SessionInfoRecord {
                            id: r.get(0)?,
                            created_at: r.get(1)?,
                            expires_at: r.get(2)?,
                            last_used_at: r.get(3)?,
                            client_ip: r.get(4)?,
                            user_agent: r.get(5)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn end_session_by_id(
        &self,
        account_id: i64,
        id: i64,
        at: Millis,
    ) -> Result<bool, StoreError> {
        self.writer
            .call(move |c| {
                let n = c.execute(
                    "UPDATE sessions SET ended_at = ?3
                     WHERE id = ?1 AND account_id = ?2 AND ended_at IS NULL AND expires_at > ?3",
                    params![id, account_id, at],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn end_other_sessions(
        &self,
        account_id: i64,
        keep: i64,
        at: Millis,
    ) -> Result<u64, StoreError> {
        self.writer
            .call(move |c| Ok(end_others(c, account_id, Some(keep), at)?))
            .await
    }
}

/// Ends the account's open sessions but `keep`.
pub(super) fn end_others(
    c: &Connection,
    account_id: i64,
    keep: Option<i64>,
    at: Millis,
) -> rusqlite::Result<u64> {
    let n = c.execute(
        "UPDATE sessions SET ended_at = ?3
         WHERE account_id = ?1 AND ended_at IS NULL AND (?2 IS NULL OR id <> ?2)",
        params![account_id, keep, at],
    )?;
    Ok(n as u64)
}
