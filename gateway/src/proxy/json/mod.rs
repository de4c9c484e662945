//! The top level of a JSON object, found without parsing what lies below it.
//!
//! Metering reads a handful of top-level fields (model, stream, output caps) from bodies that
//! coding agents make megabytes long, almost all of it strings nested in `messages` or
//! `input`. The top level is parsed strictly (keys, colons, commas, whitespace, exactly one
//! object); each value below it is only skipped, 64 bytes at a time ([`blocks`]): strings to
//! their first unescaped quote (a backslash escapes the next byte), arrays and objects by
//! matching brackets by kind outside strings. A backslash outside a string is refused, as
//! every JSON parser refuses it. The structure is the one every JSON parser sees, so the
//! gateway and the upstream agree on where each top-level field starts and ends and on which
//! fields exist. What is not checked below the top level (numbers, literals, commas, control
//! characters and UTF-8 inside strings) is left to the upstream, which refuses such a body
//! before generating anything.
//!
//! Values are returned as byte ranges of the body, so callers parse the few they need (with
//! serde_json) and can splice a new value in without copying the rest.

mod blocks;

use std::ops::Range;

use blocks::{Brackets, Escapes, Quotes, WIDTH};

/// One member of the top-level object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key as written between its quotes (escapes not decoded).
    pub key: Range<usize>,
    /// Whether the key holds a backslash (then decode it before comparing).
    pub escaped_key: bool,
    /// The value, from its first byte to its last.
    pub value: Range<usize>,
}

/// Why a body is not a JSON object; the byte offset says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct Malformed {
    pub what: &'static str,
    pub at: usize,
}

fn malformed(what: &'static str, at: usize) -> Malformed {
    Malformed { what, at }
}

fn skip_ws(body: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = body.get(i) {
        i += 1;
    }
    i
}

/// From the opening quote at `i`, the index just past the closing quote: for keys, which are
/// short, so a `memchr` or two beats a block.
fn skip_string(body: &[u8], i: usize) -> Result<usize, Malformed> {
    let mut at = i + 1;
    loop {
        let Some(off) = memchr::memchr2(b'"', b'\\', &body[at.min(body.len())..]) else {
            return Err(malformed("unterminated string", i));
        };
        at += off;
        if body[at] == b'"' {
            return Ok(at + 1);
        }
        // A backslash: the next byte is escaped, whatever it is.
        at += 2;
        if at > body.len() {
            return Err(malformed("unterminated string", i));
        }
    }
}

/// From the first byte of a value at `i`, the index just past it.
fn skip_value(body: &[u8], i: usize) -> Result<usize, Malformed> {
    match body.get(i) {
        None => Err(malformed("a value is missing", i)),
        Some(b'"' | b'{' | b'[') => skip_blocks(body, i),
        Some(b'}' | b']' | b',' | b':') => Err(malformed("a value is missing", i)),
        Some(b'\\') => Err(malformed("a backslash outside a string", i)),
        Some(_) => {
            // A number or a literal: up to the next delimiter.
            let end = body[i..]
                .iter()
                .position(|b| {
                    matches!(
                        b,
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'['
                    )
                })
                .map_or(body.len(), |n| i + n);
            Ok(end)
        }
    }
}

/// A string, array or object from its opening quote or bracket at `start`, a block at a time:
/// the index just past its end. A string ends at its first unescaped quote; an array or object
/// where its brackets, matched by kind outside strings, close.
fn skip_blocks(body: &[u8], start: usize) -> Result<usize, Malformed> {
    let string = body[start] == b'"';
    // The closing bracket each open one expects, innermost last.
    let mut open: Vec<u8> = Vec::new();
    let mut escapes = Escapes::default();
    // All ones when the block starts inside a string.
    let mut in_string = 0u64;
    let mut tail = [b' '; WIDTH];
    let mut pos = start;
    while pos < body.len() {
        let block = match body[pos..].first_chunk::<WIDTH>() {
            Some(block) => block,
            None => {
                // The last bytes, padded with spaces, which are nothing to the scan.
                let rest = &body[pos..];
                tail[..rest.len()].copy_from_slice(rest);
                &tail
            }
        };
        let Quotes { quote, backslash } = Quotes::of(block);
        let quotes = quote & !escapes.next(backslash);
        // Set from each opening quote up to its closing one, which is clear.
        let strings = blocks::prefix_xor(quotes) ^ in_string;
        in_string = 0u64.wrapping_sub(strings >> 63);
        if string {
            let closing = quotes & !strings;
            if closing != 0 {
                return Ok(pos + closing.trailing_zeros() as usize + 1);
            }
        } else if strings != u64::MAX {
            let stray = backslash & !strings;
            let Brackets {
                open: opening,
                close,
            } = Brackets::of(block);
            let mut brackets = (opening | close) & !strings;
            while brackets != 0 {
                let bit = brackets.trailing_zeros();
                // What follows a stray backslash was classed as escaped: stop before it.
                if stray & ((1u64 << bit) - 1) != 0 {
                    return Err(stray_backslash(pos, stray));
                }
                let at = pos + bit as usize;
                match body[at] {
                    b'{' => open.push(b'}'),
                    b'[' => open.push(b']'),
                    close => {
                        if open.pop() != Some(close) {
                            return Err(malformed("mismatched bracket", at));
                        }
                        if open.is_empty() {
                            return Ok(at + 1);
                        }
                    }
                }
                brackets &= brackets - 1;
            }
            if stray != 0 {
                return Err(stray_backslash(pos, stray));
            }
        }
        pos += WIDTH;
    }
    Err(if string {
        malformed("unterminated string", start)
    } else {
        malformed("unclosed bracket", start)
    })
}

fn stray_backslash(block_start: usize, stray: u64) -> Malformed {
    malformed(
        "a backslash outside a string",
        block_start + stray.trailing_zeros() as usize,
    )
}

/// The members of the top-level object, in order. The body must be exactly one object, with
/// only whitespace around it.
pub fn members(body: &[u8]) -> Result<Vec<Member>, Malformed> {
    members_with(body, skip_value)
}

/// [`members`], each value skipped by `skip_value` (the tests give it the byte-by-byte one).
fn members_with(
    body: &[u8],
    skip_value: fn(&[u8], usize) -> Result<usize, Malformed>,
) -> Result<Vec<Member>, Malformed> {
    let mut out = Vec::new();
    let mut i = skip_ws(body, 0);
    if body.get(i) != Some(&b'{') {
        return Err(malformed("expected a JSON object", i));
    }
    i = skip_ws(body, i + 1);
    if body.get(i) == Some(&b'}') {
        return finish(body, i + 1, out);
    }
    loop {
        if body.get(i) != Some(&b'"') {
            return Err(malformed("expected a key", i));
        }
        let key_end = skip_string(body, i)?;
        let key = i + 1..key_end - 1;
        let escaped_key = memchr::memchr(b'\\', &body[key.clone()]).is_some();
        i = skip_ws(body, key_end);
        if body.get(i) != Some(&b':') {
            return Err(malformed("expected `:` after a key", i));
        }
        i = skip_ws(body, i + 1);
        let value_end = skip_value(body, i)?;
        out.push(Member {
            key,
            escaped_key,
            value: i..value_end,
        });
        i = skip_ws(body, value_end);
        match body.get(i) {
            Some(b',') => i = skip_ws(body, i + 1),
            Some(b'}') => return finish(body, i + 1, out),
            _ => return Err(malformed("expected `,` or `}`", i)),
        }
    }
}

fn finish(body: &[u8], end: usize, members: Vec<Member>) -> Result<Vec<Member>, Malformed> {
    let rest = skip_ws(body, end);
    if rest != body.len() {
        return Err(malformed("trailing characters after the object", rest));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;

    fn key_of(body: &[u8], m: &Member) -> String {
        let raw = &body[m.key.start - 1..m.key.end + 1];
        serde_json::from_slice(raw).expect("a key is a JSON string")
    }

    /// What serde_json makes of the top level, against what `members` found.
    fn check(body: &[u8]) {
        let parsed: Map<String, Value> = serde_json::from_slice(body).unwrap();
        let found = members(body).unwrap();
        assert_eq!(
            found.len(),
            parsed.len(),
            "{}",
            String::from_utf8_lossy(body)
        );
        for m in &found {
            let key = key_of(body, m);
            let value: Value = serde_json::from_slice(&body[m.value.clone()]).unwrap();
            assert_eq!(parsed.get(&key), Some(&value), "{key}");
        }
    }

    #[test]
    fn finds_each_member_and_its_exact_span() {
        let body = br#" { "model" : "gpt-5", "messages":[{"role":"user","content":"a \"quoted\" } ] { [ text"}],
            "stream":true, "max_tokens": 12 ,"n":null,"t":[[],{}], "e\u0073c":"x\\"} "#;
        check(body);
        let found = members(body).unwrap();
        assert_eq!(&body[found[0].value.clone()], br#""gpt-5""#);
        assert_eq!(&body[found[3].value.clone()], b"12");
        assert!(found[6].escaped_key);
        assert_eq!(members(b"{}").unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"a\":1",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{\"a\":}",
            b"{\"a\":[1,2}",
            b"{\"a\":{\"b\":[}]}",
            b"{\"a\":\"unterminated}",
            b"{\"a\":\"ends in a backslash\\",
            b"{\"a\":1}{}",
            b"{\"a\":1} x",
            b"{a:1}",
            b"{\"a\":1 \"b\":2}",
        ] {
            assert!(members(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn every_cut_of_a_body_is_refused() {
        let body = serde_json::to_vec(&json!({
            "model": "m", "messages": [{"role": "user", "content": "hi \"x\" \\ {"}],
            "stream": true, "n": [1, {"a": null}]
        }))
        .unwrap();
        for cut in 0..body.len() {
            assert!(members(&body[..cut]).is_err(), "cut at {cut}");
        }
        check(&body);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".*".prop_map(Value::String),
            "[\"\\\\{}\\[\\]:,]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// The value skipping before blocks, byte by byte and `memchr` by `memchr`, with a
    /// backslash outside a string refused: what [`members`] must find on any input.
    mod reference {
        use super::super::{Malformed, Member, malformed, members_with, skip_string};

        fn skip_value(body: &[u8], i: usize) -> Result<usize, Malformed> {
            match body.get(i) {
                None => Err(malformed("a value is missing", i)),
                Some(b'"') => skip_string(body, i),
                Some(b'{' | b'[') => skip_nested(body, i),
                Some(b'}' | b']' | b',' | b':') => Err(malformed("a value is missing", i)),
                Some(b'\\') => Err(malformed("a backslash outside a string", i)),
                Some(_) => Ok(body[i..]
                    .iter()
                    .position(|b| b",}] \t\n\r\"{[".contains(b))
                    .map_or(body.len(), |n| i + n)),
            }
        }

        fn skip_nested(body: &[u8], i: usize) -> Result<usize, Malformed> {
            let mut open = Vec::new();
            let mut at = i;
            while at < body.len() {
                match body[at] {
                    b'"' => {
                        at = skip_string(body, at)?;
                        continue;
                    }
                    b'\\' => return Err(malformed("a backslash outside a string", at)),
                    b'{' => open.push(b'}'),
                    b'[' => open.push(b']'),
                    close @ (b'}' | b']') => {
                        if open.pop() != Some(close) {
                            return Err(malformed("mismatched bracket", at));
                        }
                        if open.is_empty() {
                            return Ok(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            Err(malformed("unclosed bracket", i))
        }

        pub fn members(body: &[u8]) -> Result<Vec<Member>, Malformed> {
            members_with(body, skip_value)
        }
    }

    /// Bodies that are almost JSON: a top level that mostly parses, with values from an
    /// alphabet dense in quotes, backslashes and brackets, long enough to cross blocks.
    fn almost_json() -> impl Strategy<Value = Vec<u8>> {
        let value = prop_oneof![
            "\"[a\"\\\\{}\\[\\]:, ]{0,150}\"",
            "[\\[{][a\"\\\\{}\\[\\]:, ]{0,200}[\\]}]{1,3}",
            "[0-9]{1,3}",
        ];
        prop::collection::vec(("[a-z\\\\]{1,4}", value), 0..6).prop_map(|members| {
            let mut body = b"{".to_vec();
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(format!("\"{k}\":{v}").as_bytes());
            }
            body.push(b'}');
            body
        })
    }

    proptest! {
        /// On any object serde_json writes, compact or pretty, the members found are the
        /// members serde_json reads, value for value.
        #[test]
        fn agrees_with_serde_json(
            map in prop::collection::btree_map(".{0,10}", json_value(), 0..10)
        ) {
            let value = Value::Object(map.into_iter().collect());
            check(&serde_json::to_vec(&value).unwrap());
            check(&serde_json::to_vec_pretty(&value).unwrap());
        }

        /// On bodies that are and are not JSON, the blocks find what the byte-by-byte scanner
        /// finds: the same members, or a refusal.
        #[test]
        fn blocks_agree_with_the_byte_by_byte_scanner(body in almost_json()) {
            let want = reference::members(&body);
            let got = members(&body);
            prop_assert_eq!(got.is_ok(), want.is_ok(), "{:?} {:?}", got, want);
            if let (Ok(got), Ok(want)) = (got, want) {
                prop_assert_eq!(got, want);
            }
        }

        /// Long strings dense with escapes, at every offset against the block boundaries.
        #[test]
        fn escapes_across_blocks(
            text in "[a\"\\\\]{0,300}",
            pad in 0usize..64,
        ) {
            let content = serde_json::to_string(&text).unwrap();
            let body = format!(
                "{{\"p\":\"{}\",\"messages\":[{{\"content\":{content}}}],\"s\":{content},\"model\":\"m\"}}",
                "x".repeat(pad)
            );
            check(body.as_bytes());
        }
    }
}
