//! A fake Stripe API on `127.0.0.1`, speaking Stripe's documented wire format for Checkout
//! Sessions: form-encoded POSTs with bracketed keys (`line_items[0][price_data][currency]`),
//! `Authorization: Bearer sk_test_…` checked on every call, JSON `checkout.session` objects,
//! errors as `{"error":{"type":…,"message":…}}`, and `Idempotency-Key` honoured (the same key
//! answers the same session). It records every request, so a test can assert what the gateway
//! sent, and lets a test move a session along (paid, completed unpaid, expired) as a payer and
//! Stripe would. [`event`] builds a webhook event around a session as Stripe sends it.
//!
//! Routes: `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//! `POST /v1/checkout/sessions/{id}/expire`, `POST /v1/refunds` (Refunds API: `payment_intent`,
//! `amount` in minor units, `metadata[…]`; refused beyond what is left of the charge; the same
//! `Idempotency-Key` answers the same refund). A paid session gets a payment intent and a
//! charge (`pi_…`, `ch_…`); [`FakeStripe::charge`] is the charge as a `charge.refunded` event
//! carries it, and [`FakeStripe::dashboard_refund`] refunds as Stripe's dashboard would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The secret key the fake accepts unless told otherwise.
pub const SECRET_KEY: &str = "sk_test_51FakeCodexkeyS3cr3tK3y";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub method: Method,
    pub path: String,
    /// The form body's pairs, in order, decoded.
    pub form: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
}

impl StripeRequest {
    /// The value of form key `key`, if sent.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    secret_key: String,
    sessions: HashMap<String, Value>,
    by_idempotency_key: HashMap<String, String>,
    requests: Vec<StripeRequest>,
    next: u64,
    /// Answered to the next session creation instead of creating one: status and error body.
    fail_next_create: Option<(StatusCode, Value)>,
    /// Charges by payment intent.
    charges: HashMap<String, Value>,
    /// Refunds made, by id, and the refund each idempotency key made.
    refunds: HashMap<String, Value>,
    refund_by_key: HashMap<String, String>,
    /// Answered to the next refund instead of making one.
    fail_next_refund: Option<(StatusCode, Value)>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(s: &Shared) -> MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct FakeStripe {
    shared: Shared,
    base_url: String,
    server: JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn stripe_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "type": kind, "message": message } })),
    )
        .into_response()
}

impl FakeStripe {
    /// Starts the fake on `127.0.0.1:0`, accepting [`SECRET_KEY`].
    ///
    /// # Panics
    /// If it cannot bind a loopback port.
    pub async fn start() -> FakeStripe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake Stripe cannot bind 127.0.0.1:0: {e}"));
        let addr: SocketAddr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake Stripe has no address: {e}"));
        let shared: Shared = Arc::new(Mutex::new(Inner {
            secret_key: SECRET_KEY.to_owned(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create))
            .route("/v1/checkout/sessions/{id}", get(retrieve))
            .route("/v1/checkout/sessions/{id}/expire", post(expire))
            .route("/v1/refunds", post(create_refund))
            .fallback(|| async {
                stripe_error(
                    StatusCode::NOT_FOUND,
                    "invalid_request_error",
                    "Unrecognized request URL.",
                )
            })
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeStripe {
            shared,
            base_url: format!("http://{addr}"),
            server,
        }
    }

    /// `http://127.0.0.1:PORT`: what `billing.stripe_api_base` is set to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<StripeRequest> {
        lock(&self.shared).requests.clone()
    }

    /// The session `id` as the fake holds it now.
    ///
    /// # Panics
    /// If there is no such session.
    pub fn session(&self, id: &str) -> Value {
        lock(&self.shared)
            .sessions
            .get(id)
            .cloned()
            .unwrap_or_else(|| panic!("the fake Stripe has no session {id}"))
    }

    /// Sets a session's `status` and `payment_status`, as a payer finishing (or not) would;
    /// answers the session as it is now.
    pub fn set_session(&self, id: &str, status: &str, payment_status: &str) -> Value {
        let mut inner = lock(&self.shared);
        let s = inner
            .sessions
            .get_mut(id)
            .unwrap_or_else(|| panic!("the fake Stripe has no session {id}"));
        s["status"] = json!(status);
        s["payment_status"] = json!(payment_status);
        let session = s.clone();
        if payment_status == "paid" && session["payment_intent"].is_null() {
            inner.next += 1;
            let n = inner.next;
            let pi = format!("pi_test_fake{n:04}");
            let charge = json!({
                "id": format!("ch_test_fake{n:04}"),
                "object": "charge",
                "amount": session["amount_total"],
                "amount_captured": session["amount_total"],
                "amount_refunded": 0,
                "currency": session["currency"],
                "paid": true,
                "payment_intent": pi,
                "refunded": false,
                "status": "succeeded",
            });
            inner.charges.insert(pi.clone(), charge);
            if let Some(s) = inner.sessions.get_mut(id) {
                s["payment_intent"] = json!(pi);
            }
            return inner.sessions[id].clone();
        }
        session
    }

    /// The charge paid through `payment_intent`, as a `charge.refunded` event carries it (its
    /// refunds listed under `refunds`).
    pub fn charge(&self, payment_intent: &str) -> Value {
        let inner = lock(&self.shared);
        let mut charge = inner
            .charges
            .get(payment_intent)
            .cloned()
            .unwrap_or_else(|| panic!("the fake Stripe has no charge of {payment_intent}"));
        let mut refunds: Vec<Value> = inner
            .refunds
            .values()
            .filter(|r| r["payment_intent"] == payment_intent)
            .cloned()
            .collect();
        refunds.sort_by_key(|r| r["id"].as_str().map(str::to_owned));
        charge["refunds"] = json!({ "object": "list", "data": refunds, "has_more": false });
        charge
    }

    /// Refunds `amount` minor units of the charge of `payment_intent` as someone in Stripe's
    /// dashboard would (no request of the gateway); answers the charge afterwards.
    pub fn dashboard_refund(&self, payment_intent: &str, amount: i64) -> Value {
        {
            let mut inner = lock(&self.shared);
            inner.next += 1;
            let id = format!("re_test_dash{:04}", inner.next);
            let charge = inner
                .charges
                .get_mut(payment_intent)
                .unwrap_or_else(|| panic!("the fake Stripe has no charge of {payment_intent}"));
            let refunded = charge["amount_refunded"].as_i64().unwrap_or(0) + amount;
            charge["amount_refunded"] = json!(refunded);
            charge["refunded"] = json!(Some(refunded) == charge["amount"].as_i64());
            let refund = json!({
                "id": id, "object": "refund", "amount": amount, "charge": charge["id"],
                "currency": charge["currency"], "payment_intent": payment_intent,
                "metadata": {}, "status": "succeeded",
            });
            inner.refunds.insert(id, refund);
        }
        self.charge(payment_intent)
    }

    /// The next refund fails with `status` and a Stripe error of `kind` saying `message`.
    pub fn fail_next_refund(&self, status: u16, kind: &str, message: &str) {
        lock(&self.shared).fail_next_refund = Some((
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            json!({ "error": { "type": kind, "message": message } }),
        ));
    }

    /// The next session creation fails with `status` and a Stripe error of `kind` saying
    /// `message`.
    pub fn fail_next_create(&self, status: u16, kind: &str, message: &str) {
        lock(&self.shared).fail_next_create = Some((
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            json!({ "error": { "type": kind, "message": message } }),
        ));
    }
}

/// Records the request and answers whether it carries `Authorization: Bearer <key>`.
fn admit(shared: &Shared, method: Method, path: String, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let mut inner = lock(shared);
    inner.requests.push(StripeRequest {
        method,
        path,
        form: form_urlencoded::parse(body).into_owned().collect(),
        authorization: authorization.clone(),
        idempotency_key: header("idempotency-key"),
        content_type: header("content-type"),
    });
    let expected = format!("Bearer {}", inner.secret_key);
    authorization.as_deref() == Some(expected.as_str())
}

/// Stripe's answer to a missing or wrong secret key (which it masks).
fn unauthorized() -> Response {
    stripe_error(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "Invalid API Key provided: sk_test_****",
    )
}

async fn create(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !admit(
        &shared,
        Method::POST,
        "/v1/checkout/sessions".into(),
        &headers,
        &body,
    ) {
        return unauthorized();
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let mut inner = lock(&shared);
    if let Some((status, body)) = inner.fail_next_create.take() {
        return (status, axum::Json(body)).into_response();
    }
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = idempotency_key
        .as_ref()
        .and_then(|k| inner.by_idempotency_key.get(k))
        && let Some(s) = inner.sessions.get(id)
    {
        return axum::Json(s.clone()).into_response();
    }
    let missing = [
        "mode",
        "success_url",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
        "line_items[0][quantity]",
    ]
    .into_iter()
    .find(|k| !form.contains_key(*k));
    if let Some(param) = missing {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("Missing required param: {param}."),
        );
    }
    if form["mode"] != "payment" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Invalid mode.",
        );
    }
    let (Ok(unit_amount), Ok(quantity)) = (
        form["line_items[0][price_data][unit_amount]"].parse::<i64>(),
        form["line_items[0][quantity]"].parse::<i64>(),
    ) else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Invalid integer.",
        );
    };
    inner.next += 1;
    let id = format!("cs_test_fake{:04}", inner.next);
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), json!(v)))
        })
        .collect();
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": unit_amount * quantity,
        "amount_total": unit_amount * quantity,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "created": 1_765_000_000,
        "currency": form["line_items[0][price_data][currency]"],
        "expires_at": 1_765_086_400,
        "livemode": false,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": null,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": form["success_url"],
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    });
    inner.sessions.insert(id.clone(), session.clone());
    if let Some(k) = idempotency_key {
        inner.by_idempotency_key.insert(k, id);
    }
    axum::Json(session).into_response()
}

async fn retrieve(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/checkout/sessions/{id}");
    if !admit(&shared, Method::GET, path, &headers, b"") {
        return unauthorized();
    }
    match lock(&shared).sessions.get(&id) {
        Some(s) => axum::Json(s.clone()).into_response(),
        None => stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such checkout.session: '{id}'"),
        ),
    }
}

async fn expire(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/checkout/sessions/{id}/expire");
    if !admit(&shared, Method::POST, path, &headers, &body) {
        return unauthorized();
    }
    let mut inner = lock(&shared);
    let Some(s) = inner.sessions.get_mut(&id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such checkout.session: '{id}'"),
        );
    };
    if s["status"] != "open" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "This Checkout Session is not in an expireable state.",
        );
    }
    s["status"] = json!("expired");
    axum::Json(s.clone()).into_response()
}

async fn create_refund(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !admit(&shared, Method::POST, "/v1/refunds".into(), &headers, &body) {
        return unauthorized();
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let mut inner = lock(&shared);
    if let Some((status, body)) = inner.fail_next_refund.take() {
        return (status, axum::Json(body)).into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = key.as_ref().and_then(|k| inner.refund_by_key.get(k))
        && let Some(r) = inner.refunds.get(id)
    {
        return axum::Json(r.clone()).into_response();
    }
    let Some(pi) = form.get("payment_intent") else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "One of the following params should be provided for this request: payment_intent or charge.",
        );
    };
    let Some(charge) = inner.charges.get(pi).cloned() else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such payment_intent: '{pi}'"),
        );
    };
    let total = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let amount = match form.get("amount").map(|a| a.parse::<i64>()) {
        None => total - refunded,
        Some(Ok(a)) if a > 0 => a,
        Some(_) => {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Invalid positive integer",
            );
        }
    };
    if amount > total - refunded {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                total - refunded
            ),
        );
    }
    inner.next += 1;
    let id = format!("re_test_fake{:04}", inner.next);
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), json!(v)))
        })
        .collect();
    let refund = json!({
        "id": id, "object": "refund", "amount": amount, "charge": charge["id"],
        "currency": charge["currency"], "payment_intent": pi, "metadata": metadata,
        "reason": form.get("reason"), "status": "succeeded",
    });
    if let Some(c) = inner.charges.get_mut(pi) {
        c["amount_refunded"] = json!(refunded + amount);
        c["refunded"] = json!(refunded + amount == total);
    }
    inner.refunds.insert(id.clone(), refund.clone());
    if let Some(k) = key {
        inner.refund_by_key.insert(k, id);
    }
    axum::Json(refund).into_response()
}

/// A webhook event of `event_type` about `session`, as Stripe delivers it (the body to sign).
pub fn event(id: &str, event_type: &str, session: &Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2025-07-30.basil",
        "created": 1_765_000_100,
        "data": { "object": session },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
    })
    .to_string()
}
