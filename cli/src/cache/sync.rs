//! Incremental sync: pages of events after the source's cursor, each page stored with its
//! cursor in one transaction. An interrupted sync resumes after the last page it stored; a page
//! fetched twice adds nothing (events are keyed by the gateway's id).

use anyhow::{Result, bail};
use codexkey_common::api::UsageEventPage;

use super::Cache;

/// Where pages of events come from: the gateway's `/api/v1/usage/events` in practice.
pub trait EventSource {
    /// Up to `limit` events with `id > cursor`, in id order; with `count`, how many there are.
    fn page(
        &self,
        cursor: i64,
        limit: u32,
        count: bool,
    ) -> impl std::future::Future<Output = Result<UsageEventPage>>;
}

/// Events per page: big enough that a large first sync is a few hundred requests, small
/// enough that a page is a fraction of a second.
pub const PAGE_SIZE: u32 = 1_000;

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncOutcome {
    /// Events fetched that the cache did not hold.
    pub new: u64,
    /// Pages fetched.
    pub pages: u64,
}

/// Progress of a sync, for a progress bar.
pub trait Progress {
    /// Before the first page is stored: how many events are to fetch.
    fn start(&mut self, total: u64);
    /// After each page: how many events it brought.
    fn advance(&mut self, events: u64);
}

/// No progress shown.
impl Progress for () {
    fn start(&mut self, _: u64) {}
    fn advance(&mut self, _: u64) {}
}

/// Fetches every event after the source's cursor, page by page, and marks the source synced
/// at `now` when the last page is in.
pub async fn sync<S: EventSource>(
    cache: &mut Cache,
    source_id: i64,
    source: &S,
    page_size: u32,
    now: i64,
    progress: &mut dyn Progress,
) -> Result<SyncOutcome> {
    let mut cursor = cache.source_by_id(source_id)?.cursor;
    let mut outcome = SyncOutcome::default();
    loop {
        let first = outcome.pages == 0;
        let page = source.page(cursor, page_size, first).await?;
        if first {
            progress.start(page.remaining.unwrap_or(page.events.len() as u64));
        }
        outcome.new += cache.store_page(source_id, &page.events, page.next_cursor)?;
        outcome.pages += 1;
        progress.advance(page.events.len() as u64);
        if !page.has_more {
            break;
        }
        if page.next_cursor <= cursor {
            bail!(
                "the gateway's event pages do not advance (cursor {cursor}); the cache keeps what it has"
            );
        }
        cursor = page.next_cursor;
    }
    cache.mark_synced(source_id, now)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use std::cell::Cell;

    use super::super::tests::event;
    use super::super::{FILE_NAME, report::CacheFilter};
    use super::*;
    use codexkey_common::api::UsageEvent;

    /// A gateway holding `events`, which fails the `fail_at`-th page request (1-based) once.
    struct Fake {
        events: Vec<UsageEvent>,
        fail_at: Cell<Option<u64>>,
        calls: Cell<u64>,
    }

    impl EventSource for Fake {
        async fn page(&self, cursor: i64, limit: u32, count: bool) -> Result<UsageEventPage> {
            self.calls.set(self.calls.get() + 1);
            if self.fail_at.get() == Some(self.calls.get()) {
                self.fail_at.set(None);
                bail!("connection reset");
            }
            let after: Vec<UsageEvent> = self
                .events
                .iter()
                .filter(|e| e.id > cursor)
                .cloned()
                .collect();
            let page: Vec<UsageEvent> = after.iter().take(limit as usize).cloned().collect();
            Ok(UsageEventPage {
                next_cursor: page.last().map_or(cursor, |e| e.id),
                has_more: after.len() > page.len(),
                remaining: count.then_some(after.len() as u64),
                events: page,
            })
        }
    }

    struct Seen(Vec<String>);
    impl Progress for Seen {
        fn start(&mut self, total: u64) {
            self.0.push(format!("start {total}"));
        }
        fn advance(&mut self, n: u64) {
            self.0.push(format!("+{n}"));
        }
    }

    fn total_cost(cache: &Cache, source: i64) -> i64 {
        cache
            .report(source, &CacheFilter::default(), &[], &chrono::Utc)
            .unwrap()
            .first()
            .map_or(0, |g| g.totals.cost_micros.0)
    }

    #[tokio::test]
    async fn an_interrupted_sync_resumes_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join(FILE_NAME)).unwrap();
        let s = cache.source("http://gw", 1, "a@x", "USD").unwrap();
        let fake = Fake {
            // Ids with gaps, as another account's events leave them.
            events: (1..=10)
                .map(|i| event(i * 3, i * 1000, "m", 1, 200, i))
                .collect(),
            fail_at: Cell::new(Some(3)),
            calls: Cell::new(0),
        };
        let mut seen = Seen(Vec::new());
        let err = sync(&mut cache, s.id, &fake, 3, 99, &mut seen)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("connection reset"));
        assert_eq!(seen.0, ["start 10", "+3", "+3"]);
        let after = cache.source_by_id(s.id).unwrap();
        assert_eq!(
            (after.cursor, after.synced_at),
            (18, None),
            "two pages kept, not synced"
        );
        assert_eq!(cache.count(s.id).unwrap(), 6);

        let mut seen = Seen(Vec::new());
        let out = sync(&mut cache, s.id, &fake, 3, 100, &mut seen)
            .await
            .unwrap();
        assert_eq!(out, SyncOutcome { new: 4, pages: 2 });
        assert_eq!(seen.0, ["start 4", "+3", "+1"]);
        assert_eq!(cache.count(s.id).unwrap(), 10);
        assert_eq!(total_cost(&cache, s.id), 55);
        assert_eq!(cache.source_by_id(s.id).unwrap().synced_at, Some(100));

        // Syncing again, or from a cursor that went back, never duplicates.
        let out = sync(&mut cache, s.id, &fake, 3, 101, &mut ())
            .await
            .unwrap();
        assert_eq!(out, SyncOutcome { new: 0, pages: 1 });
        cache
            .conn()
            .execute("UPDATE sources SET cursor = 0 WHERE id = ?1", [s.id])
            .unwrap();
        let out = sync(&mut cache, s.id, &fake, 4, 102, &mut ())
            .await
            .unwrap();
        assert_eq!(out, SyncOutcome { new: 0, pages: 3 });
        assert_eq!(cache.count(s.id).unwrap(), 10);
        assert_eq!(total_cost(&cache, s.id), 55);
    }
}
