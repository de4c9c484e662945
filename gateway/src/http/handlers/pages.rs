//! The pages mailed links open: `/reset-password`, `/register` (invitations) and
//! `/verify-email`. A `GET` shows a form and never spends a token (mail scanners fetch links);
//! the form posts back to the same path, and the handler calls the same service function as
//! the JSON API. Rendering is `http::pages`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use codexkey_common::api::{PasswordResetConfirmRequest, RegisterRequest, VerifyEmailRequest};
use serde::Deserialize;

use crate::accounts::{self, password, tokens};
use crate::error::ApiError;
use crate::http::pages::{Form, Page, escape, hidden};
use crate::state::AppState;
use crate::store::TokenPurpose;

/// The form of `/reset-password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetForm {
    /// The `token` of the link (`ck_reset_…`).
    pub token: String,
    pub new_password: String,
    /// The new password again; the two must match.
    pub repeat_password: String,
}

/// The form of `/register`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterForm {
    /// The `invitation` of the link (`ck_invite_…`).
    pub invitation: String,
    /// The invited address.
    pub email: String,
    pub password: String,
    /// The password again; the two must match.
    pub repeat_password: String,
}

/// The form of `/verify-email`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyForm {
    /// The `token` of the link (`ck_verify_…`).
    pub token: String,
}

/// A page to choose a new password, from a reset link (or the link of an account an admin
/// created). Opening it does not spend the link.
#[utoipa::path(
    get,
    path = "/reset-password",
    tag = "pages",
    operation_id = "reset_password_page",
    params(("token" = String, Query, description = "The token of the mailed link.")),
    responses(
        (status = 200, description = "The form.", body = String, content_type = "text/html"),
        (status = 400, description = "The link is unknown, used or expired.", body = String,
            content_type = "text/html"),
    ),
)]
pub async fn reset_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    let Some(token) = param(query.as_deref(), "token") else {
        return missing("token");
    };
    if let Err(e) = tokens::check(&state, &token, TokenPurpose::PasswordReset).await {
        return Page::error(&e);
    }
    Page::new(
        StatusCode::OK,
        "Choose a new password",
        format!(
            "<form method=\"post\" action=\"reset-password\">{token}{fields}\
             <button type=\"submit\">Set the password</button></form>\
             <p class=\"hint\">Setting it ends every session of the account.</p>",
            token = hidden("token", &token),
            fields = password_fields("new_password"),
        ),
    )
}

/// Sets the new password from the reset page's form (as `POST /api/v1/auth/password-reset/confirm`).
#[utoipa::path(
    post,
    path = "/reset-password",
    tag = "pages",
    operation_id = "reset_password_form",
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The password is set.", body = String,
            content_type = "text/html"),
        (status = 400, description = "The link is unknown, used or expired, the passwords \
            differ, or the password is too weak.", body = String, content_type = "text/html"),
        (status = 415, description = "Not a form.", body = String, content_type = "text/html"),
    ),
)]
pub async fn reset_form(State(state): State<AppState>, Form(form): Form<ResetForm>) -> Page {
    if form.new_password != form.repeat_password {
        return differ();
    }
    let req = PasswordResetConfirmRequest {
        token: form.token,
        new_password: form.new_password,
    };
    match accounts::reset::confirm(&state, req).await {
        Ok(done) => Page::new(
            StatusCode::OK,
            "Your password is set",
            format!(
                "<p>Log in with it, e.g. <code>codexkey login</code>. Sessions ended: {}.</p>",
                done.sessions_revoked
            ),
        ),
        Err(e) => Page::error(&e),
    }
}

/// A page to register with an invitation. Opening it does not spend the invitation.
#[utoipa::path(
    get,
    path = "/register",
    tag = "pages",
    operation_id = "register_page",
    params(("invitation" = String, Query, description = "The invitation of the mailed link.")),
    responses(
        (status = 200, description = "The form.", body = String, content_type = "text/html"),
        (status = 400, description = "The link has no invitation.", body = String,
            content_type = "text/html"),
    ),
)]
pub async fn register_page(RawQuery(query): RawQuery) -> Page {
    let Some(invitation) = param(query.as_deref(), "invitation") else {
        return missing("invitation");
    };
    Page::new(
        StatusCode::OK,
        "Create your account",
        format!(
            "<form method=\"post\" action=\"register\">{invitation}\
             <label for=\"email\">The invited email address</label>\
             <input id=\"email\" type=\"email\" name=\"email\" required autocomplete=\"email\">\
             {fields}<button type=\"submit\">Create the account</button></form>",
            invitation = hidden("invitation", &invitation),
            fields = password_fields("password"),
        ),
    )
}

/// Registers from the invitation page's form (as `POST /api/v1/auth/register` with an
/// invitation).
#[utoipa::path(
    post,
    path = "/register",
    tag = "pages",
    operation_id = "register_form",
    request_body(content = RegisterForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "The account is created.", body = String,
            content_type = "text/html"),
        (status = 400, description = "The invitation is unknown, used, expired or for another \
            address, the passwords differ, or the password is too weak.", body = String,
            content_type = "text/html"),
        (status = 403, description = "Registration is closed.", body = String,
            content_type = "text/html"),
        (status = 409, description = "The address has an account.", body = String,
            content_type = "text/html"),
        (status = 415, description = "Not a form.", body = String, content_type = "text/html"),
    ),
)]
pub async fn register_form(State(state): State<AppState>, Form(form): Form<RegisterForm>) -> Page {
    if form.password != form.repeat_password {
        return differ();
    }
    let req = RegisterRequest {
        email: form.email,
        password: form.password,
        invitation: Some(form.invitation),
        language: None,
        currency: None,
        referral_code: None,
    };
    match crate::billing::referrals::register(&state, req).await {
        Ok(account) => Page::new(
            StatusCode::CREATED,
            "Your account is created",
            format!(
                "<p>Log in as <strong>{}</strong>, e.g. <code>codexkey login</code>.</p>",
                escape(&account.email)
            ),
        ),
        Err(e) => Page::error(&e),
    }
}

/// A page with a button that verifies the address. Opening it does not spend the link.
#[utoipa::path(
    get,
    path = "/verify-email",
    tag = "pages",
    operation_id = "verify_email_page",
    params(("token" = String, Query, description = "The token of the mailed link.")),
    responses(
        (status = 200, description = "The button.", body = String, content_type = "text/html"),
        (status = 400, description = "The link is unknown, used or expired.", body = String,
            content_type = "text/html"),
    ),
)]
pub async fn verify_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    let Some(token) = param(query.as_deref(), "token") else {
        return missing("token");
    };
    if let Err(e) = tokens::check(&state, &token, TokenPurpose::VerifyEmail).await {
        return Page::error(&e);
    }
    Page::new(
        StatusCode::OK,
        "Confirm your address",
        format!(
            "<form method=\"post\" action=\"verify-email\">{}\
             <button type=\"submit\">Confirm my address</button></form>",
            hidden("token", &token)
        ),
    )
}

/// Verifies the address from the verification page's button (as
/// `POST /api/v1/auth/verify-email`).
#[utoipa::path(
    post,
    path = "/verify-email",
    tag = "pages",
    operation_id = "verify_email_form",
    request_body(content = VerifyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The address is verified.", body = String,
            content_type = "text/html"),
        (status = 400, description = "The link is unknown, used or expired.", body = String,
            content_type = "text/html"),
        (status = 415, description = "Not a form.", body = String, content_type = "text/html"),
    ),
)]
pub async fn verify_form(State(state): State<AppState>, Form(form): Form<VerifyForm>) -> Page {
    match accounts::verify::verify(&state, VerifyEmailRequest { token: form.token }).await {
        Ok(()) => Page::new(
            StatusCode::OK,
            "Your address is confirmed",
            "<p>Thank you. You can close this page.</p>".into(),
        ),
        Err(e) => Page::error(&e),
    }
}

/// The first value of `name` in a query string.
fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn missing(name: &str) -> Page {
    Page::error(&ApiError::InvalidRequest(format!(
        "this link has no {name}; open the link from the mail as it is"
    )))
}

fn differ() -> Page {
    Page::error(&ApiError::InvalidRequest(
        "the two passwords differ; go back and type the same password twice".into(),
    ))
}

/// The new-password field and its repetition, with the API's length rules as a hint.
fn password_fields(name: &str) -> String {
    format!(
        "<label for=\"{name}\">New password</label>\
         <input id=\"{name}\" type=\"password\" name=\"{name}\" required minlength=\"{min}\" \
         maxlength=\"{max}\" autocomplete=\"new-password\">\
         <label for=\"repeat_password\">The same password again</label>\
         <input id=\"repeat_password\" type=\"password\" name=\"repeat_password\" required \
         minlength=\"{min}\" maxlength=\"{max}\" autocomplete=\"new-password\">\
         <p class=\"hint\">At least {min} characters, not your email address, and not easy to \
         guess (a few unrelated words work well).</p>",
        min = password::MIN_LEN,
        max = password::MAX_LEN,
    )
}
