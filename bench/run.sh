#!/usr/bin/env bash
# Loopback benchmark of the codexkey gateway's data plane; see bench/README.md.
#
# Runs a fast fake OpenAI upstream, a bare nginx reverse-proxy hop and the real gateway (auth,
# pricing, holds and ledger writes on) on 127.0.0.1, drives each with bench-load, and prints one
# table: path × mode × concurrency → requests/s, p50/p99 latency, time to first byte (streams),
# CPU µs per request (gateway and nginx), plus the gateway's peak RSS and a ledger check.
#
# Usage: bench/run.sh
# Environment: BENCH_DURATION (s per cell, default 3), BENCH_WARMUP (s, default 1),
#              BENCH_CONCURRENCY (default "1 16 64"), BENCH_MODES (default "non-stream stream"),
#              BENCH_NO_BUILD=1 (use the binaries already built),
#              BENCH_KEEP=1 (keep the temp dir with logs and the database), CARGO_TARGET_DIR,
#              BENCH_GATEWAY_ENV="VAR=value …" (extra environment for the gateway only, for
#              experiments such as MALLOC_ARENA_MAX=2),
#              BENCH_PERF=1 (profile the gateway with `perf record` over the run and print its
#              hottest functions; sampling perturbs the CPU figures a little).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
CONCURRENCY=${BENCH_CONCURRENCY:-"1 16 64"}
MODES=${BENCH_MODES:-"non-stream stream"}
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release
MODEL=gpt-4o-mini

say() { printf '%s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Nothing of the caller's codexkey settings may leak into the run.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(CODEXKEY_|RUST_LOG$)' || true)

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
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
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
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 10000000;
    upstream bench_upstream {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 128;
        keepalive_requests 10000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_port "$NGINX_PORT" "$NGINX_PID" || die "nginx did not start: $(cat "$TMP/nginx/error.log" "$TMP/nginx/stdout.log" 2>/dev/null)"
NGINX_WORKERS=()
while read -r pid; do NGINX_WORKERS+=("$pid"); done < <(pgrep -P "$NGINX_PID")

# ---- the gateway -----------------------------------------------------------------------------
GATEWAY_PORT=$(free_port)
GATEWAY=http://127.0.0.1:$GATEWAY_PORT
ADMIN_EMAIL=admin@bench.invalid
ADMIN_PASSWORD=bench-admin-$RANDOM$RANDOM
USER_EMAIL=user@bench.invalid
USER_PASSWORD=bench-user-$RANDOM$RANDOM
read -r -a GATEWAY_ENV <<<"${BENCH_GATEWAY_ENV:-}"
env "${GATEWAY_ENV[@]}" \
    CODEXKEY_OPENAI_API_KEY=sk-bench \
    CODEXKEY_OPENAI_BASE_URL=http://127.0.0.1:$UPSTREAM_PORT \
    CODEXKEY_ADMIN_EMAIL=$ADMIN_EMAIL \
    CODEXKEY_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    CODEXKEY_LOG=warn \
    "$BIN/codexkey" gateway --listen "127.0.0.1:$GATEWAY_PORT" --data-dir "$TMP/gateway" \
    >"$TMP/gateway.log" 2>&1 &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
wait_port "$GATEWAY_PORT" "$GATEWAY_PID" || die "the gateway did not start: $(cat "$TMP/gateway.log")"

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

vm() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$GATEWAY_PID/status"; }
SETUP_HWM_KB=$(vm VmHWM)
SETUP_RSS_KB=$(vm VmRSS)
# The set-up's argon2 hashes (7 MiB each) stay resident until the allocator's next purge, which
# runs on allocation activity about a second after the memory is freed: two seconds of traffic
# first, then the peak-RSS mark is reset, so that it shows the data plane under load.
"$BIN/bench-load" "$GATEWAY/v1/chat/completions" --concurrency 4 --duration 2 --warmup 0 \
    --model "$MODEL" --key "$KEY" >/dev/null 2>&1 || die "the gateway did not serve the settling load"
SETTLED_RSS_KB=$(vm VmRSS)
HWM_RESET=yes
echo 5 >"/proc/$GATEWAY_PID/clear_refs" 2>/dev/null || HWM_RESET=no

PERF_PID=
if [[ ${BENCH_PERF:-0} == 1 ]]; then
    command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"
    CALL_GRAPH=(-g)
    [[ ${BENCH_PERF_DWARF:-0} == 1 ]] && CALL_GRAPH=(--call-graph dwarf,16384)
    perf record -q -F 999 "${CALL_GRAPH[@]}" -p "$GATEWAY_PID" -o "$TMP/perf.data" >"$TMP/perf.log" 2>&1 &
    PERF_PID=$!
    PIDS+=("$PERF_PID")
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

say "fake upstream :$UPSTREAM_PORT  nginx :$NGINX_PORT  gateway :$GATEWAY_PORT (pid $GATEWAY_PID, CODEXKEY_LOG=warn)"
say "each cell: ${WARMUP}s warm-up, ${DURATION}s measured"
RESULTS=()
STARTED=$SECONDS
for mode in $MODES; do
    stream=()
    [[ $mode == stream ]] && stream=(--stream)
    for c in $CONCURRENCY; do
        for path in direct nginx gateway; do
            key=()
            cpu=""
            case $path in
                direct) port=$UPSTREAM_PORT ;;
                nginx)
                    port=$NGINX_PORT
                    cpu=$(cpu_flags "${NGINX_WORKERS[@]}")
                    ;;
                gateway)
                    port=$GATEWAY_PORT
                    key=(--key "$KEY")
                    cpu=$(cpu_flags "$GATEWAY_PID")
                    ;;
            esac
            # shellcheck disable=SC2086 # $cpu is a list of flags
            line=$("$BIN/bench-load" "http://127.0.0.1:$port/v1/chat/completions" \
                --concurrency "$c" --duration "$DURATION" --warmup "$WARMUP" --model "$MODEL" \
                --clk-tck "$CLK_TCK" "${stream[@]}" "${key[@]}" $cpu)
            RESULTS+=("$path $mode $c $line")
            say "  $path $mode c=$c: $(field "$line" rps | sed 's/\.0$//') req/s, p50 $(field "$line" p50_ms) ms, errors $(field "$line" errors)"
        done
    done
done

PEAK_KB=$(vm VmHWM)
NOW_KB=$(vm VmRSS)
ELAPSED=$((SECONDS - STARTED))

# ---- report ----------------------------------------------------------------------------------
dash() { if [[ -z $1 || $1 == null ]]; then echo "-"; else echo "$1"; fi; }
echo
REV=$(git describe --always --dirty 2>/dev/null || echo unknown)
echo "codexkey loopback benchmark ($REV): $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), ${DURATION}s per cell after ${WARMUP}s warm-up, ${ELAPSED}s in all"
echo "model $MODEL; streams are 50 chat.completion.chunk events; gateway logs at warn (CODEXKEY_LOG=warn)"
echo "cpu µs, cs/req: CPU time and context switches per request of the gateway process (all threads)"
echo "or of nginx's workers; Δp50: gateway p50 minus nginx p50"
echo
printf '%-8s %-10s %4s %8s %8s %8s %9s %9s %7s %6s %8s %6s\n' \
    path mode conc "req/s" "p50 ms" "p99 ms" "ttfb p50" "ttfb p99" "cpu µs" "cs/req" "Δp50 ms" errors
declare -A NGINX_P50 NGINX_CPU GW_CPU GW_DELTA
STALL=""
for r in "${RESULTS[@]}"; do
    read -r path mode c line <<<"$r"
    p50=$(field "$line" p50_ms)
    cpu=$(dash "$(field "$line" cpu_us_per_req)")
    delta=-
    if [[ $path == nginx ]]; then
        NGINX_P50[$mode/$c]=$p50
        NGINX_CPU[$mode/$c]=$cpu
    fi
    if [[ $path == gateway ]]; then
        delta=$(awk -v a="$p50" -v b="${NGINX_P50[$mode/$c]:-}" 'BEGIN { if (b == "") print "-"; else printf "%+.3f", a - b }')
        GW_CPU[$mode/$c]=$cpu
        GW_DELTA[$mode/$c]=$delta
        tail_ms=$(awk -v a="$p50" -v b="$(field "$line" ttfb_p50_ms)" 'BEGIN { if (b != "" && b != "null") printf "%.0f", a - b; else print 0 }')
        ((tail_ms >= 30)) && STALL="$STALL $mode/c=$c:${tail_ms}ms"
    fi
    printf '%-8s %-10s %4s %8s %8s %8s %9s %9s %7s %6s %8s %6s\n' \
        "$path" "$mode" "$c" "$(field "$line" rps | sed 's/\.0$//')" "$(dash "$p50")" \
        "$(dash "$(field "$line" p99_ms)")" "$(dash "$(field "$line" ttfb_p50_ms)")" \
        "$(dash "$(field "$line" ttfb_p99_ms)")" "$cpu" "$(dash "$(field "$line" switches_per_req)")" \
        "$delta" "$(field "$line" errors)"
done
if [[ -n $STALL ]]; then
    echo
    echo "note: gateway streams end long after their first byte (p50 − ttfb p50:$STALL): the"
    echo "      signature of Nagle's algorithm meeting delayed ACKs, where the last small write of a"
    echo "      response waits ~40 ms for an ACK because the accepted socket lacks TCP_NODELAY."
fi
echo
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }
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
        perf report -i "$TMP/perf.data" --stdio -g none "$@" 2>/dev/null \
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
fi

# ---- targets ---------------------------------------------------------------------------------
# CPU per request is judged against the worst cell under load (concurrency above 1). At
# concurrency 1 every request also pays for waking idle threads of an idle machine: there the
# bare nginx hop alone costs most of the 50 µs budget, so those cells are shown beside nginx's
# rather than judged. Latency is judged at concurrency 1, where the issue sets it.
worst() {
    local mode=$1 best=- v c
    for c in $CONCURRENCY; do
        ((c > 1)) || continue
        v=${GW_CPU[$mode/$c]:-}
        [[ -z $v || $v == - ]] && continue
        if [[ $best == - ]] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v; fi
    done
    echo "$best"
}
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
for mode in $MODES; do
    v=${GW_DELTA[$mode/1]:--}
    echo "  added p50 over nginx at c=1, $mode ≤ 0.1 ms: $v ms → $(verdict "${v#+}" 0.1 ms 0)"
done
v=$(mb "$PEAK_KB")
echo "  gateway peak RSS under load < 40 MB: $v MB → $(verdict "$v" 40 MB 1)"
for mode in $MODES; do
    v=${GW_CPU[$mode/1]:-}
    [[ -z $v || $v == - ]] && continue
    echo "  at c=1, not judged: gateway CPU per $mode request $v µs; the bare nginx hop alone ${NGINX_CPU[$mode/1]:--} µs"
done

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
