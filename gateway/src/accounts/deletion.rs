//! Deleting an account: by its owner (with the password, and a second factor when two-factor
//! login is on) or by an admin (with a reason). The person goes at once: keys revoked, sessions
//! ended, the email replaced by the pseudonym `deleted-<id>@invalid` wherever it is kept, client
//! addresses and user agents erased. The billing records stay, pseudonymised: the ledger, the
//! orders and the usage sums, so the ledger check still passes. What happens to a remaining
//! balance is `retention.deleted_balance` (`forfeit`, the default, or `keep`). The old email is
//! free to register again; the pseudonym can never log in (its password is unusable) nor
//! register (`.invalid` is no deliverable domain, and the address is taken).

use codexkey_common::api::{AccountDeleted, AdminDeleteRequest, DeleteAccountRequest};
use serde_json::json;

use crate::accounts::password_change::confirm_password;
use crate::accounts::{Caller, ClientInfo, find, totp};
use crate::clock::now_ms;
use crate::config::DeletedBalance;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, BalanceRule, NewAudit};

/// The longest reason kept.
const MAX_REASON_LEN: usize = 500;

/// The pseudonym of a deleted account.
pub fn pseudonym(id: i64) -> String {
    format!("deleted-{id}@invalid")
}

/// The caller deletes their own account.
pub async fn delete_own(
    state: &AppState,
    caller: &Caller,
    req: DeleteAccountRequest,
    client: &ClientInfo,
) -> Result<AccountDeleted, ApiError> {
    let account = &caller.account;
    let proof = if account.two_factor {
        Some(totp::Proof::from_fields(req.code, req.recovery_code)?)
    } else {
        None
    };
    confirm_password(state, account, req.password, client).await?;
    if let Some(proof) = proof {
        let attempt = state
            .second_step_throttle
            .begin(&totp::throttle_key(account.id), client.ip)
            .map_err(|l| ApiError::TooManyAttempts {
                retry_after_secs: l.retry_after_secs(),
            })?;
        totp::verify(state, account, &proof).await?;
        state.second_step_throttle.succeeded(attempt);
    }
    delete(state, account, account.id, "account.delete", json!({})).await
}

/// An admin deletes `target`'s account, with a reason.
pub async fn delete_by_admin(
    state: &AppState,
    admin: &Caller,
    target: &str,
    req: AdminDeleteRequest,
) -> Result<AccountDeleted, ApiError> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.len() > MAX_REASON_LEN {
        return Err(ApiError::InvalidRequest(format!(
            "give a reason of 1 to {MAX_REASON_LEN} characters"
        )));
    }
    let account = find(state, target).await?;
    if account.id == admin.account.id {
        return Err(ApiError::Conflict(
            "an admin deletes their own account with `codexkey account delete`".into(),
        ));
    }
    delete(
        state,
        &account,
        admin.account.id,
        "account.delete_by_admin",
        json!({ "reason": reason }),
    )
    .await
}

async fn delete(
    state: &AppState,
    account: &AccountRecord,
    actor: i64,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<AccountDeleted, ApiError> {
    let rule = match state.config.retention.deleted_balance {
        DeletedBalance::Forfeit => BalanceRule::Forfeit,
        DeletedBalance::Keep => BalanceRule::Keep,
    };
    // Whatever the metering writer still holds for this account is written first.
    state.meter.flush().await;
    let name = pseudonym(account.id);
    let done = state
        .store
        .delete_account(
            account.id,
            &name,
            rule,
            NewAudit {
                actor_id: Some(actor),
                action,
                target: None,
                detail,
                created_at: now_ms(),
            },
        )
        .await?;
    // Its keys are refused from the next request on.
    state.keys.invalidate_account(account.id);
    Ok(AccountDeleted {
        pseudonym: name,
        keys_revoked: done.keys_revoked,
        sessions_ended: done.sessions_ended,
        forfeited_micros: done.forfeited,
    })
}
