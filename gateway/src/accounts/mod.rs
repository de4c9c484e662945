//! Accounts: registration, preferences, look-ups, suspension, and the first admin on an empty
//! database. Logging in ([`login`]), sessions and who is calling ([`sessions`]), two-factor
//! login ([`totp`]), account deletion ([`deletion`]), data exports ([`export`]), retention purges ([`retention`]), accounts made by admins and invitations ([`invite`]), password changes ([`password_change`]), password resets by mailed or
//! admin-issued link ([`reset`]), e-mail verification ([`verify`]) and the tokens of those
//! links ([`tokens`]) have modules of their own.

pub mod deletion;
pub mod export;
pub mod invite;
pub mod login;
pub mod password;
pub mod password_change;
pub mod reset;
pub mod retention;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod verify;

pub use self::login::{ClientInfo, login};
pub use self::sessions::{Caller, authenticate, logout};

use codexkey_common::api::{Account, AccountStatus, RegisterRequest, Role, UpdateAccountRequest};
use serde_json::json;
use unicode_normalization::UnicodeNormalization as _;

use crate::clock::{now_ms, to_utc};
use crate::config::Registration;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AccountRecord, NewAccount, NewAudit};

pub fn to_api(a: &AccountRecord) -> Account {
    Account {
        id: a.id,
        email: a.email.clone(),
        role: a.role,
        status: a.status,
        language: a.language.clone(),
        currency: a.currency.clone(),
        created_at: to_utc(a.created_at),
        two_factor: a.two_factor,
        email_verified: a.email_verified,
    }
}

/// Trimmed and lower-cased, or a clear error.
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    // Control and invisible characters are refused, not stripped: `a\u{200b}b@x.io` is not a
    // typo of `ab@x.io` anyone makes by hand. The message never echoes them.
    if email.chars().any(codexkey_common::text::is_hidden) {
        return Err(ApiError::InvalidRequest(format!(
            "`{}` is not an email address: it holds a control or invisible character",
            codexkey_common::text::escape(email.trim())
        )));
    }
    // NFKC folds look-alikes (fullwidth `ａ`, ligatures, compatibility forms) into their plain
    // letters, then case is folded, so addresses that read the same are one account.
    let email: String = email.trim().nfkc().collect::<String>().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(ApiError::InvalidRequest(format!(
            "`{email}` is not an email address"
        )))
    }
}

/// Refuses addresses under the reserved `.invalid` domain (RFC 2606), which no mail reaches and
/// where deleted accounts' pseudonyms live (`deleted-<id>@invalid`).
pub fn check_registrable(email: &str) -> Result<(), ApiError> {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    if domain == "invalid" || domain.ends_with(".invalid") {
        return Err(ApiError::InvalidRequest(
            "addresses under `.invalid` receive no mail; use a real address".into(),
        ));
    }
    Ok(())
}

fn normalize_language(lang: &str) -> Result<String, ApiError> {
    let ok = (2..=35).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && lang.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if ok {
        Ok(lang.to_owned())
    } else {
        Err(ApiError::InvalidRequest(format!(
            "`{lang}` is not a language tag like `en` or `pt-BR`"
        )))
    }
}

fn normalize_currency(code: &str) -> Result<String, ApiError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(ApiError::InvalidRequest(format!(
            "`{code}` is not a currency code like `USD` or `RUB`"
        )))
    }
}

/// Registers an account, as `auth.registration` allows: anyone (`open`), with an invitation
/// for the address (`invite`; an invitation given under `open` is checked and spent too), or
/// nobody (`closed`).
/// `req.referral_code` is not read here: registration with one goes through
/// `billing::referrals::register`, which checks it first and links the account after.
pub async fn register(state: &AppState, req: RegisterRequest) -> Result<Account, ApiError> {
    match (state.config.auth.registration, &req.invitation) {
        (Registration::Closed, _) => {
            return Err(ApiError::Forbidden(
                "registration is closed on this gateway; ask its operator for an account",
            ));
        }
        (Registration::Invite, None) => {
            return Err(ApiError::Forbidden(
                "this gateway registers by invitation only; ask its operator for one (`--invitation`)",
            ));
        }
        (Registration::Invite | Registration::Open, _) => {}
    }
    let email = normalize_email(&req.email)?;
    check_registrable(&email)?;
    state.passwords.check(&req.password, &email).await?;
    let language = req
        .language
        .as_deref()
        .map(normalize_language)
        .transpose()?
        .unwrap_or_else(|| "en".into());
    let currency = req
        .currency
        .as_deref()
        .map(normalize_currency)
        .transpose()?
        .unwrap_or_else(|| "USD".into());
    // Checked before hashing so a duplicate costs no argon2 run; the insert re-checks atomically.
    if state.store.account_by_email(&email).await?.is_some() {
        return Err(ApiError::Conflict(
            "an account with this email already exists".into(),
        ));
    }
    let password_hash = state.passwords.hash(req.password).await?;
    let now = now_ms();
    let new = NewAccount {
        email: email.clone(),
        password_hash,
        role: Role::User,
        language,
        currency,
        created_at: now,
    };
    let audit = NewAudit {
        actor_id: None,
        action: "account.register",
        target: Some(email),
        detail: if req.invitation.is_some() {
            json!({ "invited": true })
        } else {
            json!({})
        },
        created_at: now,
    };
    let account = match &req.invitation {
        Some(token) => state
            .store
            .create_invited_account(new, &tokens::hashed(token), audit)
            .await?
            .ok_or(ApiError::InvalidToken)?,
        None => state.store.create_account(new, Some(audit)).await?,
    };
    verify::send_link(state, &account);
    Ok(to_api(&account))
}

pub async fn update_preferences(
    state: &AppState,
    caller: &Caller,
    req: UpdateAccountRequest,
) -> Result<Account, ApiError> {
    let language = req
        .language
        .as_deref()
        .map(normalize_language)
        .transpose()?;
    let currency = req
        .currency
        .as_deref()
        .map(normalize_currency)
        .transpose()?;
    let account = state
        .store
        .update_preferences(caller.account.id, language, currency, now_ms())
        .await?;
    Ok(to_api(&account))
}

/// Finds an account by numeric id or by email.
pub async fn find(state: &AppState, id_or_email: &str) -> Result<AccountRecord, ApiError> {
    let found = match id_or_email.parse::<i64>() {
        Ok(id) => state.store.account_by_id(id).await?,
        Err(_) => match normalize_email(id_or_email) {
            Ok(email) => state.store.account_by_email(&email).await?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no account `{}`",
            codexkey_common::text::escape(id_or_email)
        ))
    })
}

pub async fn set_status(
    state: &AppState,
    admin: &Caller,
    target: &str,
    status: AccountStatus,
) -> Result<AccountRecord, ApiError> {
    let account = find(state, target).await?;
    if account.id == admin.account.id && status == AccountStatus::Suspended {
        return Err(ApiError::Conflict(
            "you cannot suspend your own account".into(),
        ));
    }
    let action = match status {
        AccountStatus::Suspended => "account.suspend",
        AccountStatus::Active => "account.activate",
    };
    let updated = state
        .store
        .set_account_status(
            account.id,
            status,
            NewAudit {
                actor_id: Some(admin.account.id),
                action,
                target: Some(account.email.clone()),
                detail: json!({}),
                created_at: now_ms(),
            },
        )
        .await?;
    // Its keys are re-read with the new status on their next request.
    state.keys.invalidate_account(account.id);
    Ok(updated)
}

/// On an empty database, creates the admin account from the configuration, or with a generated
/// password that is printed once to stderr (the only time it is ever shown).
pub async fn bootstrap_admin(state: &AppState) -> Result<(), String> {
    if state
        .store
        .count_accounts()
        .await
        .map_err(|e| e.to_string())?
        > 0
    {
        return Ok(());
    }
    let email = normalize_email(&state.config.admin.email).map_err(|e| e.to_string())?;
    let (password, generated) = match &state.config.admin.password {
        Some(p) => (p.expose().clone(), false),
        None => (
            codexkey_common::key::random_base62(24).map_err(|e| e.to_string())?,
            true,
        ),
    };
    state
        .passwords
        .check(&password, &email)
        .await
        .map_err(|e| format!("the configured admin password: {e}"))?;
    let password_hash = state
        .passwords
        .hash(password.clone())
        .await
        .map_err(|e| e.to_string())?;
    let now = now_ms();
    state
        .store
        .create_account(
            NewAccount {
                email: email.clone(),
                password_hash,
                role: Role::Admin,
                language: "en".into(),
                currency: "USD".into(),
                created_at: now,
            },
            Some(NewAudit {
                actor_id: None,
                action: "account.bootstrap_admin",
                target: Some(email.clone()),
                detail: json!({ "generated_password": generated }),
                created_at: now,
            }),
        )
        .await
        .map_err(|e| e.to_string())?;
    if generated {
        // Deliberately not through `tracing`: this is shown once on the console, not kept in
        // log files.
        #[expect(
            clippy::print_stderr,
            reason = "the one-time password is for the operator's eyes"
        )]
        {
            eprintln!(
                "\ncreated the first admin account\n  email:    {email}\n  password: {password}\nthis password is shown only once; log in with `codexkey login --email {email}`\n"
            );
        }
    } else {
        tracing::info!(%email, "created the first admin account from the configuration");
    }
    Ok(())
}
