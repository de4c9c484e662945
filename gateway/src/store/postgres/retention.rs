//! Retention purges: request metadata erased, raw usage events deleted with the rollup kept.

use super::*;

#[async_trait]
impl RetentionStore for PgStore {
    async fn purge(
        &self,
        metadata_before: Millis,
        events_before: Option<Millis>,
    ) -> Result<PurgeRecord, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let events_anonymised = tx
            .execute(
                "UPDATE usage_events SET client_ip = NULL, user_agent = NULL
                 WHERE created_at < $1 AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                &[&metadata_before],
            )
            .await?;
        let sessions_anonymised = tx
            .execute(
                "UPDATE sessions SET client_ip = NULL, user_agent = NULL
                 WHERE created_at < $1 AND (ended_at IS NOT NULL OR expires_at <= $1)
                   AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)",
                &[&metadata_before],
            )
            .await?;
        let events_deleted = match events_before {
            None => 0,
            Some(before) => {
                // The rollup's delete trigger stands aside while this row exists; it is gone
                // before the commit, so no other transaction ever sees it. A second purge
                // waits here for this one.
                tx.execute("INSERT INTO usage_purge (one) VALUES (1)", &[])
                    .await?;
                let n = tx
                    .execute("DELETE FROM usage_events WHERE created_at < $1", &[&before])
                    .await?;
                tx.execute("DELETE FROM usage_purge", &[]).await?;
                n
            }
        };
        tx.commit().await?;
        Ok(PurgeRecord {
            events_anonymised,
            sessions_anonymised,
            events_deleted,
        })
    }
}
