//! E-mail verification: a link mailed at registration (when the gateway sends mail) whose
//! single-use token proves the address. A used reset link proves it too (see `reset`).
//!
//! The owner of an unverified account may ask for the link again ([`resend`]): the new link
//! supersedes every earlier one (only the newest works, as with reset links), so a mailbox
//! holds at most one working link. Asking is throttled per account and per client address
//! like reset requests, and refused (409) once the address is verified.

use codexkey_common::api::{VerificationMailSent, VerifyEmailRequest};
use serde_json::json;

use crate::accounts::tokens;
use crate::clock::{now_ms, to_utc};
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
        if let Err(e) = mail_link(&state, &account, None).await {
            tracing::warn!(account = account.id, error = %e, "a verification link could not be mailed");
        }
    });
}

/// Mails the account a new verification link, superseding the earlier ones; answers once the
/// mail server took the message. `account_id` is the caller's own, `client_ip` where the
/// request came from (both throttled).
pub async fn resend(
    state: &AppState,
    account_id: i64,
    client_ip: Option<std::net::IpAddr>,
) -> Result<VerificationMailSent, ApiError> {
    if state.mailer.is_none() {
        return Err(ApiError::Forbidden(
            "this gateway sends no mail, so it cannot verify addresses; ask its operator",
        ));
    }
    // Read again: the session's copy may predate a link used in another tab.
    let account = state
        .store
        .account_by_id(account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such account".into()))?;
    if account.email_verified {
        return Err(ApiError::Conflict(format!(
            "{} is verified already; there is nothing to resend",
            account.email
        )));
    }
    // Dropped unreported: every request counts, so the mailbox cannot be flooded.
    let _counted = state
        .verify_throttle
        .begin(&account.id.to_string(), client_ip)
        .map_err(|l| ApiError::TooManyVerificationMails {
            retry_after_secs: l.retry_after_secs(),
        })?;
    let expires_at = mail_link(
        state,
        &account,
        Some(NewAudit {
            actor_id: Some(account.id),
            action: "account.verification_resent",
            target: Some(account.email.clone()),
            detail: json!({}),
            created_at: now_ms(),
        }),
    )
    .await?;
    Ok(VerificationMailSent {
        email: account.email,
        expires_at: to_utc(expires_at),
    })
}

/// Issues a verification token (superseding the account's earlier ones) and mails its link;
/// when the link stops working. An `audit` marks a link asked for again (no welcome then).
async fn mail_link(
    state: &AppState,
    account: &AccountRecord,
    audit: Option<NewAudit>,
) -> Result<i64, ApiError> {
    let Some(mailer) = &state.mailer else {
        return Err(ApiError::internal("no mailer"));
    };
    let base = &state.config.public_url;
    let intro = if audit.is_some() {
        format!(
            "Here is a new link for your codexkey account at {base}; the links sent before no longer work."
        )
    } else {
        format!("Welcome to codexkey at {base}.")
    };
    let issued = tokens::issue(
        state,
        account,
        TokenPurpose::VerifyEmail,
        VERIFY_TTL_MS,
        audit,
    )
    .await?;
    let body = format!(
        "{intro}\n\n\
         Open this link within 48 hours to confirm that {email} is your address (it works once):\n\n{link}\n\n\
         or run `codexkey verify-email {link}`.\n\n\
         If you did not create this account, ignore this message.\n",
        email = account.email,
        link = issued.link,
    );
    mailer
        .send(&account.email, "Confirm your codexkey address", body)
        .await
        .map_err(ApiError::internal)?;
    Ok(issued.expires_at)
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
