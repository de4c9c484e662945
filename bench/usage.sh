#!/usr/bin/env bash
# Usage reports on a million events: the gateway's store (writing them with and without the
# rollup, migrating a database that holds them, reports and event pages over them) and the
# CLI's local cache (a first sync's writes, `codexkey usage` reports in the local time zone,
# `usage events`, upgrading an old cache). Synthetic events, release builds, temp files only.
#
# Usage: bench/usage.sh [EVENTS]     (default 1000000)
# Environment: CARGO_TARGET_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}

say() { printf '%s\n' "$*" >&2; }

# Nothing of the caller's codexkey settings may leak into the run.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(CODEXKEY_|RUST_LOG$)' || true)

say "building release examples…"
cargo build --release --quiet -p codexkey-gateway --example usage_bench -p codexkey --example usage_cache_bench
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/examples

echo "codexkey usage benchmark: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
echo
"$BIN/usage_bench" "$EVENTS"
echo
"$BIN/usage_cache_bench" "$EVENTS"
