//! Invitations to register.
//!
//! Creating one takes a transaction-scoped advisory lock on its address, so two invitations
//! sent at once queue and only the newest stays unused (the schema allows one unused invitation
//! per address). Registering with one locks its row: two registrations racing with one
//! invitation queue, and the second finds it spent.

use super::*;

/// The advisory lock's first key for invitations: "ck" and "iv" in ASCII (the migrations' lock
/// is "ckmg").
const INVITE_LOCK_CLASS: i32 = 0x636b_6976;

#[async_trait]
impl InvitationStore for PgStore {
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&INVITE_LOCK_CLASS, &inv.email],
        )
        .await?;
        tx.execute(
            "UPDATE invitations SET used_at = $2 WHERE email = $1 AND used_at IS NULL",
            &[&inv.email, &inv.created_at],
        )
        .await?;
        tx.execute(
            "INSERT INTO invitations (token_hash, email, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &inv.token_hash,
                &inv.email,
                &inv.invited_by,
                &inv.created_at,
                &inv.expires_at,
            ],
        )
        .await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_invited_account(
        &self,
        a: NewAccount,
        token_hash: &str,
        mut audit: NewAudit,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let valid = tx
            .query_opt(
                "SELECT 1 FROM invitations WHERE token_hash = $1 AND email = $2
                 AND used_at IS NULL AND expires_at > $3 FOR NO KEY UPDATE",
                &[&token_hash, &a.email, &a.created_at],
            )
            .await?
            .is_some();
        if !valid {
            tx.rollback().await?;
            return Ok(None);
        }
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
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "an account with this email already exists".into(),
            ));
        };
        tx.execute(
            "UPDATE invitations SET used_at = $2, account_id = $3 WHERE token_hash = $1",
            &[&token_hash, &a.created_at, &id],
        )
        .await?;
        audit.actor_id = audit.actor_id.or(Some(id));
        insert_audit(&tx, &audit).await?;
        let account = account_in(&tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(Some(account))
    }
}
