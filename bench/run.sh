#!/usr/bin/env bash
# Loopback benchmark of the codexkey gateway's data plane; see bench/README.md.
#
# Runs a fast fake upstream (OpenAI Chat Completions and Responses, Anthropic Messages), a bare
# nginx reverse-proxy hop and the real gateway (auth, pricing, holds and ledger writes on) on
# 127.0.0.1, drives each with bench-load, and prints two tables. The small table: the original
# 200-byte request, path × mode × concurrency → requests/s, p50/p99 latency, time to first byte
# (streams), CPU µs per request. The agent table: what coding agents send (request bodies of
# 1 KB to 10 MB of conversation history, streams of 500 and 5,000 events, a Codex-like 300 KB
# streamed Responses request and a Claude-Code-like 80 KB streamed Messages request with
# thinking), gateway beside nginx: CPU per request and per MB of body, their ratio, added p50,
# and the gateway's peak memory per request in flight against the body's size. Then the
# targets, and a ledger check.
#
# Usage: bench/run.sh
# Environment: BENCH_DURATION (s per cell, default 3), BENCH_WARMUP (s, default 1),
#              BENCH_SUITE (default "small agent": which tables to measure),
#              BENCH_CONCURRENCY (small table, default "1 16 64"),
#              BENCH_MODES (small table, default "non-stream stream"),
#              BENCH_AGENT_CONCURRENCY (agent table, default "1 16 64"; the 10 MB cell stops
#              at 16), BENCH_CELLS (a regex: only the agent cells whose label matches),
#              BENCH_NO_BUILD=1 (use the binaries already built),
#              BENCH_KEEP=1 (keep the temp dir with logs and the database), CARGO_TARGET_DIR,
#              BENCH_GATEWAY_ENV="VAR=value …" (extra environment for the gateway only, for
#              experiments such as MALLOC_ARENA_MAX=2),
#              BENCH_PERF=1 (profile the gateway with `perf record` over the run and print its
#              hottest functions; sampling perturbs the CPU figures a little),
#              BENCH_STORE=sqlite|postgres (default sqlite; postgres: a fresh schema of
#              BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
#              created here and dropped at exit), BENCH_REPLICAS=N (default 1; postgres only:
#              N gateways on that schema behind a second nginx that balances over them).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
CONCURRENCY=${BENCH_CONCURRENCY:-"1 16 64"}
MODES=${BENCH_MODES:-"non-stream stream"}
SUITE=${BENCH_SUITE:-"small agent"}
AGENT_CONCURRENCY=${BENCH_AGENT_CONCURRENCY:-"1 16 64"}
STORE=${BENCH_STORE:-sqlite}
REPLICAS=${BENCH_REPLICAS:-1}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release
MODEL=gpt-4o-mini

say() { printf '%s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Nothing of the caller's codexkey settings may leak into the run.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(CODEXKEY_|RUST_LOG$)' || true)

[[ $STORE == sqlite || $STORE == postgres ]] || die "BENCH_STORE must be \`sqlite\` or \`postgres\`, not \`$STORE\`"
[[ $REPLICAS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPLICAS must be a positive number, not \`$REPLICAS\`"
((REPLICAS == 1)) || [[ $STORE == postgres ]] \
    || die "BENCH_REPLICAS=$REPLICAS needs BENCH_STORE=postgres: replicas share one PostgreSQL schema"
# The agent table reads one gateway's memory per request in flight, which means nothing when
# the requests spread over several.
if ((REPLICAS > 1)) && [[ " $SUITE " == *" agent "* ]]; then
    die "the agent table measures one gateway; run it with BENCH_REPLICAS=1 (or BENCH_SUITE=small)"
fi
if [[ $STORE == postgres ]]; then
    command -v psql >/dev/null || die "BENCH_STORE=postgres needs psql (apt-get install postgresql-client)"
    psql "$PG_URL" -qAtc 'SELECT 1' >/dev/null 2>&1 || die "cannot reach PostgreSQL at $PG_URL"
fi

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    say "building release binaries…"
    cargo build --release --quiet -p codexkey -p codexkey-bench
fi
for bin in codexkey bench-upstream bench-load; do
    [[ -x $BIN/$bin ]] || die "$BIN/$bin is missing; build it (cargo build --release -p codexkey -p codexkey-bench)"
done

NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -z $NGINX ]]; then
    say "nginx is missing; installing Debian's nginx-light…"
    SUDO=()
    [[ $EUID -ne 0 ]] && SUDO=(sudo)
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq nginx-light >/dev/null
    NGINX=/usr/sbin/nginx
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/codexkey-bench.XXXXXX")
PIDS=()
SCHEMA=
# Stops the processes: TERM, up to 10 s each to finish, then KILL.
stop() {
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
cleanup() {
    stop "${PIDS[@]}"
    if [[ -n $SCHEMA ]]; then
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
            say "kept the PostgreSQL schema $SCHEMA"
        else
            psql "$PG_URL" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1 \
                || say "warning: could not drop the PostgreSQL schema $SCHEMA"
        fi
    fi
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# A port nobody listens on (connection refused).
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

# Waits until something accepts on the port; $2 is the process that should.
wait_port() {
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# ---- the fake upstream -----------------------------------------------------------------------
"$BIN/bench-upstream" --listen 127.0.0.1:0 >"$TMP/upstream.log" 2>&1 &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")
UPSTREAM_PORT=
for _ in $(seq 100); do
    UPSTREAM_PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/upstream.log")
    [[ -n $UPSTREAM_PORT ]] && break
    sleep 0.05
done
[[ -n $UPSTREAM_PORT ]] || die "the fake upstream did not start: $(cat "$TMP/upstream.log")"

# ---- nginx: a bare keep-alive reverse-proxy hop ----------------------------------------------
# Starts an nginx from $TMP/NAME listening on PORT and proxying to the SERVERS (host:port),
# round-robin over keep-alive connections; sets STARTED_PID and STARTED_WORKERS.
start_nginx() {
    local name=$1 port=$2 servers="" server pid
    shift 2
    for server in "$@"; do servers+="        server $server;"$'\n'; done
    mkdir -p "$TMP/$name"
    cat >"$TMP/$name/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $TMP/$name/nginx.pid;
error_log $TMP/$name/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/$name/body;
    proxy_temp_path $TMP/$name/proxy;
    fastcgi_temp_path $TMP/$name/fastcgi;
    uwsgi_temp_path $TMP/$name/uwsgi;
    scgi_temp_path $TMP/$name/scgi;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 10000000;
    # Bodies of agent traffic run to megabytes: passed on as they arrive, never to disk.
    client_max_body_size 64m;
    proxy_request_buffering off;
    upstream bench_upstream {
$servers        keepalive 128;
        keepalive_requests 10000000;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
    "$NGINX" -p "$TMP/$name" -c "$TMP/$name/nginx.conf" -e "$TMP/$name/error.log" >"$TMP/$name/stdout.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_port "$port" "$STARTED_PID" \
        || die "nginx ($name) did not start: $(cat "$TMP/$name/error.log" "$TMP/$name/stdout.log" 2>/dev/null)"
    STARTED_WORKERS=()
    while read -r pid; do STARTED_WORKERS+=("$pid"); done < <(pgrep -P "$STARTED_PID")
}
NGINX_PORT=$(free_port)
start_nginx nginx "$NGINX_PORT" "127.0.0.1:$UPSTREAM_PORT"
NGINX_WORKERS=("${STARTED_WORKERS[@]}")

# ---- the gateway -----------------------------------------------------------------------------
ADMIN_EMAIL=admin@bench.example
ADMIN_PASSWORD=bench-admin-$RANDOM$RANDOM
USER_EMAIL=user@bench.example
USER_PASSWORD=bench-user-$RANDOM$RANDOM
read -r -a GATEWAY_ENV <<<"${BENCH_GATEWAY_ENV:-}"
STORE_ENV=()
if [[ $STORE == postgres ]]; then
    # A schema of the run's own: it starts empty and is dropped at exit.
    name=codexkey_bench_$$_$RANDOM
    psql "$PG_URL" -qc "CREATE SCHEMA $name" >/dev/null || die "cannot create the PostgreSQL schema $name"
    SCHEMA=$name
    sep='?'
    [[ $PG_URL == *'?'* ]] && sep='&'
    # The application name marks the gateways' connections: their backends' CPU is measured.
    # Replicas share the master key, as a deployment's must (README, "Balances across replicas").
    STORE_ENV=(
        "CODEXKEY_DATABASE_URL=$PG_URL${sep}options=-csearch_path%3D$SCHEMA&application_name=$SCHEMA"
        "CODEXKEY_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    )
fi
# The PostgreSQL server's processes, comma-separated: `db`, the backends serving the gateways'
# connections (marked by their application name, which the gateway's change listener extends
# with `-listener`); `bg`, the server's own background processes (WAL writer, checkpointer,
# background writer, autovacuum), which work for every database on the server. Read before each
# cell: a connection a gateway opens during it is not counted, hence the settling load below.
pg_pids() {
    local where
    case $1 in
        db) where="application_name IN ('$SCHEMA', '$SCHEMA-listener')" ;;
        bg) where="backend_type <> 'client backend'" ;;
    esac
    psql "$PG_URL" -qAtc "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE $where" 2>/dev/null || true
}

GATEWAY_PIDS=()
GATEWAY_PORTS=()
for i in $(seq "$REPLICAS"); do
    port=$(free_port)
    dir=$TMP/gateway
    ((i > 1)) && dir=$TMP/gateway-$i
    env "${GATEWAY_ENV[@]}" "${STORE_ENV[@]}" \
        CODEXKEY_OPENAI_API_KEY=sk-bench \
        CODEXKEY_OPENAI_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT" \
        CODEXKEY_ANTHROPIC_API_KEY=sk-ant-bench \
        CODEXKEY_ANTHROPIC_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT" \
        CODEXKEY_ADMIN_EMAIL=$ADMIN_EMAIL \
        CODEXKEY_ADMIN_PASSWORD=$ADMIN_PASSWORD \
        CODEXKEY_LOG=warn \
        "$BIN/codexkey" gateway --listen "127.0.0.1:$port" --data-dir "$dir" \
        >"$dir.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    # One after the other: the first migrates the schema and creates the admin.
    wait_port "$port" "$pid" || die "gateway $i did not start: $(cat "$dir.log")"
    GATEWAY_PIDS+=("$pid")
    GATEWAY_PORTS+=("$port")
done
# Replica 1 takes the set-up and is the one whose memory is read.
GATEWAY_PID=${GATEWAY_PIDS[0]}
GATEWAY_PORT=${GATEWAY_PORTS[0]}
GATEWAY=http://127.0.0.1:$GATEWAY_PORT
# Where the data plane's requests go: the gateway, or a balancer in front of the replicas (an
# nginx like the bare hop, round-robin over keep-alive connections).
FRONT_PORT=$GATEWAY_PORT
BALANCER_WORKERS=()
if ((REPLICAS > 1)); then
    FRONT_PORT=$(free_port)
    start_nginx balancer "$FRONT_PORT" "${GATEWAY_PORTS[@]/#/127.0.0.1:}"
    BALANCER_WORKERS=("${STARTED_WORKERS[@]}")
fi

# The real CLI, as the user or as the admin (each with its own config dir and file credentials).
cli() {
    local who=$1
    shift
    CODEXKEY_CONFIG_DIR=$TMP/cfg-$who CODEXKEY_CREDENTIAL_STORE=file CODEXKEY_GATEWAY=$GATEWAY \
        "$BIN/codexkey" "$@"
}
printf '%s\n' "$USER_PASSWORD" | cli user register --email "$USER_EMAIL" --password-stdin >/dev/null 2>&1 \
    || die "register failed"
printf '%s\n' "$ADMIN_PASSWORD" | cli admin login --email "$ADMIN_EMAIL" --password-stdin >/dev/null 2>&1 \
    || die "admin login failed"
cli admin admin adjust "$USER_EMAIL" 1000000 --reason bench >/dev/null 2>&1 || die "admin adjust failed"
KEY=$(cli user keys create --name bench --json 2>/dev/null | tr -d '\n' | sed -n 's/.*"secret" *: *"\([^"]*\)".*/\1/p')
[[ $KEY == ck-* ]] || die "keys create printed no secret"

FRONT=http://127.0.0.1:$FRONT_PORT
vm() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$GATEWAY_PID/status"; }
SETUP_HWM_KB=$(vm VmHWM)
SETUP_RSS_KB=$(vm VmRSS)
# The set-up's argon2 hashes (7 MiB each) stay resident until the allocator's next purge, which
# runs on allocation activity about a second after the memory is freed: two seconds of traffic
# first, then the peak-RSS mark is reset, so that it shows the data plane under load. On
# PostgreSQL at the highest concurrency measured: each gateway's pool opens the connections it
# needs under that load now, so that the cells find their backends (see `pg_pids`).
SETTLE_C=4
if [[ $STORE == postgres ]]; then
    for c in $CONCURRENCY; do ((c > SETTLE_C)) && SETTLE_C=$c; done
fi
"$BIN/bench-load" "$FRONT/v1/chat/completions" --concurrency "$SETTLE_C" --duration 2 --warmup 0 \
    --model "$MODEL" --key "$KEY" >/dev/null 2>&1 || die "the gateway did not serve the settling load"
SETTLED_RSS_KB=$(vm VmRSS)
HWM_RESET=yes
echo 5 >"/proc/$GATEWAY_PID/clear_refs" 2>/dev/null || HWM_RESET=no

PERF_PID=
PERF_DB_PID=
if [[ ${BENCH_PERF:-0} == 1 ]]; then
    command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"
    CALL_GRAPH=(-g)
    # shellcheck disable=SC2054 # `dwarf,16384` is one argument
    [[ ${BENCH_PERF_DWARF:-0} == 1 ]] && CALL_GRAPH=(--call-graph dwarf,16384)
    perf record -q -F 999 "${CALL_GRAPH[@]}" -p "$(IFS=,; echo "${GATEWAY_PIDS[*]}")" -o "$TMP/perf.data" >"$TMP/perf.log" 2>&1 &
    PERF_PID=$!
    PIDS+=("$PERF_PID")
    # On PostgreSQL the backends serving the gateways too (those open after the settling load).
    if [[ $STORE == postgres ]]; then
        db_pids=$(pg_pids db)
        perf record -q -F 999 "${CALL_GRAPH[@]}" -p "$db_pids" -o "$TMP/perf-db.data" >"$TMP/perf-db.log" 2>&1 &
        PERF_DB_PID=$!
        PIDS+=("$PERF_DB_PID")
    fi
    sleep 0.5
fi

# ---- measure ---------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_flags() {
    local pid
    for pid in "$@"; do printf -- '--cpu-pid %s ' "$pid"; done
}
# A field of bench-load's flat JSON line (numbers and null only).
field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1"; }
# The first error of a run, when it had one: " (first: …)".
first_error() { sed -n 's/.*"first_error":"\(\([^"\\]\|\\.\)*\)".*/ (first: \1)/p' <<<"$1" | cut -c1-300; }

if ((REPLICAS > 1)); then
    say "fake upstream :$UPSTREAM_PORT  nginx :$NGINX_PORT  balancer :$FRONT_PORT over $REPLICAS gateways :${GATEWAY_PORTS[*]} (pids ${GATEWAY_PIDS[*]}, CODEXKEY_LOG=warn)"
else
    say "fake upstream :$UPSTREAM_PORT  nginx :$NGINX_PORT  gateway :$GATEWAY_PORT (pid $GATEWAY_PID, CODEXKEY_LOG=warn)"
fi
[[ $STORE == postgres ]] && say "PostgreSQL: schema $SCHEMA of $PG_URL"
say "each cell: ${WARMUP}s warm-up, ${DURATION}s measured"
in_suite() { [[ " $SUITE " == *" $1 "* ]]; }
model_of() {
    case $1 in
        chat) echo "$MODEL" ;;
        responses) echo gpt-5-codex ;;
        messages) echo claude-sonnet-4-5 ;;
    esac
}
path_of() {
    case $1 in
        chat) echo /v1/chat/completions ;;
        responses) echo /v1/responses ;;
        messages) echo /v1/messages ;;
    esac
}
# One run of bench-load: measure PATH API MODE EVENTS BODY C [MAX_OUTPUT]; prints its JSON line. For the
# gateway, the peak-RSS mark is reset first and the growth of the peak over the resident size
# before the run is appended as "rss_growth_kb". Before a body of 1 MB or more, the gateway is
# left idle until it has given back the body buffers it keeps between large bodies (they go
# after 5 to 10 s unused), so that they count in the growth instead of hiding in the base.
measure() {
    local path=$1 api=$2 mode=$3 events=$4 body=$5 c=$6 max_output=${7:--} port key=() cpu="" extra=() before line group pids
    case $path in
        direct) port=$UPSTREAM_PORT ;;
        nginx)
            port=$NGINX_PORT
            cpu=$(cpu_flags "${NGINX_WORKERS[@]}")
            ;;
        gateway)
            port=$FRONT_PORT
            key=(--key "$KEY")
            cpu=$(cpu_flags "${GATEWAY_PIDS[@]}")
            if [[ $STORE == postgres ]]; then
                for group in db bg; do
                    pids=$(pg_pids "$group")
                    [[ -n $pids ]] && extra+=(--cpu-group "$group=$pids")
                done
            fi
            ((${#BALANCER_WORKERS[@]} > 0)) && extra+=(--cpu-group "lb=$(IFS=,; echo "${BALANCER_WORKERS[*]}")")
            ;;
    esac
    [[ $mode == stream ]] && extra+=(--stream)
    [[ $events != - ]] && extra+=(--events "$events")
    [[ $body != - ]] && extra+=(--body-bytes "$body")
    [[ $max_output != - ]] && extra+=(--max-output "$max_output")
    if [[ $path == gateway && $body != - ]]; then
        ((body >= 1000000)) && sleep 11
        echo 5 >"/proc/$GATEWAY_PID/clear_refs" 2>/dev/null || true
        before=$(vm VmRSS)
    fi
    # shellcheck disable=SC2086 # $cpu is a list of flags
    line=$("$BIN/bench-load" "http://127.0.0.1:$port$(path_of "$api")" \
        --concurrency "$c" --duration "$DURATION" --warmup "$WARMUP" --model "$(model_of "$api")" \
        --clk-tck "$CLK_TCK" "${extra[@]}" "${key[@]}" $cpu)
    if [[ -n ${before:-} ]]; then
        line="${line%\}},\"rss_growth_kb\":$(($(vm VmHWM) - before))}"
    fi
    echo "$line"
}

RESULTS=()
STARTED=$SECONDS
if in_suite small; then
    for mode in $MODES; do
        for c in $CONCURRENCY; do
            for path in direct nginx gateway; do
                line=$(measure "$path" chat "$mode" - - "$c")
                RESULTS+=("$path $mode $c $line")
                say "  $path $mode c=$c: $(field "$line" rps | sed 's/\.0$//') req/s, p50 $(field "$line" p50_ms) ms, errors $(field "$line" errors)$(first_error "$line")"
            done
        done
    done
fi
# The small table's peak, before the agent table's large bodies.
PEAK_KB=$(vm VmHWM)

# The agent table: label, api, mode, stream events, body bytes, output cap the request sends
# (a stream of N events needs room for N tokens), and optionally the highest concurrency.
AGENT_CELLS=(
    "body-1KB chat non-stream - 1000 -"
    "body-100KB chat non-stream - 100000 -"
    "body-1MB chat non-stream - 1000000 -"
    "body-10MB chat non-stream - 10000000 - 16"
    "events-50 chat stream 50 - 64"
    "events-500 chat stream 500 - 1000"
    "events-5000 chat stream 5000 - 8000"
    "codex-300KB responses stream 300 300000 -"
    "claude-80KB messages stream 300 80000 32000"
)
AGENT=()
if in_suite agent; then
    for cell in "${AGENT_CELLS[@]}"; do
        read -r label api mode events body max_output cap <<<"$cell"
        [[ $label =~ ${BENCH_CELLS:-.} ]] || continue
        for c in $AGENT_CONCURRENCY; do
            [[ -n ${cap:-} ]] && ((c > cap)) && continue
            for path in nginx gateway; do
                line=$(measure "$path" "$api" "$mode" "$events" "$body" "$c" "$max_output")
                AGENT+=("$label $path $c $line")
                say "  $label $path c=$c: $(field "$line" rps | sed 's/\.0$//') req/s, cpu $(field "$line" cpu_us_per_req) µs, errors $(field "$line" errors)$(first_error "$line")"
            done
        done
    done
fi
ELAPSED=$((SECONDS - STARTED))

# ---- report ----------------------------------------------------------------------------------
dash() { if [[ -z $1 || $1 == null ]]; then echo "-"; else echo "$1"; fi; }
# a ÷ b to two decimals, or "-" when either is missing.
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
RATIOS=()
echo
REV=$(git describe --always --dirty 2>/dev/null || echo unknown)
echo "codexkey loopback benchmark ($REV): $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), ${DURATION}s per cell after ${WARMUP}s warm-up, ${ELAPSED}s in all"
echo "small table: model $MODEL, a 200-byte request; streams are 50 chat.completion.chunk events; gateway logs at warn"
if ((REPLICAS > 1)); then
    echo "store: PostgreSQL, $REPLICAS gateway replicas on one schema behind an nginx balancer (round-robin, keep-alive)"
    echo "cpu µs, cs/req: CPU time and context switches per request of all $REPLICAS gateway processes (all threads)"
elif [[ $STORE == postgres ]]; then
    echo "store: PostgreSQL, one gateway"
    echo "cpu µs, cs/req: CPU time and context switches per request of the gateway process (all threads)"
else
    echo "cpu µs, cs/req: CPU time and context switches per request of the gateway process (all threads)"
fi
echo "or of nginx's workers; Δp50: gateway p50 minus nginx p50; ×nginx: gateway CPU ÷ nginx CPU"
# Columns only some runs have: the database server's CPU, the balancer's.
EXTRA=()
if [[ $STORE == postgres ]]; then
    EXTRA+=(db bg)
    echo "db µs: CPU per request of the PostgreSQL backends serving the gateways' connections;"
    echo "bg µs: of the server's background processes (WAL writer, checkpointer, autovacuum…),"
    echo "       shared with whatever else uses that server; neither is in cpu µs"
fi
if ((REPLICAS > 1)); then
    EXTRA+=(lb)
    echo "lb µs: CPU per request of the balancer's nginx workers, not in cpu µs; the gateway rows go"
    echo "       through it, so their p50 and Δp50 include that second hop"
fi
echo
FMT="%-8s %-10s %4s %8s %8s %8s %9s %9s %7s"
for _ in "${EXTRA[@]}"; do FMT+=" %6s"; done
FMT+=" %6s %8s %6s %6s\n"
# shellcheck disable=SC2059 # the format is built above
printf "$FMT" path mode conc "req/s" "p50 ms" "p99 ms" "ttfb p50" "ttfb p99" "cpu µs" \
    "${EXTRA[@]/%/ µs}" "cs/req" "Δp50 ms" ×nginx errors
declare -A NGINX_P50 NGINX_CPU GW_CPU GW_DELTA GW_DB
STALL=""
for r in "${RESULTS[@]}"; do
    read -r path mode c line <<<"$r"
    p50=$(field "$line" p50_ms)
    cpu=$(dash "$(field "$line" cpu_us_per_req)")
    delta=-
    ratio=-
    if [[ $path == nginx ]]; then
        NGINX_P50[$mode/$c]=$p50
        NGINX_CPU[$mode/$c]=$cpu
    fi
    extra=()
    for group in "${EXTRA[@]}"; do
        if [[ $path == gateway ]]; then extra+=("$(dash "$(field "$line" "${group}_cpu_us_per_req")")"); else extra+=(-); fi
    done
    if [[ $path == gateway ]]; then
        [[ $STORE == postgres ]] && GW_DB[$mode/$c]=${extra[0]}
        delta=$(awk -v a="$p50" -v b="${NGINX_P50[$mode/$c]:-}" 'BEGIN { if (b == "") print "-"; else printf "%+.3f", a - b }')
        GW_CPU[$mode/$c]=$cpu
        GW_DELTA[$mode/$c]=$delta
        ratio=$(div "$cpu" "${NGINX_CPU[$mode/$c]:-}")
        RATIOS+=("small $mode c=$c:$ratio")
        tail_ms=$(awk -v a="$p50" -v b="$(field "$line" ttfb_p50_ms)" 'BEGIN { if (b != "" && b != "null") printf "%.0f", a - b; else print 0 }')
        ((tail_ms >= 30)) && STALL="$STALL $mode/c=$c:${tail_ms}ms"
    fi
    # shellcheck disable=SC2059
    printf "$FMT" \
        "$path" "$mode" "$c" "$(field "$line" rps | sed 's/\.0$//')" "$(dash "$p50")" \
        "$(dash "$(field "$line" p99_ms)")" "$(dash "$(field "$line" ttfb_p50_ms)")" \
        "$(dash "$(field "$line" ttfb_p99_ms)")" "$cpu" "${extra[@]}" \
        "$(dash "$(field "$line" switches_per_req)")" "$delta" "$ratio" "$(field "$line" errors)"
done
if [[ -n $STALL ]]; then
    echo
    echo "note: gateway streams end long after their first byte (p50 − ttfb p50:$STALL): the"
    echo "      signature of Nagle's algorithm meeting delayed ACKs, where the last small write of a"
    echo "      response waits ~40 ms for an ACK because the accepted socket lacks TCP_NODELAY."
fi

# ---- the agent table -------------------------------------------------------------------------
declare -A A_CPU A_P50 A_LINE
MEM_WORST=-
if ((${#AGENT[@]} > 0)); then
    echo
    echo "agent table: what coding agents send, through nginx and through the gateway, same run"
    echo "body: request bytes (a conversation history in the cell's API); µs/MB: CPU per MB of body;"
    echo "mem ÷ body: the gateway's peak-RSS growth over the cell ÷ (concurrency × body), bodies ≥ 1 MB (kept body buffers given back first)"
    echo
    printf '%-12s %4s %9s %7s %9s %9s %6s %9s %9s %8s %9s %6s\n' \
        cell conc body "req/s" "nginx µs" "gw µs" ×nginx "nginx p50" "gw p50" "Δp50 ms" "mem÷body" errors
    for r in "${AGENT[@]}"; do
        read -r label path c line <<<"$r"
        A_CPU[$label/$path/$c]=$(dash "$(field "$line" cpu_us_per_req)")
        A_P50[$label/$path/$c]=$(field "$line" p50_ms)
        A_LINE[$label/$path/$c]=$line
    done
    for cell in "${AGENT_CELLS[@]}"; do
        read -r label _ _ _ _ _ cap <<<"$cell"
        for c in $AGENT_CONCURRENCY; do
            line=${A_LINE[$label/gateway/$c]:-}
            [[ -z $line ]] && continue
            body=$(field "$line" body_bytes)
            n=${A_CPU[$label/nginx/$c]}
            g=${A_CPU[$label/gateway/$c]}
            ratio=$(div "$g" "$n")
            RATIOS+=("$label c=$c:$ratio")
            delta=$(awk -v a="${A_P50[$label/gateway/$c]}" -v b="${A_P50[$label/nginx/$c]}" 'BEGIN { printf "%+.3f", a - b }')
            mem=-
            growth=$(field "$line" rss_growth_kb)
            if ((body >= 1000000)) && [[ -n $growth ]]; then
                mem=$(awk -v g="$growth" -v c="$c" -v b="$body" 'BEGIN { printf "%.2f", g * 1024 / (c * b) }')
                if [[ $MEM_WORST == - ]] || awk -v a="$mem" -v b="$MEM_WORST" 'BEGIN { exit !(a > b) }'; then
                    MEM_WORST=$mem
                fi
            fi
            errors=$(($(field "$line" errors) + $(field "${A_LINE[$label/nginx/$c]}" errors)))
            printf '%-12s %4s %9s %7s %9s %9s %6s %9s %9s %8s %9s %6s\n' \
                "$label" "$c" "$body" "$(field "$line" rps | sed 's/\.0$//')" "$n" "$g" "$ratio" \
                "${A_P50[$label/nginx/$c]}" "${A_P50[$label/gateway/$c]}" "$delta" "$mem" "$errors"
        done
    done
    # CPU per MB of body: the slope from the 1 KB body to the 10 MB one, one request at a time.
    per_mb() {
        awk -v big="${A_CPU[body-10MB/$1/1]:-}" -v small="${A_CPU[body-1KB/$1/1]:-}" \
            -v bb="$(field "${A_LINE[body-10MB/gateway/1]:-}" body_bytes)" \
            -v sb="$(field "${A_LINE[body-1KB/gateway/1]:-}" body_bytes)" \
            'BEGIN { if (big == "" || small == "" || big == "-" || small == "-" || bb <= sb) print "-"; else printf "%.0f", (big - small) / ((bb - sb) / 1e6) }'
    }
    NGINX_PER_MB=$(per_mb nginx)
    GW_PER_MB=$(per_mb gateway)
    PER_MB_RATIO=$(div "$GW_PER_MB" "$NGINX_PER_MB")
    echo
    echo "CPU per MB of request body (slope from 1 KB to 10 MB at c=1): nginx $NGINX_PER_MB µs, gateway $GW_PER_MB µs (×$PER_MB_RATIO)"
fi
echo
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }
((REPLICAS > 1)) && echo "the RSS figures are replica 1's (pid $GATEWAY_PID)"
if [[ $HWM_RESET == yes ]]; then
    echo "gateway RSS: peak under load $(mib "$PEAK_KB") MiB = $(mb "$PEAK_KB") MB (VmHWM, reset after set-up and 2 s of traffic);"
    echo "             after set-up $(mib "$SETUP_RSS_KB") MiB, after the 2 s $(mib "$SETTLED_RSS_KB") MiB; peak during set-up $(mib "$SETUP_HWM_KB") MiB (argon2id hashes)"
else
    echo "gateway RSS: peak $(mib "$PEAK_KB") MiB = $(mb "$PEAK_KB") MB (VmHWM over its whole life, set-up included); before load $(mib "$SETUP_RSS_KB") MiB"
fi

if [[ -n $PERF_PID ]]; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
    report() {
        perf report -i "${PERF_DATA:-$TMP/perf.data}" --stdio -g none "$@" 2>/dev/null \
            | grep -E '^ +[0-9]' | sed 's/[[:space:]-]*$//' || true
    }
    echo
    echo "gateway CPU by thread (perf, all gateway cells):"
    report --no-children --sort comm
    echo "hottest gateway functions, self time:"
    report --no-children --sort dso,symbol | head -25 || true
    if [[ ${BENCH_PERF_DWARF:-0} == 1 ]]; then
        echo "hottest gateway functions, including callees:"
        report --children --sort symbol \
            | grep -E 'codexkey_|sqlite3_(prepare_v3|step)$|rusqlite::Connection::execute|reqwest::async_impl::client::(Client::execute_request|PendingRequest)|hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_catch|into_url|malloc \(inlined\)|free \(inlined\)' \
            | head -30 || true
    fi
    if [[ -n $PERF_DB_PID ]]; then
        kill -INT "$PERF_DB_PID" 2>/dev/null || true
        wait "$PERF_DB_PID" 2>/dev/null || true
        echo "hottest functions of the PostgreSQL backends serving the gateways, self time:"
        PERF_DATA=$TMP/perf-db.data report --no-children --sort dso,symbol | head -25 || true
    fi
fi

# ---- targets ---------------------------------------------------------------------------------
# CPU per request is judged against the worst cell under load (concurrency above 1). At
# concurrency 1 every request also pays for waking idle threads of an idle machine: there the
# bare nginx hop alone costs most of the 50 µs budget, so those cells are shown beside nginx's
# rather than judged. Latency is judged at concurrency 1, where the issue sets it.
# With PostgreSQL, `worst MODE db` judges the gateway's CPU plus its database backends'.
worst() {
    local mode=$1 best=- v c
    for c in $CONCURRENCY; do
        ((c > 1)) || continue
        v=${GW_CPU[$mode/$c]:-}
        [[ ${2:-} == db ]] && v=$(plus "$v" "${GW_DB[$mode/$c]:-}")
        [[ -z $v || $v == - ]] && continue
        if [[ $best == - ]] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v; fi
    done
    echo "$best"
}
plus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-") print "-"; else printf "%.1f", a + b }'; }
verdict() { # value limit unit strict(0/1)
    awk -v v="$1" -v l="$2" -v u="$3" -v s="$4" 'BEGIN {
        if (v == "-" || v == "") { print "not measured"; exit }
        ok = s ? (v < l) : (v <= l)
        if (ok) print "met"; else printf "MISSED by %.4g %s (%.1f× the target)\n", v - l, u, v / l }'
}
echo
echo "targets (CPU: the worst cell with concurrency above 1; latency: concurrency 1):"
v=$(worst non-stream)
echo "  gateway CPU per non-stream request ≤ 50 µs: $v µs → $(verdict "$v" 50 µs 0)"
v=$(worst stream)
echo "  gateway CPU per streamed response ≤ 100 µs: $v µs → $(verdict "$v" 100 µs 0)"
if [[ $STORE == postgres ]]; then
    # SQLite does its writes inside the gateway process; PostgreSQL moves part of that work
    # into the server, so the same targets are checked once more with the backends' CPU added.
    v=$(worst non-stream db)
    echo "  gateway + database CPU per non-stream request ≤ 50 µs: $v µs → $(verdict "$v" 50 µs 0)"
    v=$(worst stream db)
    echo "  gateway + database CPU per streamed response ≤ 100 µs: $v µs → $(verdict "$v" 100 µs 0)"
fi
for mode in $MODES; do
    v=${GW_DELTA[$mode/1]:--}
    echo "  added p50 over nginx at c=1, $mode ≤ 0.1 ms: $v ms → $(verdict "${v#+}" 0.1 ms 0)$( ((REPLICAS > 1)) && echo " (through the balancer)")"
done
v=$(mb "$PEAK_KB")
echo "  gateway peak RSS under load < 40 MB: $v MB → $(verdict "$v" 40 MB 1)$( ((REPLICAS > 1)) && echo " (replica 1)")"
for mode in $MODES; do
    v=${GW_CPU[$mode/1]:-}
    [[ -z $v || $v == - ]] && continue
    echo "  at c=1, not judged: gateway CPU per $mode request $v µs; the bare nginx hop alone ${NGINX_CPU[$mode/1]:--} µs"
done

# The agent-traffic targets: CPU per request within 1.5× of the bare nginx hop in every cell,
# per MB of body too; peak memory per request in flight within 1.2× its body; added p50 at c=1
# for the small request within 0.05 ms.
if ((${#RATIOS[@]} > 0)); then
    echo
    echo "agent-traffic targets (gateway against nginx, same run):"
    worst_ratio=-
    worst_cell=-
    for r in "${RATIOS[@]}"; do
        v=${r##*:}
        [[ $v == - ]] && continue
        if [[ $worst_ratio == - ]] || awk -v a="$v" -v b="$worst_ratio" 'BEGIN { exit !(a > b) }'; then
            worst_ratio=$v
            worst_cell=${r%:*}
        fi
    done
    echo "  CPU per request ≤ 1.5× nginx's in every cell: worst ×$worst_ratio ($worst_cell) → $(verdict "$worst_ratio" 1.5 × 0)"
    missed=()
    for r in "${RATIOS[@]}"; do
        v=${r##*:}
        [[ $v != - ]] && awk -v a="$v" 'BEGIN { exit !(a > 1.5) }' && missed+=("${r%:*} ×$v")
    done
    ((${#missed[@]} > 0)) && echo "    cells above 1.5×: $(IFS=,; v="${missed[*]}"; echo "${v//,/, }")"
    if ((${#AGENT[@]} > 0)); then
        echo "  CPU per MB of body ≤ 1.5× nginx's: ×$PER_MB_RATIO → $(verdict "$PER_MB_RATIO" 1.5 × 0)"
        echo "  peak memory per request in flight ≤ 1.2× its body: worst ×$MEM_WORST → $(verdict "$MEM_WORST" 1.2 × 0)"
    fi
    for mode in $MODES; do
        v=${GW_DELTA[$mode/1]:-}
        [[ -z $v ]] && continue
        echo "  added p50 over nginx at c=1, small $mode ≤ 0.05 ms: $v ms → $(verdict "${v#+}" 0.05 ms 0)"
    done
fi

# ---- the books -------------------------------------------------------------------------------
echo
if out=$(cli admin admin verify-ledger 2>&1); then
    echo "ledger check (codexkey admin verify-ledger): exit 0"
else
    echo "ledger check (codexkey admin verify-ledger): FAILED (exit $?)"
    echo "$out"
    exit 1
fi
printf '%s\n' "$out" | sed 's/^/  /'

if [[ $STORE == postgres ]]; then
    # A stopping gateway gives its leases back once its requests have drained: with every
    # replica stopped, no money stays leased and no hold is left open.
    stop "${GATEWAY_PIDS[@]}"
    read -r leases leased holds < <(psql "$PG_URL" -qAt -F ' ' -c \
        "SELECT (SELECT count(*) FROM $SCHEMA.balance_leases),
                (SELECT coalesce(sum(leased_micros), 0) FROM $SCHEMA.accounts),
                (SELECT count(*) FROM $SCHEMA.holds)") || die "cannot read the schema after the run"
    if [[ $leases == 0 && $leased == 0 && $holds == 0 ]]; then
        echo "leases after the gateways stopped: none left, nothing leased, no hold open"
    else
        echo "leases after the gateways stopped: FAILED: $leases leases holding $leased µcredits, $holds holds open"
        exit 1
    fi
    echo "usage events by status and settlement:"
    psql "$PG_URL" -qAt -F ' ' -c \
        "SELECT status, settlement, count(*), sum(cost_micros) FROM $SCHEMA.usage_events
         GROUP BY 1, 2 ORDER BY 1, 2" \
        | awk '{ printf "  %s %s: %s requests, %s µcredits\n", $1, $2, $3, $4 }'
fi
