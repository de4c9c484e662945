//! Invitations to register.

use super::*;

#[async_trait]
impl InvitationStore for SqliteStore {
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE invitations SET used_at = ?2 WHERE email = ?1 AND used_at IS NULL",
                    params![inv.email, inv.created_at],
                )?;
                tx.execute(
                    "INSERT INTO invitations (token_hash, email, invited_by, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![inv.token_hash, inv.email, inv.invited_by, inv.created_at, inv.expires_at],
                )?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn create_invited_account(
        &self,
        a: NewAccount,
        token_hash: &str,
        mut audit: NewAudit,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let valid: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM invitations WHERE token_hash = ?1 AND email = ?2
                     AND used_at IS NULL AND expires_at > ?3)",
                    params![token_hash, a.email, a.created_at],
                    |r| r.get(0),
                )?;
                if !valid {
                    return Ok(None);
                }
                let inserted = tx.execute(
                    "INSERT INTO accounts (email, password_hash, role, language, currency, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (email) DO NOTHING",
                    params![a.email, a.password_hash, role_str(a.role), a.language, a.currency, a.created_at],
                )?;
                if inserted == 0 {
                    return Err(StoreError::Conflict(
                        "an account with this email already exists".into(),
                    ));
                }
                let id = tx.last_insert_rowid();
                tx.execute(
                    "UPDATE invitations SET used_at = ?2, account_id = ?3 WHERE token_hash = ?1",
                    params![token_hash, a.created_at, id],
                )?;
                audit.actor_id = audit.actor_id.or(Some(id));
                insert_audit(&tx, &audit)?;
                let account = account_in(&tx, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(Some(account))
            })
            .await
    }
}
