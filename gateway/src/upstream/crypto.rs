//! Encryption at rest of upstream keys added through the admin API: XChaCha20-Poly1305 under
//! the gateway's `master_key`, a fresh random nonce per key, and the upstream's name as
//! associated data so a ciphertext cannot be moved to another upstream's row.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use codexkey_common::Secret;

const NONCE_LEN: usize = 24;

pub struct MasterKey(XChaCha20Poly1305);

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "`master_key` must be 64 hexadecimal characters (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    BadKey,
    #[error("an upstream key cannot be decrypted: wrong `master_key`, or the database was altered")]
    Open,
    #[error("the system random number generator failed")]
    Random,
}

impl MasterKey {
    pub fn from_hex(hex_key: &str) -> Result<MasterKey, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(MasterKey(cipher))
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, secret: &str, upstream: &str) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: upstream.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, blob: &[u8], upstream: &str) -> Result<Secret<String>, CryptoError> {
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Open)?;
        let plain = self
            .0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: upstream.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Open)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn round_trips_and_binds_to_the_upstream() {
        let k = MasterKey::from_hex(KEY).unwrap();
        let blob = k.seal("sk-upstream-secret", "openai").unwrap();
        assert!(
            !blob.windows(6).any(|w| w == b"sk-ups"),
            "the key is not in the clear"
        );
        assert_eq!(
            k.open(&blob, "openai").unwrap().expose(),
            "sk-upstream-secret"
        );
        assert!(
            k.open(&blob, "anthropic").is_err(),
            "moved to another upstream"
        );
        let other = MasterKey::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open(&blob, "openai").is_err(), "wrong master key");
        assert_ne!(
            blob,
            k.seal("sk-upstream-secret", "openai").unwrap(),
            "fresh nonce each time"
        );
    }

    #[test]
    fn refuses_malformed_keys() {
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
