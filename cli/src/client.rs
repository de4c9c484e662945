//! A typed client of the gateway's management API. Every method maps to one endpoint and returns
//! the shared types from `codexkey_common::api`; failures come back as [`ClientError`], which
//! knows whether the gateway could not be reached or answered with an error body.

use std::time::Duration;

use codexkey_common::api::*;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the gateway at {url}")]
    Unreachable { url: String, detail: String },
    #[error("{message}")]
    Api {
        status: StatusCode,
        kind: codexkey_common::api::ErrorKind,
        message: String,
    },
    #[error("unexpected response from the gateway at {url}: {detail}")]
    Protocol { url: String, detail: String },
}

pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("codexkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Protocol {
                url: base.to_owned(),
                detail: e.to_string(),
            })?;
        Ok(Client {
            base: base.to_owned(),
            http,
            token,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn send<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T, ClientError> {
        let resp = rb.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            detail: error_chain(&e),
        })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            detail: error_chain(&e),
        })?;
        if status.is_success() {
            // 204 carries no body; `()` and `Option` targets accept `null`.
            let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(body).map_err(|e| ClientError::Protocol {
                url: self.base.clone(),
                detail: format!("{status}: {e}"),
            });
        }
        Err(self.api_error(status, &bytes))
    }

    fn api_error(&self, status: StatusCode, bytes: &[u8]) -> ClientError {
        match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(body) => ClientError::Api {
                status,
                kind: body.error.kind,
                message: body.error.message,
            },
            Err(_) => ClientError::Protocol {
                url: self.base.clone(),
                detail: format!("{status} without an error body; is this a codexkey gateway?"),
            },
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("/healthz").await
    }

    pub async fn register(&self, req: &RegisterRequest) -> Result<Account, ClientError> {
        self.post("/api/v1/auth/register", req).await
    }

    pub async fn login(&self, req: &LoginRequest) -> Result<LoginOutcome, ClientError> {
        self.post("/api/v1/auth/login", req).await
    }

    pub async fn login_second_step(
        &self,
        req: &SecondStepRequest,
    ) -> Result<LoginResponse, ClientError> {
        self.post("/api/v1/auth/login/2fa", req).await
    }

    pub async fn enroll_2fa(&self, req: &TotpEnrollRequest) -> Result<TotpEnrollment, ClientError> {
        self.post("/api/v1/account/2fa/enroll", req).await
    }

    pub async fn confirm_2fa(
        &self,
        req: &TotpConfirmRequest,
    ) -> Result<TotpConfirmed, ClientError> {
        self.post("/api/v1/account/2fa/confirm", req).await
    }

    pub async fn disable_2fa(&self, req: &TotpDisableRequest) -> Result<(), ClientError> {
        self.post("/api/v1/account/2fa/disable", req).await
    }

    pub async fn sessions(&self) -> Result<Vec<SessionInfo>, ClientError> {
        self.get("/api/v1/account/sessions").await
    }

    pub async fn revoke_session(&self, id: i64) -> Result<(), ClientError> {
        self.delete(&format!("/api/v1/account/sessions/{id}")).await
    }

    pub async fn revoke_other_sessions(&self) -> Result<SessionsRevoked, ClientError> {
        self.send(self.request(Method::POST, "/api/v1/account/sessions/revoke-others"))
            .await
    }

    pub async fn change_password(
        &self,
        req: &ChangePasswordRequest,
    ) -> Result<PasswordChanged, ClientError> {
        self.post("/api/v1/account/password", req).await
    }

    pub async fn admin_reset_2fa(&self, account: &str) -> Result<AdminUser, ClientError> {
        self.send(self.request(
            Method::POST,
            &format!("/api/v1/admin/users/{}/reset-2fa", path_segment(account)),
        ))
        .await
    }

    pub async fn admin_create_user(
        &self,
        req: &CreateUserRequest,
    ) -> Result<CreatedUser, ClientError> {
        self.post("/api/v1/admin/users", req).await
    }

    pub async fn admin_invite(&self, req: &InviteRequest) -> Result<InvitationIssued, ClientError> {
        self.post("/api/v1/admin/invitations", req).await
    }

    pub async fn delete_account(
        &self,
        req: &DeleteAccountRequest,
    ) -> Result<AccountDeleted, ClientError> {
        self.send(self.request(Method::DELETE, "/api/v1/account").json(req))
            .await
    }

    pub async fn admin_delete_user(
        &self,
        account: &str,
        req: &AdminDeleteRequest,
    ) -> Result<AccountDeleted, ClientError> {
        self.post(
            &format!("/api/v1/admin/users/{}/delete", path_segment(account)),
            req,
        )
        .await
    }

    pub async fn admin_purge(&self) -> Result<PurgeReport, ClientError> {
        self.post("/api/v1/admin/retention/purge", &serde_json::json!({}))
            .await
    }

    pub async fn request_password_reset(
        &self,
        req: &PasswordResetRequest,
    ) -> Result<PasswordResetAccepted, ClientError> {
        self.post("/api/v1/auth/password-reset", req).await
    }

    pub async fn confirm_password_reset(
        &self,
        req: &PasswordResetConfirmRequest,
    ) -> Result<PasswordChanged, ClientError> {
        self.post("/api/v1/auth/password-reset/confirm", req).await
    }

    pub async fn verify_email(&self, req: &VerifyEmailRequest) -> Result<(), ClientError> {
        self.post("/api/v1/auth/verify-email", req).await
    }

    pub async fn resend_verification(&self) -> Result<VerificationMailSent, ClientError> {
        self.post(
            "/api/v1/account/verify-email/resend",
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn admin_reset_link(&self, account: &str) -> Result<OneTimeLink, ClientError> {
        self.send(self.request(
            Method::POST,
            &format!("/api/v1/admin/users/{}/reset-link", path_segment(account)),
        ))
        .await
    }

    pub async fn logout(&self) -> Result<(), ClientError> {
        self.post("/api/v1/auth/logout", &serde_json::json!({}))
            .await
    }

    pub async fn account(&self) -> Result<Account, ClientError> {
        self.get("/api/v1/account").await
    }

    pub async fn update_account(&self, req: &UpdateAccountRequest) -> Result<Account, ClientError> {
        self.send(self.request(Method::PATCH, "/api/v1/account").json(req))
            .await
    }

    pub async fn create_key(&self, req: &CreateKeyRequest) -> Result<CreatedKey, ClientError> {
        self.post("/api/v1/keys", req).await
    }

    pub async fn keys(&self) -> Result<Vec<ApiKey>, ClientError> {
        self.get("/api/v1/keys").await
    }

    pub async fn update_key(
        &self,
        id: i64,
        req: &codexkey_common::api::UpdateKeyRequest,
    ) -> Result<ApiKey, ClientError> {
        self.send(
            self.request(Method::PATCH, &format!("/api/v1/keys/{id}"))
                .json(req),
        )
        .await
    }

    pub async fn revoke_key(&self, id: i64) -> Result<ApiKey, ClientError> {
        self.send(self.request(Method::DELETE, &format!("/api/v1/keys/{id}")))
            .await
    }

    pub async fn rotate_key(&self, id: i64) -> Result<CreatedKey, ClientError> {
        self.post(&format!("/api/v1/keys/{id}/rotate"), &serde_json::json!({}))
            .await
    }

    pub async fn balance(&self) -> Result<Balance, ClientError> {
        self.get("/api/v1/balance").await
    }

    pub async fn ledger(&self, before: Option<i64>, limit: u32) -> Result<LedgerPage, ClientError> {
        self.get(&format!("/api/v1/ledger?{}", page_query(before, limit)))
            .await
    }

    pub async fn admin_users(&self) -> Result<Vec<AdminUser>, ClientError> {
        self.get("/api/v1/admin/users").await
    }

    pub async fn admin_adjust(
        &self,
        account: &str,
        req: &AdjustBalanceRequest,
    ) -> Result<AdjustBalanceResponse, ClientError> {
        self.post(
            &format!("/api/v1/admin/users/{}/adjust", path_segment(account)),
            req,
        )
        .await
    }

    pub async fn admin_bonus(
        &self,
        account: &str,
        req: &BonusRequest,
    ) -> Result<BonusResponse, ClientError> {
        self.post(
            &format!("/api/v1/admin/users/{}/bonus", path_segment(account)),
            req,
        )
        .await
    }

    pub async fn redeem(&self, req: &RedeemRequest) -> Result<RedeemResponse, ClientError> {
        self.post("/api/v1/redeem", req).await
    }

    pub async fn topup(&self, req: &TopupRequest) -> Result<TopupResponse, ClientError> {
        self.post("/api/v1/topup", req).await
    }

    pub async fn request_refund(
        &self,
        order: i64,
        req: &RefundRequest,
    ) -> Result<Refund, ClientError> {
        self.post(&format!("/api/v1/orders/{order}/refund"), req)
            .await
    }

    pub async fn referral(&self) -> Result<ReferralSummary, ClientError> {
        self.get("/api/v1/referral").await
    }

    pub async fn refunds(&self) -> Result<Vec<Refund>, ClientError> {
        self.get("/api/v1/refunds").await
    }

    pub async fn admin_refunds(&self, state: Option<&str>) -> Result<Vec<Refund>, ClientError> {
        match state {
            Some(s) => {
                self.get(&format!("/api/v1/admin/refunds?state={}", path_segment(s)))
                    .await
            }
            None => self.get("/api/v1/admin/refunds").await,
        }
    }

    pub async fn approve_refund(&self, id: i64) -> Result<Refund, ClientError> {
        self.post(
            &format!("/api/v1/admin/refunds/{id}/approve"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn deny_refund(
        &self,
        id: i64,
        req: &DenyRefundRequest,
    ) -> Result<Refund, ClientError> {
        self.post(&format!("/api/v1/admin/refunds/{id}/deny"), req)
            .await
    }

    pub async fn orders(&self) -> Result<Vec<Order>, ClientError> {
        self.get("/api/v1/orders").await
    }

    pub async fn admin_orders(
        &self,
        state: Option<&str>,
        account: Option<&str>,
    ) -> Result<Vec<Order>, ClientError> {
        let query: Vec<String> = [("state", state), ("account", account)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={}", path_segment(v))))
            .collect();
        let path = if query.is_empty() {
            "/api/v1/admin/orders".to_owned()
        } else {
            format!("/api/v1/admin/orders?{}", query.join("&"))
        };
        self.get(&path).await
    }

    pub async fn admin_create_codes(
        &self,
        req: &CreateCodesRequest,
    ) -> Result<CreateCodesResponse, ClientError> {
        self.post("/api/v1/admin/codes", req).await
    }

    pub async fn admin_code_batches(&self, unused: bool) -> Result<Vec<CodeBatch>, ClientError> {
        self.get(if unused {
            "/api/v1/admin/codes?unused=true"
        } else {
            "/api/v1/admin/codes"
        })
        .await
    }

    pub async fn admin_code_batch(&self, batch: i64) -> Result<CodeBatchDetail, ClientError> {
        self.get(&format!("/api/v1/admin/codes/{batch}")).await
    }

    pub async fn admin_disable_batch(
        &self,
        batch: i64,
    ) -> Result<DisableCodesResponse, ClientError> {
        self.post(
            &format!("/api/v1/admin/codes/{batch}/disable"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn admin_disable_code(
        &self,
        req: &DisableCodeRequest,
    ) -> Result<DisableCodesResponse, ClientError> {
        self.post("/api/v1/admin/codes/disable", req).await
    }

    pub async fn admin_set_suspended(
        &self,
        account: &str,
        suspended: bool,
    ) -> Result<AdminUser, ClientError> {
        let verb = if suspended { "suspend" } else { "activate" };
        self.post(
            &format!("/api/v1/admin/users/{}/{verb}", path_segment(account)),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn admin_verify_ledger(&self) -> Result<LedgerCheck, ClientError> {
        self.get("/api/v1/admin/ledger/verify").await
    }

    /// The database backup: a response whose body is the SQLite file, to be read in chunks.
    /// A big database takes longer than the usual request timeout, so this one has none
    /// beyond a day.
    /// The caller's data export, a zip archive, whole.
    pub async fn export(&self) -> Result<Vec<u8>, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            detail: error_chain(&e),
        };
        let resp = self
            .request(Method::GET, "/api/v1/account/export")
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(self.api_error(status, &bytes))
    }

    pub async fn admin_backup(&self) -> Result<reqwest::Response, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            detail: error_chain(&e),
        };
        let resp = self
            .request(Method::POST, "/api/v1/admin/backup")
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let bytes = resp.bytes().await.map_err(unreachable)?;
        Err(self.api_error(status, &bytes))
    }

    pub async fn admin_audit(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ClientError> {
        self.get(&format!(
            "/api/v1/admin/audit?{}",
            page_query(before, limit)
        ))
        .await
    }

    /// The public price list; needs no session.
    pub async fn pricing(&self) -> Result<Pricing, ClientError> {
        self.get("/api/v1/pricing").await
    }

    pub async fn admin_set_price(
        &self,
        model: &str,
        req: &SetPriceRequest,
    ) -> Result<ModelPrice, ClientError> {
        self.put(
            &format!("/api/v1/admin/prices/{}", path_segment(model)),
            req,
        )
        .await
    }

    /// Removes a model's override; the gateway answers 204.
    pub async fn admin_reset_price(&self, model: &str) -> Result<(), ClientError> {
        self.delete(&format!("/api/v1/admin/prices/{}", path_segment(model)))
            .await
    }

    pub async fn admin_import_prices(
        &self,
        req: &ImportPricesRequest,
    ) -> Result<ImportPricesResponse, ClientError> {
        self.post("/api/v1/admin/prices/import", req).await
    }

    pub async fn admin_set_coefficient(
        &self,
        model: &str,
        req: &SetCoefficientRequest,
    ) -> Result<ModelPrice, ClientError> {
        self.put(
            &format!("/api/v1/admin/prices/{}/coefficient", path_segment(model)),
            req,
        )
        .await
    }

    pub async fn admin_upstreams(&self) -> Result<Vec<UpstreamInfo>, ClientError> {
        self.get("/api/v1/admin/upstreams").await
    }

    pub async fn admin_create_upstream(
        &self,
        req: &CreateUpstreamRequest,
    ) -> Result<UpstreamInfo, ClientError> {
        self.post("/api/v1/admin/upstreams", req).await
    }

    /// Removes an upstream; the gateway answers 204.
    pub async fn admin_delete_upstream(&self, name: &str) -> Result<(), ClientError> {
        self.delete(&format!("/api/v1/admin/upstreams/{}", path_segment(name)))
            .await
    }

    pub async fn admin_add_upstream_key(
        &self,
        name: &str,
        req: &AddUpstreamKeyRequest,
    ) -> Result<UpstreamInfo, ClientError> {
        self.post(
            &format!("/api/v1/admin/upstreams/{}/keys", path_segment(name)),
            req,
        )
        .await
    }
}

impl Client {
    /// `GET /api/v1/usage` with these query parameters.
    pub async fn usage_report(&self, query: &[(&str, String)]) -> Result<UsageReport, ClientError> {
        self.get(&format!("/api/v1/usage?{}", query_string(query)))
            .await
    }

    /// `GET /api/v1/usage/events` with these query parameters.
    pub async fn usage_events(
        &self,
        query: &[(&str, String)],
    ) -> Result<UsageEventPage, ClientError> {
        self.get(&format!("/api/v1/usage/events?{}", query_string(query)))
            .await
    }

    /// `GET /api/v1/usage/summary`, "today" taken at the UTC offset `tz` (`+03:00`).
    pub async fn usage_summary(&self, tz: &str) -> Result<UsageSummary, ClientError> {
        self.get(&format!("/api/v1/usage/summary?tz={}", path_segment(tz)))
            .await
    }

    /// The gateway's display-currency rates; needs no session.
    pub async fn currencies(&self) -> Result<Currencies, ClientError> {
        self.get("/api/v1/currencies").await
    }
}

/// `a=1&b=x%2By`: every value percent-encoded.
fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", path_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn page_query(before: Option<i64>, limit: u32) -> String {
    match before {
        Some(b) => format!("limit={limit}&before={b}"),
        None => format!("limit={limit}"),
    }
}

/// Percent-encodes a path segment (emails carry `@` and may carry `+`).
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// reqwest's top-level error says little ("error sending request"); the causes say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
