//! What both sides of codexkey speak: money ([`Micros`]), the API key and session token
//! formats ([`key`]), redemption codes ([`code`]), secrets that never print ([`Secret`]) and the management API's request and
//! response types ([`api`]). Nothing here does I/O.

pub mod api;
pub mod code;
pub mod currency;
pub mod glob;
pub mod key;
pub mod money;
pub mod price;
pub mod rollup;
pub mod secret;
pub mod settlement;
pub mod sse;
pub mod text;
pub mod usage;

pub use money::Micros;
pub use secret::Secret;
pub use usage::Usage;
