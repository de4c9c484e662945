//! Account security: two-factor login, sessions and password changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The password was right and the account has two-factor login: no session yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginChallenge {
    /// Always `true`: tells this answer from a session.
    pub two_factor_required: bool,
    /// Single-use and short-lived; send it with a code to `POST /api/v1/auth/login/2fa`.
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// The second step of a login: the challenge and exactly one of `code` (from the
/// authenticator app) or `recovery_code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecondStepRequest {
    pub challenge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// Starts turning on two-factor login. The password is asked for again: a session alone (left
/// open, or stolen) must not be enough to change how the account logs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpEnrollRequest {
    pub password: String,
}

/// A started enrolment: add the secret to an authenticator app (scan `otpauth_uri` as a QR
/// code, or type `secret`), then confirm with a code it shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrollment {
    /// `otpauth://totp/codexkey:EMAIL?secret=…&issuer=codexkey` (SHA-1, 6 digits, 30 s).
    pub otpauth_uri: String,
    /// The same secret in base32, for typing in by hand.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmRequest {
    /// A code the authenticator app shows now.
    pub code: String,
}

/// Two-factor login is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpConfirmed {
    /// Ten single-use codes that replace the app once each. Shown only this once.
    pub recovery_codes: Vec<String>,
}

/// Turns two-factor login off: the password and a current code (or an unused recovery code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpDisableRequest {
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// One open login session of the caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Recorded at most about once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this request was made with.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionsRevoked {
    pub revoked: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// The password is changed; every other session has ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChanged {
    pub sessions_revoked: u64,
}

/// Asks for a password-reset link by e-mail. Answered 202 whether or not an account has the
/// address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Sets a new password with the token of a reset link; every session of the account ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    /// The `token` of the link (`ck_reset_…`).
    pub token: String,
    pub new_password: String,
}

/// Proves the account's address with the token of a verification link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The `token` of the link (`ck_verify_…`).
    pub token: String,
}

/// `POST /api/v1/account/verify-email/resend`: a new verification link is on its way to the
/// caller's address. It supersedes the links mailed before.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerificationMailSent {
    /// Where the link went.
    pub email: String,
    /// When the new link stops working.
    pub expires_at: DateTime<Utc>,
}

/// The answer to a reset request: the same whatever the address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetAccepted {
    /// Always the same sentence: if an account has this address, a link is on its way.
    pub message: String,
}

/// A one-time link an admin hands to a user (when the gateway sends no mail, or to pass on
/// in person). Shown once; it works once, until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneTimeLink {
    pub email: String,
    /// `{public_url}/reset-password?token=ck_reset_…`.
    pub link: String,
    /// The token alone, for `POST /api/v1/auth/password-reset/confirm`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// An admin invites an address to register (`auth.registration = "invite"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
}

/// An invitation: mailed, or its link returned to hand on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationIssued {
    pub email: String,
    pub mailed: bool,
    pub expires_at: DateTime<Utc>,
    /// `{public_url}/register?invitation=ck_invite_…` and its token, when it was not mailed.
    /// Shown once; works once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<OneTimeLink>,
}

/// What a retention purge removed (`POST /api/v1/admin/retention/purge`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurgeReport {
    /// Usage events whose client address and user agent were erased.
    pub events_anonymised: u64,
    /// Sessions (over) whose client address and user agent were erased.
    pub sessions_anonymised: u64,
    /// Raw usage events deleted (their sums stay in the rollup).
    pub events_deleted: u64,
    /// The cut-offs applied: metadata of what was created before the first was erased, events
    /// created before the second deleted (`null`: none).
    pub metadata_before: Option<DateTime<Utc>>,
    pub events_before: Option<DateTime<Utc>>,
    /// Deleted accounts whose billing records were purged (each leaves a tombstone), those
    /// deleted before `accounts_deleted_before` (`null`: kept for ever). Absent from older
    /// gateways' answers.
    #[serde(default)]
    pub accounts_purged: u64,
    #[serde(default)]
    pub accounts_deleted_before: Option<DateTime<Utc>>,
}

/// Deletes the caller's account: the password, and a code (or a recovery code) when two-factor
/// login is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// An admin deletes an account, with a reason kept in the audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminDeleteRequest {
    pub reason: String,
}

/// A deleted account: what it became and what went with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDeleted {
    /// The pseudonym that replaced the email: `deleted-<id>@invalid`.
    pub pseudonym: String,
    pub keys_revoked: u64,
    pub sessions_ended: u64,
    /// The balance taken to zero under the `forfeit` rule, in micro-credits.
    pub forfeited_micros: crate::Micros,
}
