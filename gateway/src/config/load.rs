//! Reading the layers and merging them: defaults < TOML file < `CODEXKEY_*` environment <
//! command-line flags, then validation. Nothing here reads the process environment directly:
//! the caller passes a lookup function, so precedence is testable.

use std::path::{Path, PathBuf};

use super::env;
use super::error::ConfigError;
use super::settings::{Config, RawConfig};

/// What the command line may set: the highest-precedence layer.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

impl RawConfig {
    pub fn from_toml(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        // serde_path_to_error names the key path (`auth.argon2_iterations`) in type errors.
        let de = toml::Deserializer::parse(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut raw: RawConfig =
            serde_path_to_error::deserialize(de).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        for u in &mut raw.upstreams {
            u.origin.file = Some(path.to_owned());
        }
        Ok(raw)
    }
}

impl Config {
    /// Reads the file named by `--config` or `CODEXKEY_CONFIG` (if any), the environment through
    /// `get`, and the flags, and merges them with flags winning.
    pub fn load(flags: Flags, get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let path = flags
            .config
            .clone()
            .or_else(|| get(env::CONFIG).map(PathBuf::from));
        let file = match &path {
            Some(p) => RawConfig::from_toml(p)?,
            None => RawConfig::default(),
        };
        let env = RawConfig::from_env(get)?;
        let flag_layer = RawConfig {
            listen: flags.listen,
            data_dir: flags.data_dir,
            ..RawConfig::default()
        };
        let mut config = Config::validate(flag_layer.or(env).or(file))?;
        config.source = path;
        Ok(config)
    }
}
