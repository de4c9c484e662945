//! `/healthz` (the process answers), `/readyz` (its database answers and metering keeps up)
//! and `/metrics`.

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

/// Ready when the database answers and the metering writer keeps up; otherwise 503 with the
/// reason, so a load balancer sends traffic elsewhere while metering could not record it.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::NotReady(format!("the database does not answer ({e})")))?;
    state
        .meter
        .writer_ready(state.config.metering.ready_max_queue)
        .map_err(|e| ApiError::NotReady(e.to_string()))?;
    Ok(health("ready"))
}
