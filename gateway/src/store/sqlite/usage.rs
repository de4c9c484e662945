//! Usage reports and event pages, answered by [`reports`](super::reports).

use super::*;

#[async_trait]
impl UsageStore for SqliteStore {
    async fn usage_report(
        &self,
        filter: crate::store::usage::UsageFilter,
        group_by: Vec<codexkey_common::api::UsageDimension>,
        tz_offset_ms: i64,
    ) -> Result<Vec<crate::store::usage::UsageGroupRecord>, StoreError> {
        self.reader
            .call(move |c| self::reports::report(c, &filter, &group_by, tz_offset_ms))
            .await
    }

    async fn usage_events(
        &self,
        filter: crate::store::usage::UsageFilter,
        page: crate::store::usage::EventPageQuery,
    ) -> Result<(Vec<codexkey_common::api::UsageEvent>, bool, Option<u64>), StoreError> {
        self.reader
            .call(move |c| self::reports::events(c, &filter, page))
            .await
    }

    async fn first_usage_at(
        &self,
        account_id: i64,
        since: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        self.reader
            .call(move |c| self::reports::first_usage_at(c, account_id, since))
            .await
    }
}
