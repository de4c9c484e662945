//! Formats of the secrets the gateway hands out, and how they are stored.
//!
//! API keys look like `ck-` followed by 43 base62 characters (256 random bits); session tokens
//! like `cks_` followed by 43. Neither is ever stored: the gateway keeps the SHA-256 of the whole
//! string, and for keys also a short display prefix (`ck-AbCd1234`) so people can tell keys apart.

use sha2::{Digest, Sha256};

pub const API_KEY_PREFIX: &str = "ck-";
pub const SESSION_TOKEN_PREFIX: &str = "cks_";
/// Characters of an API key shown in listings: `ck-` plus the first eight of the random part.
/// Eight base62 characters are ~48 bits, far too few to help guess the other 200-odd.
pub const DISPLAY_PREFIX_LEN: usize = API_KEY_PREFIX.len() + 8;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 43 base62 characters carry 256 bits (62^43 > 2^256).
const RANDOM_CHARS: usize = 43;

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomError(String);

impl RandomError {
    pub fn new(detail: String) -> Self {
        RandomError(detail)
    }
}

/// `len` characters drawn uniformly from base62 (rejection sampling, so no modulo bias).
pub fn random_base62(len: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
        for &b in &buf {
            // 248 = 4 * 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < len {
                out.push(BASE62[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// A freshly generated API key: the full secret (shown to its owner once) and what is stored.
pub struct NewApiKey {
    pub secret: String,
    pub display_prefix: String,
    pub hash: String,
}

pub fn generate_api_key() -> Result<NewApiKey, RandomError> {
    let secret = format!("{API_KEY_PREFIX}{}", random_base62(RANDOM_CHARS)?);
    Ok(NewApiKey {
        display_prefix: secret[..DISPLAY_PREFIX_LEN].to_owned(),
        hash: hash_secret(&secret),
        secret,
    })
}

pub fn generate_session_token() -> Result<String, RandomError> {
    Ok(format!(
        "{SESSION_TOKEN_PREFIX}{}",
        random_base62(RANDOM_CHARS)?
    ))
}

/// Whether `s` has the shape of an API key, so a garbage header is refused before any lookup.
pub fn looks_like_api_key(s: &str) -> bool {
    s.len() == API_KEY_PREFIX.len() + RANDOM_CHARS
        && s.starts_with(API_KEY_PREFIX)
        && s[API_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// Lower-case hex SHA-256 of a secret: what the database holds instead of it. A plain hash is
/// enough because the secrets carry 256 random bits; there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_have_the_documented_shape() -> Result<(), RandomError> {
        let k = generate_api_key()?;
        assert!(looks_like_api_key(&k.secret), "{}", k.secret);
        assert_eq!(k.secret.len(), 46);
        assert!(k.secret.starts_with(&k.display_prefix));
        assert_eq!(k.display_prefix.len(), 11);
        assert_eq!(k.hash, hash_secret(&k.secret));
        assert_eq!(k.hash.len(), 64);
        let other = generate_api_key()?;
        assert_ne!(k.secret, other.secret);
        Ok(())
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(!looks_like_api_key("ck-short"));
        assert!(!looks_like_api_key(
            "sk-0123456789012345678901234567890123456789012"
        ));
        assert!(!looks_like_api_key(
            "ck-012345678901234567890123456789012345678901!"
        ));
    }

    #[test]
    fn random_characters_cover_the_alphabet() -> Result<(), RandomError> {
        let s = random_base62(20_000)?;
        for c in BASE62 {
            assert!(s.as_bytes().contains(c), "{}", *c as char);
        }
        Ok(())
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
