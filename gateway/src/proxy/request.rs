//! What metering needs from a request body, read without copying it: the model, whether it
//! streams, its output limit. And the one change the gateway may make to a body: asking an
//! OpenAI chat stream for its usage.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;

use super::error::ProxyError;
use super::json;
use crate::route::Route;
use crate::upstream::body::OutBody;

/// The fields of a request body that metering reads, from its top level
/// ([`super::json::members`]); everything below it is skipped, not parsed, and goes upstream
/// untouched.
#[derive(Debug, Default)]
pub struct RequestMeta<'a> {
    pub model: Option<Cow<'a, str>>,
    pub stream: Option<bool>,
    pub max_tokens: Option<u64>,
    pub max_completion_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub stream_options: Option<StreamOptions>,
    /// Images to generate.
    pub n: Option<u64>,
}

/// A field's value, parsed from its span; a wrong type names the field.
fn value<'a, T: Deserialize<'a>>(key: &str, raw: &'a [u8]) -> Result<T, ProxyError> {
    serde_json::from_slice(raw).map_err(|e| {
        ProxyError::InvalidRequest(format!("the request body is not valid JSON: `{key}`: {e}"))
    })
}

/// The model name, borrowed from the body when it has no escapes (always, in practice), so
/// reading it costs no allocation.
fn model_name<'a>(raw: &'a [u8]) -> Result<Option<Cow<'a, str>>, ProxyError> {
    if let [b'"', inner @ .., b'"'] = raw
        && memchr::memchr(b'\\', inner).is_none()
        && let Ok(name) = std::str::from_utf8(inner)
    {
        return Ok(Some(Cow::Borrowed(name)));
    }
    Ok(value::<Option<String>>("model", raw)?.map(Cow::Owned))
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

/// What a chat stream request says about usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageAsk {
    /// `stream_options.include_usage: true`.
    Yes,
    /// `stream_options` present without `include_usage: true`.
    No,
    /// No `stream_options` at all.
    NoOptions,
}

impl<'a> RequestMeta<'a> {
    pub fn usage_ask(&self) -> UsageAsk {
        match &self.stream_options {
            Some(StreamOptions {
                include_usage: Some(true),
            }) => UsageAsk::Yes,
            Some(_) => UsageAsk::No,
            None => UsageAsk::NoOptions,
        }
    }

    pub fn parse(body: &'a [u8]) -> Result<RequestMeta<'a>, ProxyError> {
        let members = json::members(body).map_err(|e| {
            ProxyError::InvalidRequest(format!("the request body is not valid JSON: {e}"))
        })?;
        let mut meta = RequestMeta::default();
        // The fields met so far, one bit each (`null` counts as given).
        let mut seen = 0u8;
        for m in members {
            let decoded;
            let key = if m.escaped_key {
                decoded = value::<String>("key", &body[m.key.start - 1..m.key.end + 1])?;
                decoded.as_str()
            } else {
                // Unescaped key bytes that are not UTF-8 name no field of ours.
                std::str::from_utf8(&body[m.key.clone()]).unwrap_or_default()
            };
            let raw = &body[m.value.clone()];
            // A field given twice is refused: upstreams differ on which one wins, and the
            // gateway must read the same request the upstream does.
            let bit = match key {
                "model" => 1,
                "stream" => 2,
                "max_tokens" => 4,
                "max_completion_tokens" => 8,
                "max_output_tokens" => 16,
                "stream_options" => 32,
                "n" => 64,
                _ => continue,
            };
            if seen & bit != 0 {
                return Err(ProxyError::InvalidRequest(format!(
                    "the request body is not valid JSON: duplicate field `{key}`"
                )));
            }
            seen |= bit;
            match bit {
                1 => meta.model = model_name(raw)?,
                2 => meta.stream = value(key, raw)?,
                4 => meta.max_tokens = value(key, raw)?,
                8 => meta.max_completion_tokens = value(key, raw)?,
                16 => meta.max_output_tokens = value(key, raw)?,
                32 => meta.stream_options = value(key, raw)?,
                _ => meta.n = value(key, raw)?,
            }
        }
        if meta.model.as_deref().is_none_or(str::is_empty) {
            return Err(ProxyError::InvalidRequest("`model` is required".into()));
        }
        Ok(meta)
    }

    pub fn model(&self) -> &str {
        self.model.as_deref().unwrap_or_default()
    }

    pub fn streams(&self) -> bool {
        self.stream == Some(true)
    }

    /// The request's own output cap, whichever field its format uses.
    pub fn max_output(&self) -> Option<u64> {
        self.max_output_tokens
            .or(self.max_completion_tokens)
            .or(self.max_tokens)
    }
}

/// For a streamed chat completion whose client did not ask for usage: the body with
/// `stream_options.include_usage` set, and `true` (the usage chunk must then be hidden from
/// the client). Otherwise the body unchanged and `false`.
///
/// The common case (no `stream_options` at all) splices the field in after the opening brace:
/// the body goes out as the client's bytes up to the brace, the field, and the rest of the
/// client's bytes, without copying them. A body with `stream_options` but without
/// `include_usage: true` is rare and is re-serialized.
pub fn ask_for_stream_usage(body: Bytes, asked: UsageAsk) -> Result<(OutBody, bool), ProxyError> {
    match asked {
        UsageAsk::Yes => Ok((OutBody::whole(body), false)),
        UsageAsk::NoOptions => {
            let open = body
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .filter(|&i| body[i] == b'{')
                .ok_or_else(|| {
                    ProxyError::InvalidRequest("the request body must be a JSON object".into())
                })?;
            const FIELD: &[u8] = br#""stream_options":{"include_usage":true},"#;
            let spliced = OutBody::spliced(vec![
                body.slice(..=open),
                Bytes::from_static(FIELD),
                body.slice(open + 1..),
            ]);
            Ok((spliced, true))
        }
        UsageAsk::No => {
            let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                ProxyError::InvalidRequest(format!("the request body is not valid JSON: {e}"))
            })?;
            value["stream_options"]["include_usage"] = serde_json::Value::Bool(true);
            let out =
                serde_json::to_vec(&value).map_err(|e| ProxyError::Internal(e.to_string()))?;
            Ok((OutBody::whole(Bytes::from(out)), true))
        }
    }
}

/// The body with its output cap set to `cap`: in every cap field the client sent
/// (`max_tokens`, `max_completion_tokens`, `max_output_tokens`), else in the one the route's
/// format reads (`max_completion_tokens` for chat, `max_output_tokens` for Responses,
/// `max_tokens` for Messages). Only bodies whose balance cannot cover their own cap come here.
pub fn with_output_cap(body: &[u8], route: Route, cap: u64) -> Result<Bytes, ProxyError> {
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ProxyError::InvalidRequest(format!("the request body is not valid JSON: {e}"))
    })?;
    let Some(fields) = value.as_object_mut() else {
        return Err(ProxyError::InvalidRequest(
            "the request body must be a JSON object".into(),
        ));
    };
    let mut set = false;
    for field in ["max_tokens", "max_completion_tokens", "max_output_tokens"] {
        if let Some(v) = fields.get_mut(field) {
            *v = serde_json::Value::from(cap);
            set = true;
        }
    }
    if !set {
        let field = match route {
            Route::Responses => "max_output_tokens",
            Route::Messages => "max_tokens",
            _ => "max_completion_tokens",
        };
        fields.insert(field.to_owned(), serde_json::Value::from(cap));
    }
    let out = serde_json::to_vec(&value).map_err(|e| ProxyError::Internal(e.to_string()))?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_metering_fields_and_skips_the_rest() {
        let body = br#"{"model":"gpt-5.5","messages":[{"role":"user","content":"hi \"there\""}],"stream":true,"max_completion_tokens":77,"tools":[{"type":"custom"}]}"#;
        let m = RequestMeta::parse(body).unwrap();
        assert_eq!(m.model(), "gpt-5.5");
        assert!(m.streams());
        assert_eq!(m.max_output(), Some(77));
        assert!(
            matches!(m.model, Some(Cow::Borrowed(_))),
            "no copy of the model name"
        );
    }

    #[test]
    fn output_caps_land_in_the_field_of_the_format() {
        let cases: [(Route, &[u8], &str); 6] = [
            (
                Route::ChatCompletions,
                br#"{"model":"m","max_tokens":900,"max_completion_tokens":900}"#,
                "max_tokens",
            ),
            (
                Route::ChatCompletions,
                br#"{"model":"m","max_tokens":900}"#,
                "max_tokens",
            ),
            (
                Route::ChatCompletions,
                br#"{"model":"m","max_completion_tokens":900}"#,
                "max_completion_tokens",
            ),
            (
                Route::ChatCompletions,
                br#"{"model":"m"}"#,
                "max_completion_tokens",
            ),
            (
                Route::Responses,
                br#"{"model":"m","input":"hi"}"#,
                "max_output_tokens",
            ),
            (
                Route::Messages,
                br#"{"model":"m","max_tokens":900}"#,
                "max_tokens",
            ),
        ];
        for (route, body, field) in cases {
            let out = with_output_cap(body, route, 77).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v[field], 77, "{route:?} {field}");
            assert_eq!(v["model"], "m");
            let meta = RequestMeta::parse(&out).unwrap();
            assert_eq!(meta.max_output(), Some(77));
            // No cap field is left above the lowered one.
            for other in [
                meta.max_tokens,
                meta.max_completion_tokens,
                meta.max_output_tokens,
            ] {
                assert!(other.is_none_or(|c| c == 77), "{route:?}");
            }
        }
    }

    #[test]
    fn refuses_bodies_without_a_model_or_json() {
        assert!(matches!(
            RequestMeta::parse(br#"{"max_tokens":5}"#),
            Err(ProxyError::InvalidRequest(m)) if m.contains("`model`")
        ));
        assert!(matches!(
            RequestMeta::parse(b"{nope"),
            Err(ProxyError::InvalidRequest(m)) if m.contains("not valid JSON")
        ));
    }

    #[test]
    fn splices_include_usage_without_touching_other_bytes() {
        let body = Bytes::from_static(b"  {\"model\":\"m\",\"stream\":true,\"x\":  [1, 2]}");
        let meta = RequestMeta::parse(&body).unwrap();
        let (out, hide) = ask_for_stream_usage(body.clone(), meta.usage_ask()).unwrap();
        assert!(hide);
        let out = out.to_vec();
        assert_eq!(
            &out[..],
            b"  {\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"stream\":true,\"x\":  [1, 2]}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
    }

    #[test]
    fn keeps_a_body_that_asked_and_rewrites_one_that_said_no() {
        let asked = Bytes::from_static(
            br#"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#,
        );
        let meta = RequestMeta::parse(&asked).unwrap();
        let (out, hide) = ask_for_stream_usage(asked.clone(), meta.usage_ask()).unwrap();
        assert!(!hide);
        assert_eq!(out.to_vec(), asked.to_vec());

        let refused = Bytes::from_static(
            br#"{"model":"m","stream":true,"stream_options":{"include_usage":false}}"#,
        );
        let meta = RequestMeta::parse(&refused).unwrap();
        let (out, hide) = ask_for_stream_usage(refused.clone(), meta.usage_ask()).unwrap();
        assert!(hide);
        let v: serde_json::Value = serde_json::from_slice(&out.to_vec()).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["model"], "m");
    }
}
