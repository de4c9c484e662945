//! Command-line arguments, and nothing else: clap derive types only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// codexkey: a metering gateway for AI model APIs, and its command-line client.
#[derive(Debug, Parser)]
#[command(
    name = "codexkey",
    // `codexkey 0.1.0 (3f2a9c1d7e0b 2026-12-07)`: the release, its commit and build date.
    version = concat!(
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("CODEXKEY_COMMIT"),
        " ",
        env!("CODEXKEY_BUILD_DATE"),
        ")"
    ),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]
    #[arg(long, global = true, env = "CODEXKEY_GATEWAY", value_name = "URL")]
    pub gateway: Option<String>,

    /// Print machine-readable JSON on stdout instead of tables
    #[arg(long, global = true)]
    pub json: bool,

    /// Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile
    /// admin` beside your own account)
    #[arg(long, global = true, env = "CODEXKEY_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)
    Gateway(GatewayArgs),
    /// Create an account on the gateway and log in
    Register(RegisterArgs),
    /// Log in and keep the session token in the OS keyring (or a private file); asks for a
    /// two-factor code when the account has two-factor login
    Login(LoginArgs),
    /// End the session and forget its token
    Logout,
    /// Forgot your password: `--email` mails you a one-time link; `--link` (the link or its
    /// token, from the mail or from an admin) sets a new password and ends every session
    #[command(name = "reset-password")]
    ResetPassword(ResetPasswordArgs),
    /// Confirm your address with the link (or its token) the gateway mailed you
    #[command(name = "verify-email")]
    VerifyEmail {
        /// The link, or the token in it (`ck_verify_…`)
        link: String,
    },
    /// Show the account you are logged in as
    Whoami,
    /// Secure your account: two-factor login, sessions, password
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage your API keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Show your balance, spend today and over 30 days, and how long the balance lasts
    Balance,
    /// Show what you spent, on what and when (from a local cache synced with the gateway)
    Usage(Box<UsageArgs>),
    /// Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first
    Ledger(LedgerArgs),
    /// Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a
    /// code (`--code`)
    Topup(TopupArgs),
    /// Show your top-up orders, newest first
    Orders,
    /// Ask for unused credit of a paid order back (within the refund window; promotional
    /// credit is spent first and never refunded)
    Refund(RefundArgs),
    /// Show your refunds, newest first
    Refunds,
    /// Show your referral code, the accounts you referred and what you earned from them
    Referral,
    /// Show the gateway's model prices (no login needed)
    Pricing(PricingArgs),
    /// Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)
    Proxy(ProxyArgs),
    /// Print the environment that points a tool at a running `codexkey proxy`
    Env(EnvArgs),
    /// Start a proxy and a tool together; exits with the tool's exit code
    Run(RunArgs),
    /// Write a tool's lasting configuration to use the proxy (shows a diff first)
    Setup(SetupArgs),
    /// Check the gateway, login, proxy key, balance and tools, with a fix for each problem
    Doctor,
    /// Administer the gateway (admin accounts only)
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Configuration file (TOML) [env: CODEXKEY_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080] [env: CODEXKEY_LISTEN]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory for the database [default: the platform data dir] [env: CODEXKEY_DATA_DIR]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print the effective configuration (secrets masked) and exit
    #[arg(long)]
    pub print_config: bool,
    /// The global client options do not apply to the gateway: these hidden stand-ins (same ids,
    /// so clap does not propagate the global ones here) keep them out of `gateway --help`;
    /// [`parse`] refuses them when typed.
    #[command(flatten)]
    pub client_options: ClientOptionsStandIns,
}

/// Stand-ins for the global client options under `codexkey gateway`. Values from the
/// environment (`CODEXKEY_GATEWAY`, `CODEXKEY_PROFILE`) still reach them and are ignored.
#[derive(Debug, Args)]
pub struct ClientOptionsStandIns {
    #[arg(id = "gateway", long = "gateway", hide = true, value_name = "URL")]
    pub gateway: Option<String>,
    #[arg(id = "json", long = "json", hide = true)]
    pub json: bool,
    #[arg(id = "profile", long = "profile", hide = true, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Parses the command line like `Cli::parse`, and refuses a client option typed for
/// `codexkey gateway` (before or after the subcommand) with a usage error.
pub fn parse() -> Cli {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let matches = Cli::command().get_matches();
    if let Some(("gateway", sub)) = matches.subcommand() {
        for id in ["gateway", "json", "profile"] {
            if sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "`--{id}` is a client option; `codexkey gateway` does not take it (see `codexkey gateway --help`)"
                        ),
                    )
                    .exit();
            }
        }
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut Cli::command()).exit())
}

#[derive(Debug, Args)]
pub struct CredentialArgs {
    /// Account email (asked for when omitted)
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from the first line of standard input instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// Ask for a link by mail (the answer is the same whether or not an account has it)
    #[arg(long, conflicts_with = "link", required_unless_present = "link")]
    pub email: Option<String>,
    /// Set a new password with this link, or the token in it (`ck_reset_…`)
    #[arg(long, value_name = "LINK")]
    pub link: Option<String>,
    /// With `--link`: read the new password from the first line of standard input instead of
    /// prompting
    #[arg(long, requires = "link")]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Another account's referral code (`codexkey referral` shows it to them): it earns a share
    /// of your paid top-ups
    #[arg(long, value_name = "CODE")]
    pub referral: Option<String>,
    /// The invitation token (`ck_invite_…`) an admin sent, on a gateway that registers by
    /// invitation only
    #[arg(long, value_name = "TOKEN")]
    pub invitation: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// The code your authenticator app shows, for an account with two-factor login (asked for
    /// when needed and omitted)
    #[arg(long, value_name = "CODE", conflicts_with = "recovery_code")]
    pub code: Option<String>,
    /// A recovery code instead of the app's code; each works once
    #[arg(long, value_name = "CODE")]
    pub recovery_code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Turn two-factor login (TOTP, with an authenticator app) on or off
    #[command(name = "2fa", subcommand)]
    TwoFactor(TwoFactorCommand),
    /// List your login sessions, or revoke them
    Sessions {
        #[command(subcommand)]
        command: Option<SessionsCommand>,
    },
    /// Change your password; every other session ends
    Password(PasswordArgs),
    /// Set your preferences: the currency amounts are shown in, and your language
    Set(AccountSetArgs),
    /// Delete your account (asks for your password, and a code when two-factor login is on):
    /// keys and sessions end at once, your email and client addresses are erased; billing
    /// records stay, pseudonymised, for the gateway's retention (five years by default). Cannot
    /// be undone
    Delete {
        /// Read the password from the first line of standard input instead of prompting
        #[arg(long)]
        password_stdin: bool,
        /// The code your authenticator app shows (two-factor login)
        #[arg(long, value_name = "CODE", conflicts_with = "recovery_code")]
        code: Option<String>,
        /// A recovery code instead of the app's code
        #[arg(long, value_name = "CODE")]
        recovery_code: Option<String>,
    },
    /// Mail a new link to verify your address; it replaces the links mailed before
    #[command(name = "resend-verification")]
    ResendVerification,
    /// Download a copy of your data (profile, key metadata, ledger, usage events, orders,
    /// refunds, referrals, commissions; JSON and CSV) as one zip archive
    Export {
        /// The file to create (0600); an existing file is left alone
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub struct AccountSetArgs {
    /// Display currency, an ISO 4217 code the gateway has a rate for (e.g. `RUB`; `USD` is
    /// credits as they are)
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Language, a tag such as `en`, `ru` or `pt-BR`
    #[arg(long, value_name = "TAG")]
    pub language: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TwoFactorCommand {
    /// Turn it on (asks for your password): shows a QR code for your authenticator app, asks
    /// for a code it shows, then prints ten recovery codes once. Without a terminal, prints the
    /// secret and stops: finish with `codexkey account 2fa confirm CODE`
    Enable {
        /// Read the password from the first line of standard input instead of prompting
        #[arg(long)]
        password_stdin: bool,
    },
    /// Finish turning it on with a code from the app; prints the recovery codes once
    Confirm {
        /// The code the app shows now
        code: String,
    },
    /// Turn it off, with your password and a current code (or a recovery code)
    Disable(DisableTwoFactorArgs),
}

#[derive(Debug, Args)]
pub struct DisableTwoFactorArgs {
    /// Read the password from the first line of standard input instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
    /// The code your authenticator app shows (asked for when omitted)
    #[arg(long, value_name = "CODE", conflicts_with = "recovery_code")]
    pub code: Option<String>,
    /// A recovery code instead of the app's code
    #[arg(long, value_name = "CODE")]
    pub recovery_code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List your open sessions (the default)
    List,
    /// End one session
    Revoke {
        /// The session's id (from `codexkey account sessions`)
        id: i64,
    },
    /// End every session but this one
    RevokeOthers,
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the current password from the first line of standard input and the new one from
    /// the second, instead of prompting
    #[arg(long)]
    pub stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is shown once
    Create(CreateKeyArgs),
    /// List your keys
    List,
    /// Change a key's name, expiry, models, budget or rate limits; it applies at once
    Update(UpdateKeyArgs),
    /// Revoke a key: it stops working at once
    Revoke {
        /// Key id, name or prefix, from `codexkey keys list`
        key: String,
    },
    /// Replace a key with a new secret (same settings); the old one stops working
    Rotate {
        /// Key id, name or prefix, from `codexkey keys list`
        key: String,
        /// Also make the new secret the one `codexkey proxy` uses
        #[arg(long = "use")]
        use_for_proxy: bool,
    },
    /// Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)
    Use(UseKeyArgs),
}

#[derive(Debug, Args)]
pub struct UseKeyArgs {
    /// Key id, name or prefix, from `codexkey keys list`; its secret comes from
    /// `--secret-stdin`, or from a rotation with `--rotate` (the gateway never shows a secret
    /// twice)
    #[arg(required_unless_present = "secret_stdin")]
    pub key: Option<String>,
    /// Read the key's secret (`ck-…`) from standard input
    #[arg(long)]
    pub secret_stdin: bool,
    /// Rotate key ID and use its new secret
    #[arg(long, requires = "key", conflicts_with = "secret_stdin")]
    pub rotate: bool,
}

/// The coding tools codexkey can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tool {
    /// Claude Code (`claude`)
    Claude,
    /// Codex CLI (`codex`)
    Codex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = crate::proxy::port::DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on; only loopback addresses are accepted
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[arg(value_enum)]
    pub tool: Tool,
    /// Shell syntax [default: from $SHELL, else bash]
    #[arg(long, value_enum)]
    pub shell: Option<ShellKind>,
    /// The proxy's port
    #[arg(long, default_value_t = crate::proxy::port::DEFAULT_PORT)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(value_enum)]
    pub tool: Tool,
    /// Arguments for the tool, after `--`
    #[arg(last = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    #[arg(value_enum)]
    pub tool: Tool,
    /// Write without asking
    #[arg(long)]
    pub yes: bool,
    /// The proxy's port
    #[arg(long, default_value_t = crate::proxy::port::DEFAULT_PORT)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    /// A name to tell the key apart
    #[arg(long)]
    pub name: Option<String>,
    /// Expire after this many days
    #[arg(long, value_name = "DAYS", conflicts_with = "expires_at")]
    pub expires_in: Option<u32>,
    /// Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)
    #[arg(long, value_name = "TIME")]
    pub expires_at: Option<String>,
    /// Only allow these models (comma-separated; `*` matches any run of characters)
    #[arg(long, value_name = "MODELS", value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Most the key may spend, in credits (e.g. `25` or `2.5`)
    #[arg(long, value_name = "CREDITS")]
    pub budget: Option<String>,
    /// Requests per minute
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,
    /// Tokens per minute (input and output tokens of the requests settled in the minute)
    #[arg(long, value_name = "N", conflicts_with = "no_tpm")]
    pub tpm: Option<u64>,
    /// No token limit (the default)
    #[arg(long)]
    pub no_tpm: bool,
    /// Also make it the key `codexkey proxy` uses
    #[arg(long = "use")]
    pub use_for_proxy: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true)))]
pub struct UpdateKeyArgs {
    /// Key id, name or prefix, from `codexkey keys list`
    pub key: String,
    /// A new name
    #[arg(long, group = "change")]
    pub name: Option<String>,
    /// Expire after this many days from now
    #[arg(long, value_name = "DAYS", group = "change", conflicts_with_all = ["expires_at", "no_expiry"])]
    pub expires_in: Option<u32>,
    /// Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)
    #[arg(
        long,
        value_name = "TIME",
        group = "change",
        conflicts_with = "no_expiry"
    )]
    pub expires_at: Option<String>,
    /// Never expire
    #[arg(long, group = "change")]
    pub no_expiry: bool,
    /// Only allow these models (comma-separated; `*` matches any run of characters)
    #[arg(
        long,
        value_name = "MODELS",
        value_delimiter = ',',
        group = "change",
        conflicts_with = "all_models"
    )]
    pub models: Option<Vec<String>>,
    /// Allow every model
    #[arg(long, group = "change")]
    pub all_models: bool,
    /// Most the key may spend in its lifetime, in credits
    #[arg(
        long,
        value_name = "CREDITS",
        group = "change",
        conflicts_with = "no_budget"
    )]
    pub budget: Option<String>,
    /// No budget
    #[arg(long, group = "change")]
    pub no_budget: bool,
    /// Requests per minute
    #[arg(long, value_name = "N", group = "change", conflicts_with = "no_rpm")]
    pub rpm: Option<u32>,
    /// No rate limit
    #[arg(long, group = "change")]
    pub no_rpm: bool,
    /// Tokens per minute (input and output tokens of the requests settled in the minute)
    #[arg(long, value_name = "N", group = "change", conflicts_with = "no_tpm")]
    pub tpm: Option<u64>,
    /// No token limit
    #[arg(long, group = "change")]
    pub no_tpm: bool,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// How many entries to show
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Show entries older than this entry id (for paging)
    #[arg(long, value_name = "ID")]
    pub before: Option<i64>,
}

#[derive(Debug, Args)]
pub struct RefundArgs {
    /// The order's id (see `codexkey orders`)
    pub order: i64,
    /// Credits to refund (e.g. `5`, `2.5`); all that is refundable when not given
    #[arg(long, value_name = "CREDITS")]
    pub amount: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AdminRefundsCommand {
    /// List refunds, newest first
    List {
        /// Only refunds in this state
        #[arg(long, value_parser = ["requested", "approved", "succeeded", "failed", "denied"])]
        state: Option<String>,
    },
    /// Approve a requested refund: freezes what is refundable now, debits the ledger and has
    /// the payment provider pay it back (run it again if the provider could not be reached)
    Approve {
        /// The refund's id
        id: i64,
    },
    /// Deny a requested refund, with a reason the user sees
    Deny {
        /// The refund's id
        id: i64,
        /// Why (required)
        #[arg(long)]
        reason: String,
    },
}

/// Where the credit comes from: exactly one source.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).multiple(false)))]
pub struct TopupArgs {
    /// A redemption code, as printed (case, spaces and dashes do not matter)
    #[arg(long, value_name = "CODE", group = "source")]
    pub code: Option<String>,
    /// Credits to buy by card (e.g. `10`, `12.5`): prints the payment page to open in any
    /// browser; the credit arrives once the payment is confirmed
    #[arg(long, value_name = "CREDITS", group = "source")]
    pub amount: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List every account with its balance, create one, or reset one's two-factor login
    Users {
        #[command(subcommand)]
        command: Option<UsersCommand>,
    },
    /// Credit or debit an account, with a reason kept in the ledger and the audit log
    Adjust {
        /// The account's email (or id)
        account: String,
        /// Credits to add; negative to take away (e.g. `10`, `-2.5`)
        #[arg(allow_negative_numbers = true)]
        amount: String,
        /// Why the balance changes (required)
        #[arg(long)]
        reason: String,
    },
    /// Give an account promotional credit (spent first, never refunded), with a reason kept in
    /// the ledger and the audit log
    Bonus {
        /// The account's email (or id)
        account: String,
        /// Credits to give (e.g. `10`, `2.5`)
        amount: String,
        /// Why (required)
        #[arg(long)]
        reason: String,
    },
    /// Create, list, disable and export redemption codes
    #[command(subcommand)]
    Codes(CodesCommand),
    /// List top-up orders, newest first
    Orders {
        /// Only orders in this state
        #[arg(long, value_parser = ["pending", "paid", "expired", "failed", "partly_refunded", "refunded"])]
        state: Option<String>,
        /// Only this account's orders: its email or id
        #[arg(long)]
        account: Option<String>,
    },
    /// List, approve and deny refunds of unused credit
    #[command(subcommand)]
    Refunds(AdminRefundsCommand),
    /// Suspend an account: its sessions and keys stop working
    Suspend {
        /// The account's email (or id)
        account: String,
    },
    /// Lift a suspension
    Activate {
        /// The account's email (or id)
        account: String,
    },
    /// Invite an address to register (needed when `auth.registration = "invite"`): mailed when
    /// the gateway sends mail, else the link is printed; audited
    Invite {
        /// The address to invite
        email: String,
    },
    /// Print a one-time link that sets a new password for a user (it works once, for 24 hours,
    /// and ends their sessions when used); audited. For gateways that send no mail
    #[command(name = "reset-password")]
    ResetPassword {
        /// The account's email (or id)
        account: String,
    },
    /// Check that every balance equals the sum of its ledger entries (exit 1 if not)
    VerifyLedger,
    /// Run the retention purge now (`[retention]`): erase old client addresses and user agents,
    /// delete old raw usage events (reports keep their totals), and purge the billing records
    /// of accounts deleted longer ago than `retention.deleted_account_days`
    Purge,
    /// Show the audit log, newest first
    Audit(LedgerArgs),
    /// Copy the gateway's database, consistent while it serves, into a new private file
    Backup {
        /// The file to create (0600); an existing file is left alone
        file: std::path::PathBuf,
    },
    /// Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids
    /// kept, in one transaction, then counted on both sides and the ledger checked (offline:
    /// reads and writes the databases directly; exit 3 if the target is not empty)
    Migrate(MigrateArgs),
    /// Set, import and reset model prices and coefficients
    #[command(subcommand)]
    Prices(PricesCommand),
    /// List, add and remove upstream providers and their keys
    #[command(subcommand)]
    Upstreams(UpstreamsCommand),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The SQLite database to copy: `sqlite:///path/to/codexkey.db` (the gateway stopped)
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The PostgreSQL database to fill, empty: `postgres://user@host/database`, with
    /// `?options=-csearch_path%3Dschema` for a schema other than the user's default
    #[arg(long, value_name = "URL")]
    pub to: String,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List every account with its balance (the default)
    List,
    /// Delete an account (keys and sessions end, the person is pseudonymised, billing records
    /// stay); audited with the reason
    Delete {
        /// The account's email (or id)
        account: String,
        /// Why (required; kept in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Create an account without a password: a one-time link to set one is mailed when the
    /// gateway sends mail, else printed; audited
    Create {
        /// The new account's email
        email: String,
        /// Its role
        #[arg(long, value_parser = ["user", "admin"], default_value = "user")]
        role: String,
    },
    /// Turn off a user's two-factor login (a lost device and no recovery code); audited
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        /// The account's email (or id)
        account: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// Create a batch of codes and print them: they are shown this once
    Create(CreateCodesArgs),
    /// List the batches with how many codes are unused, redeemed, disabled or expired
    List {
        /// Only batches with a code still unused
        #[arg(long)]
        unused: bool,
    },
    /// Show the codes of a batch: each one's state and who redeemed it
    Show {
        /// The batch's id (from `codexkey admin codes list`)
        batch: i64,
    },
    /// Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed
    #[command(group(clap::ArgGroup::new("target").required(true).multiple(false)))]
    Disable {
        /// The batch's id
        #[arg(group = "target")]
        batch: Option<i64>,
        /// One code, as printed
        #[arg(long, value_name = "CODE", group = "target")]
        code: Option<String>,
    },
    /// Write a batch's codes' states and redeemers to a new private CSV file (not the codes
    /// themselves: the gateway does not keep them)
    Export {
        /// The batch's id
        batch: i64,
        /// The file to create (0600); an existing file is left alone
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CreateCodesArgs {
    /// Credits each code adds (e.g. `10`, `2.5`)
    #[arg(long)]
    pub amount: String,
    /// How many codes
    #[arg(long)]
    pub count: u32,
    /// When the codes stop working: a date (`2027-01-01`, midnight UTC) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// A note for admins (the campaign, who gets them)
    #[arg(long)]
    pub note: Option<String>,
    /// Their credit is promotional: spent first, never refunded
    #[arg(long)]
    pub promotional: bool,
    /// Write the codes to this new file (CSV, 0600) instead of printing them
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PricingArgs {
    /// Only models whose name matches; `*` matches any run of characters (e.g. `claude-*`)
    #[arg(long, value_name = "PATTERN")]
    pub model: Option<String>,
    /// Only models of this provider (e.g. `openai`, `anthropic`)
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Import a price list in the litellm format (model -> USD per token) as overrides
    Import {
        /// The JSON file, or `-` for standard input
        file: PathBuf,
    },
    /// Set a model's price: what is given changes, the rest keeps its current value
    Set(Box<SetPriceArgs>),
    /// Remove a model's override: the shipped price applies again
    Reset {
        /// The model's name, as `codexkey pricing` shows it
        model: String,
    },
    /// Multiply a model's price by a factor (e.g. `1.25`; `1` removes it)
    Coefficient {
        /// The model's name, as `codexkey pricing` shows it
        model: String,
        /// A decimal factor with up to 6 decimals, e.g. `1.25` or `0.8`
        value: String,
    },
}

/// Token prices are credits per 1M tokens, parsed exactly (up to 6 decimals). What is not given
/// keeps the model's current value (its override, else its shipped price).
#[derive(Debug, Args)]
pub struct SetPriceArgs {
    /// The model's name, as clients send it (may contain `/` and `.`)
    pub model: String,
    /// The provider that serves it (`openai`, `anthropic`, …); used to route requests
    /// [default: the current one; required for a model without a price]
    #[arg(long)]
    pub provider: Option<String>,
    /// What kind of model it is [default: the current one, else chat]
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Credits per 1M input tokens (e.g. `2.5`) [default: the current price; required for a
    /// model without a price]
    #[arg(long, value_name = "CREDITS")]
    pub input: Option<String>,
    /// Credits per 1M output tokens, reasoning included [default: the current price; required
    /// for a model without a price]
    #[arg(long, value_name = "CREDITS")]
    pub output: Option<String>,
    /// Credits per 1M input tokens read from the prompt cache [default: the current price,
    /// else the input price]
    #[arg(long, value_name = "CREDITS")]
    pub cached_input: Option<String>,
    /// Credits per 1M input tokens written to a 5-minute cache [default: the current price,
    /// else the input price]
    #[arg(long = "cache-write-5m", value_name = "CREDITS")]
    pub cache_write_5m: Option<String>,
    /// Credits per 1M input tokens written to a 1-hour cache [default: the current price, else
    /// the 5-minute price]
    #[arg(long = "cache-write-1h", value_name = "CREDITS")]
    pub cache_write_1h: Option<String>,
    /// Credits per generated image [default: the current price]
    #[arg(long, value_name = "CREDITS")]
    pub per_image: Option<String>,
    /// Credits per request, on top of everything else [default: the current price]
    #[arg(long, value_name = "CREDITS")]
    pub per_request: Option<String>,
    /// The model's context window, in tokens
    #[arg(long, value_name = "N")]
    pub max_input_tokens: Option<u64>,
    /// The most tokens the model generates in one response
    #[arg(long, value_name = "N")]
    pub max_output_tokens: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum UpstreamsCommand {
    /// List upstreams with their key counts and labels (never the keys)
    List,
    /// Add an upstream; its keys are read from standard input, one per line
    Add(AddUpstreamArgs),
    /// Remove an upstream added with `admin upstreams add`
    Remove {
        /// The upstream's name
        name: String,
    },
    /// Add one key to an upstream, read from standard input
    AddKey {
        /// The upstream's name
        name: String,
        /// A label to tell the key apart
        #[arg(long)]
        label: Option<String>,
        /// Read the key from the first line of standard input (asked for when omitted)
        #[arg(long)]
        key_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddUpstreamArgs {
    /// A name for the upstream: letters, digits, `-` and `_`
    pub name: String,
    /// `openai`, `anthropic` or `openai_compatible`
    #[arg(long)]
    pub provider: String,
    /// The API's base URL [default: the provider's own; required for `openai_compatible`]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Only route these models to it (comma-separated) [default: the models priced for its provider]
    #[arg(long, value_name = "MODELS", value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Read the keys from standard input, one per line (asked for when omitted)
    #[arg(long)]
    pub key_stdin: bool,
}

/// Where secrets are kept; see `credentials.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialStoreKind {
    /// The OS keyring when one answers, else a private file
    Auto,
    /// The OS keyring only
    Keyring,
    /// A 0600 file in the config dir
    File,
}

/// `codexkey usage`: a report by default, or one of its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct UsageArgs {
    #[command(subcommand)]
    pub command: Option<UsageCommand>,
    #[command(flatten)]
    pub filter: UsageFilterArgs,
    /// Group by (comma-separated, e.g. `day,model`)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "day")]
    pub by: Vec<UsageBy>,
    /// Show costs also in this currency (one the gateway has a rate for; `USD` for credits only)
    /// [default: your account's display currency]
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Leave out the chart of spend per day
    #[arg(long)]
    pub no_chart: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// List usage events (one per request), newest first
    Events(UsageEventsArgs),
    /// Bring the local usage cache up to date
    Sync,
}

#[derive(Debug, Args)]
pub struct UsageEventsArgs {
    #[command(flatten)]
    pub filter: UsageFilterArgs,
    /// How many events to show
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// Which usage a report or a list covers, and where it comes from.
#[derive(Debug, Args)]
pub struct UsageFilterArgs {
    /// Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a
    /// date or time [default: 7d]
    #[arg(long, value_name = "WHEN", conflicts_with = "from")]
    pub since: Option<String>,
    /// Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// End: a date (that whole day) or a time (exclusive) [default: the end of today]
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// Only this key: its id, name or prefix
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Only this model; `*` matches any run of characters (e.g. `claude-*`)
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Read the local cache only, without contacting the gateway
    #[arg(long, conflicts_with = "account")]
    pub offline: bool,
    /// Print CSV on stdout instead of a table
    #[arg(long)]
    pub csv: bool,
    /// Another account (admins; `all` for every account), asked of the gateway (not cached)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageBy {
    Day,
    Hour,
    Model,
    Key,
    /// Accounts (with `--account all`)
    Account,
}
