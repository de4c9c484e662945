//! Prints codexkey's price table converted from a litellm-format price list: the table as pretty
//! JSON on stdout, import warnings on stderr. `scripts/gen-prices.sh` runs it to regenerate the
//! gateway's shipped `gateway/prices/default.json`; the test `prices_table` checks the two agree.
#![expect(clippy::print_stdout, reason = "the table is this program's output")]

use std::process::ExitCode;

use codexkey_common::price::PriceTable;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: gen_prices PRICE_LIST.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let (table, warnings) = match PriceTable::from_litellm_json(&text) {
        Ok(imported) => imported,
        Err(e) => {
            eprintln!("error: `{}`: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    match table.to_json() {
        Ok(json) => {
            println!("{json}");
            eprintln!("{} models priced", table.models.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
