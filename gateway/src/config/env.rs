//! Environment variables the gateway reads, one constant each. Nested settings use `__`.
//!
//! The scalar settings' variables come from their definition (`settings.rs`); the ones here
//! and those of upstreams and currencies are read by hand, since they are not one value each.

pub use super::currencies::CURRENCIES;
pub use super::settings::vars::*;
pub use super::upstreams::{
    ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENAI_API_KEY, OPENAI_BASE_URL,
};

/// The configuration file to read (`--config`).
pub const CONFIG: &str = "CODEXKEY_CONFIG";
