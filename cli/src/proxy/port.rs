//! Where `codexkey proxy` listens unless told otherwise: a leaf, so the argument parser can
//! name it without depending on the proxy.

/// The default port of `codexkey proxy`.
pub const DEFAULT_PORT: u16 = 4141;
