//! One module per command, mirroring `codexkey --help`.

mod account;
mod admin;
mod backup;
mod balance;
mod codes;
mod completions;
mod doctor;
mod gateway;
mod keys;
mod ledger;
mod login;
mod logout;
mod migrate;
mod orders;
mod prices;
mod pricing;
mod proxy;
mod recovery;
mod referral;
mod refunds;
mod register;
mod tools;
mod topup;
mod upstreams;
mod usage;
mod whoami;

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{AdminCommand, Cli, Command};
use crate::context::Ctx;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    // Commands that do not talk to a gateway as a client.
    match cli.command {
        Command::Gateway(args) => return gateway::run(args).await,
        Command::Completions { shell } => return completions::run(shell),
        Command::Admin(AdminCommand::Migrate(args)) => return migrate::run(cli.json, args).await,
        _ => {}
    }
    let ctx = Ctx::new(cli.gateway.as_deref(), cli.json, cli.profile.as_deref())?;
    match cli.command {
        Command::Register(args) => register::run(&ctx, args).await,
        Command::Login(args) => login::run(&ctx, args).await,
        Command::Logout => logout::run(&ctx).await,
        Command::Whoami => whoami::run(&ctx).await,
        Command::ResetPassword(args) => recovery::reset_password(&ctx, args).await,
        Command::VerifyEmail { link } => recovery::verify_email(&ctx, &link).await,
        Command::Account(cmd) => account::run(&ctx, cmd).await,
        Command::Keys(cmd) => keys::run(&ctx, cmd).await,
        Command::Balance => balance::run(&ctx).await,
        Command::Ledger(args) => ledger::run(&ctx, args).await,
        Command::Topup(args) => topup::run(&ctx, args).await,
        Command::Orders => orders::own(&ctx).await,
        Command::Refund(args) => refunds::request(&ctx, args).await,
        Command::Refunds => refunds::own(&ctx).await,
        Command::Referral => referral::run(&ctx).await,
        Command::Pricing(args) => pricing::run(&ctx, args).await,
        Command::Proxy(args) => proxy::run(&ctx, args).await,
        Command::Env(args) => tools::env(&ctx, args).await,
        Command::Run(args) => tools::run(&ctx, args).await,
        Command::Setup(args) => tools::setup(&ctx, args).await,
        Command::Doctor => doctor::run(&ctx).await,
        Command::Admin(cmd) => admin::run(&ctx, cmd).await,
        Command::Usage(args) => usage::run(&ctx, *args).await,
        Command::Gateway(_) | Command::Completions { .. } => Ok(ExitCode::SUCCESS),
    }
}
