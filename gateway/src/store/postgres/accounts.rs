//! Accounts and their login sessions.

use super::*;

#[async_trait]
impl AccountStore for PgStore {
    async fn count_accounts(&self) -> Result<u64, StoreError> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one("SELECT COUNT(*) FROM accounts", &[])
            .await?
            .try_get(0)?;
        Ok(count(n))
    }

    async fn create_account(
        &self,
        a: NewAccount,
        audit: Option<NewAudit>,
    ) -> Result<AccountRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id: Option<i64> = tx
            .query_opt(
                "INSERT INTO accounts (email, password_hash, role, language, currency, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
                &[
                    &a.email,
                    &a.password_hash,
                    &role_str(a.role),
                    &a.language,
                    &a.currency,
                    &a.created_at,
                ],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(id) = id else {
            return Err(StoreError::Conflict(
                "an account with this email already exists".into(),
            ));
        };
        if let Some(mut audit) = audit {
            audit.actor_id = audit.actor_id.or(Some(id));
            insert_audit(&tx, &audit).await?;
        }
        let account = account_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(account)
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let c = self.client().await?;
        c.query_opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = $1"),
            &[&email],
        )
        .await?
        .as_ref()
        .map(account_row)
        .transpose()
    }

    async fn account_by_id(&self, id: i64) -> Result<Option<AccountRecord>, StoreError> {
        let c = self.client().await?;
        account_in(&c, id).await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.id"),
            &[],
        )
        .await?
        .iter()
        .map(account_row)
        .collect()
    }

    async fn update_preferences(
        &self,
        id: i64,
        language: Option<String>,
        currency: Option<String>,
        at: Millis,
    ) -> Result<AccountRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE accounts SET language = COALESCE($2, language), currency = COALESCE($3, currency),
             updated_at = $4 WHERE id = $1",
            &[&id, &language, &currency, &at],
        )
        .await?;
        let account = account_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(account)
    }

    async fn set_account_status(
        &self,
        id: i64,
        status: AccountStatus,
        audit: NewAudit,
    ) -> Result<AccountRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1",
                &[&id, &status_str(status), &audit.created_at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(&tx, &audit).await?;
        let account = account_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(account)
    }

    async fn change_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        audit: NewAudit,
    ) -> Result<u64, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
                &[&id, &password_hash, &audit.created_at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = end_others(&tx, id, keep_session, audit.created_at).await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(ended)
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, s: NewSession) -> Result<i64, StoreError> {
        let c = self.client().await?;
        Ok(c
            .query_one(
                "INSERT INTO sessions (account_id, token_hash, created_at, expires_at, client_ip, user_agent, last_used_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $3) RETURNING id",
                &[
                    &s.account_id,
                    &s.token_hash,
                    &s.created_at,
                    &s.expires_at,
                    &s.client_ip,
                    &s.user_agent,
                ],
            )
            .await?
            .try_get(0)?)
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS}, s.id, s.expires_at, s.ended_at, s.last_used_at
                     FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
                ),
                &[&token_hash],
            )
            .await?;
        row.map(|r| {
            let n = ACCOUNT_COLUMN_COUNT;
            Ok(SessionRecord {
                account: account_row(&r)?,
                id: r.try_get(n)?,
                expires_at: r.try_get(n + 1)?,
                ended_at: r.try_get(n + 2)?,
                last_used_at: r.try_get(n + 3)?,
            })
        })
        .transpose()
    }

    async fn end_session(&self, token_hash: &str, at: Millis) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL",
                &[&token_hash, &at],
            )
            .await?;
        Ok(n > 0)
    }

    async fn touch_session(&self, id: i64, at: Millis) -> Result<(), StoreError> {
        let c = self.client().await?;
        // Never moves backwards: two touches may commit out of order.
        c.execute(
            "UPDATE sessions SET last_used_at = $2
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
            &[&id, &at],
        )
        .await?;
        Ok(())
    }

    async fn open_sessions(
        &self,
        account_id: i64,
        at: Millis,
    ) -> Result<Vec<SessionInfoRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            "SELECT id, created_at, expires_at, last_used_at, client_ip, user_agent FROM sessions
             WHERE account_id = $1 AND ended_at IS NULL AND expires_at > $2 ORDER BY id",
            &[&account_id, &at],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SessionInfoRecord {
                id: r.try_get(0)?,
                created_at: r.try_get(1)?,
                expires_at: r.try_get(2)?,
                last_used_at: r.try_get(3)?,
                client_ip: r.try_get(4)?,
                user_agent: r.try_get(5)?,
            })
        })
        .collect()
    }

    async fn end_session_by_id(
        &self,
        account_id: i64,
        id: i64,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE sessions SET ended_at = $3
                 WHERE id = $1 AND account_id = $2 AND ended_at IS NULL AND expires_at > $3",
                &[&id, &account_id, &at],
            )
            .await?;
        Ok(n > 0)
    }

    async fn end_other_sessions(
        &self,
        account_id: i64,
        keep: i64,
        at: Millis,
    ) -> Result<u64, StoreError> {
        let c = self.client().await?;
        end_others(&c, account_id, Some(keep), at).await
    }
}

/// Ends the account's open sessions but `keep`; returns how many it ended.
pub(super) async fn end_others<C: deadpool_postgres::GenericClient>(
    c: &C,
    account_id: i64,
    keep: Option<i64>,
    at: Millis,
) -> Result<u64, StoreError> {
    Ok(c.execute(
        "UPDATE sessions SET ended_at = $3
             WHERE account_id = $1 AND ended_at IS NULL AND ($2::bigint IS NULL OR id <> $2)",
        &[&account_id, &keep, &at],
    )
    .await?)
}
