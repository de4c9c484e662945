
use builtin;
use str;

set edit:completion:arg-completer[codexkey] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'codexkey'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'codexkey'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand gateway 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)'
            cand register 'Create an account on the gateway and log in'
            cand login 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login'
            cand logout 'End the session and forget its token'
            cand reset-password 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session'
            cand verify-email 'Confirm your address with the link (or its token) the gateway mailed you'
            cand whoami 'Show the account you are logged in as'
            cand account 'Secure your account: two-factor login, sessions, password'
            cand keys 'Manage your API keys'
            cand balance 'Show your balance, spend today and over 30 days, and how long the balance lasts'
            cand usage 'Show what you spent, on what and when (from a local cache synced with the gateway)'
            cand ledger 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first'
            cand topup 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)'
            cand orders 'Show your top-up orders, newest first'
            cand refund 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)'
            cand refunds 'Show your refunds, newest first'
            cand referral 'Show your referral code, the accounts you referred and what you earned from them'
            cand pricing 'Show the gateway''s model prices (no login needed)'
            cand proxy 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)'
            cand env 'Print the environment that points a tool at a running `codexkey proxy`'
            cand run 'Start a proxy and a tool together; exits with the tool''s exit code'
            cand setup 'Write a tool''s lasting configuration to use the proxy (shows a diff first)'
            cand doctor 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem'
            cand admin 'Administer the gateway (admin accounts only)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;gateway'= {
            cand --config 'Configuration file (TOML) [env: CODEXKEY_CONFIG]'
            cand --listen 'Address to listen on [default: 127.0.0.1:8080] [env: CODEXKEY_LISTEN]'
            cand --data-dir 'Directory for the database [default: the platform data dir] [env: CODEXKEY_DATA_DIR]'
            cand --gateway 'gateway'
            cand --profile 'profile'
            cand --print-config 'Print the effective configuration (secrets masked) and exit'
            cand --json 'json'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;register'= {
            cand --email 'Account email (asked for when omitted)'
            cand --referral 'Another account''s referral code (`codexkey referral` shows it to them): it earns a share of your paid top-ups'
            cand --invitation 'The invitation token (`ck_invite_…`) an admin sent, on a gateway that registers by invitation only'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;login'= {
            cand --email 'Account email (asked for when omitted)'
            cand --code 'The code your authenticator app shows, for an account with two-factor login (asked for when needed and omitted)'
            cand --recovery-code 'A recovery code instead of the app''s code; each works once'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;logout'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;reset-password'= {
            cand --email 'Ask for a link by mail (the answer is the same whether or not an account has it)'
            cand --link 'Set a new password with this link, or the token in it (`ck_reset_…`)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'With `--link`: read the new password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;verify-email'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;whoami'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand 2fa 'Turn two-factor login (TOTP, with an authenticator app) on or off'
            cand sessions 'List your login sessions, or revoke them'
            cand password 'Change your password; every other session ends'
            cand set 'Set your preferences: the currency amounts are shown in, and your language'
            cand delete 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone'
            cand resend-verification 'Mail a new link to verify your address; it replaces the links mailed before'
            cand export 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;2fa'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand enable 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`'
            cand confirm 'Finish turning it on with a code from the app; prints the recovery codes once'
            cand disable 'Turn it off, with your password and a current code (or a recovery code)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;2fa;enable'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;2fa;confirm'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;2fa;disable'= {
            cand --code 'The code your authenticator app shows (asked for when omitted)'
            cand --recovery-code 'A recovery code instead of the app''s code'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;2fa;help'= {
            cand enable 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`'
            cand confirm 'Finish turning it on with a code from the app; prints the recovery codes once'
            cand disable 'Turn it off, with your password and a current code (or a recovery code)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;2fa;help;enable'= {
        }
        &'codexkey;account;2fa;help;confirm'= {
        }
        &'codexkey;account;2fa;help;disable'= {
        }
        &'codexkey;account;2fa;help;help'= {
        }
        &'codexkey;account;sessions'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List your open sessions (the default)'
            cand revoke 'End one session'
            cand revoke-others 'End every session but this one'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;sessions;list'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;sessions;revoke'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;sessions;revoke-others'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;sessions;help'= {
            cand list 'List your open sessions (the default)'
            cand revoke 'End one session'
            cand revoke-others 'End every session but this one'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;sessions;help;list'= {
        }
        &'codexkey;account;sessions;help;revoke'= {
        }
        &'codexkey;account;sessions;help;revoke-others'= {
        }
        &'codexkey;account;sessions;help;help'= {
        }
        &'codexkey;account;password'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --stdin 'Read the current password from the first line of standard input and the new one from the second, instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;set'= {
            cand --currency 'Display currency, an ISO 4217 code the gateway has a rate for (e.g. `RUB`; `USD` is credits as they are)'
            cand --language 'Language, a tag such as `en`, `ru` or `pt-BR`'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;delete'= {
            cand --code 'The code your authenticator app shows (two-factor login)'
            cand --recovery-code 'A recovery code instead of the app''s code'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --password-stdin 'Read the password from the first line of standard input instead of prompting'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;resend-verification'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;export'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;account;help'= {
            cand 2fa 'Turn two-factor login (TOTP, with an authenticator app) on or off'
            cand sessions 'List your login sessions, or revoke them'
            cand password 'Change your password; every other session ends'
            cand set 'Set your preferences: the currency amounts are shown in, and your language'
            cand delete 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone'
            cand resend-verification 'Mail a new link to verify your address; it replaces the links mailed before'
            cand export 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;account;help;2fa'= {
            cand enable 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`'
            cand confirm 'Finish turning it on with a code from the app; prints the recovery codes once'
            cand disable 'Turn it off, with your password and a current code (or a recovery code)'
        }
        &'codexkey;account;help;2fa;enable'= {
        }
        &'codexkey;account;help;2fa;confirm'= {
        }
        &'codexkey;account;help;2fa;disable'= {
        }
        &'codexkey;account;help;sessions'= {
            cand list 'List your open sessions (the default)'
            cand revoke 'End one session'
            cand revoke-others 'End every session but this one'
        }
        &'codexkey;account;help;sessions;list'= {
        }
        &'codexkey;account;help;sessions;revoke'= {
        }
        &'codexkey;account;help;sessions;revoke-others'= {
        }
        &'codexkey;account;help;password'= {
        }
        &'codexkey;account;help;set'= {
        }
        &'codexkey;account;help;delete'= {
        }
        &'codexkey;account;help;resend-verification'= {
        }
        &'codexkey;account;help;export'= {
        }
        &'codexkey;account;help;help'= {
        }
        &'codexkey;keys'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a key; its secret is shown once'
            cand list 'List your keys'
            cand update 'Change a key''s name, expiry, models, budget or rate limits; it applies at once'
            cand revoke 'Revoke a key: it stops working at once'
            cand rotate 'Replace a key with a new secret (same settings); the old one stops working'
            cand use 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;keys;create'= {
            cand --name 'A name to tell the key apart'
            cand --expires-in 'Expire after this many days'
            cand --expires-at 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)'
            cand --models 'Only allow these models (comma-separated; `*` matches any run of characters)'
            cand --budget 'Most the key may spend, in credits (e.g. `25` or `2.5`)'
            cand --rpm 'Requests per minute'
            cand --tpm 'Tokens per minute (input and output tokens of the requests settled in the minute)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --no-tpm 'No token limit (the default)'
            cand --use 'Also make it the key `codexkey proxy` uses'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;list'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;update'= {
            cand --name 'A new name'
            cand --expires-in 'Expire after this many days from now'
            cand --expires-at 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)'
            cand --models 'Only allow these models (comma-separated; `*` matches any run of characters)'
            cand --budget 'Most the key may spend in its lifetime, in credits'
            cand --rpm 'Requests per minute'
            cand --tpm 'Tokens per minute (input and output tokens of the requests settled in the minute)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --no-expiry 'Never expire'
            cand --all-models 'Allow every model'
            cand --no-budget 'No budget'
            cand --no-rpm 'No rate limit'
            cand --no-tpm 'No token limit'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;revoke'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;rotate'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --use 'Also make the new secret the one `codexkey proxy` uses'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;use'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --secret-stdin 'Read the key''s secret (`ck-…`) from standard input'
            cand --rotate 'Rotate key ID and use its new secret'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;keys;help'= {
            cand create 'Create a key; its secret is shown once'
            cand list 'List your keys'
            cand update 'Change a key''s name, expiry, models, budget or rate limits; it applies at once'
            cand revoke 'Revoke a key: it stops working at once'
            cand rotate 'Replace a key with a new secret (same settings); the old one stops working'
            cand use 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;keys;help;create'= {
        }
        &'codexkey;keys;help;list'= {
        }
        &'codexkey;keys;help;update'= {
        }
        &'codexkey;keys;help;revoke'= {
        }
        &'codexkey;keys;help;rotate'= {
        }
        &'codexkey;keys;help;use'= {
        }
        &'codexkey;keys;help;help'= {
        }
        &'codexkey;balance'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;usage'= {
            cand --since 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]'
            cand --from 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive'
            cand --to 'End: a date (that whole day) or a time (exclusive) [default: the end of today]'
            cand --key 'Only this key: its id, name or prefix'
            cand --model 'Only this model; `*` matches any run of characters (e.g. `claude-*`)'
            cand --status 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)'
            cand --account 'Another account (admins; `all` for every account), asked of the gateway (not cached)'
            cand --by 'Group by (comma-separated, e.g. `day,model`)'
            cand --currency 'Show costs also in this currency (one the gateway has a rate for; `USD` for credits only) [default: your account''s display currency]'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --offline 'Read the local cache only, without contacting the gateway'
            cand --csv 'Print CSV on stdout instead of a table'
            cand --no-chart 'Leave out the chart of spend per day'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand events 'List usage events (one per request), newest first'
            cand sync 'Bring the local usage cache up to date'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;usage;events'= {
            cand --since 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]'
            cand --from 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive'
            cand --to 'End: a date (that whole day) or a time (exclusive) [default: the end of today]'
            cand --key 'Only this key: its id, name or prefix'
            cand --model 'Only this model; `*` matches any run of characters (e.g. `claude-*`)'
            cand --status 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)'
            cand --account 'Another account (admins; `all` for every account), asked of the gateway (not cached)'
            cand --limit 'How many events to show'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --offline 'Read the local cache only, without contacting the gateway'
            cand --csv 'Print CSV on stdout instead of a table'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;usage;sync'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;usage;help'= {
            cand events 'List usage events (one per request), newest first'
            cand sync 'Bring the local usage cache up to date'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;usage;help;events'= {
        }
        &'codexkey;usage;help;sync'= {
        }
        &'codexkey;usage;help;help'= {
        }
        &'codexkey;ledger'= {
            cand --limit 'How many entries to show'
            cand --before 'Show entries older than this entry id (for paging)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;topup'= {
            cand --code 'A redemption code, as printed (case, spaces and dashes do not matter)'
            cand --amount 'Credits to buy by card (e.g. `10`, `12.5`): prints the payment page to open in any browser; the credit arrives once the payment is confirmed'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;orders'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;refund'= {
            cand --amount 'Credits to refund (e.g. `5`, `2.5`); all that is refundable when not given'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;refunds'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;referral'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;pricing'= {
            cand --model 'Only models whose name matches; `*` matches any run of characters (e.g. `claude-*`)'
            cand --provider 'Only models of this provider (e.g. `openai`, `anthropic`)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;proxy'= {
            cand --port 'Port to listen on (0 picks a free one)'
            cand --host 'Address to listen on; only loopback addresses are accepted'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;env'= {
            cand --shell 'Shell syntax [default: from $SHELL, else bash]'
            cand --port 'The proxy''s port'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;run'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;setup'= {
            cand --port 'The proxy''s port'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --yes 'Write without asking'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;doctor'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand users 'List every account with its balance, create one, or reset one''s two-factor login'
            cand adjust 'Credit or debit an account, with a reason kept in the ledger and the audit log'
            cand bonus 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
            cand codes 'Create, list, disable and export redemption codes'
            cand orders 'List top-up orders, newest first'
            cand refunds 'List, approve and deny refunds of unused credit'
            cand suspend 'Suspend an account: its sessions and keys stop working'
            cand activate 'Lift a suspension'
            cand invite 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
            cand reset-password 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
            cand verify-ledger 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
            cand purge 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
            cand audit 'Show the audit log, newest first'
            cand backup 'Copy the gateway''s database, consistent while it serves, into a new private file'
            cand migrate 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
            cand prices 'Set, import and reset model prices and coefficients'
            cand upstreams 'List, add and remove upstream providers and their keys'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;users'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List every account with its balance (the default)'
            cand delete 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason'
            cand create 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited'
            cand reset-2fa 'Turn off a user''s two-factor login (a lost device and no recovery code); audited'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;users;list'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;users;delete'= {
            cand --reason 'Why (required; kept in the audit log)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;users;create'= {
            cand --role 'Its role'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;users;reset-2fa'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;users;help'= {
            cand list 'List every account with its balance (the default)'
            cand delete 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason'
            cand create 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited'
            cand reset-2fa 'Turn off a user''s two-factor login (a lost device and no recovery code); audited'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;users;help;list'= {
        }
        &'codexkey;admin;users;help;delete'= {
        }
        &'codexkey;admin;users;help;create'= {
        }
        &'codexkey;admin;users;help;reset-2fa'= {
        }
        &'codexkey;admin;users;help;help'= {
        }
        &'codexkey;admin;adjust'= {
            cand --reason 'Why the balance changes (required)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;bonus'= {
            cand --reason 'Why (required)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a batch of codes and print them: they are shown this once'
            cand list 'List the batches with how many codes are unused, redeemed, disabled or expired'
            cand show 'Show the codes of a batch: each one''s state and who redeemed it'
            cand disable 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed'
            cand export 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;codes;create'= {
            cand --amount 'Credits each code adds (e.g. `10`, `2.5`)'
            cand --count 'How many codes'
            cand --expires 'When the codes stop working: a date (`2027-01-01`, midnight UTC) or an RFC 3339 time'
            cand --note 'A note for admins (the campaign, who gets them)'
            cand --csv 'Write the codes to this new file (CSV, 0600) instead of printing them'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --promotional 'Their credit is promotional: spent first, never refunded'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes;list'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --unused 'Only batches with a code still unused'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes;show'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes;disable'= {
            cand --code 'One code, as printed'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes;export'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;codes;help'= {
            cand create 'Create a batch of codes and print them: they are shown this once'
            cand list 'List the batches with how many codes are unused, redeemed, disabled or expired'
            cand show 'Show the codes of a batch: each one''s state and who redeemed it'
            cand disable 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed'
            cand export 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;codes;help;create'= {
        }
        &'codexkey;admin;codes;help;list'= {
        }
        &'codexkey;admin;codes;help;show'= {
        }
        &'codexkey;admin;codes;help;disable'= {
        }
        &'codexkey;admin;codes;help;export'= {
        }
        &'codexkey;admin;codes;help;help'= {
        }
        &'codexkey;admin;orders'= {
            cand --state 'Only orders in this state'
            cand --account 'Only this account''s orders: its email or id'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;refunds'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List refunds, newest first'
            cand approve 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)'
            cand deny 'Deny a requested refund, with a reason the user sees'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;refunds;list'= {
            cand --state 'Only refunds in this state'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;refunds;approve'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;refunds;deny'= {
            cand --reason 'Why (required)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;refunds;help'= {
            cand list 'List refunds, newest first'
            cand approve 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)'
            cand deny 'Deny a requested refund, with a reason the user sees'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;refunds;help;list'= {
        }
        &'codexkey;admin;refunds;help;approve'= {
        }
        &'codexkey;admin;refunds;help;deny'= {
        }
        &'codexkey;admin;refunds;help;help'= {
        }
        &'codexkey;admin;suspend'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;activate'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;invite'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;reset-password'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;verify-ledger'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;purge'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;audit'= {
            cand --limit 'How many entries to show'
            cand --before 'Show entries older than this entry id (for paging)'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;backup'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;migrate'= {
            cand --from 'The SQLite database to copy: `sqlite:///path/to/codexkey.db` (the gateway stopped)'
            cand --to 'The PostgreSQL database to fill, empty: `postgres://user@host/database`, with `?options=-csearch_path%3Dschema` for a schema other than the user''s default'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;prices'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand import 'Import a price list in the litellm format (model -> USD per token) as overrides'
            cand set 'Set a model''s price: what is given changes, the rest keeps its current value'
            cand reset 'Remove a model''s override: the shipped price applies again'
            cand coefficient 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;prices;import'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;prices;set'= {
            cand --provider 'The provider that serves it (`openai`, `anthropic`, …); used to route requests [default: the current one; required for a model without a price]'
            cand --mode 'What kind of model it is [default: the current one, else chat]'
            cand --input 'Credits per 1M input tokens (e.g. `2.5`) [default: the current price; required for a model without a price]'
            cand --output 'Credits per 1M output tokens, reasoning included [default: the current price; required for a model without a price]'
            cand --cached-input 'Credits per 1M input tokens read from the prompt cache [default: the current price, else the input price]'
            cand --cache-write-5m 'Credits per 1M input tokens written to a 5-minute cache [default: the current price, else the input price]'
            cand --cache-write-1h 'Credits per 1M input tokens written to a 1-hour cache [default: the current price, else the 5-minute price]'
            cand --per-image 'Credits per generated image [default: the current price]'
            cand --per-request 'Credits per request, on top of everything else [default: the current price]'
            cand --max-input-tokens 'The model''s context window, in tokens'
            cand --max-output-tokens 'The most tokens the model generates in one response'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;prices;reset'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;prices;coefficient'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;prices;help'= {
            cand import 'Import a price list in the litellm format (model -> USD per token) as overrides'
            cand set 'Set a model''s price: what is given changes, the rest keeps its current value'
            cand reset 'Remove a model''s override: the shipped price applies again'
            cand coefficient 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;prices;help;import'= {
        }
        &'codexkey;admin;prices;help;set'= {
        }
        &'codexkey;admin;prices;help;reset'= {
        }
        &'codexkey;admin;prices;help;coefficient'= {
        }
        &'codexkey;admin;prices;help;help'= {
        }
        &'codexkey;admin;upstreams'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List upstreams with their key counts and labels (never the keys)'
            cand add 'Add an upstream; its keys are read from standard input, one per line'
            cand remove 'Remove an upstream added with `admin upstreams add`'
            cand add-key 'Add one key to an upstream, read from standard input'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;upstreams;list'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;upstreams;add'= {
            cand --provider '`openai`, `anthropic` or `openai_compatible`'
            cand --base-url 'The API''s base URL [default: the provider''s own; required for `openai_compatible`]'
            cand --models 'Only route these models to it (comma-separated) [default: the models priced for its provider]'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --key-stdin 'Read the keys from standard input, one per line (asked for when omitted)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;upstreams;remove'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;upstreams;add-key'= {
            cand --label 'A label to tell the key apart'
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --key-stdin 'Read the key from the first line of standard input (asked for when omitted)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;admin;upstreams;help'= {
            cand list 'List upstreams with their key counts and labels (never the keys)'
            cand add 'Add an upstream; its keys are read from standard input, one per line'
            cand remove 'Remove an upstream added with `admin upstreams add`'
            cand add-key 'Add one key to an upstream, read from standard input'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;upstreams;help;list'= {
        }
        &'codexkey;admin;upstreams;help;add'= {
        }
        &'codexkey;admin;upstreams;help;remove'= {
        }
        &'codexkey;admin;upstreams;help;add-key'= {
        }
        &'codexkey;admin;upstreams;help;help'= {
        }
        &'codexkey;admin;help'= {
            cand users 'List every account with its balance, create one, or reset one''s two-factor login'
            cand adjust 'Credit or debit an account, with a reason kept in the ledger and the audit log'
            cand bonus 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
            cand codes 'Create, list, disable and export redemption codes'
            cand orders 'List top-up orders, newest first'
            cand refunds 'List, approve and deny refunds of unused credit'
            cand suspend 'Suspend an account: its sessions and keys stop working'
            cand activate 'Lift a suspension'
            cand invite 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
            cand reset-password 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
            cand verify-ledger 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
            cand purge 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
            cand audit 'Show the audit log, newest first'
            cand backup 'Copy the gateway''s database, consistent while it serves, into a new private file'
            cand migrate 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
            cand prices 'Set, import and reset model prices and coefficients'
            cand upstreams 'List, add and remove upstream providers and their keys'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;admin;help;users'= {
            cand list 'List every account with its balance (the default)'
            cand delete 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason'
            cand create 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited'
            cand reset-2fa 'Turn off a user''s two-factor login (a lost device and no recovery code); audited'
        }
        &'codexkey;admin;help;users;list'= {
        }
        &'codexkey;admin;help;users;delete'= {
        }
        &'codexkey;admin;help;users;create'= {
        }
        &'codexkey;admin;help;users;reset-2fa'= {
        }
        &'codexkey;admin;help;adjust'= {
        }
        &'codexkey;admin;help;bonus'= {
        }
        &'codexkey;admin;help;codes'= {
            cand create 'Create a batch of codes and print them: they are shown this once'
            cand list 'List the batches with how many codes are unused, redeemed, disabled or expired'
            cand show 'Show the codes of a batch: each one''s state and who redeemed it'
            cand disable 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed'
            cand export 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)'
        }
        &'codexkey;admin;help;codes;create'= {
        }
        &'codexkey;admin;help;codes;list'= {
        }
        &'codexkey;admin;help;codes;show'= {
        }
        &'codexkey;admin;help;codes;disable'= {
        }
        &'codexkey;admin;help;codes;export'= {
        }
        &'codexkey;admin;help;orders'= {
        }
        &'codexkey;admin;help;refunds'= {
            cand list 'List refunds, newest first'
            cand approve 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)'
            cand deny 'Deny a requested refund, with a reason the user sees'
        }
        &'codexkey;admin;help;refunds;list'= {
        }
        &'codexkey;admin;help;refunds;approve'= {
        }
        &'codexkey;admin;help;refunds;deny'= {
        }
        &'codexkey;admin;help;suspend'= {
        }
        &'codexkey;admin;help;activate'= {
        }
        &'codexkey;admin;help;invite'= {
        }
        &'codexkey;admin;help;reset-password'= {
        }
        &'codexkey;admin;help;verify-ledger'= {
        }
        &'codexkey;admin;help;purge'= {
        }
        &'codexkey;admin;help;audit'= {
        }
        &'codexkey;admin;help;backup'= {
        }
        &'codexkey;admin;help;migrate'= {
        }
        &'codexkey;admin;help;prices'= {
            cand import 'Import a price list in the litellm format (model -> USD per token) as overrides'
            cand set 'Set a model''s price: what is given changes, the rest keeps its current value'
            cand reset 'Remove a model''s override: the shipped price applies again'
            cand coefficient 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)'
        }
        &'codexkey;admin;help;prices;import'= {
        }
        &'codexkey;admin;help;prices;set'= {
        }
        &'codexkey;admin;help;prices;reset'= {
        }
        &'codexkey;admin;help;prices;coefficient'= {
        }
        &'codexkey;admin;help;upstreams'= {
            cand list 'List upstreams with their key counts and labels (never the keys)'
            cand add 'Add an upstream; its keys are read from standard input, one per line'
            cand remove 'Remove an upstream added with `admin upstreams add`'
            cand add-key 'Add one key to an upstream, read from standard input'
        }
        &'codexkey;admin;help;upstreams;list'= {
        }
        &'codexkey;admin;help;upstreams;add'= {
        }
        &'codexkey;admin;help;upstreams;remove'= {
        }
        &'codexkey;admin;help;upstreams;add-key'= {
        }
        &'codexkey;admin;help;help'= {
        }
        &'codexkey;completions'= {
            cand --gateway 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]'
            cand --profile 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)'
            cand --json 'Print machine-readable JSON on stdout instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'codexkey;help'= {
            cand gateway 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)'
            cand register 'Create an account on the gateway and log in'
            cand login 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login'
            cand logout 'End the session and forget its token'
            cand reset-password 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session'
            cand verify-email 'Confirm your address with the link (or its token) the gateway mailed you'
            cand whoami 'Show the account you are logged in as'
            cand account 'Secure your account: two-factor login, sessions, password'
            cand keys 'Manage your API keys'
            cand balance 'Show your balance, spend today and over 30 days, and how long the balance lasts'
            cand usage 'Show what you spent, on what and when (from a local cache synced with the gateway)'
            cand ledger 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first'
            cand topup 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)'
            cand orders 'Show your top-up orders, newest first'
            cand refund 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)'
            cand refunds 'Show your refunds, newest first'
            cand referral 'Show your referral code, the accounts you referred and what you earned from them'
            cand pricing 'Show the gateway''s model prices (no login needed)'
            cand proxy 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)'
            cand env 'Print the environment that points a tool at a running `codexkey proxy`'
            cand run 'Start a proxy and a tool together; exits with the tool''s exit code'
            cand setup 'Write a tool''s lasting configuration to use the proxy (shows a diff first)'
            cand doctor 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem'
            cand admin 'Administer the gateway (admin accounts only)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'codexkey;help;gateway'= {
        }
        &'codexkey;help;register'= {
        }
        &'codexkey;help;login'= {
        }
        &'codexkey;help;logout'= {
        }
        &'codexkey;help;reset-password'= {
        }
        &'codexkey;help;verify-email'= {
        }
        &'codexkey;help;whoami'= {
        }
        &'codexkey;help;account'= {
            cand 2fa 'Turn two-factor login (TOTP, with an authenticator app) on or off'
            cand sessions 'List your login sessions, or revoke them'
            cand password 'Change your password; every other session ends'
            cand set 'Set your preferences: the currency amounts are shown in, and your language'
            cand delete 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone'
            cand resend-verification 'Mail a new link to verify your address; it replaces the links mailed before'
            cand export 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive'
        }
        &'codexkey;help;account;2fa'= {
            cand enable 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`'
            cand confirm 'Finish turning it on with a code from the app; prints the recovery codes once'
            cand disable 'Turn it off, with your password and a current code (or a recovery code)'
        }
        &'codexkey;help;account;2fa;enable'= {
        }
        &'codexkey;help;account;2fa;confirm'= {
        }
        &'codexkey;help;account;2fa;disable'= {
        }
        &'codexkey;help;account;sessions'= {
            cand list 'List your open sessions (the default)'
            cand revoke 'End one session'
            cand revoke-others 'End every session but this one'
        }
        &'codexkey;help;account;sessions;list'= {
        }
        &'codexkey;help;account;sessions;revoke'= {
        }
        &'codexkey;help;account;sessions;revoke-others'= {
        }
        &'codexkey;help;account;password'= {
        }
        &'codexkey;help;account;set'= {
        }
        &'codexkey;help;account;delete'= {
        }
        &'codexkey;help;account;resend-verification'= {
        }
        &'codexkey;help;account;export'= {
        }
        &'codexkey;help;keys'= {
            cand create 'Create a key; its secret is shown once'
            cand list 'List your keys'
            cand update 'Change a key''s name, expiry, models, budget or rate limits; it applies at once'
            cand revoke 'Revoke a key: it stops working at once'
            cand rotate 'Replace a key with a new secret (same settings); the old one stops working'
            cand use 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)'
        }
        &'codexkey;help;keys;create'= {
        }
        &'codexkey;help;keys;list'= {
        }
        &'codexkey;help;keys;update'= {
        }
        &'codexkey;help;keys;revoke'= {
        }
        &'codexkey;help;keys;rotate'= {
        }
        &'codexkey;help;keys;use'= {
        }
        &'codexkey;help;balance'= {
        }
        &'codexkey;help;usage'= {
            cand events 'List usage events (one per request), newest first'
            cand sync 'Bring the local usage cache up to date'
        }
        &'codexkey;help;usage;events'= {
        }
        &'codexkey;help;usage;sync'= {
        }
        &'codexkey;help;ledger'= {
        }
        &'codexkey;help;topup'= {
        }
        &'codexkey;help;orders'= {
        }
        &'codexkey;help;refund'= {
        }
        &'codexkey;help;refunds'= {
        }
        &'codexkey;help;referral'= {
        }
        &'codexkey;help;pricing'= {
        }
        &'codexkey;help;proxy'= {
        }
        &'codexkey;help;env'= {
        }
        &'codexkey;help;run'= {
        }
        &'codexkey;help;setup'= {
        }
        &'codexkey;help;doctor'= {
        }
        &'codexkey;help;admin'= {
            cand users 'List every account with its balance, create one, or reset one''s two-factor login'
            cand adjust 'Credit or debit an account, with a reason kept in the ledger and the audit log'
            cand bonus 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log'
            cand codes 'Create, list, disable and export redemption codes'
            cand orders 'List top-up orders, newest first'
            cand refunds 'List, approve and deny refunds of unused credit'
            cand suspend 'Suspend an account: its sessions and keys stop working'
            cand activate 'Lift a suspension'
            cand invite 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited'
            cand reset-password 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail'
            cand verify-ledger 'Check that every balance equals the sum of its ledger entries (exit 1 if not)'
            cand purge 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`'
            cand audit 'Show the audit log, newest first'
            cand backup 'Copy the gateway''s database, consistent while it serves, into a new private file'
            cand migrate 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)'
            cand prices 'Set, import and reset model prices and coefficients'
            cand upstreams 'List, add and remove upstream providers and their keys'
        }
        &'codexkey;help;admin;users'= {
            cand list 'List every account with its balance (the default)'
            cand delete 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason'
            cand create 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited'
            cand reset-2fa 'Turn off a user''s two-factor login (a lost device and no recovery code); audited'
        }
        &'codexkey;help;admin;users;list'= {
        }
        &'codexkey;help;admin;users;delete'= {
        }
        &'codexkey;help;admin;users;create'= {
        }
        &'codexkey;help;admin;users;reset-2fa'= {
        }
        &'codexkey;help;admin;adjust'= {
        }
        &'codexkey;help;admin;bonus'= {
        }
        &'codexkey;help;admin;codes'= {
            cand create 'Create a batch of codes and print them: they are shown this once'
            cand list 'List the batches with how many codes are unused, redeemed, disabled or expired'
            cand show 'Show the codes of a batch: each one''s state and who redeemed it'
            cand disable 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed'
            cand export 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)'
        }
        &'codexkey;help;admin;codes;create'= {
        }
        &'codexkey;help;admin;codes;list'= {
        }
        &'codexkey;help;admin;codes;show'= {
        }
        &'codexkey;help;admin;codes;disable'= {
        }
        &'codexkey;help;admin;codes;export'= {
        }
        &'codexkey;help;admin;orders'= {
        }
        &'codexkey;help;admin;refunds'= {
            cand list 'List refunds, newest first'
            cand approve 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)'
            cand deny 'Deny a requested refund, with a reason the user sees'
        }
        &'codexkey;help;admin;refunds;list'= {
        }
        &'codexkey;help;admin;refunds;approve'= {
        }
        &'codexkey;help;admin;refunds;deny'= {
        }
        &'codexkey;help;admin;suspend'= {
        }
        &'codexkey;help;admin;activate'= {
        }
        &'codexkey;help;admin;invite'= {
        }
        &'codexkey;help;admin;reset-password'= {
        }
        &'codexkey;help;admin;verify-ledger'= {
        }
        &'codexkey;help;admin;purge'= {
        }
        &'codexkey;help;admin;audit'= {
        }
        &'codexkey;help;admin;backup'= {
        }
        &'codexkey;help;admin;migrate'= {
        }
        &'codexkey;help;admin;prices'= {
            cand import 'Import a price list in the litellm format (model -> USD per token) as overrides'
            cand set 'Set a model''s price: what is given changes, the rest keeps its current value'
            cand reset 'Remove a model''s override: the shipped price applies again'
            cand coefficient 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)'
        }
        &'codexkey;help;admin;prices;import'= {
        }
        &'codexkey;help;admin;prices;set'= {
        }
        &'codexkey;help;admin;prices;reset'= {
        }
        &'codexkey;help;admin;prices;coefficient'= {
        }
        &'codexkey;help;admin;upstreams'= {
            cand list 'List upstreams with their key counts and labels (never the keys)'
            cand add 'Add an upstream; its keys are read from standard input, one per line'
            cand remove 'Remove an upstream added with `admin upstreams add`'
            cand add-key 'Add one key to an upstream, read from standard input'
        }
        &'codexkey;help;admin;upstreams;list'= {
        }
        &'codexkey;help;admin;upstreams;add'= {
        }
        &'codexkey;help;admin;upstreams;remove'= {
        }
        &'codexkey;help;admin;upstreams;add-key'= {
        }
        &'codexkey;help;completions'= {
        }
        &'codexkey;help;help'= {
        }
    ]
    $completions[$command]
}
