//! The management API's error body and the one list of its error kinds, shared by the gateway
//! (which answers with them) and the CLI (which picks hints and exit codes from them), so the
//! two cannot drift apart.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The one error body of the management API: `{"error":{"type":…,"message":…}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable machine-readable kind such as `invalid_request` or `session_expired`.
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    /// A sentence for people, saying what went wrong and, where possible, what to do.
    pub message: String,
}

/// The `type` of a management-API error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidJson,
    InvalidRequest,
    WeakPassword,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthorized,
    WrongCredentials,
    TooManyAttempts,
    SessionExpired,
    SessionRevoked,
    AccountSuspended,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Unavailable,
    /// The payment provider refused or could not be reached; its message says which.
    PaymentProvider,
    Internal,
    /// A second-step code (TOTP or recovery) that is wrong, already used, or from a time step
    /// already used.
    WrongCode,
    /// A login challenge that is unknown, already used or expired: log in with the password
    /// again.
    InvalidChallenge,
    /// An admin session on a gateway that requires two-factor login for admins, before the
    /// admin has turned it on: only enrolment answers.
    TwoFactorRequired,
    /// A reset or verification token that is unknown, already used or expired: ask for a new
    /// link.
    InvalidToken,
    /// A kind this version does not know (from a newer gateway), kept as sent.
    Other(String),
}

impl ErrorKind {
    const KNOWN: [ErrorKind; 22] = [
        Self::InvalidJson,
        Self::InvalidRequest,
        Self::WeakPassword,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::Unauthorized,
        Self::WrongCredentials,
        Self::TooManyAttempts,
        Self::SessionExpired,
        Self::SessionRevoked,
        Self::AccountSuspended,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::Unavailable,
        Self::PaymentProvider,
        Self::Internal,
        Self::WrongCode,
        Self::InvalidChallenge,
        Self::TwoFactorRequired,
        Self::InvalidToken,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidRequest => "invalid_request",
            Self::WeakPassword => "weak_password",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::WrongCredentials => "wrong_credentials",
            Self::TooManyAttempts => "too_many_attempts",
            Self::SessionExpired => "session_expired",
            Self::SessionRevoked => "session_revoked",
            Self::AccountSuspended => "account_suspended",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::PaymentProvider => "payment_provider_error",
            Self::Internal => "internal_error",
            Self::WrongCode => "wrong_code",
            Self::InvalidChallenge => "invalid_challenge",
            Self::TwoFactorRequired => "two_factor_required",
            Self::InvalidToken => "invalid_token",
            Self::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> ErrorKind {
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| Self::Other(s.to_owned()))
    }

    /// A session that no longer works: logging in again is the fix.
    pub fn is_session_gone(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized | Self::SessionExpired | Self::SessionRevoked
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| ErrorKind::parse(&s))
    }
}

/// A string, not an `enum` of the known kinds: a client generated from the document must keep
/// working when a newer gateway adds a kind (as this crate's `Other` does).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let known: Vec<&str> = Self::KNOWN.iter().map(ErrorKind::as_str).collect();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(format!(
                "A stable machine-readable kind. This version answers with {}; treat others as \
                 an error of the response's status.",
                known.join(", ")
            )))
            .examples(["invalid_request", "session_expired"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorKind {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_kept() {
        for k in ErrorKind::KNOWN {
            assert_eq!(ErrorKind::parse(k.as_str()), k);
        }
        assert_eq!(
            ErrorKind::parse("payment_overdue"),
            ErrorKind::Other("payment_overdue".into())
        );
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"type":"session_expired","message":"m"}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body.error.kind, ErrorKind::SessionExpired);
    }
}
