//! Two-factor login with TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, what
//! authenticator apps use), and its recovery codes.
//!
//! - The secret (160 random bits) is sealed under the gateway's `master_key`, as upstream keys
//!   are, with the account id as associated data so a sealed secret cannot be moved to another
//!   account's row. Without a `master_key` there is nowhere safe to keep it, so enrolment is
//!   refused.
//! - An enrolment is pending until a code from the app confirms it; only then is two-factor
//!   login on, and the ten recovery codes are shown, once.
//! - A code is accepted for the current step and one step either side (clock skew), and only
//!   for a step later than the last one accepted for the account: a code cannot be replayed in
//!   its window, nor an older one used after a newer one.
//! - Recovery codes carry 80 random bits each and are stored as SHA-256 hashes salted with the
//!   account id; each works once.

use codexkey_common::api::{TotpConfirmed, TotpDisableRequest, TotpEnrollRequest, TotpEnrollment};
use codexkey_common::key::hash_secret;
use serde_json::json;
use totp_rs::{Builder, Totp};

use crate::accounts::{Caller, ClientInfo, find};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewAudit};
use crate::upstream::crypto::MasterKey;

/// The issuer authenticator apps show next to the account.
pub const ISSUER: &str = "codexkey";
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, from a 32-letter alphabet: 80 bits.
const RECOVERY_CHARS: usize = 16;
/// Crockford's base32: digits and lower-case letters without `i l o u`; a typed `i` or `l`
/// reads as `1` and an `o` as `0`.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// What proves the second factor: a code from the app, or a recovery code.
#[derive(Debug)]
pub enum Proof {
    Code(String),
    Recovery(String),
}

impl Proof {
    /// Exactly one of the two fields, or a clear error.
    pub fn from_fields(code: Option<String>, recovery: Option<String>) -> Result<Proof, ApiError> {
        match (code, recovery) {
            (Some(c), None) => Ok(Proof::Code(c)),
            (None, Some(r)) => Ok(Proof::Recovery(r)),
            (Some(_), Some(_)) => Err(ApiError::InvalidRequest(
                "send either `code` or `recovery_code`, not both".into(),
            )),
            (None, None) => Err(ApiError::InvalidRequest(
                "send `code` (from your authenticator app) or `recovery_code`".into(),
            )),
        }
    }
}

/// The name of an account in the second-step throttle.
pub fn throttle_key(account_id: i64) -> String {
    format!("account:{account_id}")
}

fn master(state: &AppState) -> Result<MasterKey, ApiError> {
    let key = state.config.master_key.as_ref().ok_or_else(|| {
        ApiError::Conflict(
            "two-factor login needs the gateway's `master_key` to encrypt TOTP secrets, and none is set; the operator sets `master_key` (or CODEXKEY_MASTER_KEY) to 64 hex characters, e.g. from `openssl rand -hex 32`".into(),
        )
    })?;
    MasterKey::from_hex(key.expose()).map_err(ApiError::internal)
}

/// The associated data that binds a sealed secret to its account.
fn binding(account_id: i64) -> String {
    format!("totp-secret:account:{account_id}")
}

fn totp(secret: Vec<u8>, email: &str) -> Result<Totp, ApiError> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(email)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| {
            ApiError::InvalidRequest(format!(
                "two-factor login cannot be set up for this account name: {e}"
            ))
        })
}

fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

/// Starts (or restarts) the caller's enrolment, given the password again: a new secret,
/// pending until confirmed.
pub async fn enroll(
    state: &AppState,
    caller: &Caller,
    req: TotpEnrollRequest,
    client: &ClientInfo,
) -> Result<TotpEnrollment, ApiError> {
    // What cannot succeed is refused before the password check spends a guess.
    let key = master(state)?;
    if caller.account.two_factor {
        return Err(ApiError::Conflict(
            "two-factor login is already on; to enrol a new device, turn it off first with `codexkey account 2fa disable`".into(),
        ));
    }
    crate::accounts::password_change::confirm_password(
        state,
        &caller.account,
        req.password,
        client,
    )
    .await?;
    let mut secret = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(ApiError::internal)?;
    let totp = totp(secret, &caller.account.email)?;
    let base32 = totp.secret().to_base32();
    let otpauth_uri = totp.to_url().map_err(ApiError::internal)?;
    let sealed = key
        .seal(&base32, &binding(caller.account.id))
        .map_err(ApiError::internal)?;
    state
        .store
        .begin_totp(caller.account.id, sealed, now_ms())
        .await?;
    Ok(TotpEnrollment {
        otpauth_uri,
        secret: base32,
    })
}

/// The account's TOTP generator, from its sealed secret.
fn open(state: &AppState, account: &AccountRecord, sealed: &[u8]) -> Result<Totp, ApiError> {
    let key = master(state)?;
    let base32 = key
        .open(sealed, &binding(account.id))
        .map_err(|_| ApiError::Internal(format!(
            "the TOTP secret of account {} cannot be decrypted: wrong `master_key`, or the database was altered",
            account.id
        )))?;
    let secret = totp_rs::Secret::try_from_base32(base32.expose()).map_err(ApiError::internal)?;
    totp(secret.as_bytes().to_vec(), &account.email)
}

/// The time step a code belongs to (now, or one step either side), if it is right.
fn step_of(totp: &Totp, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = totp.check(&code, now_secs())?;
    i64::try_from(step).ok()
}

/// Confirms the caller's pending enrolment with a code from the app: two-factor login is on,
/// and the recovery codes are returned, the only time they are shown.
pub async fn confirm(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<TotpConfirmed, ApiError> {
    let account = &caller.account;
    let record = state.store.totp(account.id).await?;
    let record = match record {
        Some(r) if r.confirmed_at.is_none() => r,
        Some(_) => {
            return Err(ApiError::Conflict(
                "two-factor login is already on for this account".into(),
            ));
        }
        None => {
            return Err(ApiError::Conflict(
                "there is no enrolment to confirm; start one with `codexkey account 2fa enable`"
                    .into(),
            ));
        }
    };
    let totp = open(state, account, &record.secret_sealed)?;
    let step = step_of(&totp, code).ok_or(ApiError::WrongCode)?;
    let codes = recovery_codes()?;
    let hashes = codes.iter().map(|c| recovery_hash(account.id, c)).collect();
    let confirmed = state
        .store
        .confirm_totp(
            account.id,
            step,
            hashes,
            NewAudit {
                actor_id: Some(account.id),
                action: "account.2fa_enable",
                target: Some(account.email.clone()),
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?;
    if !confirmed {
        return Err(ApiError::Conflict(
            "the enrolment changed meanwhile; start again with `codexkey account 2fa enable`"
                .into(),
        ));
    }
    Ok(TotpConfirmed {
        recovery_codes: codes,
    })
}

/// Checks a second-factor proof for `account`, spending it: the code's step is recorded, the
/// recovery code used up. Wrong, replayed and used codes are all [`ApiError::WrongCode`].
pub async fn verify(
    state: &AppState,
    account: &AccountRecord,
    proof: &Proof,
) -> Result<(), ApiError> {
    let accepted = match proof {
        Proof::Code(code) => {
            let record = state.store.totp(account.id).await?;
            match record {
                Some(r) if r.confirmed_at.is_some() => {
                    let totp = open(state, account, &r.secret_sealed)?;
                    match step_of(&totp, code) {
                        Some(step) => state.store.accept_totp_step(account.id, step).await?,
                        None => false,
                    }
                }
                _ => false,
            }
        }
        Proof::Recovery(code) => match normalize_recovery(code) {
            Some(code) => {
                state
                    .store
                    .use_recovery_code(account.id, &recovery_hash(account.id, &code), now_ms())
                    .await?
            }
            None => false,
        },
    };
    if accepted {
        Ok(())
    } else {
        Err(ApiError::WrongCode)
    }
}

/// Turns the caller's two-factor login off, given the password and a current code (or an
/// unused recovery code). Both checks are throttled like a login's.
pub async fn disable(
    state: &AppState,
    caller: &Caller,
    req: TotpDisableRequest,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let proof = Proof::from_fields(req.code, req.recovery_code)?;
    let account = &caller.account;
    if !account.two_factor {
        return Err(ApiError::Conflict(
            "two-factor login is not on for this account".into(),
        ));
    }
    crate::accounts::password_change::confirm_password(state, account, req.password, client)
        .await?;
    let attempt = state
        .second_step_throttle
        .begin(&throttle_key(account.id), client.ip)
        .map_err(|l| ApiError::TooManyAttempts {
            retry_after_secs: l.retry_after_secs(),
        })?;
    verify(state, account, &proof).await?;
    state.second_step_throttle.succeeded(attempt);
    state
        .store
        .remove_totp(
            account.id,
            NewAudit {
                actor_id: Some(account.id),
                action: "account.2fa_disable",
                target: Some(account.email.clone()),
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?;
    Ok(())
}

/// An admin turns a user's two-factor login off (a lost device and no recovery code left). The
/// user logs in with the password alone afterwards and may enrol again.
pub async fn admin_reset(
    state: &AppState,
    admin: &Caller,
    target: &str,
) -> Result<AccountRecord, ApiError> {
    let account = find(state, target).await?;
    let removed = state
        .store
        .remove_totp(
            account.id,
            NewAudit {
                actor_id: Some(admin.account.id),
                action: "account.2fa_reset",
                target: Some(account.email.clone()),
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?;
    if !removed {
        return Err(ApiError::Conflict(format!(
            "`{}` has no two-factor login to reset",
            account.email
        )));
    }
    state
        .store
        .account_by_id(account.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the account is gone".into()))
}

fn recovery_codes() -> Result<Vec<String>, ApiError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CHARS];
            getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
            let chars: Vec<char> = bytes
                .iter()
                // 256 is a multiple of 32: every letter is equally likely.
                .map(|b| char::from(RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()]))
                .collect();
            Ok(chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-"))
        })
        .collect()
}

/// A recovery code as typed (any case, dashes or spaces anywhere) in its canonical form.
fn normalize_recovery(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect();
    (code.len() == RECOVERY_CHARS && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(code)
}

fn recovery_hash(account_id: i64, code: &str) -> String {
    let canonical = normalize_recovery(code).unwrap_or_default();
    hash_secret(&format!("recovery:{account_id}:{canonical}"))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_80_bit_codes() {
        let codes = recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 19, "{c}");
            assert_eq!(normalize_recovery(c).unwrap().len(), 16);
            assert_eq!(
                normalize_recovery(&c.to_uppercase().replace('-', " ")),
                normalize_recovery(c)
            );
        }
        assert_eq!(normalize_recovery("short"), None);
        assert_ne!(recovery_hash(1, &codes[0]), recovery_hash(2, &codes[0]));
    }

    #[test]
    fn codes_match_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits: T = 59 s gives 94287082.
        let totp = totp(b"12345678901234567890".to_vec(), "a@x.io").unwrap();
        assert_eq!(totp.check("287082", 59), Some(1));
        assert_eq!(totp.check("287082", 59 + 30), Some(1), "one step of skew");
        assert_eq!(totp.check("287082", 59 + 90), None, "not two");
        assert!(
            totp.to_url()
                .unwrap()
                .starts_with("otpauth://totp/codexkey:a%40x.io?secret=")
        );
    }
}
