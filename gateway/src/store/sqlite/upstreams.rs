//! Upstreams added through the admin API, their keys sealed.

use super::*;

#[async_trait]
impl UpstreamStore for SqliteStore {
    async fn upstreams(&self) -> Result<Vec<StoredUpstream>, StoreError> {
        self.reader
            .call(|c| {
                let mut stmt = c.prepare("SELECT id, name, provider, base_url, models, created_at FROM upstreams ORDER BY id")?;
                let ups = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut keys_stmt = c.prepare(
                    "SELECT id, label, ciphertext, created_at FROM upstream_keys WHERE upstream_id = ?1 ORDER BY id",
                )?;
                let mut out = Vec::with_capacity(ups.len());
                for (id, name, provider, base_url, models, created_at) in ups {
                    let keys = keys_stmt
                        .query_map([id], |r| {
                            Ok(StoredUpstreamKey {
                                id: r.get(0)?,
                                label: r.get(1)?,
                                ciphertext: r.get(2)?,
                                created_at: r.get(3)?,
                            })
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    let models = match models {
                        Some(json) => Some(serde_json::from_str(&json).map_err(|e| StoreError::Backend(e.to_string()))?),
                        None => None,
                    };
                    out.push(StoredUpstream {
                        name,
                        provider,
                        base_url,
                        models,
                        keys,
                        created_at,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn create_upstream(&self, u: StoredUpstream, audit: NewAudit) -> Result<(), StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let models = u
                    .models
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                let inserted = tx.execute(
                    "INSERT INTO upstreams (name, provider, base_url, models, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (name) DO NOTHING",
                    params![u.name, u.provider, u.base_url, models, u.created_at],
                )?;
                if inserted == 0 {
                    return Err(StoreError::Conflict(format!("an upstream named `{}` already exists", u.name)));
                }
                let id = tx.last_insert_rowid();
                for k in &u.keys {
                    tx.execute(
                        "INSERT INTO upstream_keys (upstream_id, ciphertext, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![id, k.ciphertext, k.label, k.created_at],
                    )?;
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn delete_upstream(&self, name: &str, audit: NewAudit) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id: Option<i64> = tx
                    .query_row("SELECT id FROM upstreams WHERE name = ?1", [&name], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let Some(id) = id else { return Ok(false) };
                tx.execute("DELETE FROM upstream_keys WHERE upstream_id = ?1", [id])?;
                tx.execute("DELETE FROM upstreams WHERE id = ?1", [id])?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn add_upstream_key(
        &self,
        name: &str,
        key: StoredUpstreamKey,
        audit: NewAudit,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let id: i64 = tx
                    .query_row("SELECT id FROM upstreams WHERE name = ?1", [&name], |r| r.get(0))
                    .optional()?
                    .ok_or(StoreError::NotFound)?;
                tx.execute(
                    "INSERT INTO upstream_keys (upstream_id, ciphertext, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![id, key.ciphertext, key.label, key.created_at],
                )?;
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }
}
