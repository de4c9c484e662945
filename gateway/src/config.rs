//! Gateway configuration: defaults < TOML file < `CODEXKEY_*` environment < command-line flags.
//!
//! Each layer is parsed into an all-`Option` [`RawConfig`]; [`Config::load`] merges them with an
//! explicit `flag.or(env).or(file).unwrap_or(default)` chain and validates the result into an
//! `Option`-free [`Config`]. Nothing here reads the process environment directly: the caller
//! passes a lookup function, so precedence is testable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codexkey_common::Secret;
use serde::{Deserialize, Serialize};

/// Environment variables the gateway reads, one constant each. Nested settings use `__`.
pub mod env {
    pub const CONFIG: &str = "CODEXKEY_CONFIG";
    pub const LISTEN: &str = "CODEXKEY_LISTEN";
    pub const DATA_DIR: &str = "CODEXKEY_DATA_DIR";
    pub const DATABASE_URL: &str = "CODEXKEY_DATABASE_URL";
    pub const LOG: &str = "CODEXKEY_LOG";
    pub const ADMIN_EMAIL: &str = "CODEXKEY_ADMIN_EMAIL";
    pub const ADMIN_PASSWORD: &str = "CODEXKEY_ADMIN_PASSWORD";
    pub const AUTH_SESSION_TTL_SECS: &str = "CODEXKEY_AUTH__SESSION_TTL_SECS";
    pub const AUTH_ALLOW_REGISTRATION: &str = "CODEXKEY_AUTH__ALLOW_REGISTRATION";
    pub const AUTH_ARGON2_MEMORY_KIB: &str = "CODEXKEY_AUTH__ARGON2_MEMORY_KIB";
    pub const AUTH_ARGON2_ITERATIONS: &str = "CODEXKEY_AUTH__ARGON2_ITERATIONS";
    pub const AUTH_ARGON2_PARALLELISM: &str = "CODEXKEY_AUTH__ARGON2_PARALLELISM";
}

/// An annotated example configuration, shipped in the binary.
pub const EXAMPLE_CONFIG: &str = include_str!("../codexkey.example.toml");

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
const DEFAULT_SESSION_TTL_SECS: u64 = 30 * 24 * 3600;
/// OWASP's recommended argon2id cost (m=19 MiB, t=2, p=1): ~15 ms per hash in release builds.
const DEFAULT_ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const DEFAULT_ARGON2_ITERATIONS: u32 = 2;
const DEFAULT_ARGON2_PARALLELISM: u32 = 1;

/// One layer of configuration, every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log: Option<String>,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub auth: RawAuth,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub email: Option<String>,
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub session_ttl_secs: Option<u64>,
    pub allow_registration: Option<bool>,
    pub argon2_memory_kib: Option<u32>,
    pub argon2_iterations: Option<u32>,
    pub argon2_parallelism: Option<u32>,
}

/// What the command line may set: the highest-precedence layer.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// The validated configuration the gateway runs with.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: Database,
    pub log: String,
    pub admin: AdminBootstrap,
    pub auth: AuthConfig,
    /// The file that was read, if any (shown by `--print-config`).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Database {
    Sqlite { path: PathBuf },
}

/// Who becomes the first admin when the gateway starts on an empty database.
#[derive(Debug, Clone, Serialize)]
pub struct AdminBootstrap {
    pub email: String,
    /// `None`: generate one and print it once.
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthConfig {
    #[serde(rename = "session_ttl_secs", serialize_with = "as_secs")]
    pub session_ttl: Duration,
    pub allow_registration: bool,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("no data directory: this platform has none by default; pass `--data-dir DIR`")]
    NoDataDir,
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
        serde_path_to_error::deserialize(de).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: format!("at `{}`: {}", e.path(), e.inner()),
        })
    }

    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<RawConfig, ConfigError> {
        Ok(RawConfig {
            listen: get(env::LISTEN),
            data_dir: get(env::DATA_DIR).map(PathBuf::from),
            database_url: get(env::DATABASE_URL),
            log: get(env::LOG),
            admin: RawAdmin {
                email: get(env::ADMIN_EMAIL),
                password: get(env::ADMIN_PASSWORD).map(Secret::new),
            },
            auth: RawAuth {
                session_ttl_secs: parse_env(get, env::AUTH_SESSION_TTL_SECS)?,
                allow_registration: parse_env(get, env::AUTH_ALLOW_REGISTRATION)?,
                argon2_memory_kib: parse_env(get, env::AUTH_ARGON2_MEMORY_KIB)?,
                argon2_iterations: parse_env(get, env::AUTH_ARGON2_ITERATIONS)?,
                argon2_parallelism: parse_env(get, env::AUTH_ARGON2_PARALLELISM)?,
            },
        })
    }

    /// `self` wins over `lower` field by field.
    fn or(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            log: self.log.or(lower.log),
            admin: RawAdmin {
                email: self.admin.email.or(lower.admin.email),
                password: self.admin.password.or(lower.admin.password),
            },
            auth: RawAuth {
                session_ttl_secs: self.auth.session_ttl_secs.or(lower.auth.session_ttl_secs),
                allow_registration: self
                    .auth
                    .allow_registration
                    .or(lower.auth.allow_registration),
                argon2_memory_kib: self.auth.argon2_memory_kib.or(lower.auth.argon2_memory_kib),
                argon2_iterations: self.auth.argon2_iterations.or(lower.auth.argon2_iterations),
                argon2_parallelism: self
                    .auth
                    .argon2_parallelism
                    .or(lower.auth.argon2_parallelism),
            },
        }
    }
}

fn parse_env<T: std::str::FromStr>(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    get(key)
        .map(|v| {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
                key: key.to_owned(),
                message: format!("`{v}`: {e}"),
            })
        })
        .transpose()
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

    pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_owned(),
            message,
        };
        let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|e| {
            invalid(
                "listen",
                format!("`{listen_text}` is not an address like 127.0.0.1:8080 ({e})"),
            )
        })?;
        let data_dir = match raw.data_dir {
            Some(d) => d,
            None => dirs::data_dir()
                .ok_or(ConfigError::NoDataDir)?
                .join("codexkey"),
        };
        let database = match raw.database_url {
            None => Database::Sqlite {
                path: data_dir.join("codexkey.db"),
            },
            Some(url) => {
                parse_database_url(&url, &data_dir).map_err(|m| invalid("database_url", m))?
            }
        };
        let admin_email = raw
            .admin
            .email
            .map(|e| e.trim().to_lowercase())
            .unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.to_owned());
        let auth = AuthConfig {
            session_ttl: Duration::from_secs(
                raw.auth
                    .session_ttl_secs
                    .unwrap_or(DEFAULT_SESSION_TTL_SECS),
            ),
            allow_registration: raw.auth.allow_registration.unwrap_or(true),
            argon2_memory_kib: raw
                .auth
                .argon2_memory_kib
                .unwrap_or(DEFAULT_ARGON2_MEMORY_KIB),
            argon2_iterations: raw
                .auth
                .argon2_iterations
                .unwrap_or(DEFAULT_ARGON2_ITERATIONS),
            argon2_parallelism: raw
                .auth
                .argon2_parallelism
                .unwrap_or(DEFAULT_ARGON2_PARALLELISM),
        };
        if auth.session_ttl.is_zero() {
            return Err(invalid(
                "auth.session_ttl_secs",
                "must be at least 1".into(),
            ));
        }
        // Argon2's own limits: m >= 8*p KiB, t >= 1, 1 <= p <= 2^24-1.
        argon2::Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| invalid("auth.argon2_*", e.to_string()))?;
        Ok(Config {
            listen,
            data_dir,
            database,
            log: raw.log.unwrap_or_else(|| "info".to_owned()),
            admin: AdminBootstrap {
                email: admin_email,
                password: raw.admin.password,
            },
            auth,
            source: None,
        })
    }

    /// The effective configuration as TOML, secrets masked: what `--print-config` shows.
    pub fn to_masked_toml(&self) -> String {
        let mut out = String::new();
        match &self.source {
            Some(p) => out.push_str(&format!("# read from {}\n", p.display())),
            None => out.push_str("# no config file; defaults, environment and flags\n"),
        }
        out.push_str(
            &toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n")),
        );
        out
    }
}

/// `sqlite:///abs/path.db`, `sqlite://relative.db` (inside the data dir) or `sqlite::memory:`
/// are understood; other schemes are refused by name.
fn parse_database_url(url: &str, data_dir: &Path) -> Result<Database, String> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        if rest.is_empty() {
            return Err(
                "`sqlite://` needs a path, e.g. `sqlite:///var/lib/codexkey/codexkey.db`".into(),
            );
        }
        let p = PathBuf::from(rest);
        let path = if p.is_absolute() { p } else { data_dir.join(p) };
        return Ok(Database::Sqlite { path });
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(format!(
        "`{scheme}` databases are not supported by this build; use `sqlite:///path/to/codexkey.db`"
    ))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("gateway.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(
            Flags {
                data_dir: Some("/tmp/ck".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(c.database, Database::Sqlite { ref path } if path == Path::new("/tmp/ck/codexkey.db"))
        );
        assert_eq!(c.admin.email, "admin@localhost");
        assert!(c.admin.password.is_none());
        assert_eq!(c.auth.session_ttl, Duration::from_secs(30 * 24 * 3600));
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:1111\"\ndata_dir = \"/from/file\"\nlog = \"debug\"\n[auth]\nsession_ttl_secs = 60\n",
        );
        let env = lookup(&[
            ("CODEXKEY_LISTEN", "127.0.0.1:2222"),
            ("CODEXKEY_DATA_DIR", "/from/env"),
            ("CODEXKEY_AUTH__SESSION_TTL_SECS", "120"),
        ]);
        let flags = Flags {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:3333".into()),
            data_dir: None,
        };
        let c = Config::load(flags, &env).unwrap();
        assert_eq!(c.listen.port(), 3333, "flag wins over env and file");
        assert_eq!(c.data_dir, Path::new("/from/env"), "env wins over file");
        assert_eq!(
            c.auth.session_ttl.as_secs(),
            120,
            "nested env wins over file"
        );
        assert_eq!(c.log, "debug", "file wins over default");
        assert_eq!(c.source.as_deref(), Some(file.as_path()));
    }

    #[test]
    fn config_file_named_by_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:4444\"\ndata_dir = \"/d\"\n",
        );
        let env = lookup(&[("CODEXKEY_CONFIG", file.to_str().unwrap())]);
        let c = Config::load(Flags::default(), &env).unwrap();
        assert_eq!(c.listen.port(), 4444);
    }

    #[test]
    fn unknown_keys_and_bad_types_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "[auth]\nsesion_ttl_secs = 5\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sesion_ttl_secs"), "{err}");

        let file = write(dir.path(), "[auth]\nargon2_iterations = \"two\"\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("auth.argon2_iterations"), "{err}");

        let err = Config::load(
            Flags::default(),
            &lookup(&[("CODEXKEY_AUTH__SESSION_TTL_SECS", "soon")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("CODEXKEY_AUTH__SESSION_TTL_SECS"),
            "{err}"
        );

        let err = Config::load(
            Flags {
                listen: Some("localhost".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`listen`"), "{err}");
    }

    #[test]
    fn print_config_masks_the_admin_password() {
        let env = lookup(&[
            ("CODEXKEY_ADMIN_PASSWORD", "correct-horse-battery"),
            ("CODEXKEY_DATA_DIR", "/d"),
        ]);
        let c = Config::load(Flags::default(), &env).unwrap();
        let shown = c.to_masked_toml();
        assert!(!shown.contains("correct-horse-battery"), "{shown}");
        assert!(shown.contains("password = \"*****\""), "{shown}");
        assert!(shown.contains("listen = \"127.0.0.1:8080\""), "{shown}");
    }

    #[test]
    fn database_urls() {
        let d = Path::new("/data");
        assert!(
            matches!(parse_database_url("sqlite:///x/y.db", d), Ok(Database::Sqlite { path }) if path == Path::new("/x/y.db"))
        );
        assert!(
            matches!(parse_database_url("sqlite://y.db", d), Ok(Database::Sqlite { path }) if path == Path::new("/data/y.db"))
        );
        assert!(
            parse_database_url("mysql://x", d)
                .unwrap_err()
                .contains("`mysql`")
        );
    }
}
