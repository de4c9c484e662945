//! `/healthz` (the process answers), `/readyz` (its database answers and metering keeps up)
//! and `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use codexkey_common::api::{ErrorBody, Health};

use crate::error::ApiError;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn health(status: &str) -> Json<Health> {
    Json(Health {
        status: status.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "`status` is `ok`.", body = Health)),
)]
pub async fn healthz() -> Json<Health> {
    health("ok")
}

/// Prometheus metrics, in the OpenMetrics text exposition.
///
/// Served on the public listener, or only on `server.metrics_listen` when that is set.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Requests by route, model and status; settlements; \
        admissions refused; exchange and time-to-first-byte latencies; the metering queue.",
        body = String,
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::get().render(state.meter.queue_depth()),
    )
}

/// Readiness: the database answers and the metering writer keeps up.
///
/// Otherwise 503 with the reason, so a load balancer sends traffic elsewhere while metering
/// could not record it.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "`status` is `ready`.", body = Health),
        (status = 503, description = "Not ready (`unavailable`); the message says why.",
            body = ErrorBody),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    // A database that hangs must make the probe fail, not hang with it: load balancers give
    // up on a probe after a few seconds and would learn nothing.
    match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(ApiError::NotReady(format!(
                "the database does not answer ({e})"
            )));
        }
        Err(_) => {
            return Err(ApiError::NotReady(format!(
                "the database does not answer within {} s",
                PING_TIMEOUT.as_secs()
            )));
        }
    }
    state
        .meter
        .writer_ready(state.config.metering.ready_max_queue)
        .map_err(|e| ApiError::NotReady(e.to_string()))?;
    Ok(health("ready"))
}
