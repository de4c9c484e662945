//! Login sessions: starting one, resolving a token to its caller, recording its use, and its
//! owner listing and revoking them.
//!
//! A session's token is shown once and stored as its SHA-256. Each session records the client
//! address and user agent of the login that created it, so its owner can tell their sessions
//! apart, and when it was last used: at most once a minute ([`TOUCH_EVERY_MS`]) and off the
//! request's path, so a busy session costs no write per request.

use codexkey_common::api::{AccountStatus, LoginResponse, Role, SessionInfo, SessionsRevoked};
use codexkey_common::key::{generate_session_token, hash_secret};

use crate::accounts::{ClientInfo, to_api};
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewSession, SessionRecord};

/// The last-used time is recorded when the one on record is at least this old.
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;
/// User agents are kept to this many characters: enough to tell clients apart.
const USER_AGENT_MAX: usize = 200;

/// The account behind a valid session token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountRecord,
    pub token_hash: String,
    pub session_id: i64,
    /// An admin without two-factor login on a gateway that requires it: this session may only
    /// enrol (see `http::extract`, where the routes that allow it take `AnyCaller`).
    pub must_enrol: bool,
}

/// Ends the caller's own session.
pub async fn logout(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    state
        .store
        .end_session(&caller.token_hash, now_ms())
        .await?;
    Ok(())
}

/// Resolves a session token to its account, or says precisely why it cannot.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let token_hash = hash_secret(token);
    let session = state
        .store
        .session(&token_hash)
        .await?
        .ok_or(ApiError::Unauthorized(
            "invalid session token; log in with `codexkey login`",
        ))?;
    if session.ended_at.is_some() {
        return Err(ApiError::SessionRevoked);
    }
    if session.expires_at <= now_ms() {
        return Err(ApiError::SessionExpired);
    }
    if session.account.status == AccountStatus::Suspended {
        return Err(ApiError::AccountSuspended);
    }
    note_use(state, &session);
    let must_enrol = state.config.auth.require_2fa_for_admins
        && session.account.role == Role::Admin
        && !session.account.two_factor;
    Ok(Caller {
        account: session.account,
        token_hash,
        session_id: session.id,
        must_enrol,
    })
}

/// Starts a session for `account`, which has passed every step of its login.
pub async fn start(
    state: &AppState,
    account: &AccountRecord,
    client: &ClientInfo,
) -> Result<LoginResponse, ApiError> {
    let token = generate_session_token().map_err(ApiError::internal)?;
    let now = now_ms();
    let ttl = i64::try_from(state.config.auth.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_at = now.saturating_add(ttl);
    state
        .store
        .create_session(NewSession {
            account_id: account.id,
            token_hash: hash_secret(&token),
            created_at: now,
            expires_at,
            client_ip: client.ip.map(|ip| ip.to_canonical().to_string()),
            user_agent: client.user_agent.as_deref().and_then(user_agent),
        })
        .await?;
    Ok(LoginResponse {
        token,
        expires_at: to_utc(expires_at),
        account: to_api(account),
    })
}

/// A user agent as it is stored and shown: hidden and control characters escaped, cut short.
pub fn user_agent(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let escaped = codexkey_common::text::escape(raw);
    Some(escaped.chars().take(USER_AGENT_MAX).collect())
}

/// Records that `session` is in use, when the time on record is a minute old or more. The write
/// runs on its own task: the request does not wait for it, and a failure only loses a
/// last-used time.
pub fn note_use(state: &AppState, session: &SessionRecord) {
    let now = now_ms();
    if session
        .last_used_at
        .is_some_and(|last| now - last < TOUCH_EVERY_MS)
    {
        return;
    }
    let store = state.store.clone();
    let id = session.id;
    tokio::spawn(async move {
        if let Err(e) = store.touch_session(id, now).await {
            tracing::warn!(session_id = id, error = %e, "cannot record a session's last use");
        }
    });
}

/// The caller's open sessions, oldest first, the current one marked.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<SessionInfo>, ApiError> {
    let open = state
        .store
        .open_sessions(caller.account.id, now_ms())
        .await?;
    Ok(open
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == caller.session_id,
            id: s.id,
            created_at: to_utc(s.created_at),
            last_used_at: s.last_used_at.map(to_utc),
            expires_at: to_utc(s.expires_at),
            client_ip: s.client_ip,
            user_agent: s.user_agent,
        })
        .collect())
}

/// Ends one of the caller's open sessions (the current one included: that is a logout).
pub async fn revoke(state: &AppState, caller: &Caller, id: i64) -> Result<(), ApiError> {
    let ended = state
        .store
        .end_session_by_id(caller.account.id, id, now_ms())
        .await?;
    if ended {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "you have no open session {id}; list them with `codexkey account sessions`"
        )))
    }
}

/// Ends every open session of the caller but the current one.
pub async fn revoke_others(state: &AppState, caller: &Caller) -> Result<SessionsRevoked, ApiError> {
    let revoked = state
        .store
        .end_other_sessions(caller.account.id, caller.session_id, now_ms())
        .await?;
    Ok(SessionsRevoked { revoked })
}

#[cfg(test)]
mod tests {
    use super::user_agent;

    #[test]
    fn user_agents_are_escaped_and_cut() {
        assert_eq!(user_agent("  "), None);
        assert_eq!(user_agent("curl/8.5").as_deref(), Some("curl/8.5"));
        let long = "x".repeat(1000);
        assert_eq!(user_agent(&long).map(|s| s.len()), Some(200));
        let odd = user_agent("a\u{1b}[31mb").unwrap_or_default();
        assert!(!odd.contains('\u{1b}'), "{odd}");
    }
}
