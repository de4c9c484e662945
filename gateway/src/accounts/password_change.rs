//! Changing a password, and confirming the current one before a sensitive change.
//!
//! The current password is required even with a valid session (a session left open on a shared
//! machine must not be enough to take the account over), and checking it is throttled like a
//! login. The new password meets the same policy as at registration. The change ends every
//! other session of the account in the same transaction: whoever knew the old password and
//! logged in with it is out.

use codexkey_common::api::{ChangePasswordRequest, PasswordChanged};
use serde_json::json;

use crate::accounts::{Caller, ClientInfo};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewAudit};

/// Checks `account`'s current password, throttled with the logins of its email.
pub async fn confirm_password(
    state: &AppState,
    account: &AccountRecord,
    given: String,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let attempt = state
        .login_throttle
        .begin(&account.email, client.ip)
        .map_err(|l| ApiError::TooManyAttempts {
            retry_after_secs: l.retry_after_secs(),
        })?;
    let ok = state
        .passwords
        .verify(given, Some(account.password_hash.clone()))
        .await?;
    if !ok {
        return Err(ApiError::WrongPassword);
    }
    state.login_throttle.succeeded(attempt);
    Ok(())
}

pub async fn change(
    state: &AppState,
    caller: &Caller,
    req: ChangePasswordRequest,
    client: &ClientInfo,
) -> Result<PasswordChanged, ApiError> {
    let account = &caller.account;
    // The policy first: a weak new password is refused without spending a guess.
    state
        .passwords
        .check(&req.new_password, &account.email)
        .await?;
    if req.new_password == req.current_password {
        return Err(ApiError::InvalidRequest(
            "the new password is the current one; choose another".into(),
        ));
    }
    confirm_password(state, account, req.current_password, client).await?;
    let hash = state.passwords.hash(req.new_password).await?;
    let sessions_revoked = state
        .store
        .change_password(
            account.id,
            &hash,
            Some(caller.session_id),
            NewAudit {
                actor_id: Some(account.id),
                action: "account.password_change",
                target: Some(account.email.clone()),
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?;
    Ok(PasswordChanged { sessions_revoked })
}
