//! Balances and the append-only ledger: what an account holds, how it got there, and the check
//! that every balance equals the sum of its entries. [`adjust`]: admin adjustments (always with
//! a reason, always audited). Money in has a module per way it comes: [`orders`] (top-ups paid
//! through a payment provider: the [`provider`] interface, [`stripe`] its implementation, and
//! the [`sweeper`] that settles orders left pending), [`codes`] (redemption codes) and
//! [`bonus`] (promotional credit an admin gives). Money back: [`refunds`] of unused credit,
//! whose unspent part [`spending`] works out by the documented spending order; [`referrals`]
//! (commissions on referees' paid top-ups, taken back on refunds). Every credit that can be refused goes
//! through [`crate::metering::Meter::credit`] with its condition, so it reaches a balance only
//! once it is committed.

pub mod adjust;
pub mod bonus;
pub mod codes;
pub mod orders;
pub mod provider;
pub mod referrals;
pub mod refunds;
pub mod spending;
pub mod stripe;
pub mod sweeper;

use codexkey_common::Micros;
use codexkey_common::api::{
    AdminUser, Balance, LedgerCheck, LedgerEntry, LedgerMismatch, LedgerPage, UsageAnomalies,
};

use crate::accounts::{self, Caller};
use crate::clock::to_utc;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, LedgerRecord};

const MAX_REASON_LEN: usize = 500;
pub const MAX_PAGE: u32 = 500;

pub fn entry_to_api(e: &LedgerRecord) -> LedgerEntry {
    LedgerEntry {
        id: e.id,
        kind: e.kind,
        amount_micros: e.amount,
        balance_after_micros: e.balance_after,
        reason: e.reason.clone(),
        actor: e.actor_email.clone(),
        request_id: e.request_id.clone(),
        promotional: e.promotional,
        created_at: to_utc(e.created_at),
    }
}

pub fn admin_user(state: &AppState, a: &AccountRecord) -> AdminUser {
    let (balance, held) = state.meter.funds_of(a.id).unwrap_or((a.balance, a.held));
    AdminUser {
        account: accounts::to_api(a),
        balance_micros: balance,
        held_micros: held,
    }
}

pub async fn balance(state: &AppState, caller: &Caller) -> Result<Balance, ApiError> {
    if state.meter.leases_balances() {
        // The balance is the database's: let this replica's queued charges reach it first.
        state.meter.flush().await;
    }
    // Re-read: the caller's record was loaded with the session and may be a moment old.
    let a = state
        .store
        .account_by_id(caller.account.id)
        .await?
        .ok_or(ApiError::Unauthorized("the account no longer exists"))?;
    // The meter's figures are the live ones (charges may still be queued for the database).
    let (balance, held) = state.meter.funds_of(a.id).unwrap_or((a.balance, a.held));
    Ok(Balance {
        balance_micros: balance,
        held_micros: held,
        available_micros: Micros(balance.0 - held.0),
        currency: a.currency,
    })
}

/// A page of an account's ledger, with the rate of its display currency (`currency`).
pub async fn ledger(
    state: &AppState,
    account_id: i64,
    currency: &str,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<LedgerPage, ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::InvalidRequest(format!(
            "`limit` must be between 1 and {MAX_PAGE}"
        )));
    }
    let rows = state.store.ledger(account_id, before, limit).await?;
    let next_before = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(LedgerPage {
        entries: rows.iter().map(entry_to_api).collect(),
        next_before,
        currency_rate: state
            .config
            .currencies
            .get(currency)
            .map(|c| c.rate_of(currency)),
    })
}

pub async fn verify(state: &AppState) -> Result<LedgerCheck, ApiError> {
    // Check what is durable, with nothing of the data plane still queued.
    state.meter.flush().await;
    Ok(ledger_check(state.store.verify_ledger().await?))
}

/// The ledger check as the API and the CLI show it (also after `admin migrate`, on the target).
pub fn ledger_check(r: crate::store::LedgerCheckRecord) -> LedgerCheck {
    LedgerCheck {
        ok: r.mismatches.is_empty(),
        accounts_checked: r.accounts,
        entries_checked: r.entries,
        mismatches: r
            .mismatches
            .into_iter()
            .map(|(account_id, email, balance, sum)| LedgerMismatch {
                account_id,
                email,
                balance_micros: balance,
                ledger_sum_micros: sum,
            })
            .collect(),
        anomalies: UsageAnomalies {
            usage_invalid: r.usage_invalid,
            capped_at_hold: r.capped_at_hold,
            capped_excess_micros: r.capped_excess,
        },
    }
}

/// A reason an admin must give for a balance change, trimmed, or why it will not do.
pub(crate) fn required_reason(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::InvalidRequest(
            "`reason` is required: say why the balance changes".into(),
        ));
    }
    if reason.chars().count() > MAX_REASON_LEN {
        return Err(ApiError::InvalidRequest(format!(
            "`reason` is longer than {MAX_REASON_LEN} characters"
        )));
    }
    Ok(reason)
}
