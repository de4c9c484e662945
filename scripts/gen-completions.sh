#!/usr/bin/env bash
# Regenerates the shell completion scripts in completions/ from the CLI's clap definition.
# The test `cli_completions` fails when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p codexkey
bin=target/debug/codexkey
"$bin" completions bash > completions/codexkey.bash
"$bin" completions zsh > completions/_codexkey
"$bin" completions fish > completions/codexkey.fish
"$bin" completions powershell > completions/_codexkey.ps1
"$bin" completions elvish > completions/codexkey.elv
echo "completions/ regenerated" >&2
