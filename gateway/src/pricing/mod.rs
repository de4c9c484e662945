//! The price book the data plane charges from: the shipped default table
//! (`gateway/prices/default.json`, generated from a public price list by
//! `scripts/gen-prices.sh`), the operator's overrides, per-model coefficients and the global
//! margin. Read on every request, so it lives in memory and is swapped whole when an admin
//! changes prices.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use codexkey_common::price::{Price, PriceEntry, PriceError, PriceTable, cost};
use codexkey_common::{Micros, Usage};

use serde_json::json;

use crate::store::Store;

pub mod admin;

/// The shipped default table.
pub const DEFAULT_PRICES: &str = include_str!("../../prices/default.json");

/// Parts per million: `1_000_000` is ×1.0.
pub const PPM: i64 = 1_000_000;

/// The price book as the data plane holds it: swapped whole when prices change.
pub type SharedPrices = Arc<PriceBook>;

#[derive(Debug)]
pub struct PriceBook {
    table: PriceTable,
    overridden: HashSet<String>,
    coefficients: HashMap<String, i64>,
    margin_ppm: i64,
    /// Per model, the JSON kept with each usage event: built once, shared by every event.
    snapshots: HashMap<String, Arc<str>>,
}

/// The price of one model, as applied to one request.
#[derive(Clone, Copy)]
pub struct Quote<'a> {
    pub model: &'a str,
    pub entry: &'a PriceEntry,
    pub coefficient_ppm: i64,
    pub margin_ppm: i64,
    snapshot: Option<&'a Arc<str>>,
}

impl PriceBook {
    /// The shipped table with `overrides` on top (whole rows replace whole rows).
    pub fn new(
        overrides: impl IntoIterator<Item = (String, PriceEntry)>,
        coefficients: HashMap<String, i64>,
        margin_ppm: i64,
    ) -> Result<PriceBook, PriceError> {
        let mut table = PriceTable::from_json(DEFAULT_PRICES)?;
        let mut overridden = HashSet::new();
        for (model, entry) in overrides {
            overridden.insert(model.clone());
            table.models.insert(model, entry);
        }
        let snapshots = table
            .models
            .iter()
            .map(|(model, entry)| {
                let coefficient_ppm = coefficients.get(model).copied().unwrap_or(PPM);
                let json = json!({
                    "price": entry.price,
                    "unit": "micro-credits per 1M tokens; per_image and per_request in micro-credits",
                    "coefficient_ppm": coefficient_ppm,
                    "margin_ppm": margin_ppm,
                });
                (model.clone(), Arc::from(json.to_string()))
            })
            .collect();
        Ok(PriceBook {
            table,
            overridden,
            coefficients,
            margin_ppm,
            snapshots,
        })
    }

    pub fn quote<'a>(&'a self, model: &'a str) -> Option<Quote<'a>> {
        let entry = self.table.get(model)?;
        Some(Quote {
            model,
            entry,
            coefficient_ppm: self.coefficients.get(model).copied().unwrap_or(PPM),
            margin_ppm: self.margin_ppm,
            snapshot: self.snapshots.get(model),
        })
    }

    pub fn table(&self) -> &PriceTable {
        &self.table
    }

    pub fn margin_ppm(&self) -> i64 {
        self.margin_ppm
    }

    pub fn coefficient(&self, model: &str) -> i64 {
        self.coefficients.get(model).copied().unwrap_or(PPM)
    }
}

impl<'a> Quote<'a> {
    /// A quote for `entry` outside any book, for tests of what is built on quotes.
    #[cfg(test)]
    pub fn of(entry: &'a PriceEntry, coefficient_ppm: i64, margin_ppm: i64) -> Quote<'a> {
        Quote {
            model: "test-model",
            entry,
            coefficient_ppm,
            margin_ppm,
            snapshot: None,
        }
    }

    pub fn price(&self) -> &Price {
        &self.entry.price
    }

    /// What `usage` costs; `None` beyond the largest amount (an anomaly, never a charge).
    pub fn cost(&self, usage: &Usage) -> Option<Micros> {
        cost(
            usage,
            &self.entry.price,
            self.coefficient_ppm,
            self.margin_ppm,
        )
    }

    /// What produced a charge, kept with its usage event so it stays explainable after prices
    /// change: the unit prices, the coefficient and the margin, as JSON.
    pub fn snapshot(&self) -> Option<Arc<str>> {
        self.snapshot.cloned()
    }
}

/// The book as the database and configuration make it now.
pub async fn load(store: &dyn Store, margin_ppm: i64) -> Result<PriceBook, String> {
    let overrides = store.price_overrides().await.map_err(|e| e.to_string())?;
    let coefficients = store
        .coefficients()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    PriceBook::new(overrides, coefficients, margin_ppm)
        .map_err(|e| format!("the shipped price table: {e}"))
}
