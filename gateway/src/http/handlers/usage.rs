//! `/api/v1/usage`, `/api/v1/usage/events`, `/api/v1/usage/summary` and `/api/v1/currencies`:
//! each parses its query, calls one function of `crate::usage`, and renders JSON or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use codexkey_common::api::{Currencies, UsageSummary, events_csv};
use serde::Deserialize;

use crate::accounts::Caller;
use crate::error::ApiError;
use crate::http::extract::AppQuery;
use crate::state::AppState;
use crate::usage::{self, Format, UsageParams};

fn format(headers: &HeaderMap, p: &UsageParams) -> Result<Format, ApiError> {
    Format::pick(
        p.format.as_deref(),
        headers.get(ACCEPT).and_then(|v| v.to_str().ok()),
    )
}

fn csv(body: String, filename: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/v1/usage`: grouped usage with totals, JSON or CSV.
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppQuery(p): AppQuery<UsageParams>,
) -> Result<Response, ApiError> {
    let format = format(&headers, &p)?;
    let report = usage::report(&state, &caller, &p).await?;
    Ok(match format {
        Format::Json => Json(report).into_response(),
        Format::Csv => csv(report.to_csv(), "attachment; filename=\"usage.csv\""),
    })
}

/// `GET /api/v1/usage/events`: a page of raw events. As CSV, the page's cursor and whether more
/// follow travel in `x-next-cursor` and `x-has-more`.
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppQuery(p): AppQuery<UsageParams>,
) -> Result<Response, ApiError> {
    let format = format(&headers, &p)?;
    let page = usage::events(&state, &caller, &p).await?;
    Ok(match format {
        Format::Json => Json(page).into_response(),
        Format::Csv => {
            let mut r = csv(
                events_csv(&page.events),
                "attachment; filename=\"usage-events.csv\"",
            );
            let h = r.headers_mut();
            h.insert("x-next-cursor", HeaderValue::from(page.next_cursor));
            h.insert(
                "x-has-more",
                HeaderValue::from_static(if page.has_more { "true" } else { "false" }),
            );
            if let Some(n) = page.remaining {
                h.insert("x-remaining", HeaderValue::from(n));
            }
            r
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// The UTC offset of "today"; default `Z`.
    pub tz: Option<String>,
}

/// `GET /api/v1/usage/summary`.
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<SummaryQuery>,
) -> Result<Json<UsageSummary>, ApiError> {
    Ok(Json(
        usage::summary(&state, &caller, q.tz.as_deref()).await?,
    ))
}

/// `GET /api/v1/currencies`: public, no session needed.
pub async fn currencies(State(state): State<AppState>) -> Json<Currencies> {
    Json(usage::currencies(&state))
}
