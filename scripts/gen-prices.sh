#!/usr/bin/env bash
# Regenerates gateway/prices/default.json, the gateway's shipped price table, from a
# litellm-format price list: by default ../shared/data/model-prices.json (relative to the
# repository root), or the file given as the only argument. Import warnings go to stderr.
# The test `prices_table` fails when the committed file is stale.
set -euo pipefail
if [[ $# -gt 1 ]]; then
    echo "usage: scripts/gen-prices.sh [PRICE_LIST.json]" >&2
    exit 2
fi
# An argument is relative to where the script was called from, not to the repository root.
if [[ $# -eq 1 ]]; then
    src="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi
cd "$(dirname "$0")/.."
src="${src:-../shared/data/model-prices.json}"
out=gateway/prices/default.json

# Write beside the target and rename, so a failed run never leaves a truncated table.
tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
chmod 0644 "$tmp" # mktemp creates it private; the table is not a secret
cargo run --quiet -p codexkey-common --example gen_prices -- "$src" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out regenerated from $src" >&2
