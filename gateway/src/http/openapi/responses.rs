//! The error responses operations list in their `#[utoipa::path]`: one type per reason, so a
//! status means the same thing on every operation. Only the document uses them (through
//! `IntoResponses`); handlers answer with [`crate::error::ApiError`] or the proxy's errors.

use codexkey_common::api::ErrorBody;
use utoipa::IntoResponses;

/// A path or query parameter this operation cannot take: missing, unknown or invalid
/// (`invalid_request`).
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct BadRequest(pub ErrorBody);

/// A JSON body this operation refuses: malformed or invalid (400), larger than it accepts
/// (413), or sent without `Content-Type: application/json` (415).
#[derive(IntoResponses)]
pub enum BadBody {
    /// Malformed JSON (`invalid_json`), or a missing, unknown or invalid field or parameter
    /// (`invalid_request`).
    #[response(status = 400)]
    Invalid(ErrorBody),
    /// The body is larger than this operation accepts (`payload_too_large`).
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body was not sent as `Content-Type: application/json` (`unsupported_media_type`).
    #[response(status = 415)]
    NotJson(ErrorBody),
}

/// No valid session, or its account may not act.
#[derive(IntoResponses)]
pub enum SessionRefused {
    /// No session token, or one that is unknown (`unauthorized`), expired
    /// (`session_expired`) or ended by logout (`session_revoked`): log in again.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The account is suspended (`account_suspended`), or (where the operation says so) may not
    /// act on what it names (`forbidden`); or it is an admin's on a gateway that requires
    /// two-factor login for admins, before it is on (`two_factor_required`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// No valid admin session.
#[derive(IntoResponses)]
pub enum AdminRefused {
    /// No session token, or one that is unknown (`unauthorized`), expired
    /// (`session_expired`) or ended by logout (`session_revoked`): log in again.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The account is not an admin (`forbidden`) or is suspended (`account_suspended`), or the
    /// gateway requires two-factor login for admins and it is not on (`two_factor_required`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// What the operation names does not exist, or not for this caller (`not_found`).
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// The change conflicts with the current state (`conflict`); the message says how.
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// The gateway failed: an internal error (500, `internal_error`, logged on the server and
/// not shown) or its database is not available (503, `unavailable`).
#[derive(IntoResponses)]
pub enum ServerError {
    /// An internal error (`internal_error`); the cause is in the gateway's log.
    #[response(status = 500)]
    Internal(ErrorBody),
    /// The database is not available (`unavailable`); try again later.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The data plane's refusals, in the caller's own format: OpenAI's `{"error":{…}}`, or
/// Anthropic's `{"type":"error","error":{…}}` on `/v1/messages`. An error upstream answered with
/// is relayed with its own status and body.
#[derive(IntoResponses)]
pub enum DataPlaneRefused {
    /// The body is not a request this route takes.
    #[response(status = 400)]
    Invalid(#[to_schema] serde_json::Value),
    /// No valid API key.
    #[response(status = 401)]
    Unauthorized(#[to_schema] serde_json::Value),
    /// The balance, or the key's budget, cannot cover the request.
    #[response(status = 402)]
    PaymentRequired(#[to_schema] serde_json::Value),
    /// The key may not use this model, or its account is suspended.
    #[response(status = 403)]
    Forbidden(#[to_schema] serde_json::Value),
    /// The gateway has no price for the model, so it is not served.
    #[response(status = 404)]
    UnknownModel(#[to_schema] serde_json::Value),
    /// The body is larger than `proxy.body_limit_mb`.
    #[response(status = 413)]
    TooLarge(#[to_schema] serde_json::Value),
    /// The key's rate limit; `retry-after` says when to try again.
    #[response(status = 429, headers(("retry-after" = u64, description = "Seconds to wait.")))]
    RateLimited(#[to_schema] serde_json::Value),
    /// Upstream failed, or its answer could not be used.
    #[response(status = 502)]
    BadGateway(#[to_schema] serde_json::Value),
    /// The gateway cannot meter requests now (its database is not available).
    #[response(status = 503)]
    Unavailable(#[to_schema] serde_json::Value),
    /// Upstream did not answer in time.
    #[response(status = 504)]
    Timeout(#[to_schema] serde_json::Value),
}
