//! Admin adjustments: an admin moves a balance either way, always with a reason, always
//! audited; debits never below zero nor into what requests in flight hold.

use codexkey_common::Micros;
use codexkey_common::api::{AdjustBalanceResponse, LedgerKind};
use serde_json::json;

use crate::accounts::{self, Caller};
use crate::billing::{admin_user, entry_to_api};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAudit, NewLedgerEntry};

const MAX_REASON_LEN: usize = 500;

/// An admin moves an account's balance by `amount`, with a mandatory reason; writes a ledger
/// entry and an audit-log row in one transaction. Refuses to take a balance below zero.
pub async fn adjust(
    state: &AppState,
    admin: &Caller,
    target: &str,
    amount: Micros,
    reason: &str,
) -> Result<AdjustBalanceResponse, ApiError> {
    let reason = required_reason(reason)?;
    if amount.0 == 0 {
        return Err(ApiError::InvalidRequest(
            "`amount_micros` must not be zero".into(),
        ));
    }
    let account = accounts::find(state, target).await?;
    let now = now_ms();
    let entry = state
        .meter
        .append(
            NewLedgerEntry {
                account_id: account.id,
                kind: LedgerKind::Adjustment,
                amount,
                reason: Some(reason.to_owned()),
                actor_id: Some(admin.account.id),
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: false,
            },
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "balance.adjust",
                target: Some(account.email.clone()),
                detail: json!({ "amount_micros": amount.0, "reason": reason }),
                created_at: now,
            },
        )
        .await?;
    let account = accounts::find(state, &account.id.to_string()).await?;
    Ok(AdjustBalanceResponse {
        entry: entry_to_api(&entry),
        account: admin_user(state, &account),
    })
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
