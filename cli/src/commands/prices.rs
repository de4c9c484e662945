//! `codexkey admin prices import|set|reset|coefficient`: the operator's price overrides. Amounts
//! are credits parsed exactly by [`Micros`]'s `FromStr`, never through a float. Showing prices is
//! `codexkey pricing` (`pricing.rs`).

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::Micros;
use codexkey_common::api::{ImportPricesRequest, SetCoefficientRequest, SetPriceRequest};
use codexkey_common::price::{PPM, Price};

use super::pricing::amount;
use crate::args::{PricesCommand, SetPriceArgs};
use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

pub async fn run(ctx: &Ctx, client: &Client, cmd: PricesCommand) -> Result<ExitCode> {
    match cmd {
        PricesCommand::Import { file } => {
            let litellm = read_price_list(&file)?;
            let resp = client
                .admin_import_prices(&ImportPricesRequest { litellm })
                .await?;
            for w in &resp.warnings {
                output::notice(&format!("warning: {w}"));
            }
            if ctx.json {
                output::json(&resp)?;
            } else {
                let warnings = match resp.warnings.len() {
                    0 => String::new(),
                    1 => " (1 warning above)".into(),
                    n => format!(" ({n} warnings above)"),
                };
                output::notice(&format!(
                    "imported {} model prices as overrides{warnings}; see them with `codexkey pricing`",
                    resp.imported
                ));
            }
        }
        PricesCommand::Set(args) => {
            let model = args.model.clone();
            let req = set_request(*args)?;
            let price = client.admin_set_price(&model, &req).await?;
            if ctx.json {
                output::json(&price)?;
            } else {
                output::notice(&format!(
                    "set the price of {} ({}): input {}, output {} credits per 1M tokens",
                    price.model,
                    price.provider,
                    amount(price.price.input),
                    amount(price.price.output)
                ));
            }
        }
        PricesCommand::Reset { model } => {
            client.admin_reset_price(&model).await?;
            // The gateway answers 204; what applies now is the shipped price, if there is one.
            let now = client
                .pricing()
                .await?
                .models
                .into_iter()
                .find(|m| m.model == model);
            if ctx.json {
                output::json(&now)?;
            } else {
                match now {
                    Some(p) => output::notice(&format!(
                        "reset {model}: the shipped price applies again (input {}, output {} credits per 1M tokens)",
                        amount(p.price.input),
                        amount(p.price.output)
                    )),
                    None => output::notice(&format!(
                        "reset {model}: it has no shipped price, so the gateway no longer serves it"
                    )),
                }
            }
        }
        PricesCommand::Coefficient { model, value } => {
            let ppm = value.parse::<Micros>().map_err(|e| {
                UserError::new(
                    format!("VALUE: {e}"),
                    "give a positive factor, e.g. `1.25` (+25%) or `1` to remove it",
                )
            })?;
            if ppm.get() <= 0 {
                return Err(UserError::new(
                    format!("VALUE: `{value}` is not a positive factor"),
                    "give a positive factor, e.g. `1.25` (+25%) or `1` to remove it",
                )
                .into());
            }
            let price = client
                .admin_set_coefficient(
                    &model,
                    &SetCoefficientRequest {
                        coefficient: value.trim().to_owned(),
                    },
                )
                .await?;
            if ctx.json {
                output::json(&price)?;
            } else if price.coefficient_ppm == PPM {
                output::notice(&format!("{}: coefficient removed", price.model));
            } else {
                output::notice(&format!(
                    "{}: coefficient set; its prices are multiplied by {}",
                    price.model,
                    Micros(price.coefficient_ppm)
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The litellm-format price list from `file` (`-`: stdin), checked to be a JSON object.
fn read_price_list(file: &Path) -> Result<serde_json::Value> {
    let (text, source) = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the price list from stdin")?;
        (text, "stdin".to_owned())
    } else {
        let text = std::fs::read_to_string(file).map_err(|e| {
            UserError::new(
                format!("cannot read `{}`: {e}", file.display()),
                "give the path of a litellm-format JSON file, or `-` for stdin",
            )
        })?;
        (text, format!("`{}`", file.display()))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        UserError::new(
            format!("{source} is not JSON: {e}"),
            "give a litellm-format price list: a JSON object of model name to prices",
        )
    })?;
    if !value.is_object() {
        return Err(UserError::new(
            format!("{source} is not a JSON object"),
            "give a litellm-format price list: a JSON object of model name to prices",
        )
        .into());
    }
    Ok(value)
}

fn set_request(args: SetPriceArgs) -> Result<SetPriceRequest> {
    let price = Price {
        input: credits("--input", &args.input)?,
        cached_input: opt_credits("--cached-input", args.cached_input.as_deref())?,
        cache_write_5m: opt_credits("--cache-write-5m", args.cache_write_5m.as_deref())?,
        cache_write_1h: opt_credits("--cache-write-1h", args.cache_write_1h.as_deref())?,
        output: credits("--output", &args.output)?,
        per_image: opt_credits("--per-image", args.per_image.as_deref())?,
        per_request: opt_credits("--per-request", args.per_request.as_deref())?,
    };
    Ok(SetPriceRequest {
        provider: args.provider,
        mode: args.mode,
        price,
        max_input_tokens: args.max_input_tokens,
        max_output_tokens: args.max_output_tokens,
    })
}

/// A price in credits (`2.5`) as micro-credits (`2_500_000`), exactly; never negative.
fn credits(flag: &str, value: &str) -> Result<i64> {
    let hint = || format!("give credits with up to 6 decimals, e.g. `{flag} 2.5`");
    let micros = value
        .parse::<Micros>()
        .map_err(|e| UserError::new(format!("`{flag}`: {e}"), hint()))?;
    if micros.get() < 0 {
        return Err(UserError::new(format!("`{flag}`: a price cannot be negative"), hint()).into());
    }
    Ok(micros.get())
}

fn opt_credits(flag: &str, value: Option<&str>) -> Result<Option<i64>> {
    value.map(|v| credits(flag, v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly() {
        assert_eq!(credits("--input", "2.5").ok(), Some(2_500_000));
        assert_eq!(credits("--input", "0.000001").ok(), Some(1));
        assert_eq!(credits("--input", "0.1").ok(), Some(100_000));
        assert_eq!(credits("--input", "15").ok(), Some(15_000_000));
        for bad in ["abc", "1e3", "0.0000001", "-1", "1,5", ""] {
            assert!(credits("--input", bad).is_err(), "{bad}");
        }
    }
}
