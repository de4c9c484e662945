//! The OpenAPI 3.1 description of every route, served at `GET /api/v1/openapi.json`.
//!
//! Generated from the code: the schemas from the management API's types (`codexkey-common`'s
//! `openapi` feature derives them), each operation from the `#[utoipa::path]` on its handler.
//! What ties the document to the router is [`mismatches`]: a test compares the endpoints the
//! router registers ([`crate::http::router::endpoints`]) with those documented here, so a route
//! added to one and not the other fails it. The data plane (`/v1/…`) speaks the OpenAI and
//! Anthropic formats, described by those providers; it is listed here with generic JSON bodies.
//!
//! Error responses are shared types, one per reason ([`responses`]).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use codexkey_common::api::ErrorBody;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, PathItem};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;
use crate::http::handlers::{
    account, admin, billing, codes, data, health, keys, orders, pages, recovery, refunds, requests,
    security, usage,
};
use crate::http::routes::Endpoint;

pub mod responses;

// The security schemes. Operations name them as literals in `security(…)`, the only form
// utoipa's attribute takes; a test checks that every name they use is one of these.

/// The security scheme of a session token (`POST /api/v1/auth/login`).
pub const SESSION: &str = "session";
/// The security scheme of a gateway API key sent as `Authorization: Bearer …`.
pub const API_KEY: &str = "api_key";
/// The security scheme of a gateway API key sent as `x-api-key: …` (Anthropic's header).
pub const API_KEY_HEADER: &str = "api_key_header";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "codexkey gateway",
        description = "The management API (`/api/v1/…`) of a codexkey gateway, its operational \
            endpoints, and the OpenAI- and Anthropic-compatible data plane (`/v1/…`). Money is in \
            micro-credits (1 credit = 1 USD = 1,000,000 micro-credits). Every management-API \
            error is `{\"error\":{\"type\":…,\"message\":…}}`; the data plane answers errors in \
            the caller's own format (OpenAI or Anthropic).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        data::root,
        health::healthz,
        health::readyz,
        health::metrics,
        document,
        pages::reset_page,
        pages::reset_form,
        pages::register_page,
        pages::register_form,
        pages::verify_page,
        pages::verify_form,
        account::register,
        account::login,
        account::login_second_step,
        account::logout,
        recovery::request_reset,
        recovery::confirm_reset,
        recovery::verify_email,
        recovery::resend_verification,
        account::me,
        account::update,
        account::change_password,
        account::export,
        account::delete_account,
        security::enroll,
        security::confirm,
        security::disable,
        security::sessions,
        security::revoke_session,
        security::revoke_other_sessions,
        keys::list,
        keys::create,
        keys::get,
        keys::update,
        keys::revoke,
        keys::rotate,
        billing::balance,
        billing::ledger,
        billing::pricing,
        codes::redeem,
        orders::topup,
        orders::list,
        orders::get,
        refunds::request,
        refunds::list,
        refunds::referral,
        orders::stripe_webhook,
        usage::report,
        usage::events,
        usage::summary,
        usage::currencies,
        requests::outcome,
        admin::users,
        admin::user,
        admin::adjust,
        admin::bonus,
        admin::suspend,
        admin::activate,
        security::reset_2fa,
        recovery::reset_link,
        recovery::create_user,
        recovery::invite,
        admin::user_ledger,
        admin::verify_ledger,
        codes::batches,
        codes::create,
        codes::batch,
        codes::disable_batch,
        codes::disable_code,
        orders::admin_list,
        orders::sweep,
        refunds::admin_list,
        refunds::approve,
        refunds::deny,
        admin::purge_retention,
        admin::delete_user,
        admin::audit,
        admin::backup,
        admin::upstreams,
        admin::create_upstream,
        admin::delete_upstream,
        admin::add_upstream_key,
        admin::import_prices,
        admin::set_price,
        admin::reset_price,
        admin::set_coefficient,
        data::chat_completions,
        data::responses,
        data::responses_websocket,
        data::embeddings,
        data::images,
        data::models,
        data::messages,
        data::count_tokens,
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics and this document."),
        (name = "account", description = "Registration, login (with two-factor login), the \
            caller's own account, sessions and password."),
        (name = "keys", description = "The caller's gateway API keys."),
        (name = "billing", description = "Balance, ledger, prices, top-ups and their orders, \
            redemption codes, and the payment provider's webhook."),
        (name = "usage", description = "Usage reports, raw usage events and request outcomes."),
        (name = "admin", description = "Users, money, prices, upstreams and backups; needs an \
            admin account."),
        (name = "pages", description = "The small HTML pages the links in mails open: set a \
            password, register with an invitation, confirm an address. No script; a `GET` never \
            spends a token."),
        (name = "data plane", description = "OpenAI- and Anthropic-compatible model APIs, \
            metered and forwarded upstream. Bodies are those of the provider's own API."),
    ),
)]
struct ApiDoc;

/// Adds the security schemes the operations name: utoipa's `#[openapi]` has no attribute for
/// them.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from `POST /api/v1/auth/login`, as \
                         `Authorization: Bearer …`. Admin operations need an admin account's.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A gateway API key (`ck-…`) as `Authorization: Bearer …`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY_HEADER,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-api-key",
                "A gateway API key (`ck-…`) in Anthropic's header.",
            ))),
        );
    }
}

/// The document, built from the code.
pub fn build() -> Document {
    ApiDoc::openapi()
}

/// The document as served: serialized once, on first request.
static JSON: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    build()
        .to_json()
        .map(Bytes::from)
        .map_err(|e| e.to_string())
});

/// The OpenAPI 3.1 description of this gateway (this document).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "The document, generated from the gateway's code.",
            body = serde_json::Value),
    ),
)]
pub async fn document() -> Result<Response, ApiError> {
    match &*JSON {
        Ok(json) => Ok(([(CONTENT_TYPE, "application/json")], json.clone()).into_response()),
        Err(e) => Err(ApiError::internal(format!(
            "cannot serialize the OpenAPI document: {e}"
        ))),
    }
}

/// Every (method, path) `doc` describes.
pub fn documented(doc: &Document) -> Vec<Endpoint> {
    let mut all = Vec::new();
    for (path, item) in &doc.paths.paths {
        for method in methods(item) {
            all.push(Endpoint {
                method,
                path: path.clone(),
            });
        }
    }
    all.sort();
    all
}

fn methods(item: &PathItem) -> Vec<axum::http::Method> {
    use axum::http::Method;
    let fixed = [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::OPTIONS, &item.options),
        (Method::HEAD, &item.head),
        (Method::PATCH, &item.patch),
        (Method::TRACE, &item.trace),
    ];
    let mut found: Vec<Method> = fixed
        .into_iter()
        .filter(|(_, op)| op.is_some())
        .map(|(m, _)| m)
        .collect();
    // OpenAPI 3.2's `query` and additional operations: none of ours, but a document that had
    // them must not look complete when it is not.
    if item.query.is_some() {
        found.extend(Method::from_bytes(b"QUERY"));
    }
    found.extend(
        item.additional_operations
            .keys()
            .filter_map(|m| Method::from_bytes(m.as_bytes()).ok()),
    );
    found
}

/// How `served` and `documented` differ, one line per endpoint; empty when they match.
pub fn mismatches(served: &[Endpoint], documented: &[Endpoint]) -> Vec<String> {
    let mut out: Vec<String> = served
        .iter()
        .filter(|e| !documented.contains(e))
        .map(|e| format!("served but not documented: {e}"))
        .collect();
    out.extend(
        documented
            .iter()
            .filter(|e| !served.contains(e))
            .map(|e| format!("documented but not served: {e}")),
    );
    out
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;
    use crate::http::router;

    fn endpoint(method: Method, path: &str) -> Endpoint {
        Endpoint {
            method,
            path: path.to_owned(),
        }
    }

    #[test]
    fn every_served_route_is_documented_and_every_documented_one_served() {
        let served = router::endpoints();
        let documented = documented(&build());
        let diff = mismatches(&served, &documented);
        assert!(diff.is_empty(), "{}", diff.join("\n"));
        // Both lists are real: the check is not passing on two empty sets.
        assert!(served.contains(&endpoint(Method::GET, "/api/v1/keys/{id}")));
        assert!(served.contains(&endpoint(Method::POST, "/v1/chat/completions")));
        assert!(served.contains(&endpoint(Method::GET, "/metrics")));
        assert!(served.len() > 40, "{served:?}");
    }

    #[test]
    fn a_route_added_without_a_description_fails_the_check() {
        // Registered the one way routes can be: the list sees it, the document does not.
        let routes = router::public_routes(true).post("/api/v1/undocumented", || async {});
        let diff = mismatches(routes.endpoints(), &documented(&build()));
        assert_eq!(
            diff,
            ["served but not documented: POST /api/v1/undocumented"]
        );
        // And a method added to a documented path.
        let routes = router::public_routes(true).put("/api/v1/keys/{id}", || async {});
        let diff = mismatches(routes.endpoints(), &documented(&build()));
        assert_eq!(diff, ["served but not documented: PUT /api/v1/keys/{id}"]);
    }

    #[test]
    fn a_described_route_the_router_lacks_fails_the_check() {
        let served: Vec<Endpoint> = router::endpoints()
            .into_iter()
            .filter(|e| e.path != "/readyz")
            .collect();
        let diff = mismatches(&served, &documented(&build()));
        assert_eq!(diff, ["documented but not served: GET /readyz"]);
    }

    #[test]
    fn the_document_is_openapi_3_1_with_its_security_schemes() {
        let doc: serde_json::Value = match &*JSON {
            Ok(json) => serde_json::from_slice(json).unwrap_or_else(|e| panic!("{e}")),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(doc["openapi"], "3.1.0");
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes[SESSION]["scheme"], "bearer");
        assert_eq!(schemes[API_KEY_HEADER]["name"], "x-api-key");
        // Every operation has a unique id, which client generators name methods after.
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(|item| item.as_object())
            .flat_map(|item| item.values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operationId among {ids:?}");
        assert_eq!(count, router::endpoints().len());
    }

    #[test]
    fn operations_name_only_defined_security_schemes() {
        let doc = build();
        let defined = doc
            .components
            .as_ref()
            .map(|c| c.security_schemes.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let doc = serde_json::to_value(&doc).unwrap_or_else(|e| panic!("{e}"));
        let mut named = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    for scheme in requirement
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k)
                    {
                        assert!(
                            defined.contains(scheme),
                            "{method} {path} names `{scheme}`, not one of {defined:?}"
                        );
                        named.push(scheme.clone());
                    }
                }
            }
        }
        for scheme in [SESSION, API_KEY, API_KEY_HEADER] {
            assert!(
                named.iter().any(|n| n == scheme),
                "no operation uses `{scheme}`"
            );
        }
    }
}
