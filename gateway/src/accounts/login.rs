//! Logging in: the password step, and the second step when two-factor login is on.
//!
//! With two-factor login on, a right password earns no session: it earns a *challenge*, a
//! random token (stored hashed) that is good for [`CHALLENGE_TTL_MS`] and for one second step
//! only, whatever that step's outcome. A wrong code therefore costs the password step again,
//! and guessing codes costs a password each time on top of the second-step throttle. The
//! password step answers exactly as before for a wrong password, whether or not the account
//! has two-factor login: only a right password reveals that it does.

use std::net::IpAddr;

use codexkey_common::api::{
    AccountStatus, LoginChallenge, LoginOutcome, LoginResponse, SecondStepRequest,
};
use codexkey_common::key::{hash_secret, random_base62};

use crate::accounts::{normalize_email, sessions, totp};
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;

/// How long a challenge may wait for its second step: time to open an authenticator app.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Random base62 characters of a challenge (~190 bits).
const CHALLENGE_CHARS: usize = 32;
/// Challenges start with this, so one pasted where a session token belongs is recognisable.
const CHALLENGE_PREFIX: &str = "ck_chal_";

/// Where a login comes from, as recorded on its session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The password step. Logs in, or answers with a challenge when two-factor login is on, unless
/// this account or the client has failed too often lately (see [`throttle`]).
///
/// [`throttle`]: crate::accounts::throttle
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    client: &ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    let email = normalize_email(email).map_err(|_| ApiError::WrongCredentials)?;
    let attempt =
        state
            .login_throttle
            .begin(&email, client.ip)
            .map_err(|l| ApiError::TooManyAttempts {
                retry_after_secs: l.retry_after_secs(),
            })?;
    let account = state.store.account_by_email(&email).await?;
    let ok = state
        .passwords
        .verify(password, account.as_ref().map(|a| a.password_hash.clone()))
        .await?;
    let account = match account {
        Some(a) if ok => a,
        _ => return Err(ApiError::WrongCredentials),
    };
    state.login_throttle.succeeded(attempt);
    if account.status == AccountStatus::Suspended {
        return Err(ApiError::AccountSuspended);
    }
    if !account.two_factor {
        return Ok(LoginOutcome::Session(
            sessions::start(state, &account, client).await?,
        ));
    }
    let challenge = format!(
        "{CHALLENGE_PREFIX}{}",
        random_base62(CHALLENGE_CHARS).map_err(ApiError::internal)?
    );
    let now = now_ms();
    let expires_at = now + CHALLENGE_TTL_MS;
    state
        .store
        .create_login_challenge(account.id, &hash_secret(&challenge), now, expires_at)
        .await?;
    Ok(LoginOutcome::SecondStep(LoginChallenge {
        two_factor_required: true,
        challenge,
        expires_at: to_utc(expires_at),
    }))
}

/// The second step: a challenge from [`login`] and a TOTP or recovery code get the session.
///
/// The challenge is spent first, so it serves one attempt whatever happens next; then the
/// second-step throttle (per account and client) and the code are checked.
pub async fn second_step(
    state: &AppState,
    req: SecondStepRequest,
    client: &ClientInfo,
) -> Result<LoginResponse, ApiError> {
    let proof = totp::Proof::from_fields(req.code, req.recovery_code)?;
    let account_id = state
        .store
        .take_login_challenge(&hash_secret(req.challenge.trim()), now_ms())
        .await?
        .ok_or(ApiError::InvalidChallenge)?;
    let attempt = state
        .second_step_throttle
        .begin(&totp::throttle_key(account_id), client.ip)
        .map_err(|l| ApiError::TooManyAttempts {
            retry_after_secs: l.retry_after_secs(),
        })?;
    let account = state
        .store
        .account_by_id(account_id)
        .await?
        .ok_or(ApiError::InvalidChallenge)?;
    totp::verify(state, &account, &proof).await?;
    state.second_step_throttle.succeeded(attempt);
    if account.status == AccountStatus::Suspended {
        return Err(ApiError::AccountSuspended);
    }
    sessions::start(state, &account, client).await
}
