//! The CLI's own settings file, `config.toml` in the user's config dir (`$XDG_CONFIG_HOME/codexkey`
//! on Linux, or `$CODEXKEY_CONFIG_DIR`): the default gateway, where secrets are kept, and which
//! store holds each secret. Never a secret itself.
//!
//! A profile (`--profile NAME` or `CODEXKEY_PROFILE`) is a separate CLI identity: its own settings,
//! session, proxy key and proxy token, in `profiles/NAME/` under the config dir (and its own
//! keyring service). Without one, the config dir itself is used, as before profiles existed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::args::CredentialStoreKind;

pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:8080";

pub mod env {
    pub const CONFIG_DIR: &str = "CODEXKEY_CONFIG_DIR";
    pub const TOKEN: &str = "CODEXKEY_TOKEN";
    pub const CREDENTIAL_STORE: &str = "CODEXKEY_CREDENTIAL_STORE";
    pub const PROFILE: &str = "CODEXKEY_PROFILE";
}

/// Which CLI identity a command acts as, and where its files are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// `None`: the default profile.
    pub name: Option<String>,
    /// The directory holding this profile's `config.toml` and credentials file.
    pub dir: PathBuf,
}

impl Profile {
    /// The profile `name` (`None` or empty: the default one), its directory resolved.
    pub fn resolve(name: Option<&str>) -> Result<Profile> {
        let base = config_dir()?;
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            None => Ok(Profile {
                name: None,
                dir: base,
            }),
            Some(n) => {
                check_profile_name(n)?;
                Ok(Profile {
                    name: Some(n.to_owned()),
                    dir: base.join("profiles").join(n),
                })
            }
        }
    }

    /// `--profile NAME ` to repeat in a suggested command; empty for the default profile.
    pub fn flag(&self) -> String {
        self.name
            .as_ref()
            .map(|n| format!("--profile {n} "))
            .unwrap_or_default()
    }
}

fn check_profile_name(name: &str) -> Result<()> {
    let ok = name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(crate::error::UserError::new(
            format!("`{name}` is not a profile name"),
            "use letters, digits, `-` and `_` (e.g. `--profile admin`)",
        )
        .into())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The profile these settings belong to (not stored: it is where they are stored).
    #[serde(skip)]
    pub profile: Profile,
    /// The gateway used when `--gateway` and `CODEXKEY_GATEWAY` are absent; set by `login`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// `auto` (default), `keyring` or `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_store: Option<CredentialStoreKind>,
    /// Which store holds each credential, by credential name; so `logout` deletes it from the
    /// right place and a read does not probe both.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stored_in: BTreeMap<String, CredentialStoreKind>,
    /// Which key the proxy uses, per gateway: its id and display prefix (the secret itself is
    /// in the credential store).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_keys: BTreeMap<String, ProxyKeyRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyKeyRef {
    pub id: Option<i64>,
    pub prefix: String,
}

/// The CLI's config directory: the default profile's `config.toml` and credentials file, and
/// `profiles/` for the others.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(env::CONFIG_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("codexkey"))
        .context("this system has no config directory; set `CODEXKEY_CONFIG_DIR`")
}

impl Settings {
    pub fn path(&self) -> PathBuf {
        self.profile.dir.join("config.toml")
    }

    pub fn load(profile: Profile) -> Result<Settings> {
        let path = profile.dir.join("config.toml");
        let mut settings: Settings = match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        settings.profile = profile;
        Ok(settings)
    }

    pub fn save(&self) -> Result<()> {
        let path = self.path();
        let text = toml::to_string_pretty(self).context("cannot serialize settings")?;
        write_private(&path, text.as_bytes())
    }

    /// `--gateway`/`CODEXKEY_GATEWAY` (already in `flag`), else the saved one, else the default;
    /// without a trailing slash.
    pub fn gateway_url(&self, flag: Option<&str>) -> String {
        flag.or(self.gateway.as_deref())
            .unwrap_or(DEFAULT_GATEWAY)
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn store_kind(&self) -> Result<CredentialStoreKind> {
        match std::env::var(env::CREDENTIAL_STORE) {
            Ok(v) if !v.is_empty() => match v.as_str() {
                "auto" => Ok(CredentialStoreKind::Auto),
                "keyring" => Ok(CredentialStoreKind::Keyring),
                "file" => Ok(CredentialStoreKind::File),
                _ => anyhow::bail!(
                    "`{}` must be `auto`, `keyring` or `file`, not `{v}`",
                    env::CREDENTIAL_STORE
                ),
            },
            _ => Ok(self.credential_store.unwrap_or(CredentialStoreKind::Auto)),
        }
    }
}

/// Writes `bytes` to `path` atomically (a temporary file renamed over it) with mode 0600, in a
/// directory created with mode 0700.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path needs a directory")?;
    create_private_dir(dir)?;
    // `NamedTempFile` creates the file 0600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Creates `dir` (and its parents) for this user alone, or makes an existing one private: the
/// CLI's own directories hold secrets and usage metadata.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private", dir.display()))?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(())
}
