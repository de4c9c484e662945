//! `/api/v1/usage`, `/api/v1/usage/events`, `/api/v1/usage/summary` and `/api/v1/currencies`:
//! each parses its query, calls one function of `crate::usage`, and renders JSON or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use codexkey_common::api::{Currencies, UsageEventPage, UsageReport, UsageSummary, events_csv};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::Caller;
use crate::error::ApiError;
use crate::http::extract::AppQuery;
use crate::http::openapi::responses::{BadRequest, NotFound, ServerError, SessionRefused};
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

/// Usage over a time range, grouped, with totals; JSON or CSV.
///
/// CSV with `?format=csv` or `Accept: text/csv`. A user reports on their own account (naming
/// another is 403); an admin may name any account, or `all`.
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    tag = "usage",
    operation_id = "usage_report",
    security(("session" = [])),
    params(UsageParams),
    responses(
        (status = 200, description = "The report.", content(
            (UsageReport = "application/json"),
            (String = "text/csv"),
        )),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
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

/// Raw usage events by a stable cursor, one per request: metadata, never prompts or answers.
///
/// As CSV, the page's cursor and whether more follow travel in `x-next-cursor` and
/// `x-has-more` (and, with `count=true`, `x-remaining`).
#[utoipa::path(
    get,
    path = "/api/v1/usage/events",
    tag = "usage",
    operation_id = "usage_events",
    security(("session" = [])),
    params(UsageParams),
    responses(
        (status = 200, description = "A page of events.", content(
            (UsageEventPage = "application/json"),
            (String = "text/csv"),
        ), headers(
            ("x-next-cursor" = i64, description = "CSV only: `next_cursor`."),
            ("x-has-more" = bool, description = "CSV only: `has_more`."),
            ("x-remaining" = u64, description = "CSV with `count=true` only: `remaining`."),
        )),
        BadRequest,
        SessionRefused,
        NotFound,
        ServerError,
    ),
)]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// The UTC offset of "today"; default `Z`.
    pub tz: Option<String>,
}

/// The caller's balance, spend today and over 30 days, and how long the balance lasts.
#[utoipa::path(
    get,
    path = "/api/v1/usage/summary",
    tag = "usage",
    operation_id = "usage_summary",
    security(("session" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The summary.", body = UsageSummary),
        BadRequest,
        SessionRefused,
        ServerError,
    ),
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(q): AppQuery<SummaryQuery>,
) -> Result<Json<UsageSummary>, ApiError> {
    Ok(Json(
        usage::summary(&state, &caller, q.tz.as_deref()).await?,
    ))
}

/// The display currencies this gateway knows, with their rates. Public: no session needed.
#[utoipa::path(
    get,
    path = "/api/v1/currencies",
    tag = "usage",
    operation_id = "currencies",
    responses((status = 200, description = "The currencies.", body = Currencies)),
)]
pub async fn currencies(State(state): State<AppState>) -> Json<Currencies> {
    Json(usage::currencies(&state))
}
