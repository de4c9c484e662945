//! `codexkey keys create|list|update|revoke|rotate|use`.

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use codexkey_common::Micros;
use codexkey_common::api::{ApiKey, CreateKeyRequest, CreatedKey, KeyStatus, UpdateKeyRequest};
use tabled::Tabled;

use crate::args::{CreateKeyArgs, KeysCommand, UpdateKeyArgs};
use crate::client::Client;
use crate::context::Ctx;
use crate::error::UserError;
use crate::output;

#[derive(Tabled)]
struct KeyRow {
    id: i64,
    prefix: String,
    name: String,
    status: String,
    created: String,
    #[tabled(rename = "last used")]
    last_used: String,
    expires: String,
    models: String,
    budget: String,
    rpm: String,
    tpm: String,
}

fn status(s: KeyStatus) -> String {
    match s {
        KeyStatus::Active => "active",
        KeyStatus::Revoked => "revoked",
        KeyStatus::Expired => "expired",
    }
    .into()
}

fn row(k: &ApiKey) -> KeyRow {
    KeyRow {
        id: k.id,
        prefix: format!("{}…", k.prefix),
        name: output::opt(k.name.as_deref()),
        status: status(k.status),
        created: output::time(k.created_at),
        last_used: output::opt_time(k.last_used_at),
        expires: output::opt_time(k.expires_at),
        models: k
            .allowed_models
            .as_ref()
            .map(|m| m.join(","))
            .unwrap_or_else(|| "all".into()),
        budget: k
            .budget_micros
            .map(|b| {
                format!(
                    "{} / {}",
                    output::credits(k.spent_micros),
                    output::credits(b)
                )
            })
            .unwrap_or_else(|| "-".into()),
        rpm: output::opt(k.rpm_limit),
        tpm: output::opt(k.tpm_limit),
    }
}

pub async fn run(ctx: &Ctx, cmd: KeysCommand) -> Result<ExitCode> {
    let client = ctx.authed().await?;
    match cmd {
        KeysCommand::Create(args) => {
            let use_for_proxy = args.use_for_proxy;
            let req = create_request(args)?;
            let created = client.create_key(&req).await?;
            print_created(ctx, &created, "created")?;
            if use_for_proxy {
                use_key(ctx, Some(created.key.id), created.secret).await?;
            }
        }
        KeysCommand::List => {
            let keys = client.keys().await?;
            if ctx.json {
                output::json(&keys)?;
            } else {
                output::table(
                    keys.iter().map(row).collect(),
                    "no keys yet; create one with `codexkey keys create`",
                )?;
            }
        }
        KeysCommand::Update(args) => {
            let id = resolve(&client, &args.key).await?;
            let key = client.update_key(id, &update_request(args)?).await?;
            if ctx.json {
                output::json(&key)?;
            } else {
                output::notice(&format!("updated key {} ({}…)", key.id, key.prefix));
                output::table(vec![row(&key)], "")?;
            }
        }
        KeysCommand::Revoke { key } => {
            let id = resolve(&client, &key).await?;
            let key = client.revoke_key(id).await?;
            if ctx.json {
                output::json(&key)?;
            } else {
                output::notice(&format!("revoked key {} ({}…)", key.id, key.prefix));
            }
        }
        KeysCommand::Rotate { key, use_for_proxy } => {
            let id = resolve(&client, &key).await?;
            let created = client.rotate_key(id).await?;
            print_created(ctx, &created, &format!("rotated key {id} into"))?;
            if use_for_proxy {
                use_key(ctx, Some(created.key.id), created.secret).await?;
            }
        }
        KeysCommand::Use(args) => {
            if args.rotate {
                let key = args.key.as_deref().ok_or_else(|| {
                    UserError::new(
                        "`--rotate` needs a key",
                        "pass its id or name from `codexkey keys list`",
                    )
                })?;
                let id = resolve(&client, key).await?;
                let created = client.rotate_key(id).await?;
                output::notice(&format!(
                    "rotated key {id} into key {} ({}…)",
                    created.key.id, created.key.prefix
                ));
                use_key(ctx, Some(created.key.id), created.secret).await?;
            } else if args.secret_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let secret = line.trim().to_owned();
                if !codexkey_common::key::looks_like_api_key(&secret) {
                    return Err(UserError::new(
                        "stdin does not hold a codexkey API key",
                        "pipe a `ck-…` secret as the first line",
                    )
                    .into());
                }
                // Which of the caller's keys it is, by its prefix; refuse a key of someone else.
                let prefix = &secret[..codexkey_common::key::DISPLAY_PREFIX_LEN];
                let wanted = match &args.key {
                    Some(k) => Some(resolve(&client, k).await?),
                    None => None,
                };
                let keys = client.keys().await?;
                let key = keys
                    .iter()
                    .find(|k| k.prefix == prefix && wanted.is_none_or(|id| id == k.id))
                    .ok_or_else(|| {
                        UserError::new(
                            "that secret is not one of your keys",
                            "check it with `codexkey keys list`",
                        )
                    })?;
                if key.status != KeyStatus::Active {
                    return Err(UserError::new(
                        format!("key {} is {:?}", key.id, key.status).to_lowercase(),
                        "create a new one with `codexkey keys create --use`",
                    )
                    .into());
                }
                use_key(ctx, Some(key.id), secret).await?;
            } else {
                return Err(UserError::new(
                    "the gateway never shows a key's secret twice",
                    "pass it with `--secret-stdin`, or rotate the key with `codexkey keys use ID --rotate`",
                )
                .into());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One of the caller's keys, named by id, name or prefix as `keys list` shows them (as
/// `usage --key` accepts). A name shared by several keys picks the one active key among them.
async fn resolve(client: &Client, key: &str) -> Result<i64> {
    if let Ok(id) = key.parse::<i64>() {
        return Ok(id);
    }
    let keys = client.keys().await?;
    let prefix = key.trim_end_matches('…');
    let named: Vec<&ApiKey> = keys
        .iter()
        .filter(|k| k.name.as_deref() == Some(key) || k.prefix == prefix)
        .collect();
    let active: Vec<&ApiKey> = named
        .iter()
        .copied()
        .filter(|k| k.status == KeyStatus::Active)
        .collect();
    match (named.as_slice(), active.as_slice()) {
        ([one], _) | (_, [one]) => Ok(one.id),
        ([], _) => Err(UserError::new(
            format!("you have no key named `{key}`"),
            "name a key by its id, name or prefix, as `codexkey keys list` shows them",
        )
        .into()),
        _ => Err(UserError::new(
            format!("several of your keys are named `{key}`"),
            "name it by its id, from `codexkey keys list`",
        )
        .into()),
    }
}

fn parse_time(t: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(t)
        .map_err(|e| {
            UserError::new(
                format!("`{t}` is not a time: {e}"),
                "use RFC 3339, e.g. `2027-01-31T00:00:00Z`",
            )
        })?
        .with_timezone(&Utc))
}

fn parse_budget(b: &str) -> Result<Micros> {
    Ok(b.parse::<Micros>().map_err(|e| {
        UserError::new(format!("--budget: {e}"), "give credits, e.g. `--budget 25`")
    })?)
}

fn expiry(days: Option<u32>, at: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    match (days, at) {
        (Some(days), _) => Ok(Some(Utc::now() + Duration::days(i64::from(days)))),
        (None, Some(t)) => parse_time(t).map(Some),
        (None, None) => Ok(None),
    }
}

/// A setting to change (`Some(Some(v))`), to remove (`Some(None)`) or to keep (`None`).
fn change<T>(value: Option<T>, remove: bool) -> Option<Option<T>> {
    if remove { Some(None) } else { value.map(Some) }
}

fn update_request(args: UpdateKeyArgs) -> Result<UpdateKeyRequest> {
    Ok(UpdateKeyRequest {
        name: args.name.map(Some),
        expires_at: change(
            expiry(args.expires_in, args.expires_at.as_deref())?,
            args.no_expiry,
        ),
        allowed_models: change(args.models, args.all_models),
        budget_micros: change(
            args.budget.as_deref().map(parse_budget).transpose()?,
            args.no_budget,
        ),
        rpm_limit: change(args.rpm, args.no_rpm),
        tpm_limit: change(args.tpm, args.no_tpm),
    })
}

fn create_request(args: CreateKeyArgs) -> Result<CreateKeyRequest> {
    let expires_at = expiry(args.expires_in, args.expires_at.as_deref())?;
    let budget_micros = args.budget.as_deref().map(parse_budget).transpose()?;
    Ok(CreateKeyRequest {
        name: args.name,
        expires_at,
        allowed_models: args.models,
        budget_micros,
        rpm_limit: args.rpm,
        tpm_limit: if args.no_tpm { None } else { args.tpm },
    })
}

fn print_created(ctx: &Ctx, created: &CreatedKey, verb: &str) -> Result<()> {
    if ctx.json {
        return output::json(created);
    }
    output::notice(&format!(
        "{verb} key {} ({}…)",
        created.key.id, created.key.prefix
    ));
    output::fields(&[("secret", created.secret.clone())])?;
    output::notice("store this secret now: it is not shown again");
    Ok(())
}

async fn use_key(ctx: &Ctx, id: Option<i64>, secret: String) -> Result<()> {
    let store = ctx.set_proxy_key(id, secret).await?;
    let store = match store {
        crate::args::CredentialStoreKind::Keyring => "the OS keyring",
        _ => "the private credentials file",
    };
    output::notice(&format!(
        "`codexkey proxy` will use this key (kept in {store})"
    ));
    Ok(())
}
