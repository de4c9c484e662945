//! Upstreams managed through the admin API: listed (never with their keys), added with keys
//! sealed under the master key, removed, given more keys. Each change rebuilds the live set;
//! requests in flight finish on the set they started with.

use std::sync::Arc;

use codexkey_common::api::{
    AddUpstreamKeyRequest, CreateUpstreamRequest, UpstreamInfo, UpstreamKeyInfo,
};
use serde_json::json;

use super::Upstreams;
use super::crypto::MasterKey;
use crate::accounts::Caller;
use crate::clock::now_ms;
use crate::config::Provider;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewAudit, StoredUpstream, StoredUpstreamKey};

fn master(state: &AppState) -> Result<MasterKey, ApiError> {
    let key = state.config.master_key.as_ref().ok_or_else(|| {
        ApiError::Conflict(
            "this gateway has no `master_key` to encrypt upstream keys with; set `master_key` (CODEXKEY_MASTER_KEY) or configure upstreams in the config file".into(),
        )
    })?;
    MasterKey::from_hex(key.expose()).map_err(ApiError::internal)
}

/// Rebuilds the live set from the configuration and the database and swaps it in, after a
/// change here or, through `crate::changes`, on another replica.
pub(crate) async fn reload(state: &AppState) -> Result<(), ApiError> {
    let stored = state.store.upstreams().await?;
    let built = Upstreams::build(&state.config, &stored).map_err(ApiError::internal)?;
    state.upstreams.store(Arc::new(built));
    Ok(())
}

fn audit(admin: &Caller, action: &'static str, name: &str, detail: serde_json::Value) -> NewAudit {
    NewAudit {
        actor_id: Some(admin.account.id),
        action,
        target: Some(name.to_owned()),
        detail,
        created_at: now_ms(),
    }
}

pub async fn list(state: &AppState) -> Result<Vec<UpstreamInfo>, ApiError> {
    let stored = state.store.upstreams().await?;
    let mut out: Vec<UpstreamInfo> = state
        .config
        .upstreams
        .iter()
        .map(|u| UpstreamInfo {
            name: u.name.clone(),
            provider: u.provider.as_str().to_owned(),
            base_url: u.base_url.clone(),
            models: u.models.clone(),
            keys: (0..u.keys.len())
                .map(|_| UpstreamKeyInfo {
                    id: None,
                    label: None,
                })
                .collect(),
            source: "config".into(),
        })
        .collect();
    out.extend(stored.into_iter().map(|u| {
        UpstreamInfo {
            name: u.name,
            provider: u.provider,
            base_url: u.base_url,
            models: u.models,
            keys: u
                .keys
                .into_iter()
                .map(|k| UpstreamKeyInfo {
                    id: Some(k.id),
                    label: k.label,
                })
                .collect(),
            source: "database".into(),
        }
    }));
    Ok(out)
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key.trim().is_empty() || key.len() > 4096 || key.chars().any(|c| c.is_control() || c == ' ')
    {
        return Err(ApiError::InvalidRequest(
            "an upstream key must be one line of visible characters".into(),
        ));
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    admin: &Caller,
    req: CreateUpstreamRequest,
) -> Result<UpstreamInfo, ApiError> {
    let master = master(state)?;
    let name = req.name.trim().to_owned();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::InvalidRequest(format!(
            "`{name}` is not an upstream name: use letters, digits, `-` and `_`"
        )));
    }
    if let Some(u) = state.config.upstreams.iter().find(|u| u.name == name) {
        return Err(ApiError::Conflict(format!(
            "`{name}` is already defined by {}; pick another name",
            u.origin.describe()
        )));
    }
    let provider = Provider::parse(&req.provider).ok_or_else(|| {
        ApiError::InvalidRequest(format!(
            "`{}` is not a provider: use `openai`, `anthropic` or `openai_compatible`",
            req.provider
        ))
    })?;
    let base_url = match req
        .base_url
        .or_else(|| provider.default_base_url().map(str::to_owned))
    {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
            u.trim_end_matches('/').to_owned()
        }
        Some(u) => {
            return Err(ApiError::InvalidRequest(format!(
                "`{u}` is not an http(s) URL"
            )));
        }
        None => {
            return Err(ApiError::InvalidRequest(
                "`base_url` is required for `openai_compatible`".into(),
            ));
        }
    };
    if provider == Provider::OpenaiCompatible && req.models.is_none() {
        return Err(ApiError::InvalidRequest(
            "list the `models` an `openai_compatible` upstream serves".into(),
        ));
    }
    if req.keys.is_empty() {
        return Err(ApiError::InvalidRequest(
            "`keys` needs at least one upstream API key".into(),
        ));
    }
    let now = now_ms();
    let mut keys = Vec::with_capacity(req.keys.len());
    for k in &req.keys {
        check_key(k)?;
        keys.push(StoredUpstreamKey {
            id: 0,
            label: None,
            ciphertext: master.seal(k.trim(), &name).map_err(ApiError::internal)?,
            created_at: now,
        });
    }
    let detail = json!({ "provider": provider.as_str(), "base_url": base_url, "keys": keys.len() });
    state
        .store
        .create_upstream(
            StoredUpstream {
                name: name.clone(),
                provider: provider.as_str().to_owned(),
                base_url,
                models: req.models,
                keys,
                created_at: now,
            },
            audit(admin, "upstream.create", &name, detail),
        )
        .await?;
    reload(state).await?;
    list(state)
        .await?
        .into_iter()
        .find(|u| u.name == name && u.source == "database")
        .ok_or_else(|| ApiError::Internal("an upstream just created is missing".into()))
}

pub async fn delete(state: &AppState, admin: &Caller, name: &str) -> Result<(), ApiError> {
    if let Some(u) = state.config.upstreams.iter().find(|u| u.name == name) {
        let what = match (u.origin.env.len(), &u.origin.file) {
            (0, _) => "remove it there",
            (1, None) => "unset it",
            (_, None) => "unset them",
            (_, Some(_)) => "remove it from both",
        };
        return Err(ApiError::Conflict(format!(
            "`{name}` is not from `admin upstreams add`: it is defined by {}; {what} and restart the gateway",
            u.origin.describe()
        )));
    }
    if !state
        .store
        .delete_upstream(name, audit(admin, "upstream.delete", name, json!({})))
        .await?
    {
        return Err(ApiError::NotFound(format!("no upstream `{name}`")));
    }
    reload(state).await
}

pub async fn add_key(
    state: &AppState,
    admin: &Caller,
    name: &str,
    req: AddUpstreamKeyRequest,
) -> Result<UpstreamInfo, ApiError> {
    let master = master(state)?;
    check_key(&req.key)?;
    let key = StoredUpstreamKey {
        id: 0,
        label: req.label.clone(),
        ciphertext: master
            .seal(req.key.trim(), name)
            .map_err(ApiError::internal)?,
        created_at: now_ms(),
    };
    state
        .store
        .add_upstream_key(
            name,
            key,
            audit(
                admin,
                "upstream.add_key",
                name,
                json!({ "label": req.label }),
            ),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => {
                ApiError::NotFound(format!("no upstream `{name}` in the database"))
            }
            other => other.into(),
        })?;
    reload(state).await?;
    list(state)
        .await?
        .into_iter()
        .find(|u| u.name == name)
        .ok_or_else(|| ApiError::Internal("an upstream just changed is missing".into()))
}
