//! `Stripe-Signature` verification: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` is
//! HMAC-SHA256 of `"{t}.{raw body}"` keyed with an endpoint's signing secret (the whole
//! `whsec_…` string). Any `v1` matching any configured secret is accepted, so a secret can be
//! rolled (Stripe signs with both the old and the new one while they overlap, and the operator
//! lists both). The timestamp must be within the tolerance of now, so a captured delivery
//! cannot be replayed later; a replay inside the window is caught by the event id instead.
//! Other schemes (`v0`, test-mode signatures) are ignored.

use std::time::Duration;

use codexkey_common::Secret;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no `Stripe-Signature` header")]
    Missing,
    #[error("`Stripe-Signature` has no timestamp `t=`")]
    NoTimestamp,
    #[error("`Stripe-Signature` has no `v1=` signature")]
    NoSignature,
    #[error("the signature's timestamp is {0} s away from now, beyond the tolerance")]
    Stale(u64),
    #[error("no signature matches a configured webhook secret")]
    Mismatch,
}

/// Checks `header` against `payload` with each of `secrets`, at unix time `now`.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[Secret<String>],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<[u8; 32]> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp.is_none() => timestamp = value.parse().ok(),
            "v1" => {
                let mut sig = [0u8; 32];
                if hex::decode_to_slice(value, &mut sig).is_ok() {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let age = now.abs_diff(timestamp);
    if age > tolerance.as_secs() {
        return Err(SignatureError::Stale(age));
    }
    let t = timestamp.to_string();
    for secret in secrets {
        let expected = hmac_sha256(secret.expose().as_bytes(), &[t.as_bytes(), b".", payload]);
        // Every candidate is compared in full: how many matched bytes is never visible.
        if signatures
            .iter()
            .fold(false, |any, sig| any | constant_time_eq(sig, &expected))
        {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

/// Equality whose time does not depend on where the first difference is.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(list: &[&str]) -> Vec<Secret<String>> {
        list.iter().map(|s| Secret::new((*s).to_owned())).collect()
    }

    fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
        hex::encode(hmac_sha256(
            secret.as_bytes(),
            &[t.to_string().as_bytes(), b".", payload],
        ))
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 (a short key) and 6 (a key longer than the block).
        assert_eq!(
            hex::encode(hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn any_v1_with_any_secret_inside_the_tolerance_is_accepted() {
        let body = br#"{"id":"evt_1"}"#;
        let t = 1_700_000_000;
        let tol = Duration::from_secs(300);
        let good = sign("whsec_new", t, body);
        let other = sign("whsec_unknown", t, body);
        let header = format!("t={t},v1={other},v1={good},v0=abc");
        let both = secrets(&["whsec_old", "whsec_new"]);
        assert_eq!(verify(Some(&header), body, &both, t + 10, tol), Ok(()));
        assert_eq!(
            verify(Some(&header), body, &secrets(&["whsec_old"]), t, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), b"{\"id\":\"evt_2\"}", &both, t, tol),
            Err(SignatureError::Mismatch),
            "another body"
        );
        let wrong_t = format!("t={},v1={good}", t + 1);
        assert_eq!(
            verify(Some(&wrong_t), body, &both, t, tol),
            Err(SignatureError::Mismatch),
            "the timestamp is signed"
        );
        assert_eq!(
            verify(Some(&header), body, &both, t + 301, tol),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(Some(&header), body, &both, t - 301, tol),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(None, body, &both, t, tol),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some(&format!("v1={good}")), body, &both, t, tol),
            Err(SignatureError::NoTimestamp)
        );
        assert_eq!(
            verify(Some(&format!("t={t},v0={good}")), body, &both, t, tol),
            Err(SignatureError::NoSignature)
        );
        assert_eq!(
            verify(Some(&header), body, &[], t, tol),
            Err(SignatureError::Mismatch),
            "no secret configured accepts nothing"
        );
    }
}
