//! `codexkey account sessions [list|revoke ID|revoke-others]`.

use std::process::ExitCode;

use anyhow::Result;
use codexkey_common::api::SessionInfo;
use tabled::Tabled;

use crate::args::SessionsCommand;
use crate::context::Ctx;
use crate::output;

#[derive(Tabled)]
struct SessionRow {
    id: i64,
    current: &'static str,
    created: String,
    last_used: String,
    expires: String,
    client: String,
    user_agent: String,
}

fn row(s: &SessionInfo) -> SessionRow {
    SessionRow {
        id: s.id,
        current: if s.current { "*" } else { "" },
        created: output::time(s.created_at),
        last_used: output::opt_time(s.last_used_at),
        expires: output::time(s.expires_at),
        client: output::opt(s.client_ip.as_deref()),
        user_agent: output::opt(s.user_agent.as_deref()),
    }
}

pub async fn run(ctx: &Ctx, cmd: Option<SessionsCommand>) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    match cmd.unwrap_or(SessionsCommand::List) {
        SessionsCommand::List => {
            let sessions = client.sessions().await?;
            if ctx.json {
                output::json(&sessions)?;
            } else {
                output::table(sessions.iter().map(row).collect(), "no open sessions")?;
            }
        }
        SessionsCommand::Revoke { id } => {
            client.revoke_session(id).await?;
            if ctx.json {
                output::json(&serde_json::json!({ "revoked": 1 }))?;
            } else {
                output::notice(&format!("ended session {id}"));
            }
        }
        SessionsCommand::RevokeOthers => {
            let revoked = client.revoke_other_sessions().await?;
            if ctx.json {
                output::json(&revoked)?;
            } else {
                output::notice(&format!(
                    "ended {} other session(s); this one stays",
                    revoked.revoked
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
