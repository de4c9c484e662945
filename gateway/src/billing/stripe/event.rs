//! The Stripe events the gateway acts on, read from a webhook body whose signature was
//! verified: `checkout.session.completed` (paid now, or an asynchronous payment still in
//! flight), `checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed`
//! `checkout.session.expired` and `charge.refunded`. Any other type is [`EventKind::Other`], answered and ignored.

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
    /// `charge.refunded`: some or all of a charge was refunded (through the API or Stripe's
    /// dashboard).
    ChargeRefunded,
    Other,
}

/// The charge of a `charge.refunded` event, as far as the gateway reads it.
#[derive(Debug, Clone)]
pub struct Charge {
    pub id: String,
    pub payment_intent: String,
    /// All refunded of the charge so far, in minor units.
    pub amount_refunded: i64,
    pub currency: String,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    /// As Stripe names it (`checkout.session.completed`).
    pub event_type: String,
    pub kind: EventKind,
    /// The checkout session the event is about (`data.object`), for the session kinds.
    pub session: Option<Session>,
    /// The charge, for [`EventKind::ChargeRefunded`].
    pub charge: Option<Charge>,
}

fn charge_from_json(v: &Value) -> Result<Charge, String> {
    if v["object"].as_str() != Some("charge") {
        return Err("`charge.refunded` does not carry a charge".into());
    }
    let text = |k: &str| {
        v[k].as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("the charge has no `{k}`"))
    };
    Ok(Charge {
        id: text("id")?,
        payment_intent: text("payment_intent")?,
        amount_refunded: v["amount_refunded"]
            .as_i64()
            .filter(|a| *a >= 0)
            .ok_or("the charge has no `amount_refunded`")?,
        currency: text("currency")?,
    })
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
        "charge.refunded" => EventKind::ChargeRefunded,
        _ => EventKind::Other,
    };
    let (session, charge) = match kind {
        EventKind::Other => (None, None),
        EventKind::ChargeRefunded => (None, Some(charge_from_json(&v["data"]["object"])?)),
        _ => (
            Some(session_from_json(&v["data"]["object"]).map_err(|e| e.to_string())?),
            None,
        ),
    };
    Ok(Event {
        id,
        event_type,
        kind,
        session,
        charge,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::billing::provider::SessionStatus;

    /// A `checkout.session.completed` event in the shape Stripe documents, with fields the
    /// gateway does not read left in.
    const COMPLETED: &str = r#"{
      "id": "evt_1QxYzAbCdEfGhIjK",
      "object": "event",
      "api_version": "2025-07-30.basil",
      "created": 1765000100,
      "data": {
        "object": {
          "id": "cs_test_a1Ae6ClgOkjygKwrf9B3L6ITtUuZW4Xx9FivL6DZYoYFdfAefQxsYpJJd3",
          "object": "checkout.session",
          "amount_subtotal": 1234,
          "amount_total": 1234,
          "client_reference_id": "order_42",
          "currency": "usd",
          "customer_details": {"email": "buyer@example.com", "tax_exempt": "none"},
          "livemode": false,
          "metadata": {"order_id": "42"},
          "mode": "payment",
          "payment_intent": "pi_3QxYz",
          "payment_status": "paid",
          "status": "complete",
          "url": null
        }
      },
      "livemode": false,
      "pending_webhooks": 1,
      "request": {"id": null, "idempotency_key": null},
      "type": "checkout.session.completed"
    }"#;

    #[test]
    fn a_completed_checkout_is_read() {
        let e = parse(COMPLETED.as_bytes()).unwrap();
        assert_eq!(e.id, "evt_1QxYzAbCdEfGhIjK");
        assert_eq!(e.kind, EventKind::Completed);
        let s = e.session.unwrap();
        assert!(s.id.starts_with("cs_test_a1Ae6"));
        assert_eq!(s.status, SessionStatus::Complete);
        assert!(s.paid);
        assert_eq!(s.amount_total, Some(1234));
        assert_eq!(s.currency.as_deref(), Some("usd"));
        assert_eq!(s.order_id, Some(42));
    }

    #[test]
    fn other_events_are_not_read_further_and_bad_ones_are_refused() {
        let other = COMPLETED.replace("checkout.session.completed", "charge.succeeded");
        let e = parse(other.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::Other);
        assert!(e.session.is_none());
        // Metadata and reference naming two orders: not a session the gateway made.
        let two = COMPLETED.replace("\"order_42\"", "\"order_43\"");
        assert!(parse(two.as_bytes()).unwrap_err().contains("order 42"));
        let not_session = COMPLETED.replace("\"checkout.session\"", "\"payment_intent\"");
        assert!(parse(not_session.as_bytes()).is_err());
        assert!(parse(b"{\"object\":\"list\"}").is_err());
        assert!(parse(b"not json").is_err());
    }
}
