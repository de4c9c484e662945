
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'codexkey' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'codexkey'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'codexkey' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Create an account on the gateway and log in')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'End the session and forget its token')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session')
            [CompletionResult]::new('verify-email', 'verify-email', [CompletionResultType]::ParameterValue, 'Confirm your address with the link (or its token) the gateway mailed you')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the account you are logged in as')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Secure your account: two-factor login, sessions, password')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Manage your API keys')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'Show your balance, spend today and over 30 days, and how long the balance lasts')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Show what you spent, on what and when (from a local cache synced with the gateway)')
            [CompletionResult]::new('ledger', 'ledger', [CompletionResultType]::ParameterValue, 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first')
            [CompletionResult]::new('topup', 'topup', [CompletionResultType]::ParameterValue, 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)')
            [CompletionResult]::new('orders', 'orders', [CompletionResultType]::ParameterValue, 'Show your top-up orders, newest first')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)')
            [CompletionResult]::new('refunds', 'refunds', [CompletionResultType]::ParameterValue, 'Show your refunds, newest first')
            [CompletionResult]::new('referral', 'referral', [CompletionResultType]::ParameterValue, 'Show your referral code, the accounts you referred and what you earned from them')
            [CompletionResult]::new('pricing', 'pricing', [CompletionResultType]::ParameterValue, 'Show the gateway''s model prices (no login needed)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the environment that points a tool at a running `codexkey proxy`')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Start a proxy and a tool together; exits with the tool''s exit code')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Write a tool''s lasting configuration to use the proxy (shows a diff first)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administer the gateway (admin accounts only)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;gateway' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (TOML) [env: CODEXKEY_CONFIG]')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: 127.0.0.1:8080] [env: CODEXKEY_LISTEN]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Directory for the database [default: the platform data dir] [env: CODEXKEY_DATA_DIR]')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'gateway')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'profile')
            [CompletionResult]::new('--print-config', '--print-config', [CompletionResultType]::ParameterName, 'Print the effective configuration (secrets masked) and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;register' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Account email (asked for when omitted)')
            [CompletionResult]::new('--referral', '--referral', [CompletionResultType]::ParameterName, 'Another account''s referral code (`codexkey referral` shows it to them): it earns a share of your paid top-ups')
            [CompletionResult]::new('--invitation', '--invitation', [CompletionResultType]::ParameterName, 'The invitation token (`ck_invite_…`) an admin sent, on a gateway that registers by invitation only')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;login' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Account email (asked for when omitted)')
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'The code your authenticator app shows, for an account with two-factor login (asked for when needed and omitted)')
            [CompletionResult]::new('--recovery-code', '--recovery-code', [CompletionResultType]::ParameterName, 'A recovery code instead of the app''s code; each works once')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;logout' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;reset-password' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Ask for a link by mail (the answer is the same whether or not an account has it)')
            [CompletionResult]::new('--link', '--link', [CompletionResultType]::ParameterName, 'Set a new password with this link, or the token in it (`ck_reset_…`)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'With `--link`: read the new password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;verify-email' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;whoami' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('2fa', '2fa', [CompletionResultType]::ParameterValue, 'Turn two-factor login (TOTP, with an authenticator app) on or off')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List your login sessions, or revoke them')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your password; every other session ends')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set your preferences: the currency amounts are shown in, and your language')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone')
            [CompletionResult]::new('resend-verification', 'resend-verification', [CompletionResultType]::ParameterValue, 'Mail a new link to verify your address; it replaces the links mailed before')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;2fa' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Finish turning it on with a code from the app; prints the recovery codes once')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Turn it off, with your password and a current code (or a recovery code)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;2fa;enable' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;2fa;confirm' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;2fa;disable' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'The code your authenticator app shows (asked for when omitted)')
            [CompletionResult]::new('--recovery-code', '--recovery-code', [CompletionResultType]::ParameterName, 'A recovery code instead of the app''s code')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;2fa;help' {
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Finish turning it on with a code from the app; prints the recovery codes once')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Turn it off, with your password and a current code (or a recovery code)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;2fa;help;enable' {
            break
        }
        'codexkey;account;2fa;help;confirm' {
            break
        }
        'codexkey;account;2fa;help;disable' {
            break
        }
        'codexkey;account;2fa;help;help' {
            break
        }
        'codexkey;account;sessions' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your open sessions (the default)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End one session')
            [CompletionResult]::new('revoke-others', 'revoke-others', [CompletionResultType]::ParameterValue, 'End every session but this one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;sessions;list' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;sessions;revoke' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;sessions;revoke-others' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;sessions;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your open sessions (the default)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End one session')
            [CompletionResult]::new('revoke-others', 'revoke-others', [CompletionResultType]::ParameterValue, 'End every session but this one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;sessions;help;list' {
            break
        }
        'codexkey;account;sessions;help;revoke' {
            break
        }
        'codexkey;account;sessions;help;revoke-others' {
            break
        }
        'codexkey;account;sessions;help;help' {
            break
        }
        'codexkey;account;password' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read the current password from the first line of standard input and the new one from the second, instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;set' {
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'Display currency, an ISO 4217 code the gateway has a rate for (e.g. `RUB`; `USD` is credits as they are)')
            [CompletionResult]::new('--language', '--language', [CompletionResultType]::ParameterName, 'Language, a tag such as `en`, `ru` or `pt-BR`')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;delete' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'The code your authenticator app shows (two-factor login)')
            [CompletionResult]::new('--recovery-code', '--recovery-code', [CompletionResultType]::ParameterName, 'A recovery code instead of the app''s code')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input instead of prompting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;resend-verification' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;export' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;account;help' {
            [CompletionResult]::new('2fa', '2fa', [CompletionResultType]::ParameterValue, 'Turn two-factor login (TOTP, with an authenticator app) on or off')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List your login sessions, or revoke them')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your password; every other session ends')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set your preferences: the currency amounts are shown in, and your language')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone')
            [CompletionResult]::new('resend-verification', 'resend-verification', [CompletionResultType]::ParameterValue, 'Mail a new link to verify your address; it replaces the links mailed before')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;account;help;2fa' {
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Finish turning it on with a code from the app; prints the recovery codes once')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Turn it off, with your password and a current code (or a recovery code)')
            break
        }
        'codexkey;account;help;2fa;enable' {
            break
        }
        'codexkey;account;help;2fa;confirm' {
            break
        }
        'codexkey;account;help;2fa;disable' {
            break
        }
        'codexkey;account;help;sessions' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your open sessions (the default)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End one session')
            [CompletionResult]::new('revoke-others', 'revoke-others', [CompletionResultType]::ParameterValue, 'End every session but this one')
            break
        }
        'codexkey;account;help;sessions;list' {
            break
        }
        'codexkey;account;help;sessions;revoke' {
            break
        }
        'codexkey;account;help;sessions;revoke-others' {
            break
        }
        'codexkey;account;help;password' {
            break
        }
        'codexkey;account;help;set' {
            break
        }
        'codexkey;account;help;delete' {
            break
        }
        'codexkey;account;help;resend-verification' {
            break
        }
        'codexkey;account;help;export' {
            break
        }
        'codexkey;account;help;help' {
            break
        }
        'codexkey;keys' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key; its secret is shown once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your keys')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s name, expiry, models, budget or rate limits; it applies at once')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: it stops working at once')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a key with a new secret (same settings); the old one stops working')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;keys;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name to tell the key apart')
            [CompletionResult]::new('--expires-in', '--expires-in', [CompletionResultType]::ParameterName, 'Expire after this many days')
            [CompletionResult]::new('--expires-at', '--expires-at', [CompletionResultType]::ParameterName, 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)')
            [CompletionResult]::new('--models', '--models', [CompletionResultType]::ParameterName, 'Only allow these models (comma-separated; `*` matches any run of characters)')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Most the key may spend, in credits (e.g. `25` or `2.5`)')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute (input and output tokens of the requests settled in the minute)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--no-tpm', '--no-tpm', [CompletionResultType]::ParameterName, 'No token limit (the default)')
            [CompletionResult]::new('--use', '--use', [CompletionResultType]::ParameterName, 'Also make it the key `codexkey proxy` uses')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;list' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;update' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A new name')
            [CompletionResult]::new('--expires-in', '--expires-in', [CompletionResultType]::ParameterName, 'Expire after this many days from now')
            [CompletionResult]::new('--expires-at', '--expires-at', [CompletionResultType]::ParameterName, 'Expire at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z)')
            [CompletionResult]::new('--models', '--models', [CompletionResultType]::ParameterName, 'Only allow these models (comma-separated; `*` matches any run of characters)')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Most the key may spend in its lifetime, in credits')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Requests per minute')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Tokens per minute (input and output tokens of the requests settled in the minute)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--no-expiry', '--no-expiry', [CompletionResultType]::ParameterName, 'Never expire')
            [CompletionResult]::new('--all-models', '--all-models', [CompletionResultType]::ParameterName, 'Allow every model')
            [CompletionResult]::new('--no-budget', '--no-budget', [CompletionResultType]::ParameterName, 'No budget')
            [CompletionResult]::new('--no-rpm', '--no-rpm', [CompletionResultType]::ParameterName, 'No rate limit')
            [CompletionResult]::new('--no-tpm', '--no-tpm', [CompletionResultType]::ParameterName, 'No token limit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;revoke' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;rotate' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--use', '--use', [CompletionResultType]::ParameterName, 'Also make the new secret the one `codexkey proxy` uses')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;use' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the key''s secret (`ck-…`) from standard input')
            [CompletionResult]::new('--rotate', '--rotate', [CompletionResultType]::ParameterName, 'Rotate key ID and use its new secret')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;keys;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key; its secret is shown once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your keys')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s name, expiry, models, budget or rate limits; it applies at once')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: it stops working at once')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a key with a new secret (same settings); the old one stops working')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;keys;help;create' {
            break
        }
        'codexkey;keys;help;list' {
            break
        }
        'codexkey;keys;help;update' {
            break
        }
        'codexkey;keys;help;revoke' {
            break
        }
        'codexkey;keys;help;rotate' {
            break
        }
        'codexkey;keys;help;use' {
            break
        }
        'codexkey;keys;help;help' {
            break
        }
        'codexkey;balance' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;usage' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'End: a date (that whole day) or a time (exclusive) [default: the end of today]')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Only this key: its id, name or prefix')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only this model; `*` matches any run of characters (e.g. `claude-*`)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Another account (admins; `all` for every account), asked of the gateway (not cached)')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Group by (comma-separated, e.g. `day,model`)')
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'Show costs also in this currency (one the gateway has a rate for; `USD` for credits only) [default: your account''s display currency]')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Read the local cache only, without contacting the gateway')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print CSV on stdout instead of a table')
            [CompletionResult]::new('--no-chart', '--no-chart', [CompletionResultType]::ParameterName, 'Leave out the chart of spend per day')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'List usage events (one per request), newest first')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring the local usage cache up to date')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;usage;events' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start: `7d` or `2w` (calendar days, today included), `12h` or `30m` (back from now), or a date or time [default: 7d]')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start: a date (`2026-11-01`) or a time (`2026-11-01T09:30`, RFC 3339), inclusive')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'End: a date (that whole day) or a time (exclusive) [default: the end of today]')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Only this key: its id, name or prefix')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only this model; `*` matches any run of characters (e.g. `claude-*`)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only `ok` (2xx) or `error` requests, or one status code (e.g. `429`)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Another account (admins; `all` for every account), asked of the gateway (not cached)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many events to show')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Read the local cache only, without contacting the gateway')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print CSV on stdout instead of a table')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;usage;sync' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;usage;help' {
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'List usage events (one per request), newest first')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring the local usage cache up to date')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;usage;help;events' {
            break
        }
        'codexkey;usage;help;sync' {
            break
        }
        'codexkey;usage;help;help' {
            break
        }
        'codexkey;ledger' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many entries to show')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Show entries older than this entry id (for paging)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;topup' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'A redemption code, as printed (case, spaces and dashes do not matter)')
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Credits to buy by card (e.g. `10`, `12.5`): prints the payment page to open in any browser; the credit arrives once the payment is confirmed')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;orders' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;refund' {
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Credits to refund (e.g. `5`, `2.5`); all that is refundable when not given')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;refunds' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;referral' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;pricing' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only models whose name matches; `*` matches any run of characters (e.g. `claude-*`)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only models of this provider (e.g. `openai`, `anthropic`)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;proxy' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on (0 picks a free one)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on; only loopback addresses are accepted')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;env' {
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Shell syntax [default: from $SHELL, else bash]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The proxy''s port')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;run' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;setup' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The proxy''s port')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Write without asking')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;doctor' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account with its balance, create one, or reset one''s two-factor login')
            [CompletionResult]::new('adjust', 'adjust', [CompletionResultType]::ParameterValue, 'Credit or debit an account, with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('bonus', 'bonus', [CompletionResultType]::ParameterValue, 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('codes', 'codes', [CompletionResultType]::ParameterValue, 'Create, list, disable and export redemption codes')
            [CompletionResult]::new('orders', 'orders', [CompletionResultType]::ParameterValue, 'List top-up orders, newest first')
            [CompletionResult]::new('refunds', 'refunds', [CompletionResultType]::ParameterValue, 'List, approve and deny refunds of unused credit')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: its sessions and keys stop working')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Lift a suspension')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail')
            [CompletionResult]::new('verify-ledger', 'verify-ledger', [CompletionResultType]::ParameterValue, 'Check that every balance equals the sum of its ledger entries (exit 1 if not)')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log, newest first')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the gateway''s database, consistent while it serves, into a new private file')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'Set, import and reset model prices and coefficients')
            [CompletionResult]::new('upstreams', 'upstreams', [CompletionResultType]::ParameterValue, 'List, add and remove upstream providers and their keys')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;users' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account with its balance (the default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited')
            [CompletionResult]::new('reset-2fa', 'reset-2fa', [CompletionResultType]::ParameterValue, 'Turn off a user''s two-factor login (a lost device and no recovery code); audited')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;users;list' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;users;delete' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (required; kept in the audit log)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;users;create' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Its role')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;users;reset-2fa' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;users;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account with its balance (the default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited')
            [CompletionResult]::new('reset-2fa', 'reset-2fa', [CompletionResultType]::ParameterValue, 'Turn off a user''s two-factor login (a lost device and no recovery code); audited')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;users;help;list' {
            break
        }
        'codexkey;admin;users;help;delete' {
            break
        }
        'codexkey;admin;users;help;create' {
            break
        }
        'codexkey;admin;users;help;reset-2fa' {
            break
        }
        'codexkey;admin;users;help;help' {
            break
        }
        'codexkey;admin;adjust' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the balance changes (required)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;bonus' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (required)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a batch of codes and print them: they are shown this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches with how many codes are unused, redeemed, disabled or expired')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the codes of a batch: each one''s state and who redeemed it')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;codes;create' {
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Credits each code adds (e.g. `10`, `2.5`)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many codes')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When the codes stop working: a date (`2027-01-01`, midnight UTC) or an RFC 3339 time')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'A note for admins (the campaign, who gets them)')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Write the codes to this new file (CSV, 0600) instead of printing them')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--promotional', '--promotional', [CompletionResultType]::ParameterName, 'Their credit is promotional: spent first, never refunded')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes;list' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--unused', '--unused', [CompletionResultType]::ParameterName, 'Only batches with a code still unused')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes;show' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes;disable' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'One code, as printed')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes;export' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;codes;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a batch of codes and print them: they are shown this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches with how many codes are unused, redeemed, disabled or expired')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the codes of a batch: each one''s state and who redeemed it')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;codes;help;create' {
            break
        }
        'codexkey;admin;codes;help;list' {
            break
        }
        'codexkey;admin;codes;help;show' {
            break
        }
        'codexkey;admin;codes;help;disable' {
            break
        }
        'codexkey;admin;codes;help;export' {
            break
        }
        'codexkey;admin;codes;help;help' {
            break
        }
        'codexkey;admin;orders' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only orders in this state')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only this account''s orders: its email or id')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;refunds' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List refunds, newest first')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a requested refund, with a reason the user sees')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;refunds;list' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only refunds in this state')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;refunds;approve' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;refunds;deny' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (required)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;refunds;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List refunds, newest first')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a requested refund, with a reason the user sees')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;refunds;help;list' {
            break
        }
        'codexkey;admin;refunds;help;approve' {
            break
        }
        'codexkey;admin;refunds;help;deny' {
            break
        }
        'codexkey;admin;refunds;help;help' {
            break
        }
        'codexkey;admin;suspend' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;activate' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;invite' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;reset-password' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;verify-ledger' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;purge' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;audit' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many entries to show')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Show entries older than this entry id (for paging)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;backup' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;migrate' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The SQLite database to copy: `sqlite:///path/to/codexkey.db` (the gateway stopped)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The PostgreSQL database to fill, empty: `postgres://user@host/database`, with `?options=-csearch_path%3Dschema` for a schema other than the user''s default')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;prices' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a price list in the litellm format (model -> USD per token) as overrides')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a model''s price: what is given changes, the rest keeps its current value')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a model''s override: the shipped price applies again')
            [CompletionResult]::new('coefficient', 'coefficient', [CompletionResultType]::ParameterValue, 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;prices;import' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;prices;set' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider that serves it (`openai`, `anthropic`, …); used to route requests [default: the current one; required for a model without a price]')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'What kind of model it is [default: the current one, else chat]')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Credits per 1M input tokens (e.g. `2.5`) [default: the current price; required for a model without a price]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Credits per 1M output tokens, reasoning included [default: the current price; required for a model without a price]')
            [CompletionResult]::new('--cached-input', '--cached-input', [CompletionResultType]::ParameterName, 'Credits per 1M input tokens read from the prompt cache [default: the current price, else the input price]')
            [CompletionResult]::new('--cache-write-5m', '--cache-write-5m', [CompletionResultType]::ParameterName, 'Credits per 1M input tokens written to a 5-minute cache [default: the current price, else the input price]')
            [CompletionResult]::new('--cache-write-1h', '--cache-write-1h', [CompletionResultType]::ParameterName, 'Credits per 1M input tokens written to a 1-hour cache [default: the current price, else the 5-minute price]')
            [CompletionResult]::new('--per-image', '--per-image', [CompletionResultType]::ParameterName, 'Credits per generated image [default: the current price]')
            [CompletionResult]::new('--per-request', '--per-request', [CompletionResultType]::ParameterName, 'Credits per request, on top of everything else [default: the current price]')
            [CompletionResult]::new('--max-input-tokens', '--max-input-tokens', [CompletionResultType]::ParameterName, 'The model''s context window, in tokens')
            [CompletionResult]::new('--max-output-tokens', '--max-output-tokens', [CompletionResultType]::ParameterName, 'The most tokens the model generates in one response')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;prices;reset' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;prices;coefficient' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;prices;help' {
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a price list in the litellm format (model -> USD per token) as overrides')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a model''s price: what is given changes, the rest keeps its current value')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a model''s override: the shipped price applies again')
            [CompletionResult]::new('coefficient', 'coefficient', [CompletionResultType]::ParameterValue, 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;prices;help;import' {
            break
        }
        'codexkey;admin;prices;help;set' {
            break
        }
        'codexkey;admin;prices;help;reset' {
            break
        }
        'codexkey;admin;prices;help;coefficient' {
            break
        }
        'codexkey;admin;prices;help;help' {
            break
        }
        'codexkey;admin;upstreams' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List upstreams with their key counts and labels (never the keys)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream; its keys are read from standard input, one per line')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an upstream added with `admin upstreams add`')
            [CompletionResult]::new('add-key', 'add-key', [CompletionResultType]::ParameterValue, 'Add one key to an upstream, read from standard input')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;upstreams;list' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;upstreams;add' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, '`openai`, `anthropic` or `openai_compatible`')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API''s base URL [default: the provider''s own; required for `openai_compatible`]')
            [CompletionResult]::new('--models', '--models', [CompletionResultType]::ParameterName, 'Only route these models to it (comma-separated) [default: the models priced for its provider]')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--key-stdin', '--key-stdin', [CompletionResultType]::ParameterName, 'Read the keys from standard input, one per line (asked for when omitted)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;upstreams;remove' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;upstreams;add-key' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A label to tell the key apart')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--key-stdin', '--key-stdin', [CompletionResultType]::ParameterName, 'Read the key from the first line of standard input (asked for when omitted)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;admin;upstreams;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List upstreams with their key counts and labels (never the keys)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream; its keys are read from standard input, one per line')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an upstream added with `admin upstreams add`')
            [CompletionResult]::new('add-key', 'add-key', [CompletionResultType]::ParameterValue, 'Add one key to an upstream, read from standard input')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;upstreams;help;list' {
            break
        }
        'codexkey;admin;upstreams;help;add' {
            break
        }
        'codexkey;admin;upstreams;help;remove' {
            break
        }
        'codexkey;admin;upstreams;help;add-key' {
            break
        }
        'codexkey;admin;upstreams;help;help' {
            break
        }
        'codexkey;admin;help' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account with its balance, create one, or reset one''s two-factor login')
            [CompletionResult]::new('adjust', 'adjust', [CompletionResultType]::ParameterValue, 'Credit or debit an account, with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('bonus', 'bonus', [CompletionResultType]::ParameterValue, 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('codes', 'codes', [CompletionResultType]::ParameterValue, 'Create, list, disable and export redemption codes')
            [CompletionResult]::new('orders', 'orders', [CompletionResultType]::ParameterValue, 'List top-up orders, newest first')
            [CompletionResult]::new('refunds', 'refunds', [CompletionResultType]::ParameterValue, 'List, approve and deny refunds of unused credit')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: its sessions and keys stop working')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Lift a suspension')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail')
            [CompletionResult]::new('verify-ledger', 'verify-ledger', [CompletionResultType]::ParameterValue, 'Check that every balance equals the sum of its ledger entries (exit 1 if not)')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log, newest first')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the gateway''s database, consistent while it serves, into a new private file')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'Set, import and reset model prices and coefficients')
            [CompletionResult]::new('upstreams', 'upstreams', [CompletionResultType]::ParameterValue, 'List, add and remove upstream providers and their keys')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;admin;help;users' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account with its balance (the default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited')
            [CompletionResult]::new('reset-2fa', 'reset-2fa', [CompletionResultType]::ParameterValue, 'Turn off a user''s two-factor login (a lost device and no recovery code); audited')
            break
        }
        'codexkey;admin;help;users;list' {
            break
        }
        'codexkey;admin;help;users;delete' {
            break
        }
        'codexkey;admin;help;users;create' {
            break
        }
        'codexkey;admin;help;users;reset-2fa' {
            break
        }
        'codexkey;admin;help;adjust' {
            break
        }
        'codexkey;admin;help;bonus' {
            break
        }
        'codexkey;admin;help;codes' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a batch of codes and print them: they are shown this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches with how many codes are unused, redeemed, disabled or expired')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the codes of a batch: each one''s state and who redeemed it')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)')
            break
        }
        'codexkey;admin;help;codes;create' {
            break
        }
        'codexkey;admin;help;codes;list' {
            break
        }
        'codexkey;admin;help;codes;show' {
            break
        }
        'codexkey;admin;help;codes;disable' {
            break
        }
        'codexkey;admin;help;codes;export' {
            break
        }
        'codexkey;admin;help;orders' {
            break
        }
        'codexkey;admin;help;refunds' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List refunds, newest first')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a requested refund, with a reason the user sees')
            break
        }
        'codexkey;admin;help;refunds;list' {
            break
        }
        'codexkey;admin;help;refunds;approve' {
            break
        }
        'codexkey;admin;help;refunds;deny' {
            break
        }
        'codexkey;admin;help;suspend' {
            break
        }
        'codexkey;admin;help;activate' {
            break
        }
        'codexkey;admin;help;invite' {
            break
        }
        'codexkey;admin;help;reset-password' {
            break
        }
        'codexkey;admin;help;verify-ledger' {
            break
        }
        'codexkey;admin;help;purge' {
            break
        }
        'codexkey;admin;help;audit' {
            break
        }
        'codexkey;admin;help;backup' {
            break
        }
        'codexkey;admin;help;migrate' {
            break
        }
        'codexkey;admin;help;prices' {
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a price list in the litellm format (model -> USD per token) as overrides')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a model''s price: what is given changes, the rest keeps its current value')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a model''s override: the shipped price applies again')
            [CompletionResult]::new('coefficient', 'coefficient', [CompletionResultType]::ParameterValue, 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)')
            break
        }
        'codexkey;admin;help;prices;import' {
            break
        }
        'codexkey;admin;help;prices;set' {
            break
        }
        'codexkey;admin;help;prices;reset' {
            break
        }
        'codexkey;admin;help;prices;coefficient' {
            break
        }
        'codexkey;admin;help;upstreams' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List upstreams with their key counts and labels (never the keys)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream; its keys are read from standard input, one per line')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an upstream added with `admin upstreams add`')
            [CompletionResult]::new('add-key', 'add-key', [CompletionResultType]::ParameterValue, 'Add one key to an upstream, read from standard input')
            break
        }
        'codexkey;admin;help;upstreams;list' {
            break
        }
        'codexkey;admin;help;upstreams;add' {
            break
        }
        'codexkey;admin;help;upstreams;remove' {
            break
        }
        'codexkey;admin;help;upstreams;add-key' {
            break
        }
        'codexkey;admin;help;help' {
            break
        }
        'codexkey;completions' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway to talk to [default: the one you last logged in to, else http://127.0.0.1:8080]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Act as this profile: its own login, session, proxy key and gateway (e.g. `--profile admin` beside your own account)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'codexkey;help' {
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'Run the gateway in the foreground (logs to stderr; Ctrl-C or SIGTERM stops it)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Create an account on the gateway and log in')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in and keep the session token in the OS keyring (or a private file); asks for a two-factor code when the account has two-factor login')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'End the session and forget its token')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Forgot your password: `--email` mails you a one-time link; `--link` (the link or its token, from the mail or from an admin) sets a new password and ends every session')
            [CompletionResult]::new('verify-email', 'verify-email', [CompletionResultType]::ParameterValue, 'Confirm your address with the link (or its token) the gateway mailed you')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the account you are logged in as')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Secure your account: two-factor login, sessions, password')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Manage your API keys')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'Show your balance, spend today and over 30 days, and how long the balance lasts')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Show what you spent, on what and when (from a local cache synced with the gateway)')
            [CompletionResult]::new('ledger', 'ledger', [CompletionResultType]::ParameterValue, 'Show your ledger: every payment, code, bonus, charge, refund and adjustment, newest first')
            [CompletionResult]::new('topup', 'topup', [CompletionResultType]::ParameterValue, 'Add credit to your account: pay by card (`--amount`, prints a page to open) or redeem a code (`--code`)')
            [CompletionResult]::new('orders', 'orders', [CompletionResultType]::ParameterValue, 'Show your top-up orders, newest first')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Ask for unused credit of a paid order back (within the refund window; promotional credit is spent first and never refunded)')
            [CompletionResult]::new('refunds', 'refunds', [CompletionResultType]::ParameterValue, 'Show your refunds, newest first')
            [CompletionResult]::new('referral', 'referral', [CompletionResultType]::ParameterValue, 'Show your referral code, the accounts you referred and what you earned from them')
            [CompletionResult]::new('pricing', 'pricing', [CompletionResultType]::ParameterValue, 'Show the gateway''s model prices (no login needed)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Run the local proxy that Codex CLI and Claude Code point at (127.0.0.1 only)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the environment that points a tool at a running `codexkey proxy`')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Start a proxy and a tool together; exits with the tool''s exit code')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Write a tool''s lasting configuration to use the proxy (shows a diff first)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the gateway, login, proxy key, balance and tools, with a fix for each problem')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administer the gateway (admin accounts only)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'codexkey;help;gateway' {
            break
        }
        'codexkey;help;register' {
            break
        }
        'codexkey;help;login' {
            break
        }
        'codexkey;help;logout' {
            break
        }
        'codexkey;help;reset-password' {
            break
        }
        'codexkey;help;verify-email' {
            break
        }
        'codexkey;help;whoami' {
            break
        }
        'codexkey;help;account' {
            [CompletionResult]::new('2fa', '2fa', [CompletionResultType]::ParameterValue, 'Turn two-factor login (TOTP, with an authenticator app) on or off')
            [CompletionResult]::new('sessions', 'sessions', [CompletionResultType]::ParameterValue, 'List your login sessions, or revoke them')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your password; every other session ends')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set your preferences: the currency amounts are shown in, and your language')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account (asks for your password, and a code when two-factor login is on): keys and sessions end at once, your email and client addresses are erased; billing records stay, pseudonymised, for the gateway''s retention (five years by default). Cannot be undone')
            [CompletionResult]::new('resend-verification', 'resend-verification', [CompletionResultType]::ParameterValue, 'Mail a new link to verify your address; it replaces the links mailed before')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download a copy of your data (profile, key metadata, ledger, usage events, orders, refunds, referrals, commissions; JSON and CSV) as one zip archive')
            break
        }
        'codexkey;help;account;2fa' {
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Turn it on (asks for your password): shows a QR code for your authenticator app, asks for a code it shows, then prints ten recovery codes once. Without a terminal, prints the secret and stops: finish with `codexkey account 2fa confirm CODE`')
            [CompletionResult]::new('confirm', 'confirm', [CompletionResultType]::ParameterValue, 'Finish turning it on with a code from the app; prints the recovery codes once')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Turn it off, with your password and a current code (or a recovery code)')
            break
        }
        'codexkey;help;account;2fa;enable' {
            break
        }
        'codexkey;help;account;2fa;confirm' {
            break
        }
        'codexkey;help;account;2fa;disable' {
            break
        }
        'codexkey;help;account;sessions' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your open sessions (the default)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End one session')
            [CompletionResult]::new('revoke-others', 'revoke-others', [CompletionResultType]::ParameterValue, 'End every session but this one')
            break
        }
        'codexkey;help;account;sessions;list' {
            break
        }
        'codexkey;help;account;sessions;revoke' {
            break
        }
        'codexkey;help;account;sessions;revoke-others' {
            break
        }
        'codexkey;help;account;password' {
            break
        }
        'codexkey;help;account;set' {
            break
        }
        'codexkey;help;account;delete' {
            break
        }
        'codexkey;help;account;resend-verification' {
            break
        }
        'codexkey;help;account;export' {
            break
        }
        'codexkey;help;keys' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key; its secret is shown once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your keys')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s name, expiry, models, budget or rate limits; it applies at once')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: it stops working at once')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a key with a new secret (same settings); the old one stops working')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Choose the key `codexkey proxy` uses (kept in the OS keyring or the private file)')
            break
        }
        'codexkey;help;keys;create' {
            break
        }
        'codexkey;help;keys;list' {
            break
        }
        'codexkey;help;keys;update' {
            break
        }
        'codexkey;help;keys;revoke' {
            break
        }
        'codexkey;help;keys;rotate' {
            break
        }
        'codexkey;help;keys;use' {
            break
        }
        'codexkey;help;balance' {
            break
        }
        'codexkey;help;usage' {
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'List usage events (one per request), newest first')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring the local usage cache up to date')
            break
        }
        'codexkey;help;usage;events' {
            break
        }
        'codexkey;help;usage;sync' {
            break
        }
        'codexkey;help;ledger' {
            break
        }
        'codexkey;help;topup' {
            break
        }
        'codexkey;help;orders' {
            break
        }
        'codexkey;help;refund' {
            break
        }
        'codexkey;help;refunds' {
            break
        }
        'codexkey;help;referral' {
            break
        }
        'codexkey;help;pricing' {
            break
        }
        'codexkey;help;proxy' {
            break
        }
        'codexkey;help;env' {
            break
        }
        'codexkey;help;run' {
            break
        }
        'codexkey;help;setup' {
            break
        }
        'codexkey;help;doctor' {
            break
        }
        'codexkey;help;admin' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List every account with its balance, create one, or reset one''s two-factor login')
            [CompletionResult]::new('adjust', 'adjust', [CompletionResultType]::ParameterValue, 'Credit or debit an account, with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('bonus', 'bonus', [CompletionResultType]::ParameterValue, 'Give an account promotional credit (spent first, never refunded), with a reason kept in the ledger and the audit log')
            [CompletionResult]::new('codes', 'codes', [CompletionResultType]::ParameterValue, 'Create, list, disable and export redemption codes')
            [CompletionResult]::new('orders', 'orders', [CompletionResultType]::ParameterValue, 'List top-up orders, newest first')
            [CompletionResult]::new('refunds', 'refunds', [CompletionResultType]::ParameterValue, 'List, approve and deny refunds of unused credit')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: its sessions and keys stop working')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Lift a suspension')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Invite an address to register (needed when `auth.registration = "invite"`): mailed when the gateway sends mail, else the link is printed; audited')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Print a one-time link that sets a new password for a user (it works once, for 24 hours, and ends their sessions when used); audited. For gateways that send no mail')
            [CompletionResult]::new('verify-ledger', 'verify-ledger', [CompletionResultType]::ParameterValue, 'Check that every balance equals the sum of its ledger entries (exit 1 if not)')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Run the retention purge now (`[retention]`): erase old client addresses and user agents, delete old raw usage events (reports keep their totals), and purge the billing records of accounts deleted longer ago than `retention.deleted_account_days`')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log, newest first')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the gateway''s database, consistent while it serves, into a new private file')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move a stopped SQLite deployment into an empty PostgreSQL database: every table, ids kept, in one transaction, then counted on both sides and the ledger checked (offline: reads and writes the databases directly; exit 3 if the target is not empty)')
            [CompletionResult]::new('prices', 'prices', [CompletionResultType]::ParameterValue, 'Set, import and reset model prices and coefficients')
            [CompletionResult]::new('upstreams', 'upstreams', [CompletionResultType]::ParameterValue, 'List, add and remove upstream providers and their keys')
            break
        }
        'codexkey;help;admin;users' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account with its balance (the default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account (keys and sessions end, the person is pseudonymised, billing records stay); audited with the reason')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account without a password: a one-time link to set one is mailed when the gateway sends mail, else printed; audited')
            [CompletionResult]::new('reset-2fa', 'reset-2fa', [CompletionResultType]::ParameterValue, 'Turn off a user''s two-factor login (a lost device and no recovery code); audited')
            break
        }
        'codexkey;help;admin;users;list' {
            break
        }
        'codexkey;help;admin;users;delete' {
            break
        }
        'codexkey;help;admin;users;create' {
            break
        }
        'codexkey;help;admin;users;reset-2fa' {
            break
        }
        'codexkey;help;admin;adjust' {
            break
        }
        'codexkey;help;admin;bonus' {
            break
        }
        'codexkey;help;admin;codes' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a batch of codes and print them: they are shown this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the batches with how many codes are unused, redeemed, disabled or expired')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the codes of a batch: each one''s state and who redeemed it')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a whole batch, or one code with `--code`; redeemed codes stay redeemed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a batch''s codes'' states and redeemers to a new private CSV file (not the codes themselves: the gateway does not keep them)')
            break
        }
        'codexkey;help;admin;codes;create' {
            break
        }
        'codexkey;help;admin;codes;list' {
            break
        }
        'codexkey;help;admin;codes;show' {
            break
        }
        'codexkey;help;admin;codes;disable' {
            break
        }
        'codexkey;help;admin;codes;export' {
            break
        }
        'codexkey;help;admin;orders' {
            break
        }
        'codexkey;help;admin;refunds' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List refunds, newest first')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a requested refund: freezes what is refundable now, debits the ledger and has the payment provider pay it back (run it again if the provider could not be reached)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a requested refund, with a reason the user sees')
            break
        }
        'codexkey;help;admin;refunds;list' {
            break
        }
        'codexkey;help;admin;refunds;approve' {
            break
        }
        'codexkey;help;admin;refunds;deny' {
            break
        }
        'codexkey;help;admin;suspend' {
            break
        }
        'codexkey;help;admin;activate' {
            break
        }
        'codexkey;help;admin;invite' {
            break
        }
        'codexkey;help;admin;reset-password' {
            break
        }
        'codexkey;help;admin;verify-ledger' {
            break
        }
        'codexkey;help;admin;purge' {
            break
        }
        'codexkey;help;admin;audit' {
            break
        }
        'codexkey;help;admin;backup' {
            break
        }
        'codexkey;help;admin;migrate' {
            break
        }
        'codexkey;help;admin;prices' {
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a price list in the litellm format (model -> USD per token) as overrides')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a model''s price: what is given changes, the rest keeps its current value')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Remove a model''s override: the shipped price applies again')
            [CompletionResult]::new('coefficient', 'coefficient', [CompletionResultType]::ParameterValue, 'Multiply a model''s price by a factor (e.g. `1.25`; `1` removes it)')
            break
        }
        'codexkey;help;admin;prices;import' {
            break
        }
        'codexkey;help;admin;prices;set' {
            break
        }
        'codexkey;help;admin;prices;reset' {
            break
        }
        'codexkey;help;admin;prices;coefficient' {
            break
        }
        'codexkey;help;admin;upstreams' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List upstreams with their key counts and labels (never the keys)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream; its keys are read from standard input, one per line')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an upstream added with `admin upstreams add`')
            [CompletionResult]::new('add-key', 'add-key', [CompletionResultType]::ParameterValue, 'Add one key to an upstream, read from standard input')
            break
        }
        'codexkey;help;admin;upstreams;list' {
            break
        }
        'codexkey;help;admin;upstreams;add' {
            break
        }
        'codexkey;help;admin;upstreams;remove' {
            break
        }
        'codexkey;help;admin;upstreams;add-key' {
            break
        }
        'codexkey;help;completions' {
            break
        }
        'codexkey;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
