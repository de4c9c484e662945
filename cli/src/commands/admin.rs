//! `codexkey admin …`: users (and resetting their two-factor login), balance adjustments and
//! bonuses, suspension, the ledger check, the audit log.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::Micros;
use codexkey_common::api::{
    AdjustBalanceRequest, AdminDeleteRequest, AdminUser, BonusRequest, CreateUserRequest,
    InviteRequest, Role,
};
use tabled::Tabled;

use crate::args::{AdminCommand, UsersCommand};
use crate::context::Ctx;
use crate::error::{EXIT_REFUSED, UserError};
use crate::output;

#[derive(Tabled)]
struct UserRow {
    id: i64,
    email: String,
    role: String,
    status: String,
    balance: String,
    held: String,
    since: String,
}

fn user_row(u: &AdminUser) -> UserRow {
    UserRow {
        id: u.account.id,
        email: u.account.email.clone(),
        role: format!("{:?}", u.account.role).to_lowercase(),
        status: format!("{:?}", u.account.status).to_lowercase(),
        balance: output::credits(u.balance_micros),
        held: output::credits(u.held_micros),
        since: output::time(u.account.created_at),
    }
}

#[derive(Tabled)]
struct AuditRow {
    id: i64,
    time: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

pub async fn run(ctx: &Ctx, cmd: AdminCommand) -> Result<ExitCode> {
    // Offline: it talks to the databases, not to a gateway, and needs no login.
    if let AdminCommand::Migrate(args) = cmd {
        return super::migrate::run(ctx.json, args).await;
    }
    let client = ctx.authed().await?;
    match cmd {
        AdminCommand::Users {
            command: None | Some(UsersCommand::List),
        } => {
            let users = client.admin_users().await?;
            if ctx.json {
                output::json(&users)?;
            } else {
                output::table(users.iter().map(user_row).collect(), "no accounts")?;
            }
        }
        AdminCommand::Users {
            command: Some(UsersCommand::ResetTwoFactor { account }),
        } => {
            let user = client.admin_reset_2fa(&account).await?;
            if ctx.json {
                output::json(&user)?;
            } else {
                output::notice(&format!(
                    "turned off two-factor login for {}; they log in with their password and may enrol again (`codexkey account 2fa enable`)",
                    user.account.email
                ));
            }
        }
        AdminCommand::Users {
            command: Some(UsersCommand::Create { email, role }),
        } => {
            let role = if role == "admin" {
                Role::Admin
            } else {
                Role::User
            };
            let created = client
                .admin_create_user(&CreateUserRequest {
                    email,
                    role: Some(role),
                })
                .await?;
            if ctx.json {
                output::json(&created)?;
            } else if let Some(link) = &created.link {
                output::notice(&format!(
                    "created {}; the gateway sends no mail: hand them this one-time link to set a password (it works once, until {}):",
                    created.account.email,
                    output::time(link.expires_at)
                ));
                output::write(&format!("{}\n", link.link))?;
            } else {
                output::notice(&format!(
                    "created {}; a link to set a password was mailed to it",
                    created.account.email
                ));
            }
        }
        AdminCommand::Users {
            command: Some(UsersCommand::Delete { account, reason }),
        } => {
            let deleted = client
                .admin_delete_user(&account, &AdminDeleteRequest { reason })
                .await?;
            if ctx.json {
                output::json(&deleted)?;
            } else {
                output::notice(&format!(
                    "deleted {account}: now {}; {} keys revoked, {} sessions ended, {} forfeited",
                    deleted.pseudonym,
                    deleted.keys_revoked,
                    deleted.sessions_ended,
                    output::credits(deleted.forfeited_micros)
                ));
            }
        }
        AdminCommand::Invite { email } => {
            let invitation = client.admin_invite(&InviteRequest { email }).await?;
            if ctx.json {
                output::json(&invitation)?;
            } else if let Some(link) = &invitation.link {
                output::notice(&format!(
                    "invited {}; the gateway sends no mail: hand them this link (it works once, until {}; or `codexkey register --invitation {}`):",
                    invitation.email,
                    output::time(link.expires_at),
                    link.token
                ));
                output::write(&format!("{}\n", link.link))?;
            } else {
                output::notice(&format!(
                    "invited {}; the invitation was mailed (it works once, until {})",
                    invitation.email,
                    output::time(invitation.expires_at)
                ));
            }
        }
        AdminCommand::Purge => {
            let r = client.admin_purge().await?;
            if ctx.json {
                output::json(&r)?;
            } else {
                output::fields(&[
                    ("events anonymised", r.events_anonymised.to_string()),
                    ("sessions anonymised", r.sessions_anonymised.to_string()),
                    ("events deleted", r.events_deleted.to_string()),
                    ("metadata before", output::opt_time(r.metadata_before)),
                    ("events before", output::opt_time(r.events_before)),
                    ("accounts purged", r.accounts_purged.to_string()),
                    (
                        "accounts deleted before",
                        output::opt_time(r.accounts_deleted_before),
                    ),
                ])?;
            }
        }
        AdminCommand::ResetPassword { account } => {
            let link = client.admin_reset_link(&account).await?;
            if ctx.json {
                output::json(&link)?;
            } else {
                output::notice(&format!(
                    "a one-time link for {} (it works once, until {}; using it ends their sessions):",
                    link.email,
                    output::time(link.expires_at)
                ));
                output::write(&format!("{}\n", link.link))?;
            }
        }
        AdminCommand::Adjust {
            account,
            amount,
            reason,
        } => {
            let amount_micros: Micros = amount.parse().map_err(|e| {
                UserError::new(format!("AMOUNT: {e}"), "give credits, e.g. `10` or `-2.5`")
            })?;
            let resp = client
                .admin_adjust(
                    &account,
                    &AdjustBalanceRequest {
                        amount_micros,
                        reason,
                    },
                )
                .await?;
            if ctx.json {
                output::json(&resp)?;
            } else {
                output::notice(&format!(
                    "adjusted {} by {}; balance now {}",
                    resp.account.account.email,
                    output::credits(resp.entry.amount_micros),
                    output::credits(resp.account.balance_micros)
                ));
            }
        }
        AdminCommand::Bonus {
            account,
            amount,
            reason,
        } => {
            let amount_micros: Micros = amount.parse().map_err(|e| {
                UserError::new(format!("AMOUNT: {e}"), "give credits, e.g. `10` or `2.5`")
            })?;
            let resp = client
                .admin_bonus(
                    &account,
                    &BonusRequest {
                        amount_micros,
                        reason,
                    },
                )
                .await?;
            if ctx.json {
                output::json(&resp)?;
            } else {
                output::notice(&format!(
                    "gave {} a bonus of {} (promotional credit); balance now {}",
                    resp.account.account.email,
                    output::credits(resp.entry.amount_micros),
                    output::credits(resp.account.balance_micros)
                ));
            }
        }
        AdminCommand::Codes(cmd) => return super::codes::run(ctx, &client, cmd).await,
        AdminCommand::Refunds(cmd) => return super::refunds::admin(ctx, &client, cmd).await,
        AdminCommand::Orders { state, account } => {
            return super::orders::admin(ctx, &client, state.as_deref(), account.as_deref()).await;
        }
        AdminCommand::Suspend { account } => set_status(ctx, &client, &account, true).await?,
        AdminCommand::Activate { account } => set_status(ctx, &client, &account, false).await?,
        AdminCommand::VerifyLedger => {
            let check = client.admin_verify_ledger().await?;
            if ctx.json {
                output::json(&check)?;
            } else if check.ok {
                output::notice(&format!(
                    "ledger ok: {} accounts, {} entries; every balance equals the sum of its entries",
                    check.accounts_checked, check.entries_checked
                ));
            } else {
                output::table(
                    check
                        .mismatches
                        .iter()
                        .map(|m| UserMismatch {
                            id: m.account_id,
                            email: m.email.clone(),
                            balance: output::credits(m.balance_micros),
                            ledger_sum: output::credits(m.ledger_sum_micros),
                        })
                        .collect(),
                    "",
                )?;
                output::notice(
                    "ledger check FAILED: the balances above differ from the sum of their entries",
                );
            }
            let a = &check.anomalies;
            if !ctx.json && a.usage_invalid + a.capped_at_hold > 0 {
                output::notice(&format!(
                    "upstream usage anomalies: {} request(s) reported unbillable counts (charged the estimate), \
                     {} reported more than their hold (charged the hold; {} credits beyond it); \
                     list them with `codexkey usage events --json` and look at `settlement`",
                    a.usage_invalid,
                    a.capped_at_hold,
                    output::credits(a.capped_excess_micros)
                ));
            }
            if !check.ok {
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        }
        AdminCommand::Backup { file } => super::backup::run(ctx, &client, &file).await?,
        AdminCommand::Migrate(args) => return super::migrate::run(ctx.json, args).await,
        AdminCommand::Prices(cmd) => return super::prices::run(ctx, &client, cmd).await,
        AdminCommand::Upstreams(cmd) => return super::upstreams::run(ctx, &client, cmd).await,
        AdminCommand::Audit(args) => {
            let rows = client.admin_audit(args.before, args.limit).await?;
            if ctx.json {
                output::json(&rows)?;
            } else {
                output::table(
                    rows.into_iter()
                        .map(|r| AuditRow {
                            id: r.id,
                            time: output::time(r.created_at),
                            actor: output::opt(r.actor),
                            action: r.action,
                            target: output::opt(r.target),
                            detail: r.detail.to_string(),
                        })
                        .collect(),
                    "the audit log is empty",
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Tabled)]
struct UserMismatch {
    id: i64,
    email: String,
    balance: String,
    #[tabled(rename = "ledger sum")]
    ledger_sum: String,
}

async fn set_status(
    ctx: &Ctx,
    client: &crate::client::Client,
    account: &str,
    suspend: bool,
) -> Result<()> {
    let user = client.admin_set_suspended(account, suspend).await?;
    if ctx.json {
        output::json(&user)?;
    } else {
        let verb = if suspend { "suspended" } else { "reactivated" };
        output::notice(&format!("{verb} {}", user.account.email));
    }
    Ok(())
}
