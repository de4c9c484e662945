//! Where a store keeps its usage: the names the engine's SQL is built from.

/// The tables and columns of one store's usage. Both tables have the columns `key_id`, `model`,
/// `status`, the token counts and `cost_micros`; the rollup also `bucket` and `requests`
/// (with `0` for no key and `''` for no model), the events `id`, `created_at` and the rest of
/// an event's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// The raw events, one row per request.
    pub events: &'static str,
    /// The sums per quarter hour, scope, key, model and status.
    pub rollup: &'static str,
    /// The column of both tables that says whose an event is; [`Filter::scope`] matches it
    /// and the account dimension groups by it.
    ///
    /// [`Filter::scope`]: crate::Filter::scope
    pub scope: &'static str,
    /// An SQL expression over a row of [`events`](Self::events) giving the event's account id:
    /// a column, or a subquery where the events table does not hold it.
    pub account: &'static str,
    /// An SQL expression over a row of [`events`](Self::events) giving the cost upstream's
    /// usage came to when the charge was capped at the hold: a column, or `NULL` where the
    /// store does not keep it.
    pub uncapped_cost: &'static str,
}
