//! The Stripe events the gateway acts on, read from a webhook body whose signature was
//! verified: `checkout.session.completed` (paid now, or an asynchronous payment still in
//! flight), `checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed`
//! and `checkout.session.expired`. Any other type is [`EventKind::Other`], answered and ignored.

use serde_json::Value;

use super::session_from_json;
use crate::billing::provider::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The payer finished the checkout; paid if the session says `paid`.
    Completed,
    AsyncPaymentSucceeded,
    AsyncPaymentFailed,
    Expired,
    Other,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    /// As Stripe names it (`checkout.session.completed`).
    pub event_type: String,
    pub kind: EventKind,
    /// The checkout session the event is about (`data.object`), for the kinds acted on.
    pub session: Option<Session>,
}

/// Reads an event; an event of a kind acted on must carry a checkout session.
pub fn parse(body: &[u8]) -> Result<Event, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the event is not JSON: {e}"))?;
    if v["object"].as_str() != Some("event") {
        return Err("the body is not a Stripe event (`object` is not `event`)".into());
    }
    let id = v["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or("the event has no `id`")?
        .to_owned();
    let event_type = v["type"]
        .as_str()
        .ok_or("the event has no `type`")?
        .to_owned();
    let kind = match event_type.as_str() {
        "checkout.session.completed" => EventKind::Completed,
        "checkout.session.async_payment_succeeded" => EventKind::AsyncPaymentSucceeded,
        "checkout.session.async_payment_failed" => EventKind::AsyncPaymentFailed,
        "checkout.session.expired" => EventKind::Expired,
        _ => EventKind::Other,
    };
    let session = match kind {
        EventKind::Other => None,
        _ => Some(session_from_json(&v["data"]["object"]).map_err(|e| e.to_string())?),
    };
    Ok(Event {
        id,
        event_type,
        kind,
        session,
    })
}
