//! Referrals: every account has a referral code; an account registered with one is linked to
//! its owner (once ever, never to itself); the referrer earns a share of the referee's **paid**
//! top-ups (Stripe orders; not codes, bonuses or adjustments) and gives it back proportionally
//! when such a top-up is refunded.
//!
//! - **Earning**: `billing.referral_rate_bps` of the order's credit, rounded down to the
//!   micro-credit, on the referee's first `billing.referral_max_topups` paid orders paid within
//!   `billing.referral_max_age_secs` of the link. Booked as a promotional `referral_commission`
//!   credit of the referrer in the payment's own transaction ([`terms`] hands the terms to the
//!   order-paid path; the store applies them), so a payment and its commission are one.
//! - **Taking back** ([`take_back`]), once a refund of such an order succeeded: the referrer owes
//!   `ceil(commission × refunded ÷ order amount)` of that order's commission in all (rounded so
//!   the referrer keeps less, never more than the commission); each refund takes what is owed and
//!   not taken yet, as a `referral_commission` debit (not promotional) through the meter, at most
//!   the referrer's available balance: the balance never goes below zero nor below what requests
//!   in flight hold. What cannot be taken (spent already) is the shortfall: audited
//!   (`referrals.take_back`, `shortfall_micros`), and owed again at the next refund of the same
//!   order, never otherwise.

use codexkey_common::Micros;
use codexkey_common::api::{Account, LedgerKind, Referee, ReferralSummary, RegisterRequest};
use serde_json::json;

use crate::accounts::Caller;
use crate::clock::{Millis, now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    CommissionTerms, DebitCondition, DebitOutcome, LinkRefusal, NewAudit, NewLedgerEntry,
    OrderRecord, RefundFilter, RefundRecord, StoreError,
};
use codexkey_common::api::RefundState;

/// The most refunds of one order read when working out what is owed (an order has a handful).
const MAX_REFUNDS: u32 = 500;

/// Crockford's base32: no `I`, `L`, `O`, `U`.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why an account cannot be linked to a referrer.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error(
        "no account has the referral code `{0}`; check it for typos, or register without `--referral`"
    )]
    UnknownCode(String),
    #[error("an account cannot refer itself")]
    SelfReferral,
    #[error("this account was referred already; it has one referrer ever")]
    AlreadyReferred,
}

impl From<ReferralError> for ApiError {
    fn from(e: ReferralError) -> ApiError {
        match e {
            ReferralError::UnknownCode(_) => ApiError::InvalidRequest(e.to_string()),
            _ => ApiError::Conflict(e.to_string()),
        }
    }
}

/// A code as typed: trimmed, upper case, `O`/`I`/`L` read as digits.
pub fn normalize(code: &str) -> String {
    code.trim()
        .to_ascii_uppercase()
        .chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fn new_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let body: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    Ok(format!("REF-{body}"))
}

/// The account's referral code, made the first time it is asked for.
pub async fn code_of(state: &AppState, account_id: i64) -> Result<String, ApiError> {
    // Three draws of 40 bits each cannot all collide in practice; a fourth is an error.
    for _ in 0..4 {
        match state
            .store
            .referral_code(account_id, &new_code()?, now_ms())
            .await
        {
            Ok(code) => return Ok(code),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal("no free referral code after four draws"))
}

/// Checks a code given at registration, before the account is created.
async fn check_code(state: &AppState, code: &str) -> Result<String, ApiError> {
    let code = normalize(code);
    match state.store.account_by_referral_code(&code).await? {
        Some(_) => Ok(code),
        None => Err(ReferralError::UnknownCode(code).into()),
    }
}

/// Registers an account (see [`crate::accounts::register`]); with a referral code, the code is
/// checked before anything is written and the new account linked to its owner afterwards.
pub async fn register(state: &AppState, req: RegisterRequest) -> Result<Account, ApiError> {
    let code = match req.referral_code.as_deref() {
        Some(code) => Some(check_code(state, code).await?),
        None => None,
    };
    let account = crate::accounts::register(state, req).await?;
    if let Some(code) = code {
        link(state, account.id, &account.email, &code).await?;
    }
    Ok(account)
}

/// Links a new account to the owner of `code` (checked by [`check_code`]).
async fn link(
    state: &AppState,
    referee_id: i64,
    referee_email: &str,
    code: &str,
) -> Result<(), ApiError> {
    let now = now_ms();
    let linked = state
        .store
        .link_referral(
            referee_id,
            code,
            now,
            NewAudit {
                actor_id: Some(referee_id),
                action: "referrals.link",
                target: Some(referee_email.to_owned()),
                detail: json!({ "code": code }),
                created_at: now,
            },
        )
        .await?;
    match linked {
        Ok(_) => Ok(()),
        Err(LinkRefusal::UnknownCode) => Err(ReferralError::UnknownCode(code.to_owned()).into()),
        Err(LinkRefusal::SelfReferral) => Err(ReferralError::SelfReferral.into()),
        Err(LinkRefusal::AlreadyReferred) => Err(ReferralError::AlreadyReferred.into()),
    }
}

/// The commission terms of a payment by `account_id`, when it was referred.
pub async fn terms(state: &AppState, account_id: i64) -> Result<Option<CommissionTerms>, ApiError> {
    let billing = &state.config.billing;
    if billing.referral_rate_bps == 0 || billing.referral_max_topups == 0 {
        return Ok(None);
    }
    Ok(state
        .store
        .referrer_of(account_id)
        .await?
        .map(|(referrer_id, _)| CommissionTerms {
            referrer_id,
            rate_bps: billing.referral_rate_bps,
            max_topups: billing.referral_max_topups,
            max_age: Millis::try_from(billing.referral_max_age.as_millis()).unwrap_or(Millis::MAX),
        }))
}

/// `a***@example.com`: the first character of the local part, the domain.
pub fn pseudonymise(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

pub async fn summary(state: &AppState, caller: &Caller) -> Result<ReferralSummary, ApiError> {
    let code = code_of(state, caller.account.id).await?;
    let referees = state.store.referees(caller.account.id).await?;
    let billing = &state.config.billing;
    let sum = |f: fn(&crate::store::RefereeRecord) -> Micros| {
        Micros(referees.iter().map(|r| f(r).0).sum())
    };
    Ok(ReferralSummary {
        code,
        rate_bps: billing.referral_rate_bps,
        max_topups: billing.referral_max_topups,
        max_age_secs: billing.referral_max_age.as_secs(),
        earned_micros: sum(|r| r.earned),
        taken_back_micros: sum(|r| r.taken_back),
        referees: referees
            .iter()
            .map(|r| Referee {
                email: pseudonymise(&r.email),
                linked_at: to_utc(r.linked_at),
                topups: r.topups,
                earned_micros: r.earned,
                taken_back_micros: r.taken_back,
            })
            .collect(),
    })
}

/// What of `commission` the referrer owes in all once `refunded` of an order of `amount` was
/// refunded: rounded up (the referrer keeps less), never more than the commission.
pub fn owed(commission: Micros, refunded: Micros, amount: Micros) -> Micros {
    if amount.0 <= 0 {
        return Micros::ZERO;
    }
    let num = i128::from(commission.0) * i128::from(refunded.0.clamp(0, amount.0));
    let den = i128::from(amount.0);
    let owed = (num + den - 1) / den;
    Micros(
        i64::try_from(owed)
            .unwrap_or(commission.0)
            .min(commission.0),
    )
}

/// Takes back the commission `order` earned, in proportion to what of it was refunded, once
/// `refund` succeeded (see the module docs). Errors are logged, not raised: the refund itself
/// is done.
pub async fn take_back(state: &AppState, order: &OrderRecord, refund: &RefundRecord) {
    if let Err(e) = try_take_back(state, order, refund).await {
        tracing::warn!(order = order.id, refund = refund.id, error = %e, "cannot take a referral commission back");
    }
}

async fn try_take_back(
    state: &AppState,
    order: &OrderRecord,
    refund: &RefundRecord,
) -> Result<(), ApiError> {
    let Some((referrer_id, commission, taken)) = state.store.order_commission(order.id).await?
    else {
        return Ok(());
    };
    let refunded = Micros(
        state
            .store
            .refunds(
                RefundFilter {
                    order_id: Some(order.id),
                    state: Some(RefundState::Succeeded),
                    ..RefundFilter::default()
                },
                MAX_REFUNDS,
            )
            .await?
            .iter()
            .map(|r| r.amount.0)
            .sum(),
    );
    let due = Micros(owed(commission, refunded, order.amount).0 - taken.0);
    if !due.is_positive() {
        return Ok(());
    }
    state.meter.flush().await;
    let referrer = state
        .store
        .account_by_id(referrer_id)
        .await?
        .ok_or_else(|| ApiError::internal("a referrer's account is gone"))?;
    let (balance, held) = state
        .meter
        .funds_of(referrer_id)
        .unwrap_or((referrer.balance, referrer.held));
    let amount = due.min(Micros((balance.0 - held.0).max(0)));
    let now = now_ms();
    let detail = json!({
        "order": order.id,
        "refund": refund.id,
        "commission_micros": commission.0,
        "refunded_micros": refunded.0,
        "due_micros": due.0,
        "amount_micros": amount.0,
        "shortfall_micros": due.0 - amount.0,
    });
    let audit = NewAudit {
        actor_id: None,
        action: "referrals.take_back",
        target: Some(referrer.email.clone()),
        detail,
        created_at: now,
    };
    if !amount.is_positive() {
        state.store.write_audit(audit).await?;
        return Ok(());
    }
    let outcome = state
        .meter
        .debit(
            NewLedgerEntry {
                account_id: referrer_id,
                kind: LedgerKind::ReferralCommission,
                amount: Micros(-amount.0),
                reason: Some(format!(
                    "commission on order {} taken back: refund {}",
                    order.id, refund.id
                )),
                actor_id: None,
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: false,
            },
            DebitCondition::CommissionTakeBack {
                refund_id: refund.id,
                order_id: order.id,
                due,
            },
            audit,
        )
        .await?;
    if let DebitOutcome::Refused(why) = outcome {
        tracing::info!(
            order = order.id,
            refund = refund.id,
            ?why,
            "no commission taken back"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_owed_rounds_toward_the_referrer_keeping_less() {
        // 10% of 12.345678 is 1.2345678, earned as 1.234567.
        let c = Micros(1_234_567);
        let amount = Micros(12_345_678);
        assert_eq!(owed(c, amount, amount), c);
        assert_eq!(owed(c, Micros::ZERO, amount), Micros::ZERO);
        // A third refunded: 411522.33… owed, taken as 411523.
        assert_eq!(owed(c, Micros(4_115_226), amount), Micros(411_523));
        // Never more than the commission, whatever is claimed refunded.
        assert_eq!(owed(c, Micros(99_000_000), amount), c);
    }

    #[test]
    fn emails_are_pseudonymised_and_codes_read_as_typed() {
        assert_eq!(pseudonymise("alice@example.com"), "a***@example.com");
        assert_eq!(pseudonymise("nobody"), "***");
        assert_eq!(normalize(" ref-abcd0ilo "), "REF-ABCD0110");
    }
}
