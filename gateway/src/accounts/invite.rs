//! Accounts made by admins, and invitations to register: who may register follows
//! `auth.registration` (`open`, `invite`, `closed`).
//!
//! An admin-created account has no password anyone knows (a random one, hashed, never shown):
//! its owner sets one through a one-time link, a password-reset token good for
//! [`SET_PASSWORD_TTL_MS`]. An invitation is a single-use token for one address, good for
//! [`INVITATION_TTL_MS`]. Both are mailed when the gateway sends mail, and otherwise (or when
//! the mail fails) returned to the admin to hand on. Both are audited.

use codexkey_common::api::{
    CreateUserRequest, CreatedUser, InvitationIssued, InviteRequest, OneTimeLink, Role,
};
use codexkey_common::key::{hash_secret, random_base62};
use serde_json::json;

use crate::accounts::{Caller, check_registrable, normalize_email, to_api, tokens};
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAccount, NewAudit, NewInvitation, TokenPurpose};

/// How long the link of an admin-created account works.
pub const SET_PASSWORD_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long an invitation works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Random base62 characters of an invitation (~190 bits).
const INVITATION_CHARS: usize = 32;

/// Creates an account for `req.email` without a usable password and gets its owner a link to
/// set one.
pub async fn create_user(
    state: &AppState,
    admin: &Caller,
    req: CreateUserRequest,
) -> Result<CreatedUser, ApiError> {
    let email = normalize_email(&req.email)?;
    check_registrable(&email)?;
    let role = req.role.unwrap_or(Role::User);
    if state.store.account_by_email(&email).await?.is_some() {
        return Err(ApiError::Conflict(
            "an account with this email already exists".into(),
        ));
    }
    // A random password nobody sees: logging in needs the link, and a login attempt costs the
    // same argon2 run as for any account.
    let unknown = random_base62(32).map_err(ApiError::internal)?;
    let password_hash = state.passwords.hash(unknown).await?;
    let now = now_ms();
    let account = state
        .store
        .create_account(
            NewAccount {
                email: email.clone(),
                password_hash,
                role,
                language: "en".into(),
                currency: "USD".into(),
                created_at: now,
            },
            Some(NewAudit {
                actor_id: Some(admin.account.id),
                action: "account.create",
                target: Some(email.clone()),
                detail: json!({ "role": role }),
                created_at: now,
            }),
        )
        .await?;
    let issued = tokens::issue(
        state,
        &account,
        TokenPurpose::PasswordReset,
        SET_PASSWORD_TTL_MS,
        None,
    )
    .await?;
    let body = format!(
        "An account of codexkey at {base} was created for {email}.\n\n\
         Open this link within 7 days to choose its password (it works once):\n\n{link}\n",
        base = state.config.public_url,
        link = issued.link,
    );
    let mailed = mail(state, &email, "Your codexkey account", body).await;
    Ok(CreatedUser {
        account: to_api(&account),
        mailed,
        link: (!mailed).then(|| OneTimeLink {
            email,
            link: issued.link,
            token: issued.token,
            expires_at: to_utc(issued.expires_at),
        }),
    })
}

/// Invites `req.email` to register.
pub async fn invite(
    state: &AppState,
    admin: &Caller,
    req: InviteRequest,
) -> Result<InvitationIssued, ApiError> {
    let email = normalize_email(&req.email)?;
    check_registrable(&email)?;
    if state.store.account_by_email(&email).await?.is_some() {
        return Err(ApiError::Conflict(
            "an account with this email already exists".into(),
        ));
    }
    let token = format!(
        "ck_invite_{}",
        random_base62(INVITATION_CHARS).map_err(ApiError::internal)?
    );
    let now = now_ms();
    let expires_at = now + INVITATION_TTL_MS;
    state
        .store
        .create_invitation(
            NewInvitation {
                email: email.clone(),
                token_hash: hash_secret(&token),
                invited_by: Some(admin.account.id),
                created_at: now,
                expires_at,
            },
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "account.invite",
                target: Some(email.clone()),
                detail: json!({}),
                created_at: now,
            },
        )
        .await?;
    let link = format!("{}/register?invitation={token}", state.config.public_url);
    let body = format!(
        "You are invited to codexkey at {base}.\n\n\
         Register with this address ({email}) within 7 days through this link (it works once):\n\n{link}\n\n\
         or with `codexkey register --email {email} --invitation {token}`.\n",
        base = state.config.public_url,
    );
    let mailed = mail(state, &email, "Your invitation to codexkey", body).await;
    Ok(InvitationIssued {
        email: email.clone(),
        mailed,
        expires_at: to_utc(expires_at),
        link: (!mailed).then(|| OneTimeLink {
            email,
            link,
            token,
            expires_at: to_utc(expires_at),
        }),
    })
}

/// Sends a message when the gateway has mail; false when it has none or the delivery failed
/// (logged, without the message), so the caller hands the link on instead.
async fn mail(state: &AppState, to: &str, subject: &str, body: String) -> bool {
    let Some(mailer) = &state.mailer else {
        return false;
    };
    match mailer.send(to, subject, body).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "a link could not be mailed; it is returned to the admin instead");
            false
        }
    }
}
