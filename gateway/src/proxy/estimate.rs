//! Token estimates from a request's size, for holds and for the crash rule.

/// Estimated tokens of a request body for a hold: one per 3 bytes, more than the ~4 bytes of
/// typical English text per token, so that the hold errs high.
pub fn hold_input_tokens(body_len: usize) -> u64 {
    (body_len as u64).div_ceil(3)
}

/// Estimated tokens of a request body for the crash rule: one per 4 bytes, the usual average,
/// so that an interrupted request is charged about what its input cost.
pub fn crash_input_tokens(body_len: usize) -> u64 {
    (body_len as u64).div_ceil(4)
}
