//! The operator's side of prices: the public price list, and admin changes (a model's
//! price, its coefficient, a litellm import), each audited and followed by a swap of the book.

use std::sync::Arc;

use codexkey_common::Micros;
use codexkey_common::api::{ImportPricesResponse, ModelPrice, Pricing, SetPriceRequest};
use codexkey_common::price::{Price, PriceEntry, PriceTable};
use serde_json::json;

use super::{PPM, load};
use crate::accounts::Caller;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAudit, StoreError};

/// Rebuilds the book after an admin change (here or, through `crate::changes`, on another
/// replica) and swaps it in; requests in flight keep the book they were admitted with.
pub(crate) async fn reload(state: &AppState) -> Result<(), ApiError> {
    let book = load(&*state.store, state.config.metering.margin_ppm)
        .await
        .map_err(ApiError::Internal)?;
    state.prices.store(Arc::new(book));
    Ok(())
}

/// `GET /api/v1/pricing`: every model with its price, coefficient and the margin.
pub fn public(state: &AppState) -> Pricing {
    let book = state.prices.load();
    Pricing {
        margin_ppm: book.margin_ppm,
        models: book
            .table
            .models
            .iter()
            .map(|(model, e)| ModelPrice {
                model: model.clone(),
                provider: e.provider.clone(),
                mode: e.mode.clone(),
                price: e.price,
                coefficient_ppm: book.coefficient(model),
                overridden: book.overridden.contains(model),
                max_input_tokens: e.max_input_tokens,
                max_output_tokens: e.max_output_tokens,
            })
            .collect(),
    }
}

fn audit(
    admin: &Caller,
    action: &'static str,
    target: &str,
    detail: serde_json::Value,
) -> NewAudit {
    NewAudit {
        actor_id: Some(admin.account.id),
        action,
        target: Some(target.to_owned()),
        detail,
        created_at: now_ms(),
    }
}

fn check_model_name(model: &str) -> Result<(), ApiError> {
    if model.is_empty() || model.len() > 200 || model.chars().any(char::is_whitespace) {
        return Err(ApiError::InvalidRequest(format!(
            "`{model}` is not a model name"
        )));
    }
    Ok(())
}

fn check_price(p: &Price) -> Result<(), ApiError> {
    let all = [
        Some(p.input),
        p.cached_input,
        p.cache_write_5m,
        p.cache_write_1h,
        Some(p.output),
        p.per_image,
        p.per_request,
    ];
    if all.iter().flatten().any(|v| *v < 0) {
        return Err(ApiError::InvalidRequest("prices cannot be negative".into()));
    }
    if all.iter().flatten().all(|v| *v == 0) {
        return Err(ApiError::InvalidRequest(
            "a price of zero everywhere would serve the model free; give at least one price".into(),
        ));
    }
    Ok(())
}

pub async fn set_price(
    state: &AppState,
    admin: &Caller,
    model: &str,
    req: SetPriceRequest,
) -> Result<ModelPrice, ApiError> {
    check_model_name(model)?;
    check_price(&req.price)?;
    let entry = PriceEntry {
        provider: req.provider,
        mode: req.mode.unwrap_or_else(|| "chat".into()),
        price: req.price,
        max_input_tokens: req.max_input_tokens,
        max_output_tokens: req.max_output_tokens,
    };
    let detail = json!({ "price": entry.price, "provider": entry.provider });
    state
        .store
        .upsert_prices(
            vec![(model.to_owned(), entry)],
            audit(admin, "price.set", model, detail),
        )
        .await?;
    reload(state).await?;
    public(state)
        .models
        .into_iter()
        .find(|m| m.model == model)
        .ok_or_else(|| ApiError::Internal("a price just set is missing".into()))
}

pub async fn reset_price(state: &AppState, admin: &Caller, model: &str) -> Result<(), ApiError> {
    let removed = state
        .store
        .delete_price(model, audit(admin, "price.reset", model, json!({})))
        .await?;
    if !removed {
        return Err(ApiError::NotFound(format!(
            "`{model}` has no price override"
        )));
    }
    reload(state).await
}

pub async fn import(
    state: &AppState,
    admin: &Caller,
    list: serde_json::Value,
) -> Result<ImportPricesResponse, ApiError> {
    let text = list.to_string();
    let (table, warnings) = PriceTable::from_litellm_json(&text)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let imported = table.models.len();
    if imported == 0 {
        return Err(ApiError::InvalidRequest(
            "the price list has no model with a usable price".into(),
        ));
    }
    state
        .store
        .upsert_prices(
            table.models.into_iter().collect(),
            audit(
                admin,
                "price.import",
                "litellm",
                json!({ "models": imported, "warnings": warnings.len() }),
            ),
        )
        .await?;
    reload(state).await?;
    Ok(ImportPricesResponse { imported, warnings })
}

/// Sets a model's coefficient from a decimal multiplier (`"1.25"`); `"1"` removes it.
pub async fn set_coefficient(
    state: &AppState,
    admin: &Caller,
    model: &str,
    coefficient: &str,
) -> Result<ModelPrice, ApiError> {
    check_model_name(model)?;
    // Parsed exactly as a decimal with up to 6 places: the same parser as money.
    let ppm = coefficient
        .parse::<Micros>()
        .map_err(|e| ApiError::InvalidRequest(format!("`coefficient`: {e}")))?
        .0;
    if ppm <= 0 {
        return Err(ApiError::InvalidRequest(
            "`coefficient` must be positive".into(),
        ));
    }
    if state.prices.load().quote(model).is_none() {
        return Err(ApiError::NotFound(format!(
            "`{model}` has no price; set one first"
        )));
    }
    let value = (ppm != PPM).then_some(ppm);
    state
        .store
        .set_coefficient(
            model,
            value,
            audit(
                admin,
                "price.coefficient",
                model,
                json!({ "coefficient_ppm": ppm }),
            ),
        )
        .await
        .map_err(|e: StoreError| ApiError::from(e))?;
    reload(state).await?;
    public(state)
        .models
        .into_iter()
        .find(|m| m.model == model)
        .ok_or_else(|| ApiError::NotFound(format!("`{model}` has no price")))
}
