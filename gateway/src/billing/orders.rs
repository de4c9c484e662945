//! Top-up orders: a user buys credit through the payment provider, the provider's webhook (or
//! the sweeper, asking the provider) settles the order, and the credit is booked once.
//!
//! An order is written `pending` before the provider is called, then gets its checkout
//! session. It leaves `pending` exactly once, forward only (the schema enforces it too):
//! - `paid`: one [`crate::metering::Meter::credit`] of kind `payment` (never promotional) whose
//!   condition is [`CreditCondition::OrderPending`] (inside [`CreditCondition::EventUnseen`]
//!   for a webhook event): the order's state, the ledger entry, the event's record and the
//!   audit row are one transaction, so any number of deliveries of any number of events credit
//!   an order once.
//! - `expired`: its checkout closed unpaid (Stripe's `checkout.session.expired`, or the sweeper
//!   after the provider confirmed the session can no longer be paid).
//! - `failed`: the payment failed (`checkout.session.async_payment_failed`), or no checkout
//!   could be created for it.
//!
//! What a webhook is answered: 400 when its signature does not verify (nothing is read or
//! recorded: it may not come from Stripe); otherwise 2xx, because Stripe re-delivers anything
//! else for days. An event for no known order, or whose amount, currency or order reference is
//! not the order's, changes nothing: it is logged, its id recorded as `rejected` and one audit
//! row (`orders.webhook_rejected`) says why, in one transaction, so its re-deliveries add
//! nothing. A re-delivered or replayed event (its id recorded) changes nothing, and neither
//! does an event for an order already settled.

use codexkey_common::Micros;
use codexkey_common::api::{
    LedgerKind, Order, OrderState, SweepReport, TopupRequest, TopupResponse, WebhookAck,
};
use serde_json::json;

use super::provider::{CheckoutRequest, PaymentProvider, Session, SessionStatus};
use super::stripe::{self, event::EventKind, signature};
use crate::accounts::Caller;
use crate::clock::{Millis, now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    CreditCondition, CreditOutcome, CreditRefusal, NewAudit, NewLedgerEntry, NewOrder,
    NewProviderEvent, OrderFilter, OrderRecord,
};

/// The most orders one list returns.
pub const MAX_LIST: u32 = 500;
/// The most pending orders one sweep looks at; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 200;

/// Records the payment intent a paid session names, so refunds and `charge.refunded` events
/// find the order; a failure is only logged (a refund asks the provider for it again).
async fn remember_payment_intent(state: &AppState, order: &OrderRecord, session: &Session) {
    if let Some(pi) = session.payment_intent.as_deref()
        && let Err(e) = state.store.set_payment_intent(order.id, pi).await
    {
        tracing::warn!(order = order.id, error = %e, "cannot record an order's payment intent");
    }
}

pub fn to_api(o: &OrderRecord) -> Order {
    Order {
        id: o.id,
        account: o.account_email.clone(),
        state: o.state,
        amount_micros: o.amount,
        amount_minor: o.amount_minor,
        currency: o.currency.clone(),
        provider: o.provider.clone(),
        // The payment page matters only while it can be paid.
        checkout_url: (o.state == OrderState::Pending)
            .then(|| o.checkout_url.clone())
            .flatten(),
        created_at: to_utc(o.created_at),
        updated_at: to_utc(o.updated_at),
        paid_at: o.paid_at.map(to_utc),
        refundable_micros: None,
    }
}

fn provider(state: &AppState) -> Result<&dyn PaymentProvider, ApiError> {
    state.payments.as_deref().ok_or_else(|| {
        ApiError::Conflict(
            "top-ups by card are not set up on this gateway; redeem a code (`codexkey topup --code …`) or ask its operator".into(),
        )
    })
}

/// What `amount` credits cost in the payment currency's minor units, exactly; an amount whose
/// price is not a whole number of minor units is refused, never rounded.
pub fn minor_units(amount: Micros, per_credit: u64, currency: &str) -> Result<i64, ApiError> {
    let scaled = i128::from(amount.0) * i128::from(per_credit);
    if scaled % 1_000_000 != 0 {
        // The smallest step: the credit one minor unit buys, in micro-credits, when exact.
        let hint = if 1_000_000 % u128::from(per_credit) == 0 {
            format!(
                "; use a multiple of {}",
                Micros((1_000_000 / u128::from(per_credit)) as i64)
            )
        } else {
            String::new()
        };
        return Err(ApiError::InvalidRequest(format!(
            "{amount} credits is not a whole number of `{currency}` minor units at {per_credit} per credit{hint}"
        )));
    }
    i64::try_from(scaled / 1_000_000)
        .map_err(|_| ApiError::InvalidRequest("`amount_micros` is too large".into()))
}

/// Creates an order and its checkout: the page the user opens to pay.
pub async fn topup(
    state: &AppState,
    caller: &Caller,
    req: TopupRequest,
) -> Result<TopupResponse, ApiError> {
    let billing = &state.config.billing;
    let amount = req.amount_micros;
    if amount < billing.min_topup {
        return Err(ApiError::InvalidRequest(format!(
            "the smallest top-up is {} credits",
            billing.min_topup
        )));
    }
    if amount > billing.max_topup {
        return Err(ApiError::InvalidRequest(format!(
            "the largest top-up is {} credits",
            billing.max_topup
        )));
    }
    let amount_minor = minor_units(amount, billing.minor_units_per_credit, &billing.currency)?;
    let provider = provider(state)?;
    let account = &caller.account;
    let now = now_ms();
    let order = state
        .store
        .create_order(
            NewOrder {
                account_id: account.id,
                provider: provider.name().to_owned(),
                amount,
                currency: billing.currency.clone(),
                amount_minor,
                created_at: now,
            },
            billing.max_pending_orders,
            NewAudit {
                actor_id: Some(account.id),
                action: "orders.create",
                target: Some(account.email.clone()),
                detail: json!({
                    "amount_micros": amount.0,
                    "amount_minor": amount_minor,
                    "currency": billing.currency,
                    "provider": provider.name(),
                }),
                created_at: now,
            },
        )
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "you have {} top-ups waiting for payment already: pay one or let it expire first (`codexkey orders`)",
                billing.max_pending_orders
            ))
        })?;
    let checkout = provider
        .create_checkout(CheckoutRequest {
            order_id: order.id,
            amount_minor,
            currency: order.currency.clone(),
            description: format!("{amount} codexkey credits"),
            // Unique per order (ids are not reused: orders are never deleted; the creation time
            // tells apart databases that reuse an id).
            idempotency_key: format!("codexkey-order-{}-{}", order.id, order.created_at),
        })
        .await;
    let checkout = match checkout {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(order = order.id, error = %e, "cannot create a checkout session");
            let at = now_ms();
            // The order can never be paid: it must not count against the pending limit.
            let _ = state
                .store
                .close_order(
                    order.id,
                    OrderState::Failed,
                    None,
                    NewAudit {
                        actor_id: None,
                        action: "orders.failed",
                        target: Some(account.email.clone()),
                        detail: json!({ "order": order.id, "why": "no checkout session", "error": e.to_string() }),
                        created_at: at,
                    },
                )
                .await?;
            return Err(ApiError::PaymentProvider(e.to_string()));
        }
    };
    let order = state
        .store
        .attach_session(order.id, &checkout.session_id, &checkout.url, now_ms())
        .await?;
    Ok(TopupResponse {
        order: to_api(&order),
        checkout_url: checkout.url,
    })
}

pub async fn own_orders(state: &AppState, caller: &Caller) -> Result<Vec<Order>, ApiError> {
    let rows = state
        .store
        .orders(
            OrderFilter {
                account_id: Some(caller.account.id),
                ..OrderFilter::default()
            },
            MAX_LIST,
        )
        .await?;
    Ok(rows.iter().map(to_api).collect())
}

/// One of the caller's orders; another account's is not found, exactly like a missing one.
pub async fn own_order(state: &AppState, caller: &Caller, id: i64) -> Result<Order, ApiError> {
    match state.store.order(id).await? {
        Some(o) if o.account_id == caller.account.id => {
            let (refundable, _) = super::refunds::refundable(state, &o).await?;
            Ok(Order {
                refundable_micros: Some(refundable),
                ..to_api(&o)
            })
        }
        _ => Err(ApiError::NotFound(format!("no order {id}"))),
    }
}

pub async fn admin_orders(
    state: &AppState,
    order_state: Option<&str>,
    account: Option<&str>,
) -> Result<Vec<Order>, ApiError> {
    let order_state = match order_state {
        None => None,
        Some(s) => Some(OrderState::parse(s).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "`state` must be one of {}",
                OrderState::ALL
                    .map(|s| format!("`{}`", s.as_str()))
                    .join(", ")
            ))
        })?),
    };
    let account_id = match account {
        None => None,
        Some(a) => Some(crate::accounts::find(state, a).await?.id),
    };
    let rows = state
        .store
        .orders(
            OrderFilter {
                account_id,
                state: order_state,
                ..OrderFilter::default()
            },
            MAX_LIST,
        )
        .await?;
    Ok(rows.iter().map(to_api).collect())
}

fn ack(outcome: &str) -> WebhookAck {
    WebhookAck {
        received: true,
        outcome: outcome.to_owned(),
    }
}

/// A Stripe webhook delivery: verified, then acted on at most once (see the module docs).
pub async fn stripe_webhook(
    state: &AppState,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<WebhookAck, ApiError> {
    let billing = &state.config.billing;
    if billing.stripe_webhook_secrets.is_empty() {
        return Err(ApiError::NotFound(
            "Stripe webhooks are not set up on this gateway (`billing.stripe_webhook_secret`)"
                .into(),
        ));
    }
    let now = now_ms();
    signature::verify(
        signature_header,
        body,
        &billing.stripe_webhook_secrets,
        now.div_euclid(1000),
        billing.webhook_tolerance,
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "refused a Stripe webhook");
        ApiError::InvalidRequest(format!("bad Stripe signature: {e}"))
    })?;
    let event = stripe::event::parse(body).map_err(|e| {
        tracing::warn!(error = %e, "a signed Stripe webhook that cannot be read");
        ApiError::InvalidRequest(e)
    })?;
    if let Some(charge) = &event.charge {
        let outcome = super::refunds::charge_refunded(state, &event, charge, now).await?;
        return Ok(ack(outcome));
    }
    let Some(session) = event.session.clone() else {
        return Ok(ack("ignored"));
    };
    let provider = stripe::PROVIDER;
    let record = |order_id: Option<i64>, outcome: &'static str| NewProviderEvent {
        provider: provider.to_owned(),
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        order_id,
        outcome,
        received_at: now,
    };
    let order = state.store.order_by_session(provider, &session.id).await?;
    let order = match order {
        Some(o) => match mismatch(&o, &session) {
            None => o,
            Some(why) => {
                return reject(state, record(Some(o.id), "rejected"), &session, &why).await;
            }
        },
        None => {
            let why = match session.order_id {
                Some(id) => {
                    format!("no order of {provider} has this session (it names order {id})")
                }
                None => format!("no order of {provider} has this session"),
            };
            return reject(state, record(None, "rejected"), &session, &why).await;
        }
    };
    let said = |change: Change, made: &'static str| match change {
        Change::Made => made,
        Change::AlreadySettled => "duplicate",
    };
    let outcome = match event.kind {
        EventKind::Completed | EventKind::AsyncPaymentSucceeded if session.paid => {
            remember_payment_intent(state, &order, &session).await;
            said(
                pay(state, &order, Some(record(Some(order.id), "paid")), now).await?,
                "paid",
            )
        }
        EventKind::Completed | EventKind::AsyncPaymentSucceeded => {
            // Completed with a payment still in flight (a bank debit): the order stays pending
            // until `async_payment_succeeded` or `async_payment_failed`.
            if order.state == OrderState::Pending {
                let new = state
                    .store
                    .record_event(record(Some(order.id), "awaiting_payment"), None)
                    .await?;
                if new { "awaiting_payment" } else { "duplicate" }
            } else {
                "duplicate"
            }
        }
        EventKind::AsyncPaymentFailed => {
            let failed = Some(record(Some(order.id), "failed"));
            said(
                close(state, &order, OrderState::Failed, failed, now).await?,
                "failed",
            )
        }
        EventKind::Expired => {
            let expired = Some(record(Some(order.id), "expired"));
            said(
                close(state, &order, OrderState::Expired, expired, now).await?,
                "expired",
            )
        }
        EventKind::ChargeRefunded | EventKind::Other => "ignored",
    };
    Ok(ack(outcome))
}

/// Why `session` is not `order`'s checkout, if it is not.
fn mismatch(order: &OrderRecord, session: &Session) -> Option<String> {
    if let Some(named) = session.order_id.filter(|id| *id != order.id) {
        return Some(format!(
            "the session names order {named}, but it is order {}'s",
            order.id
        ));
    }
    let amount = session.amount_total;
    if amount != Some(order.amount_minor) {
        return Some(match amount {
            Some(a) => format!(
                "the session charged {a} minor units, the order is for {}",
                order.amount_minor
            ),
            None => "the session says no amount".into(),
        });
    }
    let currency = session.currency.as_deref();
    if currency != Some(order.currency.as_str()) {
        return Some(format!(
            "the session charged in `{}`, the order is in `{}`",
            currency.unwrap_or("(none)"),
            order.currency
        ));
    }
    None
}

/// Records an event that changes nothing, with an audit row saying why; answers 200 so the
/// provider stops re-delivering it.
async fn reject(
    state: &AppState,
    event: NewProviderEvent,
    session: &Session,
    why: &str,
) -> Result<WebhookAck, ApiError> {
    tracing::warn!(
        event = %event.event_id,
        event_type = %event.event_type,
        session = %session.id,
        why,
        "a payment event changed nothing"
    );
    let audit = NewAudit {
        actor_id: None,
        action: "orders.webhook_rejected",
        target: event.order_id.map(|id| format!("order {id}")),
        detail: json!({
            "provider": event.provider,
            "event": event.event_id,
            "type": event.event_type,
            "session": session.id,
            "amount_total": session.amount_total,
            "currency": session.currency,
            "why": why,
        }),
        created_at: event.received_at,
    };
    let new = state.store.record_event(event, Some(audit)).await?;
    Ok(ack(if new { "rejected" } else { "duplicate" }))
}

/// Whether a settling write changed the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Made,
    /// Refused: the event was recorded before, or the order had left `pending` already.
    AlreadySettled,
}

/// Pays `order` once: the credit, the order's state, `event` (if any) and the audit row in one
/// transaction.
async fn pay(
    state: &AppState,
    order: &OrderRecord,
    event: Option<NewProviderEvent>,
    now: Millis,
) -> Result<Change, ApiError> {
    let Some(session_id) = order.session_id.clone() else {
        return Err(ApiError::internal(format!(
            "order {} has no checkout session to be paid through",
            order.id
        )));
    };
    let source = if event.is_some() { "webhook" } else { "sweep" };
    let event_id = event.as_ref().map(|e| e.event_id.clone());
    let pending = CreditCondition::OrderPending {
        order_id: order.id,
        provider: order.provider.clone(),
        session_id: session_id.clone(),
        currency: order.currency.clone(),
        amount_minor: order.amount_minor,
        commission: super::referrals::terms(state, order.account_id).await?,
    };
    let condition = match event {
        Some(event) => CreditCondition::EventUnseen {
            event,
            then: Box::new(pending),
        },
        None => pending,
    };
    let outcome = state
        .meter
        .credit(
            NewLedgerEntry {
                account_id: order.account_id,
                kind: LedgerKind::Payment,
                amount: order.amount,
                reason: Some(format!(
                    "order {} paid through {}",
                    order.id, order.provider
                )),
                actor_id: None,
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: false,
            },
            condition,
            NewAudit {
                actor_id: None,
                action: "orders.paid",
                target: Some(order.account_email.clone()),
                detail: json!({
                    "order": order.id,
                    "amount_micros": order.amount.0,
                    "amount_minor": order.amount_minor,
                    "currency": order.currency,
                    "provider": order.provider,
                    "session": session_id,
                    "event": event_id,
                    "source": source,
                }),
                created_at: now,
            },
        )
        .await?;
    match outcome {
        CreditOutcome::Credited(entry) => {
            tracing::info!(order = order.id, ledger = entry.id, source, "order paid");
            Ok(Change::Made)
        }
        CreditOutcome::Refused(CreditRefusal::EventSeen | CreditRefusal::OrderNotPending(_)) => {
            Ok(Change::AlreadySettled)
        }
        CreditOutcome::Refused(why) => Err(ApiError::internal(format!(
            "order {}'s payment was refused although its terms were checked: {why:?}",
            order.id
        ))),
    }
}

/// [`pay`] from the sweep, recording the session's payment intent first.
async fn pay_remembering(
    state: &AppState,
    order: &OrderRecord,
    session: &Session,
    now: Millis,
) -> Result<Change, ApiError> {
    remember_payment_intent(state, order, session).await;
    pay(state, order, None, now).await
}

/// Closes `order` unpaid as `to` (expired or failed), with `event` if any, once.
async fn close(
    state: &AppState,
    order: &OrderRecord,
    to: OrderState,
    event: Option<NewProviderEvent>,
    now: Millis,
) -> Result<Change, ApiError> {
    let source = if event.is_some() { "webhook" } else { "sweep" };
    let detail = json!({
        "order": order.id,
        "provider": order.provider,
        "session": order.session_id,
        "event": event.as_ref().map(|e| e.event_id.clone()),
        "source": source,
    });
    let closed = state
        .store
        .close_order(
            order.id,
            to,
            event,
            NewAudit {
                actor_id: None,
                action: match to {
                    OrderState::Failed => "orders.failed",
                    _ => "orders.expired",
                },
                target: Some(order.account_email.clone()),
                detail,
                created_at: now,
            },
        )
        .await?;
    Ok(match closed {
        Ok(_) => Change::Made,
        Err(_) => Change::AlreadySettled,
    })
}

/// One sweep: every pending order older than `billing.order_ttl_secs` is settled with the
/// provider. Paid after all: credited (the same one-transaction path as a webhook, so a late
/// webhook changes nothing). Still open: closed at the provider first, so nobody can pay it
/// afterwards, then expired. Completed with a payment in flight, or the provider unreachable:
/// left pending for the next sweep.
pub async fn sweep(state: &AppState) -> Result<SweepReport, ApiError> {
    let now = now_ms();
    let ttl = Millis::try_from(state.config.billing.order_ttl.as_millis()).unwrap_or(Millis::MAX);
    let due = state
        .store
        .orders(
            OrderFilter {
                account_id: None,
                state: Some(OrderState::Pending),
                created_before: Some(now.saturating_sub(ttl)),
                oldest_first: true,
            },
            SWEEP_BATCH,
        )
        .await?;
    let mut report = SweepReport::default();
    for order in due {
        report.checked += 1;
        match settle(state, &order).await {
            Ok(Settled::Paid) => report.paid += 1,
            Ok(Settled::Expired) => report.expired += 1,
            Ok(Settled::Failed) => report.failed += 1,
            Ok(Settled::Pending) => report.left_pending += 1,
            Ok(Settled::Elsewhere) => report.already_settled += 1,
            Err(e) => {
                tracing::warn!(order = order.id, error = %e, "cannot settle a pending order now");
                report.left_pending += 1;
            }
        }
    }
    Ok(report)
}

enum Settled {
    Paid,
    Expired,
    Failed,
    Pending,
    /// A webhook settled it between the list and the change.
    Elsewhere,
}

async fn settle(state: &AppState, order: &OrderRecord) -> Result<Settled, ApiError> {
    let now = now_ms();
    let Some(session_id) = order.session_id.as_deref() else {
        // Its checkout was never created (the gateway stopped in between): nobody can pay it.
        return Ok(
            match close(state, order, OrderState::Failed, None, now).await? {
                Change::Made => Settled::Failed,
                Change::AlreadySettled => Settled::Elsewhere,
            },
        );
    };
    let provider = match state.payments.as_deref() {
        Some(p) if p.name() == order.provider => p,
        _ => {
            tracing::warn!(order = order.id, provider = %order.provider, "a pending order of a provider that is not configured");
            return Ok(Settled::Pending);
        }
    };
    let map = |e: super::provider::ProviderError| ApiError::PaymentProvider(e.to_string());
    let mut session = provider.session(session_id).await.map_err(map)?;
    if session.status == SessionStatus::Open {
        session = provider.expire_session(session_id).await.map_err(map)?;
    }
    if session.id != session_id {
        return Err(ApiError::PaymentProvider(format!(
            "asked for session {session_id}, the provider described {}",
            session.id
        )));
    }
    if let Some(why) = mismatch(order, &session) {
        tracing::error!(
            order = order.id,
            why,
            "the provider's session is not the order's; left pending"
        );
        return Ok(Settled::Pending);
    }
    Ok(match (&session.status, session.paid) {
        (_, true) => match pay_remembering(state, order, &session, now).await? {
            Change::Made => Settled::Paid,
            Change::AlreadySettled => Settled::Elsewhere,
        },
        (SessionStatus::Expired, false) => {
            match close(state, order, OrderState::Expired, None, now).await? {
                Change::Made => Settled::Expired,
                Change::AlreadySettled => Settled::Elsewhere,
            }
        }
        // Completed with the payment in flight, or a status this version does not know.
        _ => Settled::Pending,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_top_up_costs_exact_minor_units_or_is_refused() {
        // usd at 100 cents per credit.
        assert_eq!(minor_units(Micros(10_000_000), 100, "usd").unwrap(), 1000);
        assert_eq!(minor_units(Micros(12_340_000), 100, "usd").unwrap(), 1234);
        let err = minor_units(Micros(12_345_000), 100, "usd")
            .unwrap_err()
            .to_string();
        assert!(err.contains("use a multiple of 0.01"), "{err}");
        // A zero-decimal currency at 150 per credit: 0.5 credit is 75 yen.
        assert_eq!(minor_units(Micros(500_000), 150, "jpy").unwrap(), 75);
        assert!(minor_units(Micros(1), 150, "jpy").is_err());
        // Rates that do not divide a million give no step, only the refusal.
        let err = minor_units(Micros(1), 7, "xyz").unwrap_err().to_string();
        assert!(!err.contains("multiple"), "{err}");
        // The largest amount at the largest rate still fits.
        assert_eq!(
            minor_units(Micros::MAX, 1_000_000_000, "xyz").unwrap(),
            1_000_000_000_000_000_000
        );
    }
}
