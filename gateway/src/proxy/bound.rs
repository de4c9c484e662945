//! The most a request can cost, known before it goes upstream, and the output cap that makes it
//! fit a balance: what bounded admission holds.
//!
//! Input is bounded by the request's bytes: one token per byte at the dearest input-side price
//! (fresh input, cache reads or either cache write), since no tokenizer makes more tokens than
//! bytes of text. Output is bounded by the request's own output cap, else the model's, else
//! `metering.default_max_output_tokens`. When the balance does not cover that whole cap, the
//! largest cap it covers (at least [`MIN_OUTPUT_TOKENS`]) is sent upstream instead.

use codexkey_common::{Micros, Usage};

use crate::pricing::Quote;
use crate::route::Route;

/// The smallest output a request is run with: below it the balance cannot pay for a useful
/// answer, and the request is refused with 402 instead.
pub const MIN_OUTPUT_TOKENS: u64 = 16;

/// Output tokens assumed per generated image for models that bill images by tokens (the
/// largest gpt-image output per image, rounded up).
pub const IMAGE_OUTPUT_TOKENS: u64 = 8_192;

/// A request's cost bound.
pub struct Bound<'q, 'b> {
    quote: &'q Quote<'b>,
    /// Every input token the body can hold, in the dearest input bucket.
    input: Usage,
    /// The output the request may produce unless lowered.
    output_cap: u64,
    /// Whether the output cap can be lowered (chat, Responses, Messages).
    lowerable: bool,
    /// Images route: also bounded per image, whichever way the model bills.
    images: u64,
}

impl<'q, 'b> Bound<'q, 'b> {
    pub fn new(
        quote: &'q Quote<'b>,
        route: Route,
        body_len: usize,
        max_output: Option<u64>,
        images: Option<u64>,
        default_max_output: u64,
    ) -> Bound<'q, 'b> {
        let price = quote.price();
        let bytes = body_len as u64;
        let buckets = [
            price.input,
            price.cached_input_or_input(),
            price.cache_write_5m_or_input(),
            price.cache_write_1h_or_fallback(),
        ];
        let dearest = (0..buckets.len()).max_by_key(|&i| buckets[i]).unwrap_or(0);
        let mut input = Usage::default();
        match dearest {
            1 => input.cached_tokens = bytes,
            2 => input.cache_write_5m_tokens = bytes,
            3 => input.cache_write_1h_tokens = bytes,
            _ => input.input_tokens = bytes,
        }
        let images = if route == Route::Images {
            images.unwrap_or(1).max(1)
        } else {
            0
        };
        let output_cap = match route {
            Route::Embeddings => 0,
            Route::Images => images.saturating_mul(IMAGE_OUTPUT_TOKENS),
            _ => max_output
                .or(quote.entry.max_output_tokens)
                .unwrap_or(default_max_output),
        };
        Bound {
            quote,
            input,
            output_cap,
            lowerable: matches!(
                route,
                Route::ChatCompletions | Route::Responses | Route::Messages
            ),
            images,
        }
    }

    /// The output cap the bound assumes.
    pub fn output_cap(&self) -> u64 {
        self.output_cap
    }

    /// The bound with `output` tokens of output; `None` beyond the largest amount.
    pub fn cost(&self, output: u64) -> Option<Micros> {
        let by_tokens = self.quote.cost(&Usage {
            output_tokens: output,
            ..self.input
        })?;
        if self.images == 0 {
            return Some(by_tokens);
        }
        // Image models bill by tokens or per image, never both: hold the larger.
        let per_image = self.quote.cost(&Usage {
            images: self.images,
            ..Usage::default()
        })?;
        Some(by_tokens.max(per_image))
    }

    /// The hold for a request facing `available` money, and the output cap it runs with when
    /// lower than its own: the whole bound if it fits; else, if the cap can be lowered, the
    /// bound at the largest cap of at least [`MIN_OUTPUT_TOKENS`] that fits; else `None`.
    pub fn fit(&self, available: Micros) -> Option<(Micros, Option<u64>)> {
        let full = self.cost(self.output_cap)?;
        if full <= available {
            return Some((full, None));
        }
        if !self.lowerable || self.output_cap <= MIN_OUTPUT_TOKENS {
            return None;
        }
        let fits = |output: u64| self.cost(output).is_some_and(|c| c <= available);
        if !fits(MIN_OUTPUT_TOKENS) {
            return None;
        }
        // The cost only grows with output: the largest cap that fits, by bisection.
        let (mut lo, mut hi) = (MIN_OUTPUT_TOKENS, self.output_cap);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some((self.cost(lo)?, Some(lo)))
    }
}
