//! `/api/v1/admin/*`: users, balance adjustments and bonuses, suspension, the ledger check, the audit log,
//! the database backup.
//! Every handler takes [`Admin`], so a user gets 403 before anything runs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    AccountStatus, AddUpstreamKeyRequest, AdjustBalanceRequest, AdjustBalanceResponse, AdminUser,
    AuditEntry, BonusRequest, BonusResponse, CreateUpstreamRequest, ImportPricesRequest,
    ImportPricesResponse, LedgerCheck, LedgerPage, ModelPrice, SetCoefficientRequest,
    SetPriceRequest, UpstreamInfo,
};

use crate::accounts;
use crate::billing;
use crate::clock::to_utc;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::http::handlers::billing::PageQuery;
use crate::pricing;
use crate::state::AppState;
use crate::upstream;

pub async fn users(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<AdminUser>>, ApiError> {
    let accounts = state.store.list_accounts().await?;
    Ok(Json(
        accounts
            .iter()
            .map(|a| billing::admin_user(&state, a))
            .collect(),
    ))
}

pub async fn user(
    State(state): State<AppState>,
    _: Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let account = accounts::find(&state, &account).await?;
    Ok(Json(billing::admin_user(&state, &account)))
}

pub async fn adjust(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
    AppJson(req): AppJson<AdjustBalanceRequest>,
) -> Result<Json<AdjustBalanceResponse>, ApiError> {
    Ok(Json(
        billing::adjust::adjust(&state, &admin, &account, req.amount_micros, &req.reason).await?,
    ))
}

pub async fn bonus(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
    AppJson(req): AppJson<BonusRequest>,
) -> Result<Json<BonusResponse>, ApiError> {
    Ok(Json(
        billing::bonus::give(&state, &admin, &account, req.amount_micros, &req.reason).await?,
    ))
}

pub async fn suspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let a = accounts::set_status(&state, &admin, &account, AccountStatus::Suspended).await?;
    Ok(Json(billing::admin_user(&state, &a)))
}

pub async fn activate(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let a = accounts::set_status(&state, &admin, &account, AccountStatus::Active).await?;
    Ok(Json(billing::admin_user(&state, &a)))
}

pub async fn user_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(account): Path<String>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    let a = accounts::find(&state, &account).await?;
    Ok(Json(
        billing::ledger(&state, a.id, q.before, q.limit).await?,
    ))
}

pub async fn verify_ledger(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<LedgerCheck>, ApiError> {
    Ok(Json(billing::verify(&state).await?))
}

pub async fn audit(
    State(state): State<AppState>,
    _: Admin,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=billing::MAX_PAGE).contains(&limit) {
        return Err(ApiError::InvalidRequest(format!(
            "`limit` must be between 1 and {}",
            billing::MAX_PAGE
        )));
    }
    let rows = state.store.audit_log(q.before, limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor: r.actor_email,
                action: r.action,
                target: r.target,
                detail: r.detail,
                created_at: to_utc(r.created_at),
            })
            .collect(),
    ))
}

pub async fn upstreams(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<UpstreamInfo>>, ApiError> {
    Ok(Json(upstream::manage::list(&state).await?))
}

pub async fn create_upstream(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<CreateUpstreamRequest>,
) -> Result<(StatusCode, Json<UpstreamInfo>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(upstream::manage::create(&state, &admin, req).await?),
    ))
}

pub async fn delete_upstream(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    upstream::manage::delete(&state, &admin, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_upstream_key(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    AppJson(req): AppJson<AddUpstreamKeyRequest>,
) -> Result<Json<UpstreamInfo>, ApiError> {
    Ok(Json(
        upstream::manage::add_key(&state, &admin, &name, req).await?,
    ))
}

pub async fn set_price(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(model): Path<String>,
    AppJson(req): AppJson<SetPriceRequest>,
) -> Result<Json<ModelPrice>, ApiError> {
    Ok(Json(
        pricing::admin::set_price(&state, &admin, &model, req).await?,
    ))
}

pub async fn reset_price(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(model): Path<String>,
) -> Result<StatusCode, ApiError> {
    pricing::admin::reset_price(&state, &admin, &model).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn import_prices(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<ImportPricesRequest>,
) -> Result<Json<ImportPricesResponse>, ApiError> {
    Ok(Json(
        pricing::admin::import(&state, &admin, req.litellm).await?,
    ))
}

pub async fn set_coefficient(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(model): Path<String>,
    AppJson(req): AppJson<SetCoefficientRequest>,
) -> Result<Json<ModelPrice>, ApiError> {
    Ok(Json(
        pricing::admin::set_coefficient(&state, &admin, &model, &req.coefficient).await?,
    ))
}

/// The database as one consistent SQLite file, streamed to the admin (never written to a path
/// the request names: the gateway writes only inside its data directory).
pub async fn backup(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
    use axum::response::IntoResponse as _;
    use tokio::io::AsyncReadExt as _;

    let (file, len) = state.store.backup().await?;
    tracing::info!(
        admin = admin.account.id,
        bytes = len,
        "database backup taken"
    );
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 256 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((bytes::Bytes::from(buf), file)))
    });
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.sqlite3".to_owned()),
            (CONTENT_LENGTH, len.to_string()),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"codexkey-backup.db\"".to_owned(),
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}
