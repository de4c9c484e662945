//! `[[upstreams]]`: the providers the gateway forwards to, from the file and from the
//! `CODEXKEY_{OPENAI,ANTHROPIC}_*` shortcuts, merged by name and remembering where each was
//! defined. Not the scalar `[upstream]` tuning, which is an ordinary setting.

use std::path::PathBuf;

use codexkey_common::Secret;
use serde::{Deserialize, Serialize};

use super::error::ConfigError;

/// Shortcuts that define the `openai` and `anthropic` upstreams without a config file.
/// Keys may be comma-separated.
pub const OPENAI_API_KEY: &str = "CODEXKEY_OPENAI_API_KEY";
pub const OPENAI_BASE_URL: &str = "CODEXKEY_OPENAI_BASE_URL";
pub const ANTHROPIC_API_KEY: &str = "CODEXKEY_ANTHROPIC_API_KEY";
pub const ANTHROPIC_BASE_URL: &str = "CODEXKEY_ANTHROPIC_BASE_URL";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub name: String,
    pub provider: Provider,
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Secret<String>>,
    /// Model names or `*` patterns this upstream serves; absent: the models the price table
    /// lists for its provider.
    pub models: Option<Vec<String>>,
    /// Where this upstream was defined; set by the layer that read it, never read from a file.
    #[serde(skip)]
    pub origin: UpstreamOrigin,
}

/// Where a configured upstream comes from, so that a message can say where to change it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamOrigin {
    /// The configuration file that defines it.
    pub file: Option<PathBuf>,
    /// The environment variables that define it (`CODEXKEY_OPENAI_API_KEY`, …).
    pub env: Vec<&'static str>,
}

impl UpstreamOrigin {
    /// `the environment variable `X`` / `the configuration file `F`` / both, for messages.
    pub fn describe(&self) -> String {
        let env = match self.env.as_slice() {
            [] => None,
            [one] => Some(format!("the environment variable `{one}`")),
            many => Some(format!(
                "the environment variables {}",
                many.iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        };
        let file = self
            .file
            .as_ref()
            .map(|f| format!("the configuration file `{}`", f.display()));
        match (env, file) {
            (Some(e), Some(f)) => format!("{e} and {f}"),
            (Some(e), None) => e,
            (None, Some(f)) => f,
            (None, None) => "the gateway's configuration".into(),
        }
    }
}

/// The kinds of upstream API the gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// api.openai.com: chat completions, Responses, embeddings, images.
    Openai,
    /// api.anthropic.com: Messages and count_tokens.
    Anthropic,
    /// Any OpenAI-compatible API (Gemini's and xAI's OpenAI endpoints, vLLM, …).
    OpenaiCompatible,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::OpenaiCompatible => "openai_compatible",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        match s {
            "openai" => Some(Self::Openai),
            "anthropic" => Some(Self::Anthropic),
            "openai_compatible" => Some(Self::OpenaiCompatible),
            _ => None,
        }
    }

    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Openai => Some("https://api.openai.com"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::OpenaiCompatible => None,
        }
    }
}

/// A validated upstream.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamConfig {
    pub name: String,
    pub provider: Provider,
    pub base_url: String,
    pub keys: Vec<Secret<String>>,
    pub models: Option<Vec<String>>,
    /// Where it was defined (configuration file, environment); default for the database's.
    #[serde(skip)]
    pub origin: UpstreamOrigin,
}

/// The `openai` and `anthropic` upstreams implied by `CODEXKEY_{OPENAI,ANTHROPIC}_{API_KEY,BASE_URL}`.
pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<RawUpstream>, ConfigError> {
    let mut out = Vec::new();
    for (name, provider, key_var, url_var) in [
        ("openai", Provider::Openai, OPENAI_API_KEY, OPENAI_BASE_URL),
        (
            "anthropic",
            Provider::Anthropic,
            ANTHROPIC_API_KEY,
            ANTHROPIC_BASE_URL,
        ),
    ] {
        let keys: Vec<Secret<String>> = get(key_var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| Secret::new(k.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let base_url = get(url_var);
        if !keys.is_empty() || base_url.is_some() {
            let mut env = Vec::new();
            if !keys.is_empty() {
                env.push(key_var);
            }
            if base_url.is_some() {
                env.push(url_var);
            }
            out.push(RawUpstream {
                name: name.to_owned(),
                provider,
                base_url,
                keys,
                models: None,
                origin: UpstreamOrigin { file: None, env },
            });
        }
    }
    Ok(out)
}

/// Upstreams of a higher layer replace those of a lower one with the same name, field by
/// field where given; the rest are kept, in the lower layer's order first.
pub fn merge(higher: Vec<RawUpstream>, mut lower: Vec<RawUpstream>) -> Vec<RawUpstream> {
    for h in higher {
        match lower.iter_mut().find(|l| l.name == h.name) {
            Some(l) => {
                l.provider = h.provider;
                if h.base_url.is_some() {
                    l.base_url = h.base_url;
                }
                if !h.keys.is_empty() {
                    l.keys = h.keys;
                }
                if h.models.is_some() {
                    l.models = h.models;
                }
                l.origin.env.extend(h.origin.env);
                if l.origin.file.is_none() {
                    l.origin.file = h.origin.file;
                }
            }
            None => lower.push(h),
        }
    }
    lower
}

/// Validates the merged upstreams: a usable name, defined once, an http(s) base URL, at least
/// one key, and a model list where the price table cannot supply one.
pub fn validate(raw: Vec<RawUpstream>) -> Result<Vec<UpstreamConfig>, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: key.to_owned(),
        message,
    };
    let mut upstreams = Vec::new();
    for u in raw {
        let key = format!("upstreams.{}", u.name);
        if u.name.is_empty()
            || u.name.len() > 64
            || !u
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "upstreams.name",
                format!("`{}`: use letters, digits, `-` and `_`", u.name),
            ));
        }
        if upstreams.iter().any(|x: &UpstreamConfig| x.name == u.name) {
            return Err(invalid(&key, "defined twice".into()));
        }
        let base_url = match u
            .base_url
            .or_else(|| u.provider.default_base_url().map(str::to_owned))
        {
            Some(b) => b.trim_end_matches('/').to_owned(),
            None => {
                return Err(invalid(
                    &format!("{key}.base_url"),
                    "is required for `openai_compatible`".into(),
                ));
            }
        };
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(invalid(
                &format!("{key}.base_url"),
                format!("`{base_url}` is not an http(s) URL"),
            ));
        }
        if u.keys.is_empty() {
            return Err(invalid(
                &format!("{key}.keys"),
                "needs at least one API key".into(),
            ));
        }
        if u.provider == Provider::OpenaiCompatible && u.models.is_none() {
            return Err(invalid(
                &format!("{key}.models"),
                "list the models an `openai_compatible` upstream serves".into(),
            ));
        }
        upstreams.push(UpstreamConfig {
            name: u.name,
            provider: u.provider,
            base_url,
            keys: u.keys,
            models: u.models,
            origin: u.origin,
        });
    }
    Ok(upstreams)
}

/// The file form of validated upstreams, keys left out (`--print-config` names them instead).
pub fn effective(upstreams: &[UpstreamConfig]) -> Vec<RawUpstream> {
    upstreams
        .iter()
        .map(|u| RawUpstream {
            name: u.name.clone(),
            provider: u.provider,
            base_url: Some(u.base_url.clone()),
            keys: Vec::new(),
            models: u.models.clone(),
            origin: UpstreamOrigin::default(),
        })
        .collect()
}
