//! `/healthz` (the process answers) and `/readyz` (it can reach its database).

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
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

/// The OpenMetrics text exposition, which Prometheus asks for and reads.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::get().render(state.meter.queue_depth()),
    )
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(health("ready"))
}
