//! Retention purges: request metadata erased, raw usage events deleted with the rollup kept.

use super::*;

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn purge(
        &self,
        metadata_before: Millis,
        events_before: Option<Millis>,
    ) -> Result<PurgeRecord, StoreError> {
        self.writer
            .call(move |c| {
                let tx = c.transaction()?;
                let events_anonymised = tx.execute(
                    "UPDATE usage_events SET client_ip = NULL, user_agent = NULL
                     WHERE created_at < ?1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                    [metadata_before],
                )? as u64;
                let sessions_anonymised = tx.execute(
                    "UPDATE sessions SET client_ip = NULL, user_agent = NULL
                     WHERE created_at < ?1 AND (ended_at IS NOT NULL OR expires_at <= ?1)
                       AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                    [metadata_before],
                )? as u64;
                let events_deleted = match events_before {
                    None => 0,
                    Some(before) => {
                        // The rollup's delete trigger stands aside while this row exists.
                        tx.execute("INSERT INTO usage_purge (one) VALUES (1)", [])?;
                        let n =
                            tx.execute("DELETE FROM usage_events WHERE created_at < ?1", [before])?;
                        tx.execute("DELETE FROM usage_purge", [])?;
                        n as u64
                    }
                };
                tx.commit()?;
                Ok(PurgeRecord {
                    events_anonymised,
                    sessions_anonymised,
                    events_deleted,
                })
            })
            .await
    }
}
