//! `codexkey pricing [--model PATTERN] [--provider NAME]`: the gateway's public price list,
//! filtered here, on the client. Changing prices is `admin prices` (`prices.rs`).

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::{ModelPrice, Pricing};
use codexkey_common::price::PPM;
use codexkey_common::{Micros, glob};
use tabled::Tabled;

use crate::args::PricingArgs;
use crate::context::Ctx;
use crate::output;

/// One model; token prices are credits per 1M tokens, as the stderr note under the table says.
#[derive(Tabled)]
struct PriceRow {
    model: String,
    provider: String,
    input: String,
    #[tabled(rename = "cached input")]
    cached_input: String,
    #[tabled(rename = "cache write 5m")]
    cache_write_5m: String,
    #[tabled(rename = "1h")]
    cache_write_1h: String,
    output: String,
    #[tabled(rename = "per image")]
    per_image: String,
    #[tabled(rename = "per request")]
    per_request: String,
    #[tabled(rename = "coef")]
    coefficient: String,
    #[tabled(rename = "overridden")]
    overridden: String,
}

fn row(m: &ModelPrice) -> PriceRow {
    let p = &m.price;
    PriceRow {
        model: m.model.clone(),
        provider: m.provider.clone(),
        input: amount(p.input),
        cached_input: opt_amount(p.cached_input),
        cache_write_5m: opt_amount(p.cache_write_5m),
        cache_write_1h: opt_amount(p.cache_write_1h),
        output: amount(p.output),
        per_image: opt_amount(p.per_image),
        per_request: opt_amount(p.per_request),
        coefficient: coefficient(m.coefficient_ppm),
        overridden: if m.overridden { "yes" } else { "" }.into(),
    }
}

/// Micro-credits shown as credits (`5.00`, `0.000125`): the same exact display as balances.
pub(super) fn amount(micros: i64) -> String {
    Micros(micros).to_string()
}

fn opt_amount(micros: Option<i64>) -> String {
    micros.map(amount).unwrap_or_else(|| "-".into())
}

/// `×1.25`, or nothing for the default ×1.
fn coefficient(ppm: i64) -> String {
    if ppm == PPM {
        String::new()
    } else {
        // Parts per million read like micro-credits: six implied decimals.
        format!("×{}", Micros(ppm))
    }
}

pub async fn run(ctx: &Ctx, args: PricingArgs) -> Result<ExitCode> {
    let pricing = ctx.anonymous()?.pricing().await?;
    let mut models: Vec<ModelPrice> = pricing
        .models
        .into_iter()
        .filter(|m| {
            args.model
                .as_deref()
                .is_none_or(|pattern| glob::matches_ignore_ascii_case(pattern, &m.model))
                && args
                    .provider
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&m.provider))
        })
        .collect();
    models.sort_by(|a, b| a.model.cmp(&b.model));
    if ctx.json {
        return output::json(&Pricing {
            margin_ppm: pricing.margin_ppm,
            models,
        })
        .map(|()| ExitCode::SUCCESS);
    }
    let empty = if args.model.is_some() || args.provider.is_some() {
        "no model matches; see every model with `codexkey pricing`"
    } else {
        "this gateway prices no model yet; an admin sets prices with `codexkey admin prices`"
    };
    let any = !models.is_empty();
    output::table(models.iter().map(row).collect(), empty)?;
    if any {
        let mut note = String::from(
            "token prices in credits per 1M tokens (`-`: billed as input; 1h: as 5m); per image and per request in credits",
        );
        if pricing.margin_ppm != 0 {
            let sign = if pricing.margin_ppm > 0 { "+" } else { "-" };
            let pct = Micros(pricing.margin_ppm.saturating_abs().saturating_mul(100));
            note.push_str(&format!(
                "; this gateway adds a margin of {sign}{pct}% to every price"
            ));
        }
        output::notice(&note);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_show_only_when_not_one() {
        assert_eq!(coefficient(PPM), "");
        assert_eq!(coefficient(1_250_000), "×1.25");
        assert_eq!(coefficient(800_000), "×0.80");
    }
}
