//! Upstreams added through the admin API, their keys sealed.

use super::*;

#[async_trait]
impl UpstreamStore for PgStore {
    async fn upstreams(&self) -> Result<Vec<StoredUpstream>, StoreError> {
        let c = self.client().await?;
        let ups = c
            .query(
                "SELECT id, name, provider, base_url, models, created_at FROM upstreams ORDER BY id",
                &[],
            )
            .await?;
        let keys = c
            .query(
                "SELECT upstream_id, id, label, ciphertext, created_at FROM upstream_keys ORDER BY id",
                &[],
            )
            .await?;
        let mut by_upstream: HashMap<i64, Vec<StoredUpstreamKey>> = HashMap::new();
        for r in &keys {
            by_upstream
                .entry(r.try_get(0)?)
                .or_default()
                .push(StoredUpstreamKey {
                    id: r.try_get(1)?,
                    label: r.try_get(2)?,
                    ciphertext: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                });
        }
        ups.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let models: Option<&str> = r.try_get(4)?;
                let models = models
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                Ok(StoredUpstream {
                    name: r.try_get(1)?,
                    provider: r.try_get(2)?,
                    base_url: r.try_get(3)?,
                    models,
                    keys: by_upstream.remove(&id).unwrap_or_default(),
                    created_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    async fn create_upstream(&self, u: StoredUpstream, audit: NewAudit) -> Result<(), StoreError> {
        let models = names_json(u.models.as_ref())?;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id: Option<i64> = tx
            .query_opt(
                "INSERT INTO upstreams (name, provider, base_url, models, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&u.name, &u.provider, &u.base_url, &models, &u.created_at],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(id) = id else {
            return Err(StoreError::Conflict(format!(
                "an upstream named `{}` already exists",
                u.name
            )));
        };
        for k in &u.keys {
            insert_key(&tx, id, k).await?;
        }
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_upstream(&self, name: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id: Option<i64> = tx
            .query_opt("SELECT id FROM upstreams WHERE name = $1", &[&name])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("DELETE FROM upstream_keys WHERE upstream_id = $1", &[&id])
            .await?;
        tx.execute("DELETE FROM upstreams WHERE id = $1", &[&id])
            .await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_upstream_key(
        &self,
        name: &str,
        key: StoredUpstreamKey,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let id: i64 = tx
            .query_opt("SELECT id FROM upstreams WHERE name = $1", &[&name])
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get(0)?;
        insert_key(&tx, id, &key).await?;
        insert_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_key(
    tx: &Tx<'_>,
    upstream_id: i64,
    k: &StoredUpstreamKey,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO upstream_keys (upstream_id, ciphertext, label, created_at) VALUES ($1, $2, $3, $4)",
        &[&upstream_id, &k.ciphertext, &k.label, &k.created_at],
    )
    .await?;
    Ok(())
}
