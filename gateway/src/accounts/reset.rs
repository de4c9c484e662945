//! Password reset without the old password: a link mailed on request, or handed out by an
//! admin, whose single-use token sets a new password and ends every session.
//!
//! A request is answered the same (202, the same words) whether or not an account has the
//! address, and before anything about the address is looked up: the look-up, the token and the
//! mail happen in a background task, so the answer's timing says nothing either. Requests are
//! throttled per address and per client ([`Limits::PASSWORD_RESET`]), known or not.
//!
//! [`Limits::PASSWORD_RESET`]: crate::accounts::throttle::Limits::PASSWORD_RESET

use codexkey_common::api::{
    AccountStatus, OneTimeLink, PasswordChanged, PasswordResetAccepted,
    PasswordResetConfirmRequest, PasswordResetRequest,
};
use serde_json::json;

use crate::accounts::{Caller, ClientInfo, find, normalize_email, tokens};
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAudit, TokenPurpose};

/// How long a mailed reset link works: long enough to open the mail, short enough that an old
/// mailbox is no way in.
pub const RESET_TTL_MS: i64 = 30 * 60 * 1000;
/// How long a link from an admin works: it is passed on by hand, which takes longer.
pub const ADMIN_LINK_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// The one answer to every accepted request.
pub const ACCEPTED: &str = "if an account has this address, a link to reset its password is on its way; it works once, for 30 minutes";

/// Asks for a reset link by mail.
pub async fn request(
    state: &AppState,
    req: PasswordResetRequest,
    client: &ClientInfo,
) -> Result<PasswordResetAccepted, ApiError> {
    if state.mailer.is_none() {
        return Err(ApiError::Forbidden(
            "this gateway sends no mail; ask its operator for a reset link (`codexkey admin reset-password EMAIL`)",
        ));
    }
    let email = normalize_email(&req.email)?;
    // Dropped unreported: every request counts against the address and the client.
    let _counted = state.reset_throttle.begin(&email, client.ip).map_err(|l| {
        ApiError::TooManyResetRequests {
            retry_after_secs: l.retry_after_secs(),
        }
    })?;
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_link(&state, &email).await {
            // The address is not logged: the log would tell which addresses have accounts.
            tracing::warn!(error = %e, "a password-reset link could not be mailed");
        }
    });
    Ok(PasswordResetAccepted {
        message: ACCEPTED.to_owned(),
    })
}

/// The background half of [`request`]: nothing for an unknown or suspended account.
async fn mail_link(state: &AppState, email: &str) -> Result<(), ApiError> {
    let Some(mailer) = &state.mailer else {
        return Ok(());
    };
    let Some(account) = state.store.account_by_email(email).await? else {
        return Ok(());
    };
    if account.status == AccountStatus::Suspended {
        return Ok(());
    }
    let issued = tokens::issue(
        state,
        &account,
        TokenPurpose::PasswordReset,
        RESET_TTL_MS,
        Some(NewAudit {
            actor_id: Some(account.id),
            action: "account.password_reset_mailed",
            target: Some(account.email.clone()),
            detail: json!({}),
            created_at: now_ms(),
        }),
    )
    .await?;
    let body = format!(
        "Someone, hopefully you, asked to reset the password of the codexkey account {email} at {base}.\n\n\
         Open this link within 30 minutes to choose a new password (it works once):\n\n{link}\n\n\
         or run `codexkey reset-password --link {link}`.\n\n\
         Choosing it ends every session of the account.\n\n\
         If you did not ask for this, ignore this message: your password stays as it is.\n",
        base = state.config.public_url,
        link = issued.link,
    );
    mailer
        .send(email, "Reset your codexkey password", body)
        .await
        .map_err(ApiError::internal)
}

/// Sets a new password with a reset token; every session of the account ends.
pub async fn confirm(
    state: &AppState,
    req: PasswordResetConfirmRequest,
) -> Result<PasswordChanged, ApiError> {
    let token_hash = tokens::hashed(&req.token);
    let now = now_ms();
    let account = state
        .store
        .account_by_token(&token_hash, TokenPurpose::PasswordReset, now)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    state
        .passwords
        .check(&req.new_password, &account.email)
        .await?;
    let hash = state.passwords.hash(req.new_password).await?;
    let done = state
        .store
        .reset_password_by_token(
            &token_hash,
            &hash,
            now_ms(),
            NewAudit {
                actor_id: Some(account.id),
                action: "account.password_reset",
                target: None,
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(PasswordChanged {
        sessions_revoked: done.sessions_ended,
    })
}

/// An admin's one-time reset link for `target`, returned instead of mailed (audited).
pub async fn admin_link(
    state: &AppState,
    admin: &Caller,
    target: &str,
) -> Result<OneTimeLink, ApiError> {
    let account = find(state, target).await?;
    let issued = tokens::issue(
        state,
        &account,
        TokenPurpose::PasswordReset,
        ADMIN_LINK_TTL_MS,
        Some(NewAudit {
            actor_id: Some(admin.account.id),
            action: "account.reset_link_issued",
            target: Some(account.email.clone()),
            detail: json!({}),
            created_at: now_ms(),
        }),
    )
    .await?;
    Ok(OneTimeLink {
        email: account.email,
        link: issued.link,
        token: issued.token,
        expires_at: to_utc(issued.expires_at),
    })
}
