//! Stripe: the [`PaymentProvider`] over Stripe's API (Checkout Sessions), and its webhooks
//! ([`signature`] verifies `Stripe-Signature`, [`event`] reads the events the gateway acts on).
//!
//! The API speaks form-encoded requests with bracketed keys and answers JSON; errors are
//! `{"error":{"type":…,"message":…}}`. Requests go through the same pooled hyper client over
//! rustls as the upstreams. The secret key is sent only in `Authorization` and is removed from
//! any message Stripe sends back before that message goes further (Stripe masks keys itself;
//! this does not depend on it).

pub mod event;
pub mod signature;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use codexkey_common::Secret;
use hyper::Method;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

use super::provider::{
    Checkout, CheckoutRequest, PaymentProvider, ProviderError, ProviderRefund, RefundCall, Session,
    SessionStatus,
};
use crate::config::{BillingConfig, UpstreamTuning};
use crate::upstream::body::OutBody;
use crate::upstream::http::{HttpClient, UpstreamBody};

/// The name orders paid through Stripe are bound to.
pub const PROVIDER: &str = "stripe";

/// One whole call to Stripe, connect to last byte: Stripe answers in well under a second, and a
/// user waits on checkout creation.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Stripe {
    client: HttpClient,
    api_base: String,
    secret_key: Secret<String>,
    success_url: String,
    cancel_url: String,
}

impl Stripe {
    /// The client for the configured account; `None` when no secret key is set (top-ups by
    /// card are off).
    pub fn from_config(
        billing: &BillingConfig,
        tuning: &UpstreamTuning,
    ) -> std::io::Result<Option<Stripe>> {
        let Some(secret_key) = billing.stripe_secret_key.clone() else {
            return Ok(None);
        };
        // Validation made both URLs required with a secret key.
        let (Some(success_url), Some(cancel_url)) =
            (billing.success_url.clone(), billing.cancel_url.clone())
        else {
            return Ok(None);
        };
        Ok(Some(Stripe {
            client: HttpClient::new(tuning)?,
            api_base: billing.stripe_api_base.clone(),
            secret_key,
            success_url,
            cancel_url,
        }))
    }

    /// `text` with the secret key replaced, wherever it appears.
    fn scrub(&self, text: &str) -> String {
        let key = self.secret_key.expose();
        if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key.as_str(), "*****")
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, ProviderError> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.api_base))
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.secret_key.expose()),
            );
        if form.is_some() {
            req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let req = req
            .body(OutBody::whole(Bytes::from(form.unwrap_or_default())))
            .map_err(|e| ProviderError::Protocol(self.scrub(&e.to_string())))?;
        let exchange = async {
            let resp = self
                .client
                .send(req)
                .await
                .map_err(|e| ProviderError::Unreachable(self.scrub(&e.to_string())))?;
            let status = resp.status();
            let body = UpstreamBody::new(resp.into_body(), CALL_TIMEOUT)
                .collect()
                .await
                .map_err(|e| ProviderError::Unreachable(self.scrub(&e.to_string())))?;
            Ok::<_, ProviderError>((status, body))
        };
        let (status, body) = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| ProviderError::Unreachable(format!("no answer in {CALL_TIMEOUT:?}")))??;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if status.is_success() {
            return json.ok_or_else(|| {
                ProviderError::Protocol(format!("a {status} answer that is not JSON"))
            });
        }
        let message = json
            .as_ref()
            .map(|j| &j["error"])
            .map(|e| {
                let kind = e["type"].as_str().unwrap_or("error");
                let text = e["message"].as_str().unwrap_or("no message");
                format!("{kind}: {text}")
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        let message = self.scrub(&message);
        Err(
            if status.is_server_error() || status == hyper::StatusCode::TOO_MANY_REQUESTS {
                ProviderError::Unreachable(message)
            } else {
                ProviderError::Refused(message)
            },
        )
    }
}

/// A Checkout Session object as Stripe sends it (API answers and webhook events alike).
pub fn session_from_json(v: &Value) -> Result<Session, ProviderError> {
    let id = v["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ProviderError::Protocol("a checkout session without an `id`".into()))?;
    if v["object"]
        .as_str()
        .is_some_and(|o| o != "checkout.session")
    {
        return Err(ProviderError::Protocol(format!(
            "`{}` is not a checkout session",
            v["object"]
        )));
    }
    let status = match v["status"].as_str() {
        Some("open") => SessionStatus::Open,
        Some("complete") => SessionStatus::Complete,
        Some("expired") => SessionStatus::Expired,
        other => SessionStatus::Other(other.unwrap_or("").to_owned()),
    };
    // `metadata[order_id]` is what the gateway wrote; `client_reference_id` the same, as
    // `order_{id}`. Either names the order; both, when present, must agree (checked by the
    // order service against the order found by session id).
    let from_metadata = v["metadata"]["order_id"]
        .as_str()
        .and_then(|s| s.parse::<i64>().ok());
    let from_reference = v["client_reference_id"]
        .as_str()
        .and_then(|s| s.strip_prefix("order_"))
        .and_then(|s| s.parse::<i64>().ok());
    let order_id = match (from_metadata, from_reference) {
        (Some(a), Some(b)) if a != b => {
            return Err(ProviderError::Protocol(format!(
                "the session names order {a} in its metadata and order {b} as its reference"
            )));
        }
        (a, b) => a.or(b),
    };
    Ok(Session {
        id: id.to_owned(),
        status,
        paid: v["payment_status"].as_str() == Some("paid"),
        amount_total: v["amount_total"].as_i64(),
        currency: v["currency"].as_str().map(str::to_owned),
        order_id,
        payment_intent: v["payment_intent"]
            .as_str()
            .or_else(|| v["payment_intent"]["id"].as_str())
            .map(str::to_owned),
    })
}

/// Stripe's ids are `cs_…` and similar: anything else is not put in a URL path.
fn path_id(id: &str) -> Result<&str, ProviderError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(ProviderError::Protocol(format!(
            "`{id}` is not a Stripe id"
        )))
    }
}

#[async_trait]
impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn create_checkout(&self, req: CheckoutRequest) -> Result<Checkout, ProviderError> {
        let order = req.order_id.to_string();
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("mode", "payment")
            .append_pair("line_items[0][quantity]", "1")
            .append_pair("line_items[0][price_data][currency]", &req.currency)
            .append_pair(
                "line_items[0][price_data][unit_amount]",
                &req.amount_minor.to_string(),
            )
            .append_pair(
                "line_items[0][price_data][product_data][name]",
                &req.description,
            )
            .append_pair("client_reference_id", &format!("order_{order}"))
            .append_pair("metadata[order_id]", &order)
            .append_pair("success_url", &self.success_url)
            .append_pair("cancel_url", &self.cancel_url)
            .finish();
        let v = self
            .call(
                Method::POST,
                "/v1/checkout/sessions",
                Some(form),
                Some(&req.idempotency_key),
            )
            .await?;
        let session = session_from_json(&v)?;
        let url = v["url"]
            .as_str()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| ProviderError::Protocol("a checkout session without a `url`".into()))?;
        if session.amount_total != Some(req.amount_minor)
            || session.currency.as_deref() != Some(req.currency.as_str())
        {
            return Err(ProviderError::Protocol(format!(
                "the session charges {:?} {:?}, not the order's {} {}",
                session.amount_total, session.currency, req.amount_minor, req.currency
            )));
        }
        Ok(Checkout {
            session_id: session.id,
            url: url.to_owned(),
        })
    }

    async fn session(&self, id: &str) -> Result<Session, ProviderError> {
        let path = format!("/v1/checkout/sessions/{}", path_id(id)?);
        session_from_json(&self.call(Method::GET, &path, None, None).await?)
    }

    async fn refund(&self, req: RefundCall) -> Result<ProviderRefund, ProviderError> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("payment_intent", &req.payment_intent)
            .append_pair("amount", &req.amount_minor.to_string())
            .append_pair("reason", "requested_by_customer")
            .append_pair("metadata[refund_id]", &req.refund_id.to_string())
            .finish();
        let v = self
            .call(
                Method::POST,
                "/v1/refunds",
                Some(form),
                Some(&req.idempotency_key),
            )
            .await?;
        let id = v["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ProviderError::Protocol("a refund without an `id`".into()))?;
        let amount = v["amount"].as_i64();
        if amount != Some(req.amount_minor) {
            return Err(ProviderError::Protocol(format!(
                "refund {id} is for {amount:?} minor units, not the {} asked for",
                req.amount_minor
            )));
        }
        // `pending` and `requires_action` still end in the money returned; `failed` and
        // `canceled` never do.
        match v["status"].as_str() {
            Some("failed" | "canceled") => Err(ProviderError::Refused(format!(
                "refund {id} {}: {}",
                v["status"].as_str().unwrap_or(""),
                v["failure_reason"].as_str().unwrap_or("no reason given")
            ))),
            _ => Ok(ProviderRefund {
                id: id.to_owned(),
                amount_minor: req.amount_minor,
            }),
        }
    }

    async fn expire_session(&self, id: &str) -> Result<Session, ProviderError> {
        let path = format!("/v1/checkout/sessions/{}/expire", path_id(id)?);
        session_from_json(
            &self
                .call(Method::POST, &path, Some(String::new()), None)
                .await?,
        )
    }
}
