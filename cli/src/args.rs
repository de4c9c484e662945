//! Command-line arguments, and nothing else: clap derive types only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// codexkey: a metering gateway for AI model APIs, and its command-line client.
#[derive(Debug, Parser)]
#[command(
    name = "codexkey",
    version,
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

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)
    Gateway(GatewayArgs),
    /// Create an account on the gateway and log in
    Register(CredentialArgs),
    /// Log in and keep the session token in the OS keyring (or a private file)
    Login(CredentialArgs),
    /// End the session and forget its token
    Logout,
    /// Show the account you are logged in as
    Whoami,
    /// Manage your API keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Show your balance
    Balance,
    /// Show your ledger: every top-up, charge, refund and adjustment, newest first
    Ledger(LedgerArgs),
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

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is shown once
    Create(CreateKeyArgs),
    /// List your keys
    List,
    /// Revoke a key: it stops working at once
    Revoke {
        /// Key id, from `codexkey keys list`
        id: i64,
    },
    /// Replace a key with a new secret (same settings); the old one stops working
    Rotate {
        /// Key id, from `codexkey keys list`
        id: i64,
    },
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
    /// Only allow these models (comma-separated)
    #[arg(long, value_name = "MODELS", value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Most the key may spend, in credits (e.g. `25` or `2.5`)
    #[arg(long, value_name = "CREDITS")]
    pub budget: Option<String>,
    /// Requests per minute
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,
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

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List every account with its balance
    Users,
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
    /// Check that every balance equals the sum of its ledger entries (exit 1 if not)
    VerifyLedger,
    /// Show the audit log, newest first
    Audit(LedgerArgs),
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
