//! Refunds of unused credit: a user asks for what is left unspent of a paid order back, an
//! admin (or the automatic approval setting) approves or denies, the provider pays it back, and
//! the ledger is debited once.
//!
//! - **What is refundable** of an order: its unspent part under the spending order
//!   ([`super::spending`]: promotional credit first, then purchases oldest first; the holds of
//!   requests in flight count as spent), never more than the available balance, rounded down to
//!   a whole minor unit of the payment currency. Promotional credit is never refundable: it is
//!   no order's. Refused: an order that is not paid (or partly refunded), one paid longer ago
//!   than `billing.refund_window_secs`, more than the refundable part, and a second refund while
//!   one is open.
//! - **Approval** freezes the amount (the smaller of what was asked and what is refundable at
//!   that moment) and books the ledger debit (kind `refund`) through
//!   [`crate::metering::Meter::debit`], which takes it from memory first and may take neither
//!   the balance below zero nor what requests in flight hold, in the same transaction as the
//!   refund's move to `approved`. Only then is the provider asked, with an idempotency key of
//!   the refund: it answers → `succeeded`, and the order becomes `partly_refunded` or
//!   `refunded`; it refuses → `failed`, and the debit is given back by a `refund` credit in one
//!   transaction; it cannot be reached → the refund stays `approved` and approving it again
//!   asks again with the same key (the provider makes one refund whatever the retries).
//! - **`charge.refunded`** (see [`charge_refunded`]): everything the provider refunded of the
//!   order beyond the refunds the gateway booked is a refund made at the provider (Stripe's
//!   dashboard); it is booked once (the event's id recorded in the same transaction), capped by
//!   what is refundable, and a shortfall is audited. Refunds the gateway booked are only marked
//!   succeeded: the webhook never books a second debit for them.

use codexkey_common::Micros;
use codexkey_common::api::{LedgerKind, OrderState, Refund, RefundRequest, RefundState};
use serde_json::json;

use super::provider::{ProviderError, RefundCall};
use super::spending;
use super::stripe::event::{Charge, Event};
use crate::accounts::Caller;
use crate::clock::{Millis, now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    CreditCondition, CreditOutcome, DebitCondition, DebitOutcome, DebitRefusal, NewAudit,
    NewLedgerEntry, NewProviderEvent, NewRefund, OrderRecord, RefundFilter, RefundRecord,
};

/// The most refunds one list returns.
pub const MAX_LIST: u32 = 500;

/// Why a refund is refused; each says what the user can do next.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("order {0} is {1}: only a paid order can be refunded")]
    NotPaid(i64, &'static str),
    #[error("order {0} was paid more than {1} ago: refunds are possible within {1} of the payment")]
    WindowClosed(i64, String),
    #[error(
        "nothing of order {0} is left to refund: it was spent (promotional credit is spent first and is never refundable); see `codexkey ledger`"
    )]
    NothingLeft(i64),
    #[error("at most {1} credits of order {0} are unspent and refundable now")]
    OverUnspent(i64, Micros),
    #[error("order {0} has a refund in progress already; see `codexkey refunds`")]
    AlreadyOpen(i64),
    #[error("refund {0} is {1}: only a requested refund can be {2}")]
    NotRequested(i64, &'static str, &'static str),
    #[error("`amount_micros` must be positive")]
    NotPositive,
}

impl From<RefundError> for ApiError {
    fn from(e: RefundError) -> ApiError {
        match e {
            RefundError::NotPositive => ApiError::InvalidRequest(e.to_string()),
            _ => ApiError::Conflict(e.to_string()),
        }
    }
}

pub fn to_api(r: &RefundRecord) -> Refund {
    Refund {
        id: r.id,
        order_id: r.order_id,
        account: r.account_email.clone(),
        state: r.state,
        source: r.source.clone(),
        amount_micros: r.amount,
        amount_minor: r.amount_minor,
        currency: r.currency.clone(),
        reason: r.reason.clone(),
        created_at: to_utc(r.created_at),
        updated_at: to_utc(r.updated_at),
    }
}

/// The minor units `micros` of `order`'s credit cost, rounded down.
fn to_minor(micros: Micros, order: &OrderRecord) -> i64 {
    let scaled = i128::from(micros.0) * i128::from(order.amount_minor) / i128::from(order.amount.0);
    i64::try_from(scaled).unwrap_or(0)
}

/// The credit `minor` units of `order` bought, rounded up (never above what the minor units
/// came from: `micros_of(to_minor(x)) <= x`).
fn micros_of(minor: i64, order: &OrderRecord) -> Micros {
    let num = i128::from(minor) * i128::from(order.amount.0);
    let den = i128::from(order.amount_minor);
    Micros(i64::try_from((num + den - 1) / den).unwrap_or(i64::MAX))
}

/// What of `order` is refundable now, stepped to whole minor units: `(micros, minor)`.
pub async fn refundable(state: &AppState, order: &OrderRecord) -> Result<(Micros, i64), ApiError> {
    if !matches!(order.state, OrderState::Paid | OrderState::PartlyRefunded) {
        return Ok((Micros::ZERO, 0));
    }
    // Charges still queued for the database belong to the history.
    state.meter.flush().await;
    let history = state.store.spending_history(order.account_id).await?;
    let account = state
        .store
        .account_by_id(order.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("an order's account is gone"))?;
    let (balance, held) = state
        .meter
        .funds_of(account.id)
        .unwrap_or((account.balance, account.held));
    let unspent = spending::unspent(&history, held, order.id);
    let available = Micros((balance.0 - held.0).max(0));
    let minor = to_minor(unspent.min(available), order);
    if minor <= 0 {
        return Ok((Micros::ZERO, 0));
    }
    Ok((micros_of(minor, order), minor))
}

fn window_open(state: &AppState, order: &OrderRecord, now: Millis) -> bool {
    let window =
        Millis::try_from(state.config.billing.refund_window.as_millis()).unwrap_or(Millis::MAX);
    order
        .paid_at
        .is_some_and(|paid| now.saturating_sub(paid) <= window)
}

/// A user asks for unused credit of their order back (all that is refundable by default).
pub async fn request(
    state: &AppState,
    caller: &Caller,
    order_id: i64,
    req: RefundRequest,
) -> Result<Refund, ApiError> {
    let order = match state.store.order(order_id).await? {
        Some(o) if o.account_id == caller.account.id => o,
        _ => return Err(ApiError::NotFound(format!("no order {order_id}"))),
    };
    if !matches!(order.state, OrderState::Paid | OrderState::PartlyRefunded) {
        return Err(RefundError::NotPaid(order.id, order.state.as_str()).into());
    }
    let now = now_ms();
    if !window_open(state, &order, now) {
        let secs = state.config.billing.refund_window.as_secs();
        let window = if secs.is_multiple_of(86_400) {
            format!("{} days", secs / 86_400)
        } else {
            format!("{secs} seconds")
        };
        return Err(RefundError::WindowClosed(order.id, window).into());
    }
    let (can, _) = refundable(state, &order).await?;
    let amount = req.amount_micros.unwrap_or(can);
    if req.amount_micros.is_some_and(|a| !a.is_positive()) {
        return Err(RefundError::NotPositive.into());
    }
    if can == Micros::ZERO {
        return Err(RefundError::NothingLeft(order.id).into());
    }
    if amount > can {
        return Err(RefundError::OverUnspent(order.id, can).into());
    }
    let refund = state
        .store
        .request_refund(
            NewRefund {
                order_id: order.id,
                account_id: order.account_id,
                amount,
                created_at: now,
            },
            NewAudit {
                actor_id: Some(caller.account.id),
                action: "refunds.request",
                target: Some(format!("order {}", order.id)),
                detail: json!({ "order": order.id, "amount_micros": amount.0 }),
                created_at: now,
            },
        )
        .await?
        .ok_or(RefundError::AlreadyOpen(order.id))?;
    if state.config.billing.refund_auto_approve {
        return approve(state, None, refund.id).await;
    }
    Ok(to_api(&refund))
}

pub async fn own_refunds(state: &AppState, caller: &Caller) -> Result<Vec<Refund>, ApiError> {
    let rows = state
        .store
        .refunds(
            RefundFilter {
                account_id: Some(caller.account.id),
                ..RefundFilter::default()
            },
            MAX_LIST,
        )
        .await?;
    Ok(rows.iter().map(to_api).collect())
}

pub async fn admin_refunds(
    state: &AppState,
    refund_state: Option<&str>,
) -> Result<Vec<Refund>, ApiError> {
    let refund_state = match refund_state {
        None => None,
        Some(s) => Some(RefundState::parse(s).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "`state` must be one of {}",
                RefundState::ALL
                    .map(|s| format!("`{}`", s.as_str()))
                    .join(", ")
            ))
        })?),
    };
    let rows = state
        .store
        .refunds(
            RefundFilter {
                state: refund_state,
                ..RefundFilter::default()
            },
            MAX_LIST,
        )
        .await?;
    Ok(rows.iter().map(to_api).collect())
}

async fn load(state: &AppState, id: i64) -> Result<(RefundRecord, OrderRecord), ApiError> {
    let refund = state
        .store
        .refund(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no refund {id}")))?;
    let order = state
        .store
        .order(refund.order_id)
        .await?
        .ok_or_else(|| ApiError::internal("a refund's order is gone"))?;
    Ok((refund, order))
}

pub async fn deny(
    state: &AppState,
    admin: &Caller,
    id: i64,
    reason: &str,
) -> Result<Refund, ApiError> {
    let reason = super::required_reason(reason)?;
    let (refund, _) = load(state, id).await?;
    let now = now_ms();
    let denied = state
        .store
        .deny_refund(
            id,
            Some(admin.account.id),
            reason,
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "refunds.deny",
                target: Some(refund.account_email.clone()),
                detail: json!({ "refund": id, "order": refund.order_id, "reason": reason }),
                created_at: now,
            },
        )
        .await?
        .ok_or(RefundError::NotRequested(
            id,
            refund.state.as_str(),
            "denied",
        ))?;
    Ok(to_api(&denied))
}

/// The payment intent of `order`: recorded when it was paid, else asked of the provider.
async fn payment_intent(state: &AppState, order: &OrderRecord) -> Result<String, ApiError> {
    if let Some(pi) = state.store.payment_intent(order.id).await? {
        return Ok(pi);
    }
    let provider = provider_of(state, order)?;
    let session_id = order
        .session_id
        .as_deref()
        .ok_or_else(|| ApiError::internal("a paid order without a checkout session"))?;
    let session = provider
        .session(session_id)
        .await
        .map_err(|e| ApiError::PaymentProvider(e.to_string()))?;
    let pi = session.payment_intent.ok_or_else(|| {
        ApiError::PaymentProvider(format!(
            "the provider names no payment for order {}'s checkout",
            order.id
        ))
    })?;
    state.store.set_payment_intent(order.id, &pi).await?;
    Ok(pi)
}

fn provider_of<'a>(
    state: &'a AppState,
    order: &OrderRecord,
) -> Result<&'a dyn super::provider::PaymentProvider, ApiError> {
    match state.payments.as_deref() {
        Some(p) if p.name() == order.provider => Ok(p),
        _ => Err(ApiError::Conflict(format!(
            "order {}'s provider `{}` is not set up on this gateway",
            order.id, order.provider
        ))),
    }
}

/// Approves a requested refund (an admin, or `None` for the automatic approval): freezes the
/// amount, books the debit, asks the provider. An approved refund whose provider call did not
/// answer is asked again.
pub async fn approve(
    state: &AppState,
    admin: Option<&Caller>,
    id: i64,
) -> Result<Refund, ApiError> {
    let (refund, order) = load(state, id).await?;
    let refund = match refund.state {
        RefundState::Requested => book(state, admin, &refund, &order).await?,
        RefundState::Approved => refund,
        other => return Err(RefundError::NotRequested(id, other.as_str(), "approved").into()),
    };
    pay_back(state, &refund, &order).await
}

/// Freezes the amount and books the debit, in one transaction with the move to `approved`.
async fn book(
    state: &AppState,
    admin: Option<&Caller>,
    refund: &RefundRecord,
    order: &OrderRecord,
) -> Result<RefundRecord, ApiError> {
    provider_of(state, order)?;
    // Known before any money moves: a refund the provider cannot be asked for is not booked.
    let pi = payment_intent(state, order).await?;
    let (can, _) = refundable(state, order).await?;
    let frozen = refund.amount.min(can);
    let minor = to_minor(frozen, order);
    if minor <= 0 {
        return Err(RefundError::NothingLeft(order.id).into());
    }
    let frozen = micros_of(minor, order);
    let now = now_ms();
    let actor = admin.map(|a| a.account.id);
    let outcome = state
        .meter
        .debit(
            NewLedgerEntry {
                account_id: order.account_id,
                kind: LedgerKind::Refund,
                amount: Micros(-frozen.0),
                reason: Some(format!("refund {} of order {}", refund.id, order.id)),
                actor_id: actor,
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: false,
            },
            DebitCondition::RefundRequested {
                refund_id: refund.id,
                amount_minor: minor,
                decided_by: actor,
            },
            NewAudit {
                actor_id: actor,
                action: "refunds.approve",
                target: Some(refund.account_email.clone()),
                detail: json!({
                    "refund": refund.id,
                    "order": order.id,
                    "asked_micros": refund.amount.0,
                    "amount_micros": frozen.0,
                    "amount_minor": minor,
                    "currency": order.currency,
                    "payment_intent": pi,
                    "automatic": admin.is_none(),
                }),
                created_at: now,
            },
        )
        .await?;
    match outcome {
        DebitOutcome::Debited(_, Some(r)) => Ok(*r),
        DebitOutcome::Debited(_, None) => {
            Err(ApiError::internal("a refund's debit booked no refund"))
        }
        DebitOutcome::Refused(DebitRefusal::RefundNotRequested(s)) => {
            Err(RefundError::NotRequested(refund.id, s.as_str(), "approved").into())
        }
        DebitOutcome::Refused(why) => Err(ApiError::Conflict(format!(
            "refund {} cannot be booked: {why:?}",
            refund.id
        ))),
    }
}

/// Asks the provider to pay an approved refund back and records what it said.
async fn pay_back(
    state: &AppState,
    refund: &RefundRecord,
    order: &OrderRecord,
) -> Result<Refund, ApiError> {
    let provider = provider_of(state, order)?;
    let pi = payment_intent(state, order).await?;
    let minor = refund
        .amount_minor
        .ok_or_else(|| ApiError::internal("an approved refund without its minor units"))?;
    let asked = provider
        .refund(RefundCall {
            payment_intent: pi,
            amount_minor: minor,
            refund_id: refund.id,
            idempotency_key: format!("codexkey-refund-{}-{}", refund.id, refund.created_at),
        })
        .await;
    let now = now_ms();
    match asked {
        Ok(made) => {
            let done = state
                .store
                .complete_refund(
                    refund.id,
                    Some(made.id.clone()),
                    None,
                    NewAudit {
                        actor_id: None,
                        action: "refunds.succeeded",
                        target: Some(refund.account_email.clone()),
                        detail: json!({
                            "refund": refund.id,
                            "order": order.id,
                            "provider_refund": made.id,
                            "amount_minor": made.amount_minor,
                        }),
                        created_at: now,
                    },
                    now,
                )
                .await?;
            // `None`: the provider's webhook marked it succeeded first (and took back).
            let current = match done {
                Some(r) => {
                    super::referrals::take_back(state, order, &r).await;
                    r
                }
                None => load(state, refund.id).await?.0,
            };
            Ok(to_api(&current))
        }
        Err(ProviderError::Refused(why)) => {
            let outcome = state
                .meter
                .credit(
                    NewLedgerEntry {
                        account_id: refund.account_id,
                        kind: LedgerKind::Refund,
                        amount: refund.amount,
                        reason: Some(format!(
                            "refund {} of order {} failed: the debit is given back",
                            refund.id, order.id
                        )),
                        actor_id: None,
                        request_id: None,
                        created_at: now,
                        forbid_negative: true,
                        promotional: false,
                    },
                    CreditCondition::RefundFailed {
                        refund_id: refund.id,
                        reason: why.clone(),
                    },
                    NewAudit {
                        actor_id: None,
                        action: "refunds.failed",
                        target: Some(refund.account_email.clone()),
                        detail: json!({ "refund": refund.id, "order": order.id, "why": why }),
                        created_at: now,
                    },
                )
                .await?;
            if let CreditOutcome::Refused(r) = outcome {
                tracing::warn!(
                    refund = refund.id,
                    ?r,
                    "a failed refund was settled elsewhere"
                );
            }
            Err(ApiError::PaymentProvider(format!(
                "the payment provider refused refund {}: {why}; the credit stays on the account",
                refund.id
            )))
        }
        Err(e) => Err(ApiError::PaymentProvider(format!(
            "{e}; refund {} stays approved: approve it again to retry (`codexkey admin refunds approve {}`)",
            refund.id, refund.id
        ))),
    }
}

/// A verified `charge.refunded` event: the refunds the gateway booked for the charge's order
/// are marked succeeded, and what the provider refunded beyond them (a refund made in its
/// dashboard) is booked once, capped by what is refundable. Answers the webhook's outcome.
pub async fn charge_refunded(
    state: &AppState,
    event: &Event,
    charge: &Charge,
    now: Millis,
) -> Result<&'static str, ApiError> {
    let provider = super::stripe::PROVIDER;
    let record = |order_id: Option<i64>, outcome: &'static str| NewProviderEvent {
        provider: provider.to_owned(),
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        order_id,
        outcome,
        received_at: now,
    };
    let reject = |order_id: Option<i64>, why: String| {
        let audit = NewAudit {
            actor_id: None,
            action: "refunds.webhook_rejected",
            target: order_id.map(|id| format!("order {id}")),
            detail: json!({
                "event": event.id,
                "charge": charge.id,
                "payment_intent": charge.payment_intent,
                "why": why,
            }),
            created_at: now,
        };
        tracing::warn!(event = %event.id, why, "a refund event changed nothing");
        (record(order_id, "rejected"), audit)
    };
    let Some(order) = state
        .store
        .order_by_payment_intent(provider, &charge.payment_intent)
        .await?
    else {
        let (ev, audit) = reject(None, "no order was paid through this payment".into());
        let new = state.store.record_event(ev, Some(audit)).await?;
        return Ok(if new { "rejected" } else { "duplicate" });
    };
    if charge.currency != order.currency {
        let (ev, audit) = reject(
            Some(order.id),
            format!(
                "the charge is in `{}`, the order in `{}`",
                charge.currency, order.currency
            ),
        );
        let new = state.store.record_event(ev, Some(audit)).await?;
        return Ok(if new { "rejected" } else { "duplicate" });
    }
    let booked = state
        .store
        .refunds(
            RefundFilter {
                order_id: Some(order.id),
                ..RefundFilter::default()
            },
            MAX_LIST,
        )
        .await?;
    let known: i64 = booked
        .iter()
        .filter(|r| matches!(r.state, RefundState::Approved | RefundState::Succeeded))
        .filter_map(|r| r.amount_minor)
        .sum();
    let beyond = charge.amount_refunded.saturating_sub(known);
    let mut outcome = "duplicate";
    if beyond > 0 {
        outcome = provider_refund(
            state,
            &order,
            charge,
            beyond,
            record(Some(order.id), "refunded"),
            now,
        )
        .await?;
    } else if state
        .store
        .record_event(record(Some(order.id), "refunded"), None)
        .await?
    {
        outcome = "refunded";
    }
    if outcome == "duplicate" {
        return Ok(outcome);
    }
    // The provider confirms what it refunded: the gateway's approved refunds of the order
    // succeeded, as far as the charge's refunded total covers them.
    let mut covered = charge.amount_refunded;
    for r in booked.iter().rev() {
        let Some(minor) = r.amount_minor else {
            continue;
        };
        if !matches!(r.state, RefundState::Approved | RefundState::Succeeded) || covered < minor {
            continue;
        }
        covered -= minor;
        if r.state == RefundState::Approved {
            let done = state
                .store
                .complete_refund(
                    r.id,
                    None,
                    None,
                    NewAudit {
                        actor_id: None,
                        action: "refunds.succeeded",
                        target: Some(r.account_email.clone()),
                        detail: json!({ "refund": r.id, "order": order.id, "event": event.id }),
                        created_at: now,
                    },
                    now,
                )
                .await?;
            if let Some(done) = done {
                super::referrals::take_back(state, &order, &done).await;
            }
        }
    }
    Ok(outcome)
}

/// Books `minor` units refunded at the provider without a request, capped by what is
/// refundable; the event is recorded in the same transaction (or alone, with an audit row,
/// when nothing can be booked).
async fn provider_refund(
    state: &AppState,
    order: &OrderRecord,
    charge: &Charge,
    minor: i64,
    event: NewProviderEvent,
    now: Millis,
) -> Result<&'static str, ApiError> {
    let wanted = micros_of(minor, order).min(order.amount);
    let (can, _) = refundable(state, order).await?;
    let amount = wanted.min(can);
    let shortfall = Micros(wanted.0 - amount.0);
    if !amount.is_positive() {
        let audit = NewAudit {
            actor_id: None,
            action: "refunds.provider_unbooked",
            target: Some(order.account_email.clone()),
            detail: json!({
                "order": order.id,
                "event": event.event_id,
                "charge": charge.id,
                "refunded_minor": minor,
                "shortfall_micros": shortfall.0,
                "why": "nothing of the order is unspent: the credit was spent before the refund",
            }),
            created_at: now,
        };
        let new = state.store.record_event(event, Some(audit)).await?;
        return Ok(if new { "refunded" } else { "duplicate" });
    }
    let outcome = state
        .meter
        .debit(
            NewLedgerEntry {
                account_id: order.account_id,
                kind: LedgerKind::Refund,
                amount: Micros(-amount.0),
                reason: Some(format!(
                    "refund of order {} made at {}",
                    order.id, order.provider
                )),
                actor_id: None,
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: false,
            },
            DebitCondition::ProviderRefund {
                event: event.clone(),
                order_id: order.id,
                amount_minor: minor,
                provider_refund_id: None,
            },
            NewAudit {
                actor_id: None,
                action: "refunds.provider",
                target: Some(order.account_email.clone()),
                detail: json!({
                    "order": order.id,
                    "event": event.event_id,
                    "charge": charge.id,
                    "refunded_minor": minor,
                    "amount_micros": amount.0,
                    "shortfall_micros": shortfall.0,
                }),
                created_at: now,
            },
        )
        .await;
    match outcome {
        Ok(DebitOutcome::Debited(_, refund)) => {
            if let Some(refund) = refund {
                super::referrals::take_back(state, order, &refund).await;
            }
            Ok("refunded")
        }
        Ok(DebitOutcome::Refused(DebitRefusal::EventSeen)) => Ok("duplicate"),
        Ok(DebitOutcome::Refused(why)) => {
            let new = state
                .store
                .record_event(
                    event,
                    Some(NewAudit {
                        actor_id: None,
                        action: "refunds.webhook_rejected",
                        target: Some(format!("order {}", order.id)),
                        detail: json!({ "charge": charge.id, "why": format!("{why:?}") }),
                        created_at: now,
                    }),
                )
                .await?;
            Ok(if new { "rejected" } else { "duplicate" })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(amount: i64, minor: i64) -> OrderRecord {
        OrderRecord {
            id: 1,
            account_id: 1,
            account_email: "a@example.com".into(),
            provider: "stripe".into(),
            amount: Micros(amount),
            currency: "usd".into(),
            amount_minor: minor,
            state: OrderState::Paid,
            session_id: None,
            checkout_url: None,
            ledger_id: None,
            created_at: 0,
            updated_at: 0,
            paid_at: Some(0),
        }
    }

    #[test]
    fn refunds_step_down_to_whole_minor_units() {
        // 10 credits for 1000 cents: a cent is 0.01 credit.
        let o = order(10_000_000, 1000);
        assert_eq!(to_minor(Micros(7_345_678), &o), 734);
        assert_eq!(micros_of(734, &o), Micros(7_340_000));
        // 1 credit for 150 yen: a yen is 6666.67 micro-credits, rounded up, never above.
        let o = order(1_000_000, 150);
        for x in [1, 6_666, 6_667, 500_000, 999_999, 1_000_000] {
            let m = micros_of(to_minor(Micros(x), &o), &o);
            assert!(m <= Micros(x), "{x}: {m:?}");
        }
        assert_eq!(micros_of(150, &o), Micros(1_000_000));
    }
}
