//! The top level of a JSON object, found without parsing what lies below it.
//!
//! Metering reads a handful of top-level fields (model, stream, output caps) from bodies that
//! coding agents make megabytes long, almost all of it strings nested in `messages` or
//! `input`. The top level is parsed strictly (keys, colons, commas, whitespace, exactly one
//! object); each value below it is only skipped: strings by jumping from quote to quote with
//! `memchr` (a backslash escapes the next byte), arrays and objects by matching brackets by
//! kind. The structure is the one every JSON parser sees, so the gateway and the upstream agree
//! on where each top-level field starts and ends and on which fields exist. What is not
//! checked below the top level (numbers, literals, commas, control characters and UTF-8 inside
//! strings) is left to the upstream, which refuses such a body before generating anything.
//!
//! Values are returned as byte ranges of the body, so callers parse the few they need (with
//! serde_json) and can splice a new value in without copying the rest.

use std::ops::Range;

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

/// From the opening quote at `i`, the index just past the closing quote.
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
        Some(b'"') => skip_string(body, i),
        Some(b'{' | b'[') => skip_nested(body, i),
        Some(b'}' | b']' | b',' | b':') => Err(malformed("a value is missing", i)),
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

/// An array or object from its opening bracket at `i`: brackets matched by kind, strings
/// skipped whole.
fn skip_nested(body: &[u8], i: usize) -> Result<usize, Malformed> {
    // The closing bracket each open one expects, innermost last.
    let mut open: Vec<u8> = Vec::new();
    let mut at = i;
    while at < body.len() {
        match body[at] {
            b'"' => {
                at = skip_string(body, at)?;
                continue;
            }
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

/// The members of the top-level object, in order. The body must be exactly one object, with
/// only whitespace around it.
pub fn members(body: &[u8]) -> Result<Vec<Member>, Malformed> {
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
    }
}
