#!/usr/bin/env bash
# The real coding tools of the end-to-end tests (tests/tests/real_tools.rs): pinned versions of
# Claude Code (`@anthropic-ai/claude-code`) and Codex CLI (`@openai/codex`) from npm, installed
# into .tools/npm (binaries in .tools/npm/node_modules/.bin).
# Idempotent: when both are already installed at exactly these versions and run, it installs
# nothing and needs no network. Prints one line saying what it did. Needs `node` and `npm`
# (node 20 or newer; Claude Code declares node >= 22, but what it installs is a native binary,
# so npm only warns about the engine).
set -euo pipefail
cd "$(dirname "$0")/.."

# Bump these together with tests/tests/real_tools.rs when a tool changes what it sends.
CLAUDE_CODE_VERSION=2.1.330
CODEX_VERSION=0.169.0

PREFIX=.tools/npm
BIN="$PREFIX/node_modules/.bin"

# The versions the installed binaries report, as "claude=X codex=Y" ("-" when one is missing or
# does not run). Asking the binaries, not package.json, also catches Claude Code's placeholder
# `claude.exe`, which is only replaced by the real binary in its postinstall script.
# The probes run with a throwaway HOME and CODEX_HOME: even `codex --version` writes there.
installed_versions() {
    local claude codex home
    home=$(mktemp -d)
    claude=$(HOME="$home" "$BIN/claude" --version 2>/dev/null | awk 'NR == 1 { print $1 }') || true
    codex=$(HOME="$home" CODEX_HOME="$home" "$BIN/codex" --version 2>/dev/null | awk 'NR == 1 { print $2 }') || true
    rm -rf "$home"
    echo "claude=${claude:--} codex=${codex:--}"
}

want="claude=$CLAUDE_CODE_VERSION codex=$CODEX_VERSION"

if [[ "$(installed_versions)" == "$want" ]]; then
    echo "setup-npm: $PREFIX already has $want; nothing to do"
    exit 0
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-npm: error: \`$tool\` is not installed (needs node >= 20 with npm)" >&2
        exit 1
    fi
done

mkdir -p "$PREFIX"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --save-exact \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup-npm: error: npm could not install $want into $PREFIX" >&2
    exit 1
fi

# npm configured to skip install scripts leaves Claude Code's placeholder in place; its
# postinstall links the platform's native binary over it.
if [[ "$(installed_versions)" != claude="$CLAUDE_CODE_VERSION"* ]]; then
    (cd "$PREFIX/node_modules/@anthropic-ai/claude-code" && node install.cjs) >>"$log" 2>&1 || true
fi

got=$(installed_versions)
if [[ "$got" != "$want" ]]; then
    cat "$log" >&2
    echo "setup-npm: error: after install $PREFIX has '$got', expected '$want'" >&2
    exit 1
fi
echo "setup-npm: installed $want into $PREFIX"
