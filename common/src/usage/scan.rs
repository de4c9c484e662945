//! Byte-level reading of upstream JSON on the hot path: `memchr` key searches, delta string
//! lengths, an event's `"type"` sniffed without a parse, and the lenient token count every
//! usage shape deserializes with. Everything here is per request and allocation-free; only the
//! one or two events that can carry usage are parsed as JSON (see [`parse`]).

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::Deserialize;

use super::types::{InvalidUsage, MAX_TOKENS};

// Substring searchers, built once per process. A key is searched with its quotes and
// `key_value` then wants a colon after it. Text inside a JSON string has its quotes escaped, so
// it can match `"usage"` only as the end of a string, and a string followed by a colon is a key:
// only a key whose name ended in an escaped `\"usage` could fool this, and upstream schemas have
// none. Where a false match would cost something (reading usage), a full parse confirms it.
pub(super) static USAGE_KEY: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"\"usage\""));
pub(super) static CHOICES_KEY: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"\"choices\""));
static TYPE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"type\""));

/// The value after the first occurrence of `key` (a quoted key) used as an object key, from its
/// first byte on; `None` if the key does not occur.
pub(super) fn key_value<'a>(data: &'a [u8], key: &Finder<'_>) -> Option<&'a [u8]> {
    key.find_iter(data).find_map(|at| {
        let rest = skip_ws(&data[at + key.needle().len()..]);
        let rest = rest.strip_prefix(b":")?;
        Some(skip_ws(rest))
    })
}

pub(super) fn skip_ws(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The byte length of the JSON string starting just after its opening quote, escapes as sent.
fn string_len(string: &[u8]) -> usize {
    let mut at = 0;
    while let Some(offset) = memchr::memchr2(b'"', b'\\', &string[at..]) {
        at += offset;
        if string[at] == b'"' {
            return at;
        }
        // Skip the escaped character (`\"` must not end the string).
        at += 2;
        if at >= string.len() {
            break;
        }
    }
    string.len()
}

/// Delivered output tokens of one delta event: see
/// [`StreamUsage::delivered_output_estimate`](super::StreamUsage::delivered_output_estimate).
/// `keys` name the delta string, most likely first; `None` when none of them holds a string.
pub(super) fn delta_tokens(data: &[u8], keys: &[Finder<'static>]) -> Option<u64> {
    for key in keys {
        // A key whose value is not a string (`"content":null` beside `"reasoning_content"`)
        // does not decide; the next key may.
        if let Some(value) = key_value(data, key)
            && let Some(string) = value.strip_prefix(b"\"")
        {
            let len = string_len(string) as u64;
            return Some(if len == 0 { 0 } else { (len / 3).max(1) });
        }
    }
    None
}

/// The value of the first `"type"` key, for events that came without an `event:` name.
/// OpenAI and Anthropic put the event's own type first.
pub(super) fn sniff_type(data: &[u8]) -> Option<&str> {
    let string = key_value(data, &TYPE_KEY)?.strip_prefix(b"\"")?;
    std::str::from_utf8(&string[..string_len(string)]).ok()
}

pub(super) fn parse<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    serde_json::from_slice(json).ok()
}

/// A token count as upstream sent it: a whole number from 0 to [`MAX_TOKENS`] (`12` or `12.0`),
/// or anything else (negative, fractional, a string, absurdly large), which is not usage the
/// gateway can bill and makes the whole usage [`InvalidUsage`]. `null` reads as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Count {
    Valid(u64),
    Invalid,
}

pub(super) fn count<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Count>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.map(|value| {
        let whole = value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| {
                    f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= MAX_TOKENS as f64
                })
                .map(|f| f as u64)
        });
        match whole {
            Some(n) if n <= MAX_TOKENS => Count::Valid(n),
            _ => Count::Invalid,
        }
    }))
}

/// The value of an optional count: absent is zero.
pub(super) fn tokens(count: Option<Count>) -> Result<u64, InvalidUsage> {
    match count {
        None => Ok(0),
        Some(Count::Valid(n)) => Ok(n),
        Some(Count::Invalid) => Err(InvalidUsage),
    }
}

#[derive(Deserialize)]
pub(super) struct WithUsage<U> {
    pub(super) usage: Option<U>,
}
