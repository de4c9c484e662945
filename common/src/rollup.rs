//! The usage rollup's time buckets, shared by the gateway's reports and the CLI's local cache
//! (both through the report engine, `codexkey-report`): a report is answered from quarter-hour
//! sums for the whole buckets of a range and from raw events for its partial ends.

/// Width of a rollup bucket: a quarter hour. Every UTC offset in use is a multiple of it, so
/// local hours and days start on a bucket boundary.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// `[start, end)` in Unix milliseconds.
pub type Span = (i64, i64);

/// Splits `[from, to)` into the whole buckets the rollup answers and the partial ends the raw
/// events answer: `(rollup range, raw ranges)`.
pub fn split_range(from: i64, to: i64) -> (Option<Span>, Vec<Span>) {
    if from >= to {
        return (None, Vec::new());
    }
    let first_whole = from.div_euclid(BUCKET_MS) * BUCKET_MS
        + if from.rem_euclid(BUCKET_MS) == 0 {
            0
        } else {
            BUCKET_MS
        };
    let last_whole = to.div_euclid(BUCKET_MS) * BUCKET_MS;
    if first_whole >= last_whole {
        return (None, vec![(from, to)]);
    }
    let mut raw = Vec::new();
    if from < first_whole {
        raw.push((from, first_whole));
    }
    if last_whole < to {
        raw.push((last_whole, to));
    }
    (Some((first_whole, last_whole)), raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_into_whole_buckets_and_ends() {
        let q = BUCKET_MS;
        assert_eq!(split_range(0, 4 * q), (Some((0, 4 * q)), vec![]));
        assert_eq!(
            split_range(10, 4 * q + 5),
            (Some((q, 4 * q)), vec![(10, q), (4 * q, 4 * q + 5)])
        );
        assert_eq!(
            split_range(q + 1, 2 * q - 1),
            (None, vec![(q + 1, 2 * q - 1)])
        );
        assert_eq!(split_range(q + 1, 2 * q), (None, vec![(q + 1, 2 * q)]));
        assert_eq!(split_range(q, 2 * q - 1), (None, vec![(q, 2 * q - 1)]));
        assert_eq!(split_range(5, 5), (None, vec![]));
        assert_eq!(split_range(6, 5), (None, vec![]));
    }
}
