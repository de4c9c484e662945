//! Prices and the one cost formula. A [`Price`] row says what a model costs; [`cost`] turns a
//! request's [`Usage`] into [`Micros`], exactly and rounded once; a [`PriceTable`] maps model
//! names to prices, read from codexkey's own JSON format or imported from the litellm community
//! price list.
//!
//! All money arithmetic here is on integers. Nothing here does I/O or knows where a table came
//! from: the shipped default, operator overrides and their precedence belong to the gateway.
//!
//! [`cost`]: cost()
//! [`Usage`]: crate::Usage
//! [`Micros`]: crate::Micros

mod cost;
mod litellm;
mod table;

pub use cost::{PPM, Price, TOKENS_PER_PRICE_UNIT, cost};
pub use litellm::LITELLM_SOURCE_NOTE;
pub use table::{PriceEntry, PriceError, PriceTable};

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]
mod tests;
