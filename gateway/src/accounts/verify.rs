//! E-mail verification: a link mailed at registration (when the gateway sends mail) whose
//! single-use token proves the address. A used reset link proves it too (see `reset`).

use codexkey_common::api::VerifyEmailRequest;
use serde_json::json;

use crate::accounts::tokens;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewAudit, TokenPurpose};

/// How long a verification link works.
pub const VERIFY_TTL_MS: i64 = 48 * 60 * 60 * 1000;

/// Mails `account` a verification link in the background, when the gateway sends mail.
pub fn send_link(state: &AppState, account: &AccountRecord) {
    if state.mailer.is_none() || account.email_verified {
        return;
    }
    let state = state.clone();
    let account = account.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_link(&state, &account).await {
            tracing::warn!(account = account.id, error = %e, "a verification link could not be mailed");
        }
    });
}

async fn mail_link(state: &AppState, account: &AccountRecord) -> Result<(), ApiError> {
    let Some(mailer) = &state.mailer else {
        return Ok(());
    };
    let issued = tokens::issue(
        state,
        account,
        TokenPurpose::VerifyEmail,
        VERIFY_TTL_MS,
        None,
    )
    .await?;
    let body = format!(
        "Welcome to codexkey at {base}.\n\n\
         Open this link within 48 hours to confirm that {email} is your address (it works once):\n\n{link}\n\n\
         or run `codexkey verify-email {link}`.\n\n\
         If you did not create this account, ignore this message.\n",
        base = state.config.public_url,
        email = account.email,
        link = issued.link,
    );
    mailer
        .send(&account.email, "Confirm your codexkey address", body)
        .await
        .map_err(ApiError::internal)
}

/// Proves the address of the token's account.
pub async fn verify(state: &AppState, req: VerifyEmailRequest) -> Result<(), ApiError> {
    let now = now_ms();
    state
        .store
        .verify_email_by_token(
            &tokens::hashed(&req.token),
            now,
            NewAudit {
                actor_id: None,
                action: "account.email_verified",
                target: None,
                detail: json!({}),
                created_at: now,
            },
        )
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(())
}
