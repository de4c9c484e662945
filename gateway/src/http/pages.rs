//! The small HTML pages that mailed links open in a browser: setting a password (reset links
//! and admin-created accounts), registering with an invitation, and verifying an address.
//!
//! Every page is self-contained: no script, no external asset, inline styles only, served
//! with a content security policy that allows nothing else and forms that post only back to
//! the gateway, no referrer (the token is in the URL), and `no-store`. Every value a page shows
//! goes through [`escape`]. What the forms do is the services' business: the handlers
//! (`handlers::pages`) call the same functions as the JSON API.

use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Nothing but inline styles; forms post only to the gateway itself.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5;color:#222}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}\
input[type=password],input[type=email]{width:100%;padding:.4rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.5rem 1.2rem}.error{color:#a00}.hint{color:#555;font-size:.9rem}";

/// An HTML page with its status and the headers every page carries.
pub struct Page {
    status: StatusCode,
    title: String,
    body: String,
}

impl Page {
    /// A page whose `body` is HTML already escaped by the caller.
    pub fn new(status: StatusCode, title: &str, body: String) -> Page {
        Page {
            status,
            title: title.to_owned(),
            body,
        }
    }

    /// A page that says what went wrong, with the error's own status and message.
    pub fn error(e: &ApiError) -> Page {
        // Internal causes are logged by `ApiError`'s own rendering; here only its words show.
        if let ApiError::Internal(cause) = e {
            tracing::error!(%cause, "a page request failed");
        }
        Page::new(
            e.status(),
            "Something went wrong",
            format!(
                "<p class=\"error\">{}</p>",
                escape(&capitalised(&e.to_string()))
            ),
        )
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex\">\
             <title>{title} · codexkey</title><style>{STYLE}</style></head>\
             <body><h1>{title}</h1>\n{body}\n</body></html>\n",
            title = escape(&self.title),
            body = self.body,
        );
        (
            self.status,
            [
                (CONTENT_TYPE, "text/html; charset=utf-8"),
                (CONTENT_SECURITY_POLICY, CSP),
                (REFERRER_POLICY, "no-referrer"),
                (CACHE_CONTROL, "no-store"),
                (X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (X_FRAME_OPTIONS, "DENY"),
            ],
            html,
        )
            .into_response()
    }
}

impl From<ApiError> for Page {
    fn from(e: ApiError) -> Page {
        Page::error(&e)
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// An `application/x-www-form-urlencoded` body read into `T` (every field a string); anything
/// else is answered with an error page.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Page;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Page> {
        if !is_form(req.headers()) {
            return Err(Page::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Something went wrong",
                "<p class=\"error\">This page takes a form \
                 (<code>application/x-www-form-urlencoded</code>).</p>"
                    .into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| Page::error(&ApiError::PayloadTooLarge))?;
        parse(&bytes).map(Form).map_err(|e| Page::error(&e))
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The fields of a form body; a field sent twice is refused (a browser never does that for
/// these forms).
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut fields = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        let key = k.into_owned();
        if fields.contains_key(&key) {
            return Err(ApiError::InvalidRequest(format!(
                "the field `{}` is given twice",
                codexkey_common::text::escape(&key)
            )));
        }
        fields.insert(key, serde_json::Value::String(v.into_owned()));
    }
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| ApiError::InvalidRequest(format!("the form is incomplete: {e}")))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::{escape, parse};

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct F {
        token: String,
        password: String,
    }

    #[test]
    fn parses_forms_strictly() {
        let f: F =
            parse(b"token=ck_reset_a%2Bb&password=a+b%26c").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            f,
            F {
                token: "ck_reset_a+b".into(),
                password: "a b&c".into()
            }
        );
        assert!(parse::<F>(b"token=a").is_err());
        assert!(parse::<F>(b"token=a&password=b&token=c").is_err());
        assert!(parse::<F>(b"token=a&password=b&extra=1").is_err());
    }
}
