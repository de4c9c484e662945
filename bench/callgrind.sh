#!/usr/bin/env bash
# Instructions the gateway executes per data-plane request, counted by callgrind: repeatable
# whatever else the machine is doing, unlike wall-clock CPU time. Runs the release gateway under
# `valgrind --tool=callgrind` with one worker, sets it up with the real CLI against
# `bench-upstream`, sends N1 and then (in a fresh gateway) N2 requests at c=1, and prints
# (total(N2) − total(N1)) ÷ (N2 − N1), which cancels start-up and set-up.
#
#   bench/callgrind.sh [plain|stream] [N1 N2]          # SQLite in a temporary data dir
#   BENCH_DATABASE_URL='postgres://…?options=-csearch_path%3Ds' bench/callgrind.sh plain
#     (PostgreSQL: the schema must exist and be empty; it is used for the N1 run, and a schema
#      named `<s>_b` for the N2 run, which must exist and be empty too)
#
# Needs valgrind and a release build (`cargo build --release -p codexkey -p codexkey-bench`).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-plain}
N1=${2:-300}
N2=${3:-3300}
BIN=${BENCH_BIN:-target/release}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing" >&2; exit 1; }
[[ -x $BIN/codexkey && -x $BIN/bench-upstream && -x $BIN/bench-load ]] \
    || { echo "callgrind.sh: build first: cargo build --release -p codexkey -p codexkey-bench" >&2; exit 1; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# One gateway under callgrind, N requests; prints its total instruction count.
run() {
    local n=$1 db_url=$2 tmp up gp upid gpid key
    tmp=$(mktemp -d)
    up=$(free_port)
    gp=$(free_port)
    "$BIN/bench-upstream" --listen "127.0.0.1:$up" >/dev/null 2>&1 &
    upid=$!
    local env=(CODEXKEY_WORKERS=1 CODEXKEY_LOG=warn
        CODEXKEY_OPENAI_API_KEY=sk-bench CODEXKEY_OPENAI_BASE_URL="http://127.0.0.1:$up"
        CODEXKEY_ADMIN_EMAIL=admin@bench.example CODEXKEY_ADMIN_PASSWORD=bench-admin-pass-123
        CODEXKEY_AUTH__ARGON2_MEMORY_KIB=1024 CODEXKEY_AUTH__ARGON2_ITERATIONS=1)
    [[ -n $db_url ]] && env+=(CODEXKEY_DATABASE_URL="$db_url")
    env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
        "$BIN/codexkey" gateway --listen "127.0.0.1:$gp" --data-dir "$tmp/gw" >"$tmp/gw.log" 2>&1 &
    gpid=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$gp/readyz" && break; sleep 0.2; done
    cli() {
        CODEXKEY_CONFIG_DIR=$tmp/cfg-$1 CODEXKEY_CREDENTIAL_STORE=file \
            CODEXKEY_GATEWAY="http://127.0.0.1:$gp" "$BIN/codexkey" "${@:2}"
    }
    printf 'bench-user-pass-123\n' | cli u register --email user@bench.example --password-stdin >/dev/null 2>&1
    printf 'bench-admin-pass-123\n' | cli a login --email admin@bench.example --password-stdin >/dev/null 2>&1
    cli a admin adjust user@bench.example 1000000 --reason bench >/dev/null 2>&1
    key=$(cli u keys create --name bench --json 2>/dev/null | tr -d '\n' | sed -n 's/.*"secret" *: *"\([^"]*\)".*/\1/p')
    local stream=()
    [[ $MODE == stream ]] && stream=(--stream)
    local extra=()
    read -r -a extra <<<"${BENCH_LOAD_ARGS:-}"
    "$BIN/bench-load" "http://127.0.0.1:$gp/v1/chat/completions" -n "$n" --warmup 0 \
        --key "$key" "${stream[@]}" "${extra[@]}" >/dev/null
    kill -TERM "$gpid"
    wait "$gpid" 2>/dev/null || true
    kill "$upid" 2>/dev/null || true
    sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$tmp/cg.out" | head -1
    if [[ -n ${BENCH_PROFILE_DIR:-} ]]; then
        mkdir -p "$BENCH_PROFILE_DIR"
        cp "$tmp/cg.out" "$BENCH_PROFILE_DIR/callgrind.$n.out"
    fi
    rm -rf "$tmp"
}

url2=
first=$(run "$N1" "${BENCH_DATABASE_URL:-}")
if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
    # The second run needs an empty schema of its own: `<schema>_b`.
    url2=$(sed 's/\(search_path%3D[A-Za-z0-9_]*\)/\1_b/' <<<"$BENCH_DATABASE_URL")
fi
second=$(run "$N2" "$url2")
echo "$MODE: $(((second - first) / (N2 - N1))) instructions per request ($first for $N1, $second for $N2)"
