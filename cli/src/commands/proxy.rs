//! `codexkey proxy`: the local proxy in the foreground until Ctrl-C or SIGTERM, then the
//! session's total.

use std::process::ExitCode;

use anyhow::Result;

use crate::args::ProxyArgs;
use crate::context::Ctx;
use crate::output;
use crate::proxy::{self, ProxyOptions, SessionTotals};

pub async fn run(ctx: &Ctx, args: ProxyArgs) -> Result<ExitCode> {
    let key = ctx.proxy_key().await?;
    let token = proxy::token(ctx).await?;
    let running = proxy::start(ProxyOptions {
        gateway: ctx.gateway.clone(),
        host: args.host,
        port: args.port,
        key,
        token,
        live: !ctx.json,
        display: proxy::display_currency(ctx).await,
    })
    .await?;
    output::notice(&format!(
        "codexkey proxy on {} -> {}\n  point tools at it: `codexkey env claude` / `codexkey env codex` (they carry your proxy token)\n  Ctrl-C stops it",
        running.base_url(),
        ctx.gateway
    ));
    codexkey_gateway::system::shutdown_signal().await;
    let tally = running.tally.clone();
    let totals = running.stop().await;
    report_totals(ctx, &totals, &tally)?;
    Ok(ExitCode::SUCCESS)
}

pub fn report_totals(ctx: &Ctx, t: &SessionTotals, tally: &proxy::Tally) -> Result<()> {
    if ctx.json {
        return output::json(t);
    }
    let display = tally
        .money(Some(t.cost_micros))
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    output::notice(&format!(
        "session: {} request{}, {} cr{display} (in {}, cached {}, out {} tokens)",
        t.requests,
        if t.requests == 1 { "" } else { "s" },
        t.cost_micros,
        t.input_tokens,
        t.cached_tokens,
        t.output_tokens
    ));
    Ok(())
}
