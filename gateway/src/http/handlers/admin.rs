//! `/api/v1/admin/*`: users, balance adjustments and bonuses, suspension, the ledger check, the audit log,
//! the database backup.
//! Every handler takes [`Admin`], so a user gets 403 before anything runs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use codexkey_common::api::{
    AccountDeleted, AccountStatus, AddUpstreamKeyRequest, AdjustBalanceRequest,
    AdjustBalanceResponse, AdminDeleteRequest, AdminUser, AuditEntry, BonusRequest, BonusResponse,
    CreateUpstreamRequest, ErrorBody, ImportPricesRequest, ImportPricesResponse, LedgerCheck,
    LedgerPage, ModelPrice, PurgeReport, SetCoefficientRequest, SetPriceRequest, UpstreamInfo,
};

use crate::accounts;
use crate::billing;
use crate::clock::to_utc;
use crate::error::ApiError;
use crate::http::extract::{Admin, AppJson, AppQuery};
use crate::http::handlers::billing::PageQuery;
use crate::http::openapi::responses::{
    AdminRefused, BadBody, BadRequest, Conflict, NotFound, ServerError,
};
use crate::pricing;
use crate::state::AppState;
use crate::upstream;

/// Every account, with its balance and holds.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    operation_id = "list_users",
    security(("session" = [])),
    responses(
        (status = 200, description = "The accounts.", body = Vec<AdminUser>),
        AdminRefused,
        ServerError,
    ),
)]
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

/// One account, with its balance and holds.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{account}",
    tag = "admin",
    operation_id = "get_user",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    responses(
        (status = 200, description = "The account.", body = AdminUser),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn user(
    State(state): State<AppState>,
    _: Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let account = accounts::find(&state, &account).await?;
    Ok(Json(billing::admin_user(&state, &account)))
}

/// Credits or debits an account, with a reason kept in the ledger and the audit log.
///
/// A debit may not take the balance below zero, nor below what requests in flight hold.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/adjust",
    tag = "admin",
    operation_id = "adjust_balance",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    request_body = AdjustBalanceRequest,
    responses(
        (status = 200, description = "The ledger entry and the account after it.", body = AdjustBalanceResponse),
        BadBody,
        AdminRefused,
        NotFound,
        Conflict,
        ServerError,
    ),
)]
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

/// Promotional credit for an account, with a mandatory reason; audited.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/bonus",
    tag = "admin",
    operation_id = "give_bonus",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    request_body = BonusRequest,
    responses(
        (status = 200, description = "The bonus's ledger entry and the account after it.",
            body = BonusResponse),
        BadBody,
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
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

/// Suspends an account: its sessions and keys stop working until it is activated.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/suspend",
    tag = "admin",
    operation_id = "suspend_user",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    responses(
        (status = 200, description = "The account, suspended.", body = AdminUser),
        AdminRefused,
        NotFound,
        (status = 409, description = "Admins cannot suspend their own account (`conflict`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn suspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let a = accounts::set_status(&state, &admin, &account, AccountStatus::Suspended).await?;
    Ok(Json(billing::admin_user(&state, &a)))
}

/// Lifts an account's suspension.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/activate",
    tag = "admin",
    operation_id = "activate_user",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    responses(
        (status = 200, description = "The account, active.", body = AdminUser),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn activate(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let a = accounts::set_status(&state, &admin, &account, AccountStatus::Active).await?;
    Ok(Json(billing::admin_user(&state, &a)))
}

/// An account's ledger, newest entry first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{account}/ledger",
    tag = "admin",
    operation_id = "user_ledger",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id."), PageQuery),
    responses(
        (status = 200, description = "A page of entries.", body = LedgerPage),
        BadRequest,
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn user_ledger(
    State(state): State<AppState>,
    _: Admin,
    Path(account): Path<String>,
    AppQuery(q): AppQuery<PageQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    let a = accounts::find(&state, &account).await?;
    Ok(Json(
        billing::ledger(&state, a.id, &a.currency, q.before, q.limit).await?,
    ))
}

/// Checks that every balance equals the sum of its ledger entries, and counts usage anomalies.
#[utoipa::path(
    get,
    path = "/api/v1/admin/ledger/verify",
    tag = "admin",
    operation_id = "verify_ledger",
    security(("session" = [])),
    responses(
        (status = 200, description = "The check's result; `ok` is false when a balance is off.", body = LedgerCheck),
        AdminRefused,
        ServerError,
    ),
)]
pub async fn verify_ledger(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<LedgerCheck>, ApiError> {
    Ok(Json(billing::verify(&state).await?))
}

/// The audit log of admin and account actions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    operation_id = "audit_log",
    security(("session" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of entries.", body = Vec<AuditEntry>),
        BadRequest,
        AdminRefused,
        ServerError,
    ),
)]
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

/// The upstreams, from the configuration and the database; never their keys, only labels.
#[utoipa::path(
    get,
    path = "/api/v1/admin/upstreams",
    tag = "admin",
    operation_id = "list_upstreams",
    security(("session" = [])),
    responses(
        (status = 200, description = "The upstreams.", body = Vec<UpstreamInfo>),
        AdminRefused,
        ServerError,
    ),
)]
pub async fn upstreams(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<UpstreamInfo>>, ApiError> {
    Ok(Json(upstream::manage::list(&state).await?))
}

/// Adds an upstream with its keys, which are stored encrypted.
#[utoipa::path(
    post,
    path = "/api/v1/admin/upstreams",
    tag = "admin",
    operation_id = "create_upstream",
    security(("session" = [])),
    request_body = CreateUpstreamRequest,
    responses(
        (status = 201, description = "The upstream.", body = UpstreamInfo),
        BadBody,
        AdminRefused,
        (status = 409, description = "An upstream of this name exists, or the gateway has no \
            `master_key` to encrypt its keys with (`conflict`).", body = ErrorBody),
        ServerError,
    ),
)]
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

/// Removes an upstream added through this API (those from the configuration stay).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/upstreams/{name}",
    tag = "admin",
    operation_id = "delete_upstream",
    security(("session" = [])),
    params(("name" = String, Path, description = "The upstream's name.")),
    responses(
        (status = 204, description = "The upstream is gone."),
        AdminRefused,
        NotFound,
        (status = 409, description = "The upstream comes from the configuration (`conflict`).", body = ErrorBody),
        ServerError,
    ),
)]
pub async fn delete_upstream(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    upstream::manage::delete(&state, &admin, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a key to an upstream added through this API.
#[utoipa::path(
    post,
    path = "/api/v1/admin/upstreams/{name}/keys",
    tag = "admin",
    operation_id = "add_upstream_key",
    security(("session" = [])),
    params(("name" = String, Path, description = "The upstream's name.")),
    request_body = AddUpstreamKeyRequest,
    responses(
        (status = 200, description = "The upstream with the new key's label.", body = UpstreamInfo),
        BadBody,
        AdminRefused,
        NotFound,
        Conflict,
        ServerError,
    ),
)]
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

/// Sets a model's price, replacing the shipped one.
#[utoipa::path(
    put,
    path = "/api/v1/admin/prices/{model}",
    tag = "admin",
    operation_id = "set_price",
    security(("session" = [])),
    params(("model" = String, Path, description = "The model name.")),
    request_body = SetPriceRequest,
    responses(
        (status = 200, description = "The model's price as now charged.", body = ModelPrice),
        BadBody,
        AdminRefused,
        ServerError,
    ),
)]
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

/// Removes the operator's price for a model, restoring the shipped one (if any).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/prices/{model}",
    tag = "admin",
    operation_id = "reset_price",
    security(("session" = [])),
    params(("model" = String, Path, description = "The model name.")),
    responses(
        (status = 204, description = "The override is gone."),
        AdminRefused,
        NotFound,
        ServerError,
    ),
)]
pub async fn reset_price(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(model): Path<String>,
) -> Result<StatusCode, ApiError> {
    pricing::admin::reset_price(&state, &admin, &model).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports a price list in litellm's format as overrides. Takes bodies up to 32 MiB.
#[utoipa::path(
    post,
    path = "/api/v1/admin/prices/import",
    tag = "admin",
    operation_id = "import_prices",
    security(("session" = [])),
    request_body = ImportPricesRequest,
    responses(
        (status = 200, description = "How many prices were imported, and what was skipped.", body = ImportPricesResponse),
        BadBody,
        AdminRefused,
        ServerError,
    ),
)]
pub async fn import_prices(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(req): AppJson<ImportPricesRequest>,
) -> Result<Json<ImportPricesResponse>, ApiError> {
    Ok(Json(
        pricing::admin::import(&state, &admin, req.litellm).await?,
    ))
}

/// Sets a model's price coefficient (`"1"` removes it).
#[utoipa::path(
    put,
    path = "/api/v1/admin/prices/{model}/coefficient",
    tag = "admin",
    operation_id = "set_coefficient",
    security(("session" = [])),
    params(("model" = String, Path, description = "The model name.")),
    request_body = SetCoefficientRequest,
    responses(
        (status = 200, description = "The model's price as now charged.", body = ModelPrice),
        BadBody,
        AdminRefused,
        (status = 404, description = "The model has no price (`not_found`); set one first.", body = ErrorBody),
        ServerError,
    ),
)]
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

/// A backup of the database, streamed as one consistent SQLite file.
///
/// Never written to a path the request names: the gateway writes only inside its data
/// directory.
#[utoipa::path(
    post,
    path = "/api/v1/admin/backup",
    tag = "admin",
    operation_id = "backup",
    security(("session" = [])),
    responses(
        (status = 200, description = "The database as one consistent SQLite file.",
            body = Vec<u8>, content_type = "application/vnd.sqlite3",
            headers(("content-disposition" = String,
                description = "`attachment; filename=\"codexkey-backup.db\"`"))),
        AdminRefused,
        ServerError,
    ),
)]
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

/// Runs the retention purge now, with the configured cut-offs (`[retention]`): client addresses
/// and user agents erased from older usage events and finished sessions, older raw usage events
/// deleted (their sums stay in the usage rollup; the ledger is untouched).
#[utoipa::path(
    post,
    path = "/api/v1/admin/retention/purge",
    tag = "admin",
    operation_id = "purge_retention",
    security(("session" = [])),
    responses(
        (status = 200, description = "What was purged.", body = PurgeReport),
        AdminRefused,
        ServerError,
    ),
)]
pub async fn purge_retention(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> Result<Json<PurgeReport>, ApiError> {
    Ok(Json(crate::accounts::retention::purge(&state).await?))
}

/// Deletes a user's account, with a reason kept in the audit log (`account.delete_by_admin`);
/// the same deletion as the owner's own.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{account}/delete",
    tag = "admin",
    operation_id = "delete_user",
    security(("session" = [])),
    params(("account" = String, Path, description = "The account's email or id.")),
    request_body = AdminDeleteRequest,
    responses(
        (status = 200, description = "Deleted.", body = AccountDeleted),
        BadBody,
        AdminRefused,
        NotFound,
        Conflict,
        ServerError,
    ),
)]
pub async fn delete_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(account): Path<String>,
    AppJson(req): AppJson<AdminDeleteRequest>,
) -> Result<Json<AccountDeleted>, ApiError> {
    Ok(Json(
        crate::accounts::deletion::delete_by_admin(&state, &admin, &account, req).await?,
    ))
}
