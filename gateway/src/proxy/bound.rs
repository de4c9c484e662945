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

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use codexkey_common::price::{Price, PriceEntry};
    use proptest::prelude::*;

    use super::*;

    fn entry(price: Price, max_output_tokens: Option<u64>) -> PriceEntry {
        PriceEntry {
            provider: "openai".into(),
            mode: "chat".into(),
            price,
            max_input_tokens: None,
            max_output_tokens,
        }
    }

    const OPUS: Price = Price {
        input: 5_000_000,
        cached_input: Some(500_000),
        cache_write_5m: Some(6_250_000),
        cache_write_1h: Some(10_000_000),
        output: 25_000_000,
        per_image: None,
        per_request: None,
    };

    #[test]
    fn the_bound_holds_every_byte_at_the_dearest_input_price_and_the_whole_cap() {
        let e = entry(OPUS, Some(128_000));
        let q = Quote::of(&e, 1_000_000, 0);
        // 1,000 bytes as 1-hour cache writes (10 per token) + 100 output tokens (25 each).
        let b = Bound::new(&q, Route::Messages, 1_000, Some(100), None, 4096);
        assert_eq!(b.cost(100), Some(Micros(10_000 + 2_500)));
        assert_eq!(b.fit(Micros(12_500)), Some((Micros(12_500), None)));
        // One micro-credit short: the largest cap that fits is 99 tokens.
        assert_eq!(b.fit(Micros(12_499)), Some((Micros(12_475), Some(99))));
        // Input plus the minimal output is the least a request runs with.
        assert_eq!(b.fit(Micros(10_400)), Some((Micros(10_400), Some(16))));
        assert_eq!(b.fit(Micros(10_399)), None);
        // Without a cap of its own, the model's.
        let b = Bound::new(&q, Route::Messages, 1_000, None, None, 4096);
        assert_eq!(b.output_cap(), 128_000);
        // Embeddings have no output to lower.
        let b = Bound::new(&q, Route::Embeddings, 1_000, None, None, 4096);
        assert_eq!(b.fit(Micros(9_999)), None);
        assert_eq!(b.fit(Micros(10_000)), Some((Micros(10_000), None)));
    }

    #[test]
    fn images_hold_the_dearer_of_tokens_and_per_image() {
        let per_image = entry(
            Price {
                input: 0,
                output: 0,
                per_image: Some(40_000),
                ..Price::default()
            },
            None,
        );
        let q = Quote::of(&per_image, 1_000_000, 0);
        let b = Bound::new(&q, Route::Images, 50, None, Some(3), 4096);
        assert_eq!(b.cost(b.output_cap()), Some(Micros(120_000)));
        let by_tokens = entry(
            Price {
                input: 5_000_000,
                output: 40_000_000,
                ..Price::default()
            },
            None,
        );
        let q = Quote::of(&by_tokens, 1_000_000, 0);
        let b = Bound::new(&q, Route::Images, 50, None, Some(2), 4096);
        assert_eq!(b.output_cap(), 2 * IMAGE_OUTPUT_TOKENS);
        assert_eq!(b.cost(b.output_cap()), Some(Micros(250 + 2 * 8_192 * 40)));
    }

    fn price() -> impl Strategy<Value = Price> {
        let p = 0..=1_000_000_000i64;
        (
            p.clone(),
            proptest::option::of(p.clone()),
            proptest::option::of(p.clone()),
            proptest::option::of(p.clone()),
            p.clone(),
            proptest::option::of(0..=100_000_000i64),
        )
            .prop_map(
                |(input, cached_input, cache_write_5m, cache_write_1h, output, per_request)| {
                    Price {
                        input,
                        cached_input,
                        cache_write_5m,
                        cache_write_1h,
                        output,
                        per_image: None,
                        per_request,
                    }
                },
            )
    }

    proptest! {
        /// For any prices, coefficient and margin, any request size and output cap, and any
        /// balance: the hold admission takes fits the balance, never overflows, and every usage
        /// the request can have (no more input tokens than bytes, in any mix of cache buckets;
        /// no more output than the cap it runs with) costs at most that hold.
        #[test]
        fn no_usage_within_the_bound_costs_more_than_the_hold(
            price in price(),
            coefficient in 0..=10_000_000i64,
            margin in -1_000_000..=10_000_000i64,
            body_len in 0usize..=64 * 1024 * 1024,
            cap in proptest::option::of(0..=2_000_000u64),
            available in 0..=Micros::MAX.0,
            split in (0..=100u64, 0..=100u64, 0..=100u64, 0..=100u64),
            used_share in 0..=100u64,
            output_share in 0..=100u64,
        ) {
            let e = entry(price, Some(128_000));
            let q = Quote::of(&e, coefficient, margin);
            let b = Bound::new(&q, Route::ChatCompletions, body_len, cap, None, 4096);
            let Some((hold, lowered)) = b.fit(Micros(available)) else {
                // Refused: then even the smallest run does not fit, or the bound is beyond any
                // amount.
                let least = b.cost(b.output_cap().min(MIN_OUTPUT_TOKENS));
                prop_assert!(least.is_none_or(|c| c > Micros(available)) || b.cost(b.output_cap()).is_none());
                return Ok(());
            };
            prop_assert!(hold <= Micros(available));
            prop_assert!(!hold.is_negative());
            let runs_with = lowered.unwrap_or(b.output_cap());
            prop_assert!(runs_with <= b.output_cap());
            if let Some(l) = lowered {
                prop_assert!(l >= MIN_OUTPUT_TOKENS);
            }
            // Some usage within the bound: a share of the bytes, split over the buckets.
            let used = body_len as u64 * used_share / 100;
            let total = (split.0 + split.1 + split.2 + split.3).max(1);
            let usage = Usage {
                input_tokens: used * split.0 / total,
                cached_tokens: used * split.1 / total,
                cache_write_5m_tokens: used * split.2 / total,
                cache_write_1h_tokens: used * split.3 / total,
                output_tokens: runs_with * output_share / 100,
                reasoning_tokens: 0,
                images: 0,
            };
            let cost = q.cost(&usage);
            prop_assert!(cost.is_some(), "a usage within a hold's bound always prices");
            prop_assert!(cost.unwrap() <= hold, "{usage:?} costs {cost:?} > hold {hold:?}");
        }
    }
}
