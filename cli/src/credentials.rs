//! Where the CLI keeps secrets (the session token; later the proxy's API key): the OS keyring,
//! or a private file where no keyring service runs (headless Linux, CI).
//!
//! `CODEXKEY_TOKEN` overrides any stored session token. The store is chosen by the `auto |
//! keyring | file` setting: `auto` tries the keyring and falls back to the file with one warning.
//! The settings file records which store holds each credential.
//!
//! keyring calls block (and on Linux talk D-Bus through a tokio-driven connection), so callers
//! run these functions on the blocking pool.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::args::CredentialStoreKind;
use crate::settings::{Settings, write_private};

/// The keyring service of the default profile; another profile's is `codexkey:NAME`.
const KEYRING_SERVICE: &str = "codexkey";

/// The credential name of the session token for a gateway.
pub fn session_name(gateway: &str) -> String {
    format!("session:{gateway}")
}

/// The credential name of the API key `codexkey proxy` uses with a gateway.
pub fn proxy_key_name(gateway: &str) -> String {
    format!("apikey:{gateway}")
}

/// The private file holding this profile's secrets when no keyring is used.
pub fn file_path(settings: &Settings) -> PathBuf {
    settings.profile.dir.join("credentials.toml")
}

fn keyring_service(settings: &Settings) -> String {
    match &settings.profile.name {
        None => KEYRING_SERVICE.to_owned(),
        Some(p) => format!("{KEYRING_SERVICE}:{p}"),
    }
}

fn read_file(settings: &Settings) -> Result<BTreeMap<String, String>> {
    let path = file_path(settings);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_file(settings: &Settings, map: &BTreeMap<String, String>) -> Result<()> {
    let text = toml::to_string(map).context("cannot serialize credentials")?;
    write_private(&file_path(settings), text.as_bytes())
}

fn keyring_entry(settings: &Settings, name: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(&keyring_service(settings), name).context("cannot open the OS keyring")
}

fn keyring_set(settings: &Settings, name: &str, secret: &str) -> Result<()> {
    let entry = keyring_entry(settings, name)?;
    entry
        .set_password(secret)
        .context("cannot write to the OS keyring")?;
    // Some backends accept a write and lose it (the Linux kernel keyring without a session
    // keyring): read it back before trusting it.
    match entry.get_password() {
        Ok(back) if back == secret => Ok(()),
        _ => anyhow::bail!("the OS keyring did not keep the secret"),
    }
}

/// Stores `secret` under `name` and records where; returns the store used.
pub fn save(settings: &mut Settings, name: &str, secret: &str) -> Result<CredentialStoreKind> {
    let used = match settings.store_kind()? {
        CredentialStoreKind::File => {
            save_to_file(settings, name, secret)?;
            CredentialStoreKind::File
        }
        CredentialStoreKind::Keyring => {
            keyring_set(settings, name, secret).context(
                "set `credential_store = \"file\"` in the settings to use a private file instead",
            )?;
            CredentialStoreKind::Keyring
        }
        CredentialStoreKind::Auto => match keyring_set(settings, name, secret) {
            Ok(()) => CredentialStoreKind::Keyring,
            Err(e) => {
                #[expect(clippy::print_stderr, reason = "a one-time notice for the user")]
                {
                    eprintln!(
                        "warning: no usable OS keyring ({e:#}); the secret is kept in {} (mode 0600)",
                        file_path(settings).display()
                    );
                }
                save_to_file(settings, name, secret)?;
                CredentialStoreKind::File
            }
        },
    };
    settings.stored_in.insert(name.to_owned(), used);
    settings.save()?;
    Ok(used)
}

fn save_to_file(settings: &Settings, name: &str, secret: &str) -> Result<()> {
    let mut map = read_file(settings)?;
    map.insert(name.to_owned(), secret.to_owned());
    write_file(settings, &map)
}

/// The secret stored under `name`, from the store that holds it.
pub fn load(settings: &Settings, name: &str) -> Result<Option<String>> {
    match settings.stored_in.get(name) {
        None => Ok(None),
        Some(CredentialStoreKind::File) => Ok(read_file(settings)?.remove(name)),
        Some(_) => match keyring_entry(settings, name)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e).context("cannot read from the OS keyring"),
        },
    }
}

/// Forgets the secret under `name` wherever it is. True when there was one.
pub fn delete(settings: &mut Settings, name: &str) -> Result<bool> {
    let Some(kind) = settings.stored_in.remove(name) else {
        return Ok(false);
    };
    match kind {
        CredentialStoreKind::File => {
            let mut map = read_file(settings)?;
            map.remove(name);
            write_file(settings, &map)?;
        }
        _ => match keyring_entry(settings, name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(e).context("cannot delete from the OS keyring"),
        },
    }
    settings.save()?;
    Ok(true)
}

/// The credential name of the proxy token: one per user (per profile), whatever the gateway.
pub const PROXY_TOKEN_NAME: &str = "proxy-token";
/// Proxy tokens look like `ckp_` and 43 base62 characters (256 random bits).
pub const PROXY_TOKEN_PREFIX: &str = "ckp_";
/// What `env`, `run` and `setup` handed out before proxy tokens existed; `doctor` flags it.
pub const OLD_PLACEHOLDER_TOKEN: &str = "codexkey-proxy";

/// The token the user's tools present to `codexkey proxy`, generated from the operating
/// system's random source and stored on first use. Runs on the blocking pool, like every
/// credential-store call.
pub fn proxy_token(settings: &mut Settings) -> Result<String> {
    if let Some(t) = load(settings, PROXY_TOKEN_NAME)?
        && t.starts_with(PROXY_TOKEN_PREFIX)
    {
        return Ok(t);
    }
    let token = format!(
        "{PROXY_TOKEN_PREFIX}{}",
        codexkey_common::key::random_base62(43)?
    );
    save(settings, PROXY_TOKEN_NAME, &token)?;
    Ok(token)
}
