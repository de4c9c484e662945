//! `codexkey admin prices import|set|reset|coefficient`: the operator's price overrides. Amounts
//! are credits parsed exactly by [`Micros`]'s `FromStr`, never through a float. Showing prices is
//! `codexkey pricing` (`pricing.rs`).

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use codexkey_common::Micros;
use codexkey_common::api::{
    ImportPricesRequest, ModelPrice, SetCoefficientRequest, SetPriceRequest,
};
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
            // Parse everything before asking the gateway anything.
            let given = Given::parse(*args)?;
            let current = client
                .pricing()
                .await?
                .models
                .into_iter()
                .find(|m| m.model == model);
            let req = given.merge(&model, current.as_ref())?;
            let changes = changes(current.as_ref(), &req);
            let price = client.admin_set_price(&model, &req).await?;
            if ctx.json {
                output::json(&price)?;
            } else if current.is_none() {
                output::notice(&format!(
                    "set the price of {} ({}): input {}, output {} credits per 1M tokens",
                    price.model,
                    price.provider,
                    amount(price.price.input),
                    amount(price.price.output)
                ));
            } else if changes.is_empty() {
                output::notice(&format!(
                    "{}: nothing changed; its price is now an override",
                    price.model
                ));
            } else {
                let mut text =
                    format!("changed the price of {} ({}):", price.model, price.provider);
                for c in &changes {
                    text.push_str(&format!("\n  {}: {} -> {}", c.field, c.old, c.new));
                }
                text.push_str("\n(token prices in credits per 1M tokens; everything else is kept)");
                output::notice(&text);
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

/// What `admin prices set` was given, parsed; `None` keeps the current value.
#[derive(Debug, Default)]
struct Given {
    provider: Option<String>,
    mode: Option<String>,
    input: Option<i64>,
    cached_input: Option<i64>,
    cache_write_5m: Option<i64>,
    cache_write_1h: Option<i64>,
    output: Option<i64>,
    per_image: Option<i64>,
    per_request: Option<i64>,
    max_input_tokens: Option<u64>,
    max_output_tokens: Option<u64>,
}

impl Given {
    fn parse(args: SetPriceArgs) -> Result<Given> {
        Ok(Given {
            provider: args.provider,
            mode: args.mode,
            input: opt_credits("--input", args.input.as_deref())?,
            cached_input: opt_credits("--cached-input", args.cached_input.as_deref())?,
            cache_write_5m: opt_credits("--cache-write-5m", args.cache_write_5m.as_deref())?,
            cache_write_1h: opt_credits("--cache-write-1h", args.cache_write_1h.as_deref())?,
            output: opt_credits("--output", args.output.as_deref())?,
            per_image: opt_credits("--per-image", args.per_image.as_deref())?,
            per_request: opt_credits("--per-request", args.per_request.as_deref())?,
            max_input_tokens: args.max_input_tokens,
            max_output_tokens: args.max_output_tokens,
        })
    }

    /// The whole price row to send: what was given, over the model's current entry. A model
    /// without a price needs `--provider`, `--input` and `--output`.
    fn merge(self, model: &str, current: Option<&ModelPrice>) -> Result<SetPriceRequest> {
        let missing = |flag: &str| {
            UserError::new(
                format!("`{model}` has no price yet, so `{flag}` is required"),
                "give `--provider`, `--input` and `--output` for a new model (see `codexkey pricing` for the priced ones)",
            )
        };
        let cur = current.map(|c| c.price);
        let price = Price {
            input: self
                .input
                .or(cur.map(|p| p.input))
                .ok_or_else(|| missing("--input"))?,
            output: self
                .output
                .or(cur.map(|p| p.output))
                .ok_or_else(|| missing("--output"))?,
            cached_input: self.cached_input.or(cur.and_then(|p| p.cached_input)),
            cache_write_5m: self.cache_write_5m.or(cur.and_then(|p| p.cache_write_5m)),
            cache_write_1h: self.cache_write_1h.or(cur.and_then(|p| p.cache_write_1h)),
            per_image: self.per_image.or(cur.and_then(|p| p.per_image)),
            per_request: self.per_request.or(cur.and_then(|p| p.per_request)),
        };
        Ok(SetPriceRequest {
            provider: self
                .provider
                .or(current.map(|c| c.provider.clone()))
                .ok_or_else(|| missing("--provider"))?,
            mode: self.mode.or(current.map(|c| c.mode.clone())),
            price,
            max_input_tokens: self
                .max_input_tokens
                .or(current.and_then(|c| c.max_input_tokens)),
            max_output_tokens: self
                .max_output_tokens
                .or(current.and_then(|c| c.max_output_tokens)),
        })
    }
}

/// One field `admin prices set` changes, as shown to the operator.
#[derive(Debug, PartialEq, Eq)]
struct Change {
    field: &'static str,
    old: String,
    new: String,
}

/// The fields whose value differs between the current entry and the request.
fn changes(current: Option<&ModelPrice>, req: &SetPriceRequest) -> Vec<Change> {
    let Some(cur) = current else {
        return Vec::new();
    };
    let money = |m: Option<i64>| m.map_or_else(|| "none".to_owned(), amount);
    let tokens = |n: Option<u64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
    let (a, b) = (&cur.price, &req.price);
    let rows = [
        ("provider", cur.provider.clone(), req.provider.clone()),
        (
            "mode",
            cur.mode.clone(),
            req.mode.clone().unwrap_or_else(|| "chat".into()),
        ),
        ("input", amount(a.input), amount(b.input)),
        ("cached input", money(a.cached_input), money(b.cached_input)),
        (
            "cache write 5m",
            money(a.cache_write_5m),
            money(b.cache_write_5m),
        ),
        (
            "cache write 1h",
            money(a.cache_write_1h),
            money(b.cache_write_1h),
        ),
        ("output", amount(a.output), amount(b.output)),
        ("per image", money(a.per_image), money(b.per_image)),
        ("per request", money(a.per_request), money(b.per_request)),
        (
            "max input tokens",
            tokens(cur.max_input_tokens),
            tokens(req.max_input_tokens),
        ),
        (
            "max output tokens",
            tokens(cur.max_output_tokens),
            tokens(req.max_output_tokens),
        ),
    ];
    rows.into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| Change { field, old, new })
        .collect()
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
    #![expect(clippy::unwrap_used)]
    use super::*;

    fn shipped() -> ModelPrice {
        ModelPrice {
            model: "m".into(),
            provider: "openai".into(),
            mode: "chat".into(),
            price: Price {
                input: 2_500_000,
                cached_input: Some(1_250_000),
                cache_write_5m: None,
                cache_write_1h: None,
                output: 10_000_000,
                per_image: None,
                per_request: None,
            },
            coefficient_ppm: PPM,
            overridden: false,
            max_input_tokens: Some(128_000),
            max_output_tokens: None,
        }
    }

    #[test]
    fn set_keeps_what_is_not_given_and_names_what_changes() {
        let cur = shipped();
        let given = Given {
            input: Some(3_000_000),
            output: Some(12_000_000),
            ..Given::default()
        };
        let req = given.merge("m", Some(&cur)).unwrap();
        assert_eq!(req.price.cached_input, Some(1_250_000), "kept");
        assert_eq!(req.provider, "openai");
        assert_eq!(req.max_input_tokens, Some(128_000));
        let ch = changes(Some(&cur), &req);
        assert_eq!(
            ch,
            vec![
                Change {
                    field: "input",
                    old: "2.50".into(),
                    new: "3.00".into()
                },
                Change {
                    field: "output",
                    old: "10.00".into(),
                    new: "12.00".into()
                },
            ]
        );
        // A model without a price needs the essentials.
        let err = Given {
            input: Some(1),
            ..Given::default()
        }
        .merge("new-model", None)
        .unwrap_err();
        assert!(err.to_string().contains("`--output` is required"), "{err}");
    }

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
