//! The single-use tokens of mailed links (password reset, e-mail verification): made here,
//! stored hashed, and put into links under `public_url`. What each token does is its service's
//! business ([`reset`], [`verify`]).
//!
//! [`reset`]: crate::accounts::reset
//! [`verify`]: crate::accounts::verify

use codexkey_common::key::{hash_secret, random_base62};

use crate::clock::{Millis, now_ms};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewAccountToken, NewAudit, TokenPurpose};

/// Random base62 characters of a token (~190 bits): unguessable, so spending one needs no
/// throttle.
const TOKEN_CHARS: usize = 32;

/// A token just recorded, in clear for the one message or answer that carries it.
pub struct Issued {
    pub token: String,
    pub link: String,
    pub expires_at: Millis,
}

fn prefix(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::PasswordReset => "ck_reset_",
        TokenPurpose::VerifyEmail => "ck_verify_",
    }
}

fn path(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::PasswordReset => "reset-password",
        TokenPurpose::VerifyEmail => "verify-email",
    }
}

/// Makes a token of `purpose` for `account`, good for `ttl_ms`, and records its hash (with
/// `audit`), superseding the account's earlier unused tokens of that purpose.
pub async fn issue(
    state: &AppState,
    account: &AccountRecord,
    purpose: TokenPurpose,
    ttl_ms: Millis,
    audit: Option<NewAudit>,
) -> Result<Issued, ApiError> {
    let token = format!(
        "{}{}",
        prefix(purpose),
        random_base62(TOKEN_CHARS).map_err(ApiError::internal)?
    );
    let now = now_ms();
    let expires_at = now + ttl_ms;
    state
        .store
        .create_account_token(
            NewAccountToken {
                account_id: account.id,
                purpose,
                token_hash: hash_secret(&token),
                created_at: now,
                expires_at,
            },
            audit,
        )
        .await?;
    let link = format!(
        "{}/{}?token={token}",
        state.config.public_url,
        path(purpose)
    );
    Ok(Issued {
        token,
        link,
        expires_at,
    })
}

/// The stored form of a token as a client sent it.
pub fn hashed(token: &str) -> String {
    hash_secret(token.trim())
}

/// Checks, without spending it, that `token` is an unused, unexpired token of `purpose`: what
/// the page a link opens shows before its form is sent (opening a link never spends it; mail
/// scanners open links too).
pub async fn check(state: &AppState, token: &str, purpose: TokenPurpose) -> Result<(), ApiError> {
    state
        .store
        .account_by_token(&hashed(token), purpose, now_ms())
        .await?
        .map(|_| ())
        .ok_or(ApiError::InvalidToken)
}
