//! Buffers for large request bodies, kept for the next large body.
//!
//! A body of megabytes is read into one buffer of its size. Freed, a block that large goes back
//! to the system within milliseconds (the allocator purges it), so the next one pays a page
//! fault and the zeroing of a fresh page every 4 KiB: on a 10 MB body, a few thousand faults
//! and milliseconds of CPU, more than the gateway's own work on it. A kept buffer is filled
//! again without either. What is kept is memory the gateway held a moment ago anyway; it is
//! capped at [`MAX_KEPT`] and goes back to the system after [`IDLE`] unused.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Bodies from this size up are read into kept buffers; below it, the allocator's own free
/// lists reuse memory as well.
pub const MIN: usize = 1 << 20;

/// The most memory kept in idle buffers.
pub const MAX_KEPT: usize = 64 << 20;

/// A buffer unused for this long goes back to the system.
pub const IDLE: Duration = Duration::from_secs(5);

struct Kept {
    buf: Vec<u8>,
    since: Instant,
}

static KEPT: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

fn kept() -> MutexGuard<'static, Vec<Kept>> {
    // A panic elsewhere cannot leave the list inconsistent: every change is one push or remove.
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An empty buffer of at least `capacity` bytes: the smallest kept one that fits (a larger one
/// stays for a larger body), else a new one.
pub fn take(capacity: usize) -> Vec<u8> {
    if capacity >= MIN {
        let mut kept = kept();
        let fit = kept
            .iter()
            .enumerate()
            .filter(|(_, k)| k.buf.capacity() >= capacity)
            .min_by_key(|(_, k)| k.buf.capacity())
            .map(|(i, _)| i);
        if let Some(i) = fit {
            return kept.swap_remove(i).buf;
        }
    }
    Vec::with_capacity(capacity)
}

/// The filled buffer as the body's bytes. A large one is kept when the last reference to the
/// bytes drops (when upstream has the body and no retry can need it).
pub fn freeze(buf: Vec<u8>) -> Bytes {
    if buf.capacity() < MIN {
        return Bytes::from(buf);
    }
    Bytes::from_owner(Returned(buf))
}

/// Gives back buffers unused for [`IDLE`] or more; the gateway runs it every [`IDLE`].
pub fn trim(now: Instant) {
    let stale: Vec<Kept> = kept()
        .extract_if(.., |k| now.saturating_duration_since(k.since) >= IDLE)
        .collect();
    // Freed after the lock is released: unmapping megabytes takes a while.
    drop(stale);
}

/// Bytes kept while idle, for tests.
pub fn kept_bytes() -> usize {
    total(&kept())
}

fn total(kept: &[Kept]) -> usize {
    kept.iter().map(|k| k.buf.capacity()).sum()
}

/// Owns a large body's buffer for `Bytes`; dropping it keeps the buffer if there is room.
struct Returned(Vec<u8>);

impl AsRef<[u8]> for Returned {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        buf.clear();
        let mut kept = kept();
        if total(&kept) + buf.capacity() <= MAX_KEPT {
            kept.push(Kept {
                buf,
                since: Instant::now(),
            });
            return;
        }
        drop(kept);
        drop(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the list is process-wide, and parallel tests would see each other's buffers.
    #[test]
    fn a_large_buffer_is_kept_reused_capped_and_given_back_when_idle() {
        trim(Instant::now() + IDLE);
        assert_eq!(kept_bytes(), 0);

        // Small bodies are not kept.
        let small = freeze(b"{}".to_vec());
        drop(small);
        assert_eq!(kept_bytes(), 0);

        // A large one is kept once the last reference goes, not before.
        let mut buf = take(2 * MIN);
        let cap = buf.capacity();
        let first = buf.as_ptr();
        buf.extend_from_slice(&vec![7u8; 2 * MIN]);
        let bytes = freeze(buf);
        let clone = bytes.slice(10..20);
        assert_eq!(&clone[..], &[7u8; 10]);
        drop(bytes);
        assert_eq!(kept_bytes(), 0, "a slice still holds it");
        drop(clone);
        assert_eq!(kept_bytes(), cap);

        // The next large body gets the same memory, empty; a larger one a new buffer.
        let again = take(MIN + 1);
        assert_eq!(again.as_ptr(), first);
        assert!(again.is_empty());
        assert_eq!(kept_bytes(), 0);
        let larger = take(3 * MIN);
        assert_ne!(larger.as_ptr(), first);
        drop(freeze(again));
        drop(freeze(larger));
        assert_eq!(kept_bytes(), cap + 3 * MIN);

        // The smallest that fits is taken.
        let fits = take(MIN);
        assert_eq!(fits.as_ptr(), first);
        drop(freeze(fits));

        // Never more than MAX_KEPT.
        let many: Vec<Bytes> = (0..(MAX_KEPT / (8 * MIN)) + 2)
            .map(|_| freeze(take(8 * MIN)))
            .collect();
        drop(many);
        assert!(kept_bytes() <= MAX_KEPT, "{}", kept_bytes());

        // Idle ones go back to the system; ones used since stay.
        trim(Instant::now());
        assert!(kept_bytes() > 0, "nothing is idle yet");
        trim(Instant::now() + IDLE);
        assert_eq!(kept_bytes(), 0);
    }
}
