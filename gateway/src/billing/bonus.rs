//! Bonuses: promotional credit an admin gives an account, with a reason, audited. Promotional
//! credit is spent first and never refunded.

use codexkey_common::Micros;
use codexkey_common::api::{BonusResponse, LedgerKind};
use serde_json::json;

use crate::accounts::{self, Caller};
use crate::billing::{admin_user, entry_to_api, required_reason};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CreditCondition, CreditOutcome, NewAudit, NewLedgerEntry};

pub async fn give(
    state: &AppState,
    admin: &Caller,
    target: &str,
    amount: Micros,
    reason: &str,
) -> Result<BonusResponse, ApiError> {
    let reason = required_reason(reason)?;
    if !amount.is_positive() {
        return Err(ApiError::InvalidRequest(
            "`amount_micros` must be positive: a bonus only credits (take credit back with `admin adjust`)".into(),
        ));
    }
    let account = accounts::find(state, target).await?;
    let now = now_ms();
    let outcome = state
        .meter
        .credit(
            NewLedgerEntry {
                account_id: account.id,
                kind: LedgerKind::Bonus,
                amount,
                reason: Some(reason.to_owned()),
                actor_id: Some(admin.account.id),
                request_id: None,
                created_at: now,
                forbid_negative: true,
                promotional: true,
            },
            CreditCondition::Unconditional,
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "balance.bonus",
                target: Some(account.email.clone()),
                detail: json!({ "amount_micros": amount.0, "reason": reason }),
                created_at: now,
            },
        )
        .await?;
    let CreditOutcome::Credited(entry) = outcome else {
        return Err(ApiError::internal("an unconditional bonus was refused"));
    };
    let account = accounts::find(state, &account.id.to_string()).await?;
    Ok(BonusResponse {
        entry: entry_to_api(&entry),
        account: admin_user(state, &account),
    })
}
