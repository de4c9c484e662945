//! `codexkey referral`: the caller's referral code and terms (on stderr), and the accounts it
//! referred with what each earned (a table on stdout), or all of it as JSON with `--json`.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::Referee;
use tabled::Tabled;

use crate::context::Ctx;
use crate::output;

#[derive(Tabled)]
struct RefereeRow {
    referee: String,
    linked: String,
    topups: u32,
    earned: String,
    taken_back: String,
}

fn row(r: &Referee) -> RefereeRow {
    RefereeRow {
        referee: r.email.clone(),
        linked: output::time(r.linked_at),
        topups: r.topups,
        earned: output::credits(r.earned_micros),
        taken_back: output::credits(r.taken_back_micros),
    }
}

pub async fn run(ctx: &Ctx) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    let summary = client.referral().await?;
    if ctx.json {
        output::json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    output::notice(&format!(
        "your referral code: {} (`codexkey register --referral {}`); you earn {}.{:02}% of a referee's paid top-ups, on their first {}, within {} days of registering; earned {}, taken back {}",
        summary.code,
        summary.code,
        summary.rate_bps / 100,
        summary.rate_bps % 100,
        summary.max_topups,
        summary.max_age_secs / 86_400,
        output::credits(summary.earned_micros),
        output::credits(summary.taken_back_micros),
    ));
    output::table(
        summary.referees.iter().map(row).collect(),
        "no referees yet; share your code",
    )?;
    Ok(ExitCode::SUCCESS)
}
