//! `/healthz` (the process answers) and `/readyz` (it can reach its database).

use axum::Json;
use axum::extract::State;
use codexkey_common::api::Health;

use crate::error::ApiError;
use crate::state::AppState;

fn health(status: &str) -> Json<Health> {
    Json(Health {
        status: status.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

pub async fn healthz() -> Json<Health> {
    health("ok")
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(health("ready"))
}
