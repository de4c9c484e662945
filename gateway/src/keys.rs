//! API keys for the data plane: create (the secret is returned once), list, change, revoke,
//! rotate. Only a display prefix and the SHA-256 of each key are stored.
//!
//! Every change commits to the store and then invalidates the data plane's cached copy of the
//! key, so it applies from the very next request.

use codexkey_common::api::{ApiKey, CreateKeyRequest, CreatedKey, KeyStatus, UpdateKeyRequest};
use codexkey_common::key::generate_api_key;

use crate::accounts::Caller;
use crate::clock::{now_ms, to_utc};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{KeyRecord, KeySettings, Millis, NewKey};

const MAX_NAME_LEN: usize = 100;
const MAX_MODELS: usize = 256;

/// A key as its owner sees it, with the live spend: settled charges may still be queued for
/// the database.
fn present(state: &AppState, k: &KeyRecord, now: Millis) -> ApiKey {
    let mut key = to_api(k, now);
    if let Some(spent) = state.keys.live_spend(k.id) {
        key.spent_micros = spent;
    }
    key
}

pub fn to_api(k: &KeyRecord, now: Millis) -> ApiKey {
    let status = if k.revoked_at.is_some() {
        KeyStatus::Revoked
    } else if k.expires_at.is_some_and(|e| e <= now) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    };
    ApiKey {
        id: k.id,
        prefix: k.prefix.clone(),
        name: k.name.clone(),
        status,
        created_at: to_utc(k.created_at),
        last_used_at: k.last_used_at.map(to_utc),
        expires_at: k.expires_at.map(to_utc),
        revoked_at: k.revoked_at.map(to_utc),
        allowed_models: k.allowed_models.clone(),
        budget_micros: k.budget,
        spent_micros: k.spent,
        rpm_limit: k.rpm_limit,
        tpm_limit: k.tpm_limit,
    }
}

/// Checks settings a key is created or updated with.
fn validate(settings: KeySettings, now: Millis) -> Result<KeySettings, ApiError> {
    let name = match settings.name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() => None,
        Some(n) if n.chars().count() > MAX_NAME_LEN => {
            return Err(ApiError::InvalidRequest(format!(
                "`name` is longer than {MAX_NAME_LEN} characters"
            )));
        }
        other => other,
    };
    if settings.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::InvalidRequest(
            "`expires_at` is in the past".into(),
        ));
    }
    if let Some(models) = &settings.allowed_models {
        if models.is_empty() || models.len() > MAX_MODELS {
            return Err(ApiError::InvalidRequest(format!(
                "`allowed_models` needs 1 to {MAX_MODELS} model names; leave it out to allow every model"
            )));
        }
        if models.iter().any(|m| m.trim().is_empty()) {
            return Err(ApiError::InvalidRequest(
                "`allowed_models` has an empty model name".into(),
            ));
        }
    }
    if settings.budget.is_some_and(|b| b.0 < 0) {
        return Err(ApiError::InvalidRequest(
            "`budget_micros` cannot be negative".into(),
        ));
    }
    if settings.rpm_limit == Some(0) {
        return Err(ApiError::InvalidRequest(
            "`rpm_limit` must be at least 1; leave it out for no limit".into(),
        ));
    }
    if let Some(tpm) = settings.tpm_limit
        && (tpm == 0 || i64::try_from(tpm).is_err())
    {
        return Err(ApiError::InvalidRequest(format!(
            "`tpm_limit` must be from 1 to {}; leave it out for no limit",
            i64::MAX
        )));
    }
    Ok(KeySettings { name, ..settings })
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    req: CreateKeyRequest,
) -> Result<CreatedKey, ApiError> {
    let now = now_ms();
    let settings = validate(
        KeySettings {
            name: req.name,
            expires_at: req.expires_at.map(|t| t.timestamp_millis()),
            allowed_models: req.allowed_models,
            budget: req.budget_micros,
            rpm_limit: req.rpm_limit,
            tpm_limit: req.tpm_limit,
        },
        now,
    )?;
    let secret = generate_api_key().map_err(ApiError::internal)?;
    let key = state
        .store
        .create_key(NewKey {
            account_id: caller.account.id,
            prefix: secret.display_prefix,
            hash: secret.hash,
            name: settings.name,
            created_at: now,
            expires_at: settings.expires_at,
            allowed_models: settings.allowed_models,
            budget: settings.budget,
            rpm_limit: settings.rpm_limit,
            tpm_limit: settings.tpm_limit,
        })
        .await?;
    Ok(CreatedKey {
        key: to_api(&key, now),
        secret: secret.secret,
    })
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<ApiKey>, ApiError> {
    let now = now_ms();
    Ok(state
        .store
        .keys(caller.account.id)
        .await?
        .iter()
        .map(|k| present(state, k, now))
        .collect())
}

fn no_such_key(id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "you have no key with id {id}; `codexkey keys list` shows yours"
    ))
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<ApiKey, ApiError> {
    let key = state
        .store
        .key(caller.account.id, id)
        .await?
        .ok_or_else(|| no_such_key(id))?;
    Ok(present(state, &key, now_ms()))
}

/// Changes the settings given in `req`, keeping the others.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: UpdateKeyRequest,
) -> Result<ApiKey, ApiError> {
    if req.is_empty() {
        return Err(ApiError::InvalidRequest(
            "nothing to change: send at least one of `name`, `expires_at`, `allowed_models`, `budget_micros`, `rpm_limit`, `tpm_limit`".into(),
        ));
    }
    let now = now_ms();
    let key = state
        .store
        .key(caller.account.id, id)
        .await?
        .ok_or_else(|| no_such_key(id))?;
    let settings = validate(
        KeySettings {
            name: req.name.unwrap_or(key.name),
            expires_at: req
                .expires_at
                .map_or(key.expires_at, |e| e.map(|t| t.timestamp_millis())),
            allowed_models: req.allowed_models.unwrap_or(key.allowed_models),
            budget: req.budget_micros.unwrap_or(key.budget),
            rpm_limit: req.rpm_limit.unwrap_or(key.rpm_limit),
            tpm_limit: req.tpm_limit.unwrap_or(key.tpm_limit),
        },
        now,
    )?;
    let key = state
        .store
        .update_key(caller.account.id, id, settings)
        .await?
        .ok_or_else(|| no_such_key(id))?;
    state.keys.invalidate_key(id);
    Ok(present(state, &key, now))
}

pub async fn revoke(state: &AppState, caller: &Caller, id: i64) -> Result<ApiKey, ApiError> {
    let now = now_ms();
    let key = state
        .store
        .revoke_key(caller.account.id, id, now)
        .await?
        .ok_or_else(|| no_such_key(id))?;
    state.keys.invalidate_key(id);
    Ok(present(state, &key, now))
}

pub async fn rotate(state: &AppState, caller: &Caller, id: i64) -> Result<CreatedKey, ApiError> {
    let now = now_ms();
    let secret = generate_api_key().map_err(ApiError::internal)?;
    // The replacement starts from the old key's stored spend: settle what is queued first.
    state.meter.flush().await;
    let key = state
        .store
        .rotate_key(
            caller.account.id,
            id,
            &secret.display_prefix,
            &secret.hash,
            now,
        )
        .await?
        .ok_or_else(|| no_such_key(id))?;
    state.keys.rotated(id, key.id);
    Ok(CreatedKey {
        key: to_api(&key, now),
        secret: secret.secret,
    })
}
