//! The redemption code format: `CK-` and sixteen characters of Crockford base32 in groups of
//! four (`CK-7KQ2-M9XD-4HTB-E0RW`), 80 random bits. Crockford's alphabet has no `I`, `L`, `O` or
//! `U`, so what people misread is mapped back (`O` → `0`, `I`/`L` → `1`) and case, spaces and
//! dashes do not matter: a code read aloud or retyped still redeems. Like API keys, a code is
//! never stored, only the SHA-256 of its canonical form; 80 random bits leave nothing to
//! brute-force through the hash, and redemption attempts are throttled besides.

use crate::key::{RandomError, hash_secret};

pub const CODE_PREFIX: &str = "CK-";
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 16 × 5 = 80 random bits.
const CHARS: usize = 16;
const GROUP: usize = 4;

/// A freshly generated code: the text (shown to the admin once) and what is stored.
pub struct NewCode {
    pub code: String,
    pub hash: String,
}

pub fn generate_code() -> Result<NewCode, RandomError> {
    let mut body = String::with_capacity(CHARS);
    let mut buf = [0u8; 32];
    while body.len() < CHARS {
        getrandom::fill(&mut buf).map_err(|e| RandomError::new(e.to_string()))?;
        for &b in &buf {
            if body.len() < CHARS {
                // 256 = 8 × 32: every byte maps without bias.
                body.push(ALPHABET[usize::from(b % 32)] as char);
            }
        }
    }
    let code = grouped(&body);
    Ok(NewCode {
        hash: hash_secret(&code),
        code,
    })
}

fn grouped(body: &str) -> String {
    let groups: Vec<&str> = (0..body.len())
        .step_by(GROUP)
        .map(|i| &body[i..(i + GROUP).min(body.len())])
        .collect();
    format!("{CODE_PREFIX}{}", groups.join("-"))
}

/// The canonical form of what someone typed (`ck 7kq2 m9xd 4htb eorw` → `CK-7KQ2-M9XD-4HTB-E0RW`),
/// or `None` when it cannot be a code at all.
pub fn normalize_code(input: &str) -> Option<String> {
    let mut s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.len() == CHARS + 2 && s.starts_with("CK") {
        s.drain(..2);
    }
    if s.len() != CHARS {
        return None;
    }
    let body: Option<String> = s
        .chars()
        .map(|c| match c {
            'O' => Some('0'),
            'I' | 'L' => Some('1'),
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => Some(c),
            _ => None,
        })
        .collect();
    Some(grouped(&body?))
}

/// The SHA-256 the gateway stores for a code, from its canonical form.
pub fn hash_code(canonical: &str) -> String {
    hash_secret(canonical)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_have_the_documented_shape_and_normalize_to_themselves() {
        let c = generate_code().unwrap();
        assert_eq!(c.code.len(), 3 + 16 + 3, "{}", c.code);
        assert!(c.code.starts_with("CK-"));
        assert_eq!(normalize_code(&c.code).as_deref(), Some(c.code.as_str()));
        assert_eq!(c.hash, hash_code(&c.code));
        assert_ne!(generate_code().unwrap().code, c.code);
    }

    #[test]
    fn what_people_type_redeems_and_what_cannot_be_a_code_does_not() {
        let canonical = "CK-7KQ2-M9XD-4HTB-E0RW";
        for typed in [
            canonical,
            "ck-7kq2-m9xd-4htb-e0rw",
            "7KQ2M9XD4HTBE0RW",
            " CK 7KQ2 M9XD 4HTB EORW ",
            "CK-7KQ2-M9XD-4HTB-EORW",
        ] {
            assert_eq!(normalize_code(typed).as_deref(), Some(canonical), "{typed}");
        }
        assert_eq!(
            normalize_code("CK-1111-LLLL-IIII-0000").as_deref(),
            Some("CK-1111-1111-1111-0000")
        );
        for bad in [
            "",
            "CK-",
            "CK-7KQ2-M9XD-4HTB",
            "CK-7KQ2-M9XD-4HTB-E0RWX",
            "CK-7KQ2-M9XD-4HTB-E0RU",
            "CK-7KQ2-M9XD-4HTB-É0RW",
        ] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }
}
