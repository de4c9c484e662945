//! API keys: created, listed, changed, revoked, rotated, found by secret hash.

use super::*;

#[async_trait]
impl KeyStore for PgStore {
    async fn create_key(&self, k: NewKey) -> Result<KeyRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id = insert_key(&tx, &k, None).await?;
        let key = key_in(&tx, k.account_id, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(key)
    }

    async fn keys(&self, account_id: i64) -> Result<Vec<KeyRecord>, StoreError> {
        let c = self.client().await?;
        c.query(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id"),
            &[&account_id],
        )
        .await?
        .iter()
        .map(key_row)
        .collect()
    }

    async fn key(&self, account_id: i64, key_id: i64) -> Result<Option<KeyRecord>, StoreError> {
        let c = self.client().await?;
        key_in(&c, account_id, key_id).await
    }

    async fn revoke_key(
        &self,
        account_id: i64,
        key_id: i64,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
            &[&key_id, &account_id, &at],
        )
        .await?;
        let key = key_in(&tx, account_id, key_id).await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn update_key(
        &self,
        account_id: i64,
        key_id: i64,
        k: KeySettings,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let models = names_json(k.allowed_models.as_ref())?;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if unrevoked_key_in(&tx, account_id, key_id).await?.is_none() {
            return Ok(None);
        }
        tx.execute(
            "UPDATE api_keys SET name = $2, expires_at = $3, allowed_models = $4,
                                 budget_micros = $5, rpm_limit = $6, tpm_limit = $7
             WHERE id = $1",
            &[
                &key_id,
                &k.name,
                &k.expires_at,
                &models,
                &k.budget.map(|b| b.0),
                &k.rpm_limit.map(i64::from),
                &k.tpm_limit.map(crate::store::limit_column),
            ],
        )
        .await?;
        let key = key_in(&tx, account_id, key_id).await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn rotate_key(
        &self,
        account_id: i64,
        key_id: i64,
        prefix: &str,
        hash: &str,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(old) = unrevoked_key_in(&tx, account_id, key_id).await? else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1",
            &[&key_id, &at],
        )
        .await?;
        let new = NewKey {
            account_id,
            prefix: prefix.to_owned(),
            hash: hash.to_owned(),
            name: old.name,
            created_at: at,
            expires_at: old.expires_at,
            allowed_models: old.allowed_models,
            budget: old.budget,
            rpm_limit: old.rpm_limit,
            tpm_limit: old.tpm_limit,
        };
        let id = insert_key(&tx, &new, Some(key_id)).await?;
        tx.execute(
            "UPDATE api_keys SET spent_micros = $2 WHERE id = $1",
            &[&id, &old.spent.0],
        )
        .await?;
        let key = key_in(&tx, account_id, id).await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn key_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<(KeyRecord, AccountRecord)>, StoreError> {
        let c = self.client().await?;
        let key = c
            .query_opt(
                &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1"),
                &[&hash],
            )
            .await?
            .as_ref()
            .map(key_row)
            .transpose()?;
        let Some(key) = key else { return Ok(None) };
        let account = account_in(&c, key.account_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some((key, account)))
    }
}

async fn insert_key(tx: &Tx<'_>, k: &NewKey, rotated_from: Option<i64>) -> Result<i64, StoreError> {
    let models = names_json(k.allowed_models.as_ref())?;
    Ok(tx
        .query_one(
            "INSERT INTO api_keys (account_id, prefix, secret_hash, name, created_at, expires_at, allowed_models,
                                   budget_micros, rpm_limit, tpm_limit, rotated_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[
                &k.account_id,
                &k.prefix,
                &k.hash,
                &k.name,
                &k.created_at,
                &k.expires_at,
                &models,
                &k.budget.map(|b| b.0),
                &k.rpm_limit.map(i64::from),
                &k.tpm_limit.map(crate::store::limit_column),
                &rotated_from,
            ],
        )
        .await?
        .try_get(0)?)
}

/// A key of the account that may still change, its row locked until the transaction ends (a
/// concurrent rotation waits, then finds it revoked); `Conflict` once it is revoked.
async fn unrevoked_key_in(
    tx: &Tx<'_>,
    account_id: i64,
    key_id: i64,
) -> Result<Option<KeyRecord>, StoreError> {
    let key = tx
        .query_opt(
            &format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 AND account_id = $2 FOR NO KEY UPDATE"
            ),
            &[&key_id, &account_id],
        )
        .await?
        .as_ref()
        .map(key_row)
        .transpose()?;
    if key.as_ref().is_some_and(|k| k.revoked_at.is_some()) {
        return Err(StoreError::Conflict(
            "this key is revoked; create a new one instead".into(),
        ));
    }
    Ok(key)
}
