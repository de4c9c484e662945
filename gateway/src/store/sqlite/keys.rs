//! API keys: created, listed, changed, revoked, rotated, found by secret hash.

use super::*;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(&self, k: NewKey) -> Result<KeyRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id = insert_key(&tx, &k, None)?;
                let key = key_in(&tx, k.account_id, id)?.ok_or(StoreError::NotFound)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn keys(&self, account_id: i64) -> Result<Vec<KeyRecord>, StoreError> {
        self.reader
            .call(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = ?1 ORDER BY id"
                ))?;
                let rows = stmt
                    .query_map([account_id], key_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn key(&self, account_id: i64, key_id: i64) -> Result<Option<KeyRecord>, StoreError> {
        self.reader
            .call(move |c| Ok(key_in(c, account_id, key_id)?))
            .await
    }

    async fn revoke_key(
        &self,
        account_id: i64,
        key_id: i64,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND account_id = ?2 AND revoked_at IS NULL",
                    params![key_id, account_id, at],
                )?;
                let key = key_in(&tx, account_id, key_id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn update_key(
        &self,
        account_id: i64,
        key_id: i64,
        k: KeySettings,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let models = models_json(k.allowed_models.as_ref())?;
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                if unrevoked_key_in(&tx, account_id, key_id)?.is_none() {
                    return Ok(None);
                }
                tx.execute(
                    "UPDATE api_keys SET name = ?2, expires_at = ?3, allowed_models = ?4,
                                         budget_micros = ?5, rpm_limit = ?6, tpm_limit = ?7
                     WHERE id = ?1",
                    params![
                        key_id,
                        k.name,
                        k.expires_at,
                        models,
                        k.budget.map(|b| b.0),
                        k.rpm_limit,
                        k.tpm_limit.map(crate::store::limit_column)
                    ],
                )?;
                let key = key_in(&tx, account_id, key_id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn rotate_key(
        &self,
        account_id: i64,
        key_id: i64,
        prefix: &str,
        hash: &str,
        at: Millis,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let (prefix, hash) = (prefix.to_owned(), hash.to_owned());
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let Some(old) = unrevoked_key_in(&tx, account_id, key_id)? else {
                    return Ok(None);
                };
                tx.execute(
                    "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1",
                    params![key_id, at],
                )?;
                let new = NewKey {
                    account_id,
                    prefix,
                    hash,
                    name: old.name,
                    created_at: at,
                    expires_at: old.expires_at,
                    allowed_models: old.allowed_models,
                    budget: old.budget,
                    rpm_limit: old.rpm_limit,
                    tpm_limit: old.tpm_limit,
                };
                let id = insert_key(&tx, &new, Some(key_id))?;
                tx.execute(
                    "UPDATE api_keys SET spent_micros = ?2 WHERE id = ?1",
                    params![id, old.spent.0],
                )?;
                let key = key_in(&tx, account_id, id)?;
                tx.commit()?;
                Ok(key)
            })
            .await
    }

    async fn key_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<(KeyRecord, AccountRecord)>, StoreError> {
        let hash = hash.to_owned();
        self.reader
            .call(move |c| {
                let key = c
                    .query_row(
                        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?1"),
                        [hash],
                        key_row,
                    )
                    .optional()?;
                let Some(key) = key else { return Ok(None) };
                let account = account_in(c, key.account_id)?.ok_or(StoreError::NotFound)?;
                Ok(Some((key, account)))
            })
            .await
    }
}

fn insert_key(
    tx: &Transaction<'_>,
    k: &NewKey,
    rotated_from: Option<i64>,
) -> Result<i64, StoreError> {
    let models = models_json(k.allowed_models.as_ref())?;
    tx.execute(
        "INSERT INTO api_keys (account_id, prefix, secret_hash, name, created_at, expires_at, allowed_models,
                               budget_micros, rpm_limit, tpm_limit, rotated_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            k.account_id,
            k.prefix,
            k.hash,
            k.name,
            k.created_at,
            k.expires_at,
            models,
            k.budget.map(|b| b.0),
            k.rpm_limit,
            k.tpm_limit.map(crate::store::limit_column),
            rotated_from
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

// The metering statements run for every request: `prepare_cached` compiles each once per
// connection instead of once per call (compiling was a quarter of the gateway's CPU).

/// A key of the account that may still change; `Conflict` once it is revoked.
fn unrevoked_key_in(
    tx: &Transaction<'_>,
    account_id: i64,
    key_id: i64,
) -> Result<Option<KeyRecord>, StoreError> {
    let key = key_in(tx, account_id, key_id)?;
    if key.as_ref().is_some_and(|k| k.revoked_at.is_some()) {
        return Err(StoreError::Conflict(
            "this key is revoked; create a new one instead".into(),
        ));
    }
    Ok(key)
}

/// An allow-list as the `allowed_models` column holds it: a JSON array, or NULL for every model.
fn models_json(models: Option<&Vec<String>>) -> Result<Option<String>, StoreError> {
    models
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Backend(e.to_string()))
}
