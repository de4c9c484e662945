//! Admin adjustments: an admin moves a balance either way, always with a reason, always
//! audited; debits never below zero nor into what requests in flight hold.

use codexkey_common::Micros;
use codexkey_common::api::{AdjustBalanceResponse, LedgerKind};
use serde_json::json;

use crate::accounts::{self, Caller};
use crate::billing::{admin_user, entry_to_api, required_reason};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAudit, NewLedgerEntry};

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
