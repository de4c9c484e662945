# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_codexkey_global_optspecs
    string join \n gateway= json profile= h/help V/version
end

function __fish_codexkey_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_codexkey_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_codexkey_using_subcommand
    set -l cmd (__fish_codexkey_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c codexkey -n "__fish_codexkey_needs_command" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_needs_command" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_needs_command" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_needs_command" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_needs_command" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "gateway" -d 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "register" -d 'Create an account on the gateway and log in'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "login" -d 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "logout" -d 'End the session and forget its token'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "reset-password" -d 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "verify-email" -d 'Confirm your address with the link (or its token) the gateway mailed you'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "whoami" -d 'Show the account you are logged in as'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "account" -d 'Secure your account: two-factor login, sessions, password'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "keys" -d 'Manage your API keys'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "balance" -d 'Show your balance, spend today and over 30 days, and how long the balance lasts'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "usage" -d 'Show what you spent, on what and when (from a local cache synced with the gateway)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "ledger" -d 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "topup" -d 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "orders" -d 'Show your top-up orders, newest first'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "refund" -d 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "refunds" -d 'Show your refunds, newest first'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "referral" -d 'Show your referral code, the accounts you referred and what you earned from them'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "pricing" -d 'Show the gateway\'s model prices (no login needed)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "proxy" -d 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "env" -d 'Print the environment that points a tool at a running `codexkey proxy`'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "run" -d 'Start a proxy and a tool together; exits with the tool\'s exit code'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "setup" -d 'Write a tool\'s lasting configuration to use the proxy (shows a diff first)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "doctor" -d 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "admin" -d 'Administer the gateway (admin accounts only)'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c codexkey -n "__fish_codexkey_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l config -d 'Configuration file (TOML) [env: CODEXKEY_CONFIG]' -r -F
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l listen -d 'Address to listen on [default: 127.0.0.1:8080] [env: CODEXKEY_LISTEN]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l data-dir -d 'Directory for the database [default: the platform data dir] [env: CODEXKEY_DATA_DIR]' -r -F
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l gateway -r
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l profile -r
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l print-config -d 'Print the effective configuration (secrets masked) and exit'
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -l json
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand gateway" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l email -d 'Account email (asked for when omitted)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l referral -d 'Another account\'s referral code (`codexkey referral` shows it to them): it earns a share of your paid top-ups' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l invitation -d 'The invitation token (`ck_invite_…`) an admin sent, on a gateway that registers by invitation only' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l password-stdin -d 'Read the password from the first line of standard input instead of prompting'
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand register" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l email -d 'Account email (asked for when omitted)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l code -d 'The code your authenticator app shows, for an account with two-factor login (asked for when needed and omitted)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l recovery-code -d 'A recovery code instead of the app\'s code; each works once' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l password-stdin -d 'Read the password from the first line of standard input instead of prompting'
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand login" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand logout" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand logout" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand logout" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand logout" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand logout" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l email -d 'Ask for a link by mail (the answer is the same whether or not an account has it)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l link -d 'Set a new password with this link, or the token in it (`ck_reset_…`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l password-stdin -d 'With `--link`: read the new password from the first line of standard input instead of prompting'
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand reset-password" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand verify-email" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand verify-email" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand verify-email" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand verify-email" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand verify-email" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand whoami" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand whoami" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand whoami" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "2fa" -d 'Turn two-factor login (TOTP, with an authenticator app) on or off'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "sessions" -d 'List your login sessions, or revoke them'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "password" -d 'Change your password; every other session ends'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "set" -d 'Set your preferences: the currency amounts are shown in, and your language'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "delete" -d 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway\'s retention (five years by default). Cannot be undone'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "resend-verification" -d 'Mail a new link to verify your address; it replaces the links mailed before'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "export" -d 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and not __fish_seen_subcommand_from 2fa sessions password set delete resend-verification export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -f -a "enable" -d 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -f -a "confirm" -d 'Finish turning it on with a code from the app; prints the recovery codes once'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -f -a "disable" -d 'Turn it off, with your password and a current code (or a recovery code)'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from 2fa" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -f -a "list" -d 'List your open sessions (the default)'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -f -a "revoke" -d 'End one session'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -f -a "revoke-others" -d 'End every session but this one'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from sessions" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -l stdin -d 'Read the current password from the first line of standard input and the new one from the second, instead of prompting'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from password" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -l currency -d 'Display currency, an ISO 4217 code the gateway has a rate for (e.g. `RUB`; `USD` is credits as they are)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -l language -d 'Language, a tag such as `en`, `ru` or `pt-BR`' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l code -d 'The code your authenticator app shows (two-factor login)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l recovery-code -d 'A recovery code instead of the app\'s code' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l password-stdin -d 'Read the password from the first line of standard input instead of prompting'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from resend-verification" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from resend-verification" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from resend-verification" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from resend-verification" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from resend-verification" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from export" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from export" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from export" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "2fa" -d 'Turn two-factor login (TOTP, with an authenticator app) on or off'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "sessions" -d 'List your login sessions, or revoke them'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "password" -d 'Change your password; every other session ends'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set your preferences: the currency amounts are shown in, and your language'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway\'s retention (five years by default). Cannot be undone'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "resend-verification" -d 'Mail a new link to verify your address; it replaces the links mailed before'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "export" -d 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
complete -c codexkey -n "__fish_codexkey_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "create" -d 'Create a key; its secret is shown once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "list" -d 'List your keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "update" -d 'Change a key\'s name, expiry, models, budget or rate limits; it applies at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "revoke" -d 'Revoke a key: it stops working at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "rotate" -d 'Replace a key with a new secret (same settings); the old one stops working'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "use" -d 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and not __fish_seen_subcommand_from create list update revoke rotate use help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l name -d 'A name to tell the key apart' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l expires-in -d 'Expire after this many days' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l expires-at -d 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l models -d 'Only allow these models (comma-separated; `*` matches any run of characters)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l budget -d 'Most the key may spend, in credits (e.g. `25` or `2.5`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l rpm -d 'Requests per minute' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l tpm -d 'Tokens per minute (input and output tokens of the requests settled in the minute)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l no-tpm -d 'No token limit (the default)'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l use -d 'Also make it the key `codexkey proxy` uses'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from list" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from list" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l name -d 'A new name' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l expires-in -d 'Expire after this many days from now' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l expires-at -d 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l models -d 'Only allow these models (comma-separated; `*` matches any run of characters)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l budget -d 'Most the key may spend in its lifetime, in credits' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l rpm -d 'Requests per minute' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l tpm -d 'Tokens per minute (input and output tokens of the requests settled in the minute)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l no-expiry -d 'Never expire'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l all-models -d 'Allow every model'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l no-budget -d 'No budget'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l no-rpm -d 'No rate limit'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l no-tpm -d 'No token limit'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l use -d 'Also make the new secret the one `codexkey proxy` uses'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -l secret-stdin -d 'Read the key\'s secret (`ck-…`) from standard input'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -l rotate -d 'Rotate key ID and use its new secret'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from use" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a key; its secret is shown once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a key\'s name, expiry, models, budget or rate limits; it applies at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a key: it stops working at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Replace a key with a new secret (same settings); the old one stops working'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "use" -d 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
complete -c codexkey -n "__fish_codexkey_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand balance" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand balance" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand balance" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand balance" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand balance" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l since -d 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l from -d 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l to -d 'End: a date (that whole day) or a time (exclusive) [default: the end of today]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l key -d 'Only this key: its id, name or prefix' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l model -d 'Only this model; `*` matches any run of characters (e.g. `claude-*`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l status -d 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l account -d 'Another account (admins; `all` for every account), asked of the gateway (not cached)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l by -d 'Group by (comma-separated, e.g. `day,model`)' -r -f -a "day\t''
hour\t''
model\t''
key\t''
account\t'Accounts (with `--account all`)'"
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l currency -d 'Show costs also in this currency (one the gateway has a rate for; `USD` for credits only) [default: your account\'s display currency]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l offline -d 'Read the local cache only, without contacting the gateway'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l csv -d 'Print CSV on stdout instead of a table'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l no-chart -d 'Leave out the chart of spend per day'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -f -a "events" -d 'List usage events (one per request), newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -f -a "sync" -d 'Bring the local usage cache up to date'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and not __fish_seen_subcommand_from events sync help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l since -d 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l from -d 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l to -d 'End: a date (that whole day) or a time (exclusive) [default: the end of today]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l key -d 'Only this key: its id, name or prefix' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l model -d 'Only this model; `*` matches any run of characters (e.g. `claude-*`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l status -d 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l account -d 'Another account (admins; `all` for every account), asked of the gateway (not cached)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l limit -d 'How many events to show' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l offline -d 'Read the local cache only, without contacting the gateway'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l csv -d 'Print CSV on stdout instead of a table'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from events" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from sync" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from sync" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from sync" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from sync" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from help" -f -a "events" -d 'List usage events (one per request), newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Bring the local usage cache up to date'
complete -c codexkey -n "__fish_codexkey_using_subcommand usage; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -l limit -d 'How many entries to show' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -l before -d 'Show entries older than this entry id (for paging)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand ledger" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -l code -d 'A redemption code, as printed (case, spaces and dashes do not matter)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -l amount -d 'Credits to buy by card (e.g. `10`, `12.5`): prints the payment page to open in any browser; the credit arrives once the payment is confirmed' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand topup" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand orders" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand orders" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand orders" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand orders" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand orders" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -l amount -d 'Credits to refund (e.g. `5`, `2.5`); all that is refundable when not given' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand refund" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand refunds" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand refunds" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand refunds" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand refunds" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand refunds" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand referral" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand referral" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand referral" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand referral" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand referral" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -l model -d 'Only models whose name matches; `*` matches any run of characters (e.g. `claude-*`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -l provider -d 'Only models of this provider (e.g. `openai`, `anthropic`)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand pricing" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -l port -d 'Port to listen on (0 picks a free one)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -l host -d 'Address to listen on; only loopback addresses are accepted' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand proxy" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -l shell -d 'Shell syntax [default: from $SHELL, else bash]' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''"
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -l port -d 'The proxy\'s port' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codexkey -n "__fish_codexkey_using_subcommand env" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand run" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand run" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codexkey -n "__fish_codexkey_using_subcommand run" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -l port -d 'The proxy\'s port' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -l yes -d 'Write without asking'
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codexkey -n "__fish_codexkey_using_subcommand setup" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand doctor" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand doctor" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand doctor" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "users" -d 'List every account with its balance, create one, or reset one\'s two-factor login'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "adjust" -d 'Credit or debit an account, with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "bonus" -d 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "codes" -d 'Create, list, disable and export redemption codes'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "orders" -d 'List top-up orders, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "refunds" -d 'List, approve and deny refunds of unused credit'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "suspend" -d 'Suspend an account: its sessions and keys stop working'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "activate" -d 'Lift a suspension'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "invite" -d 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "reset-password" -d 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "verify-ledger" -d 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "purge" -d 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "audit" -d 'Show the audit log, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "backup" -d 'Copy the gateway\'s database, consistent while it serves, into a new private file'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "migrate" -d 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "prices" -d 'Set, import and reset model prices and coefficients'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "upstreams" -d 'List, add and remove upstream providers and their keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and not __fish_seen_subcommand_from users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "list" -d 'List every account with its balance (the default)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "delete" -d 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "create" -d 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "reset-2fa" -d 'Turn off a user\'s two-factor login (a lost device and no recovery code); audited'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -l reason -d 'Why the balance changes (required)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from adjust" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -l reason -d 'Why (required)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from bonus" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "create" -d 'Create a batch of codes and print them: they are shown this once'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "list" -d 'List the batches with how many codes are unused, redeemed, disabled or expired'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "show" -d 'Show the codes of a batch: each one\'s state and who redeemed it'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "disable" -d 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "export" -d 'Write a batch\'s codes\' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from codes" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -l state -d 'Only orders in this state' -r -f -a "pending\t''
paid\t''
expired\t''
failed\t''
partly_refunded\t''
refunded\t''"
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -l account -d 'Only this account\'s orders: its email or id' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from orders" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -f -a "list" -d 'List refunds, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -f -a "approve" -d 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -f -a "deny" -d 'Deny a requested refund, with a reason the user sees'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from refunds" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from suspend" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from suspend" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from suspend" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from suspend" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from suspend" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from activate" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from activate" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from activate" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from activate" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from activate" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from invite" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from invite" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from invite" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from invite" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from invite" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from reset-password" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from verify-ledger" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from verify-ledger" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from verify-ledger" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from verify-ledger" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from verify-ledger" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from purge" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from purge" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from purge" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -l limit -d 'How many entries to show' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -l before -d 'Show entries older than this entry id (for paging)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from audit" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from backup" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from backup" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from backup" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -l from -d 'The SQLite database to copy: `sqlite:///path/to/codexkey.db` (the gateway stopped)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -l to -d 'The PostgreSQL database to fill, empty: `postgres://user@host/database`, with `?options=-csearch_path%3Dschema` for a schema other than the user\'s default' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -f -a "import" -d 'Import a price list in the litellm format (model -> USD per token) as overrides'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -f -a "set" -d 'Set a model\'s price: what is given changes, the rest keeps its current value'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -f -a "reset" -d 'Remove a model\'s override: the shipped price applies again'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -f -a "coefficient" -d 'Multiply a model\'s price by a factor (e.g. `1.25`; `1` removes it)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from prices" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -f -a "list" -d 'List upstreams with their key counts and labels (never the keys)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -f -a "add" -d 'Add an upstream; its keys are read from standard input, one per line'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -f -a "remove" -d 'Remove an upstream added with `admin upstreams add`'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -f -a "add-key" -d 'Add one key to an upstream, read from standard input'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from upstreams" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "users" -d 'List every account with its balance, create one, or reset one\'s two-factor login'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "adjust" -d 'Credit or debit an account, with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "bonus" -d 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "codes" -d 'Create, list, disable and export redemption codes'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "orders" -d 'List top-up orders, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "refunds" -d 'List, approve and deny refunds of unused credit'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "suspend" -d 'Suspend an account: its sessions and keys stop working'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "activate" -d 'Lift a suspension'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "invite" -d 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "reset-password" -d 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "verify-ledger" -d 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "audit" -d 'Show the audit log, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Copy the gateway\'s database, consistent while it serves, into a new private file'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "prices" -d 'Set, import and reset model prices and coefficients'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "upstreams" -d 'List, add and remove upstream providers and their keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand completions" -l gateway -d 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand completions" -l profile -d 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)' -r
complete -c codexkey -n "__fish_codexkey_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout instead of tables'
complete -c codexkey -n "__fish_codexkey_using_subcommand completions" -s h -l help -d 'Print help'
complete -c codexkey -n "__fish_codexkey_using_subcommand completions" -s V -l version -d 'Print version'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "gateway" -d 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "register" -d 'Create an account on the gateway and log in'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "login" -d 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "logout" -d 'End the session and forget its token'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "reset-password" -d 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "verify-email" -d 'Confirm your address with the link (or its token) the gateway mailed you'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "whoami" -d 'Show the account you are logged in as'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "account" -d 'Secure your account: two-factor login, sessions, password'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "keys" -d 'Manage your API keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "balance" -d 'Show your balance, spend today and over 30 days, and how long the balance lasts'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "usage" -d 'Show what you spent, on what and when (from a local cache synced with the gateway)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "ledger" -d 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "topup" -d 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "orders" -d 'Show your top-up orders, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "refund" -d 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "refunds" -d 'Show your refunds, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "referral" -d 'Show your referral code, the accounts you referred and what you earned from them'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "pricing" -d 'Show the gateway\'s model prices (no login needed)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "proxy" -d 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "env" -d 'Print the environment that points a tool at a running `codexkey proxy`'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "run" -d 'Start a proxy and a tool together; exits with the tool\'s exit code'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "setup" -d 'Write a tool\'s lasting configuration to use the proxy (shows a diff first)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "doctor" -d 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "admin" -d 'Administer the gateway (admin accounts only)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and not __fish_seen_subcommand_from gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "2fa" -d 'Turn two-factor login (TOTP, with an authenticator app) on or off'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "sessions" -d 'List your login sessions, or revoke them'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "password" -d 'Change your password; every other session ends'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "set" -d 'Set your preferences: the currency amounts are shown in, and your language'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "delete" -d 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway\'s retention (five years by default). Cannot be undone'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "resend-verification" -d 'Mail a new link to verify your address; it replaces the links mailed before'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "export" -d 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "create" -d 'Create a key; its secret is shown once'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'List your keys'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "update" -d 'Change a key\'s name, expiry, models, budget or rate limits; it applies at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "revoke" -d 'Revoke a key: it stops working at once'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "rotate" -d 'Replace a key with a new secret (same settings); the old one stops working'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "use" -d 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from usage" -f -a "events" -d 'List usage events (one per request), newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from usage" -f -a "sync" -d 'Bring the local usage cache up to date'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "users" -d 'List every account with its balance, create one, or reset one\'s two-factor login'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "adjust" -d 'Credit or debit an account, with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "bonus" -d 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "codes" -d 'Create, list, disable and export redemption codes'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "orders" -d 'List top-up orders, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "refunds" -d 'List, approve and deny refunds of unused credit'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "suspend" -d 'Suspend an account: its sessions and keys stop working'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "activate" -d 'Lift a suspension'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "invite" -d 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "reset-password" -d 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "verify-ledger" -d 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "purge" -d 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "audit" -d 'Show the audit log, newest first'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "backup" -d 'Copy the gateway\'s database, consistent while it serves, into a new private file'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "migrate" -d 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "prices" -d 'Set, import and reset model prices and coefficients'
complete -c codexkey -n "__fish_codexkey_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "upstreams" -d 'List, add and remove upstream providers and their keys'
