//! Redemption codes: admins create batches (each code shown once, only its hash kept), list
//! them, disable codes; users redeem a code for its batch's amount, once ever.
//!
//! A redemption is one [`crate::metering::Meter::credit`] with
//! [`CreditCondition::CodeRedeemable`]: the compare-and-swap on the code, the ledger entry and
//! the audit row are one transaction, so of any number of concurrent attempts exactly one
//! credits. What the redeemer is told: a code that does not exist (or cannot be one) is 404
//! `not_found`, the same as a typo, and counts against the redemption throttle per account and
//! client address; a real code that was redeemed, disabled or has expired is 409 `conflict`
//! saying which, since whoever holds it needs to know, and does not count as a guess.

use std::net::IpAddr;

use codexkey_common::Micros;
use codexkey_common::api::{
    CodeBatch, CodeBatchDetail, CodeInfo, CodeState, CreateCodesRequest, CreateCodesResponse,
    DisableCodesResponse, LedgerKind, RedeemResponse,
};
use codexkey_common::code::{generate_code, hash_code, normalize_code};
use serde_json::json;

use crate::accounts::Caller;
use crate::billing::{balance, entry_to_api};
use crate::clock::{Millis, now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    CodeBatchRecord, CodeRecord, CodeTarget, CreditCondition, CreditOutcome, CreditRefusal,
    NewAudit, NewCodeBatch, NewLedgerEntry,
};

/// The most codes one batch may have: enough for a campaign, small enough to create in one
/// transaction and show in one response.
pub const MAX_BATCH: u32 = 10_000;
const MAX_NOTE_LEN: usize = 500;

const NO_SUCH_CODE: &str = "no such code: check it for typos";

fn batch_to_api(b: &CodeBatchRecord) -> CodeBatch {
    CodeBatch {
        id: b.id,
        amount_micros: b.amount,
        count: b.count,
        promotional: b.promotional,
        note: b.note.clone(),
        expires_at: b.expires_at.map(to_utc),
        created_by: b.created_by_email.clone(),
        created_at: to_utc(b.created_at),
        unused: b.unused,
        redeemed: b.redeemed,
        disabled: b.disabled,
        expired: b.expired,
    }
}

/// A code's state at `at`: redeemed or disabled for good, else expired once its batch is.
fn state_of(c: &CodeRecord, at: Millis) -> CodeState {
    if c.redeemed_at.is_some() {
        CodeState::Redeemed
    } else if c.disabled_at.is_some() {
        CodeState::Disabled
    } else if c.expires_at.is_some_and(|e| e <= at) {
        CodeState::Expired
    } else {
        CodeState::Unused
    }
}

pub async fn create(
    state: &AppState,
    admin: &Caller,
    req: CreateCodesRequest,
) -> Result<CreateCodesResponse, ApiError> {
    if !req.amount_micros.is_positive() || req.amount_micros > Micros::MAX {
        return Err(ApiError::InvalidRequest(format!(
            "`amount_micros` must be positive and at most {}",
            Micros::MAX.0
        )));
    }
    if !(1..=MAX_BATCH).contains(&req.count) {
        return Err(ApiError::InvalidRequest(format!(
            "`count` must be between 1 and {MAX_BATCH}"
        )));
    }
    let now = now_ms();
    let expires_at = req.expires_at.map(|t| t.timestamp_millis());
    if expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::InvalidRequest(
            "`expires_at` is in the past: codes would never redeem".into(),
        ));
    }
    let note = req
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_LEN)
    {
        return Err(ApiError::InvalidRequest(format!(
            "`note` is longer than {MAX_NOTE_LEN} characters"
        )));
    }
    let mut codes = Vec::with_capacity(req.count as usize);
    let mut hashes = Vec::with_capacity(req.count as usize);
    for _ in 0..req.count {
        let c = generate_code().map_err(ApiError::internal)?;
        codes.push(c.code);
        hashes.push(c.hash);
    }
    let batch = state
        .store
        .create_code_batch(
            NewCodeBatch {
                amount: req.amount_micros,
                promotional: req.promotional,
                note: note.clone(),
                expires_at,
                created_by: Some(admin.account.id),
                created_at: now,
                hashes,
            },
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "codes.create",
                target: None,
                detail: json!({
                    "amount_micros": req.amount_micros.0,
                    "count": req.count,
                    "promotional": req.promotional,
                    "expires_at": expires_at,
                    "note": note,
                }),
                created_at: now,
            },
        )
        .await?;
    Ok(CreateCodesResponse {
        batch: batch_to_api(&batch),
        codes,
    })
}

/// Every batch, newest first; with `with_unused`, only those that still have a code to redeem.
pub async fn batches(state: &AppState, with_unused: bool) -> Result<Vec<CodeBatch>, ApiError> {
    let rows = state.store.code_batches(now_ms()).await?;
    Ok(rows
        .iter()
        .filter(|b| !with_unused || b.unused > 0)
        .map(batch_to_api)
        .collect())
}

pub async fn batch(state: &AppState, id: i64) -> Result<CodeBatchDetail, ApiError> {
    let now = now_ms();
    let (batch, codes) = state
        .store
        .code_batch(id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no code batch {id}")))?;
    Ok(CodeBatchDetail {
        batch: batch_to_api(&batch),
        codes: codes
            .iter()
            .map(|c| CodeInfo {
                id: c.id,
                state: state_of(c, now),
                redeemed_by: c.redeemed_by_email.clone(),
                redeemed_at: c.redeemed_at.map(to_utc),
                disabled_at: c.disabled_at.map(to_utc),
            })
            .collect(),
    })
}

/// Disables every code of batch `id` that is neither redeemed nor disabled yet.
pub async fn disable_batch(
    state: &AppState,
    admin: &Caller,
    id: i64,
) -> Result<DisableCodesResponse, ApiError> {
    let now = now_ms();
    let disabled = state
        .store
        .disable_codes(
            CodeTarget::Batch(id),
            now,
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "codes.disable",
                target: Some(format!("batch {id}")),
                detail: json!({ "batch": id }),
                created_at: now,
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no code batch {id}")))?;
    Ok(DisableCodesResponse { disabled })
}

/// Disables one code, named by its text (which the admin had at creation).
pub async fn disable_code(
    state: &AppState,
    admin: &Caller,
    code: &str,
) -> Result<DisableCodesResponse, ApiError> {
    let hash = normalize_code(code)
        .map(|c| hash_code(&c))
        .ok_or_else(|| ApiError::NotFound(NO_SUCH_CODE.into()))?;
    let Some(found) = state.store.code_by_hash(&hash).await? else {
        return Err(ApiError::NotFound(NO_SUCH_CODE.into()));
    };
    let now = now_ms();
    let disabled = state
        .store
        .disable_codes(
            CodeTarget::Code(hash),
            now,
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "codes.disable",
                target: Some(format!("batch {} code {}", found.batch_id, found.id)),
                detail: json!({ "batch": found.batch_id, "code": found.id }),
                created_at: now,
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(NO_SUCH_CODE.into()))?;
    if disabled == 0 {
        return Err(ApiError::Conflict(match state_of(&found, now) {
            CodeState::Redeemed => "this code was already redeemed; it cannot be disabled".into(),
            _ => "this code is already disabled".into(),
        }));
    }
    Ok(DisableCodesResponse { disabled })
}

/// Redeems `code` for `caller`: credits its batch's amount once, or says why not.
pub async fn redeem(
    state: &AppState,
    caller: &Caller,
    code: &str,
    client: Option<IpAddr>,
) -> Result<RedeemResponse, ApiError> {
    let attempt = state
        .redeem_throttle
        .begin(&format!("account:{}", caller.account.id), client)
        .map_err(|l| ApiError::TooManyRedemptions {
            retry_after_secs: l.retry_after.as_secs_f64().ceil().max(1.0) as u64,
        })?;
    // From here an unknown code returns early with the attempt dropped: a counted guess.
    let Some(canonical) = normalize_code(code) else {
        return Err(ApiError::NotFound(NO_SUCH_CODE.into()));
    };
    let Some(found) = state.store.code_by_hash(&hash_code(&canonical)).await? else {
        return Err(ApiError::NotFound(NO_SUCH_CODE.into()));
    };
    // A real code: whatever happens next, this was no guess.
    state.redeem_throttle.succeeded(attempt);
    let now = now_ms();
    let account = &caller.account;
    let outcome = state
        .meter
        .credit(
            NewLedgerEntry {
                account_id: account.id,
                kind: LedgerKind::Code,
                amount: found.amount,
                reason: Some(format!("redemption code of batch {}", found.batch_id)),
                actor_id: Some(account.id),
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: found.promotional,
            },
            CreditCondition::CodeRedeemable { code_id: found.id },
            NewAudit {
                actor_id: Some(account.id),
                action: "codes.redeem",
                target: Some(account.email.clone()),
                detail: json!({
                    "batch": found.batch_id,
                    "code": found.id,
                    "amount_micros": found.amount.0,
                    "promotional": found.promotional,
                }),
                created_at: now,
            },
        )
        .await?;
    let entry = match outcome {
        CreditOutcome::Credited(entry) => entry,
        CreditOutcome::Refused(why) => return Err(refusal(why, &found)),
    };
    Ok(RedeemResponse {
        entry: entry_to_api(&entry),
        balance: balance(state, caller).await?,
    })
}

fn refusal(why: CreditRefusal, code: &CodeRecord) -> ApiError {
    match why {
        CreditRefusal::CodeUnknown => ApiError::NotFound(NO_SUCH_CODE.into()),
        CreditRefusal::CodeRedeemed => {
            ApiError::Conflict("this code has already been redeemed".into())
        }
        CreditRefusal::CodeDisabled => {
            ApiError::Conflict("this code has been disabled; ask the gateway's operator".into())
        }
        CreditRefusal::CodeExpired => ApiError::Conflict(match code.expires_at {
            Some(at) => format!(
                "this code expired at {}",
                to_utc(at).format("%Y-%m-%d %H:%M UTC")
            ),
            None => "this code has expired".into(),
        }),
        // A redemption's condition is `CodeRedeemable`, which refuses only for the reasons
        // above.
        CreditRefusal::OrderUnknown
        | CreditRefusal::OrderNotPending(_)
        | CreditRefusal::OrderMismatch
        | CreditRefusal::EventSeen
        | CreditRefusal::RefundNotApproved => {
            ApiError::internal(format!("a code's redemption was refused with {why:?}"))
        }
    }
}
