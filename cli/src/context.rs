//! What a command needs to talk to the gateway: the resolved URL, the settings, and a client
//! carrying the session token (from `CODEXKEY_TOKEN` or the credential store).

use anyhow::{Context as _, Result};
use codexkey_common::Secret;

use crate::client::Client;
use crate::credentials;
use crate::error::UserError;
use crate::settings::{Profile, Settings, env};

pub struct Ctx {
    pub gateway: String,
    pub settings: Settings,
    pub json: bool,
}

impl Ctx {
    pub fn new(gateway_flag: Option<&str>, json: bool, profile: Option<&str>) -> Result<Ctx> {
        let settings = Settings::load(Profile::resolve(profile)?)?;
        let gateway = settings.gateway_url(gateway_flag);
        if !(gateway.starts_with("http://") || gateway.starts_with("https://")) {
            return Err(UserError::new(
                format!("`{gateway}` is not a gateway URL"),
                "use a URL such as `http://127.0.0.1:8080`",
            )
            .into());
        }
        Ok(Ctx {
            gateway,
            settings,
            json,
        })
    }

    /// A client without a session, for registration and login.
    pub fn anonymous(&self) -> Result<Client> {
        Ok(Client::new(&self.gateway, None)?)
    }

    /// The session token for this gateway, if there is one.
    pub async fn token(&self) -> Result<Option<String>> {
        if let Ok(t) = std::env::var(env::TOKEN)
            && !t.is_empty()
        {
            return Ok(Some(t));
        }
        let settings = self.settings.clone();
        let name = credentials::session_name(&self.gateway);
        tokio::task::spawn_blocking(move || credentials::load(&settings, &name))
            .await
            .context("the credential store task failed")?
    }

    /// A client with the session token, or a "log in first" error.
    pub async fn authed(&self) -> Result<Client> {
        let token = self.token().await?.ok_or_else(|| {
            UserError::new(
                format!("you are not logged in to {}", self.gateway),
                format!(
                    "log in with `codexkey {}login` (or set `CODEXKEY_TOKEN`)",
                    self.settings.profile.flag()
                ),
            )
        })?;
        Ok(Client::new(&self.gateway, Some(token))?)
    }

    /// The API key `codexkey proxy` sends to this gateway, or a "choose one first" error.
    pub async fn proxy_key(&self) -> Result<Secret<String>> {
        let settings = self.settings.clone();
        let name = credentials::proxy_key_name(&self.gateway);
        let key = tokio::task::spawn_blocking(move || credentials::load(&settings, &name))
            .await
            .context("the credential store task failed")??;
        key.map(Secret::new).ok_or_else(|| {
            UserError::new(
                format!("no API key is set for the proxy on {}", self.gateway),
                "create one with `codexkey keys create --use`, or pick one with `codexkey keys use ID --rotate`",
            )
            .into()
        })
    }

    /// Keeps `secret` as the proxy's key for this gateway, recording which key it is.
    pub async fn set_proxy_key(
        &self,
        id: Option<i64>,
        secret: String,
    ) -> Result<crate::args::CredentialStoreKind> {
        let mut settings = self.settings.clone();
        let name = credentials::proxy_key_name(&self.gateway);
        let gateway = self.gateway.clone();
        let prefix: String = secret
            .chars()
            .take(codexkey_common::key::DISPLAY_PREFIX_LEN)
            .collect();
        tokio::task::spawn_blocking(move || {
            settings
                .proxy_keys
                .insert(gateway, crate::settings::ProxyKeyRef { id, prefix });
            credentials::save(&mut settings, &name, &secret)
        })
        .await
        .context("the credential store task failed")?
    }
}
