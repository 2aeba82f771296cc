#!/usr/bin/env bash
# bench/e2e: what gatewayd adds to a request, next to the client calling the upstream directly
# and to nginx proxy_pass in front of it, all measured in the same run (docs/performance.md).
#
#   bash bench/e2e/run.sh            # as root on Debian 12: installs wrk and nginx if missing
#
# Environment: BENCH_SECONDS (per wrk run, default 3), BENCH_ROUNDS (the relays' wrk runs are
# repeated this many times, nginx and gatewayd in turn, and the median taken; default 3),
# BENCH_CONNECTIONS (default "1 16 64"),
# BENCH_STREAMS (concurrent held streams, default 1000), BENCH_SUT_CPU / BENCH_LOAD_CPU (the core
# of the relay under test and the core of the upstream and the load generators, default 0 / 1),
# BENCH_PORT (first of three ports, default 18080), BENCH_KEEP=1 keeps the work directory.
#
# The latency probe runs on the relay's core, so that the direct path and the relayed ones cross
# between the cores the same number of times (twice) and the difference is what the relay adds.
# A second round puts it on the upstream's core, where only the relayed paths cross (four times):
# on a VM each crossing is a wake-up of the other core, which is most of what any relay adds there.
#
# Everything listens on 127.0.0.1 and is stopped by PID when the script ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-"1 16 64"}
streams=${BENCH_STREAMS:-1000}
sut_cpu=${BENCH_SUT_CPU:-0}
load_cpu=${BENCH_LOAD_CPU:-1}
up_port=${BENCH_PORT:-18080}
relay_port=$((up_port + 1))
gw_port=$((up_port + 2))
key=sk-bench-e2e-0123456789abcdef

bash scripts/install-deps.sh bench
cmake --preset release >/dev/null
cmake --build --preset release --target gatewayd bench_e2e_probe >/dev/null
probe=$root/build/release/bench/bench_e2e_probe
gatewayd=$root/build/release/apps/gatewayd/gatewayd

work=$(mktemp -d /tmp/gatewayd-bench.XXXXXX)
mkdir -p "$work/tmp"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for f in "$work"/upstream.pid "$work"/relay.pid; do
        [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
    done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# 1,000 streams need 2,000 sockets in the relay and as many in the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

wait_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench: nothing listens on 127.0.0.1:$1" >&2
    exit 1
}
# The value of a numeric member of a one-line JSON object.
field() { sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" <<<"$1"; }
children() { pgrep -P "$1" | tr '\n' ' '; }

# --- the upstream: nginx serving the payloads, each SSE event flushed on its own ----------------
"$probe" gen "$work" "$up_port"
taskset -c "$load_cpu" nginx -p "$work" -c "$work/upstream.conf"
wait_port "$up_port"

# --- (b) nginx proxy_pass: the floor -------------------------------------------------------------
cat >"$work/relay.conf" <<EOF
worker_processes 1;
pid $work/relay.pid;
error_log $work/relay-error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    keepalive_requests 1000000;
    upstream backend { server 127.0.0.1:$up_port; keepalive 256; }
    server {
        listen 127.0.0.1:$relay_port backlog=4096;
        tcp_nodelay on;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
taskset -c "$sut_cpu" nginx -p "$work" -c "$work/relay.conf"
wait_port "$relay_port"
relay_worker=$(children "$(cat "$work/relay.pid")")
relay_pids="$(cat "$work/relay.pid") $relay_worker"

# --- (c)/(d) gatewayd: one thread, request log and billing on ------------------------------------
up=http://127.0.0.1:$up_port
cat >"$work/gatewayd.json" <<EOF
{
  "server": {"host": "127.0.0.1", "port": $gw_port, "threads": 1},
  "sqlite_path": "$work/gatewayd.db",
  "log_level": "warn",
  "channels": [
    {"name": "oa-json", "type": "openai", "base_url": "$up/json", "key": "sk-up", "models": ["bench-json"]},
    {"name": "oa-sse", "type": "openai", "base_url": "$up/sse", "key": "sk-up", "models": ["bench-sse"]},
    {"name": "oa-paced", "type": "openai", "base_url": "$up/paced", "key": "sk-up", "models": ["bench-paced"]},
    {"name": "oa-long", "type": "openai", "base_url": "$up/long", "key": "sk-up", "models": ["bench-long"]},
    {"name": "oa-huge", "type": "openai", "base_url": "$up/huge", "key": "sk-up", "models": ["bench-huge"]},
    {"name": "an-json", "type": "anthropic", "base_url": "$up/anthropic-json", "key": "sk-up", "models": ["claude-json"]},
    {"name": "an-sse", "type": "anthropic", "base_url": "$up/anthropic-sse", "key": "sk-up", "models": ["claude-sse"]},
    {"name": "rs-json", "type": "openai", "base_url": "$up/responses-json", "key": "sk-up", "models": ["resp-json"],
     "settings": {"upstream_format": "openai_responses"}},
    {"name": "rs-sse", "type": "openai", "base_url": "$up/responses-sse", "key": "sk-up", "models": ["resp-sse"],
     "settings": {"upstream_format": "openai_responses"}}
  ],
  "tokens": [{"name": "bench", "key": "$key"}]
}
EOF
taskset -c "$sut_cpu" "$gatewayd" --config "$work/gatewayd.json" >"$work/gatewayd.log" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
wait_port "$gw_port"
sleep 0.5
gw_idle=$(field "$("$probe" rss "$gw_pid")" rss_kib)
relay_idle=0
for p in $relay_pids; do relay_idle=$((relay_idle + $(field "$("$probe" rss "$p")" rss_kib))); done

cat >"$work/post.lua" <<'EOF'
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["anthropic-version"] = "2023-06-01"
EOF
export BENCH_KEY=$key

results=$work/results.txt
: >"$results"
# throughput NAME URL BODY PIDS: requests/s and CPU µs per request at each connection count.
throughput() {
    local name=$1 url=$2 body=$3 cpu_pids=$4 line="" c
    for c in $connections; do
        local before after out requests rps non2xx cpu="-"
        [[ -n $cpu_pids ]] && before=$("$probe" cpu $cpu_pids)
        out=$(BENCH_BODY=$work/$body taskset -c "$load_cpu" wrk -t1 -c"$c" -d"${seconds}s" \
            -s "$work/post.lua" "$url")
        [[ -n $cpu_pids ]] && after=$("$probe" cpu $cpu_pids)
        requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
        rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
        non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
        if [[ -n $non2xx ]]; then
            echo "bench: $name: $non2xx answers were not 2xx" >&2
            exit 1
        fi
        if [[ -n $cpu_pids ]]; then
            cpu=$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN{printf "%.1f", (b-a)/1000/n}')
        fi
        line+=" c$c=${rps%.*}/s cpu=${cpu}us"
    done
    echo "$name$line" | tee -a "$results"
}
# latency NAME URL BODY N: p50/p99 and first event at one connection.
probe_cpu=$sut_cpu
latency() {
    local out
    out=$(taskset -c "$probe_cpu" "$probe" latency "$2" "$work/$3" "$4" ${5:+--save "$work/$5"})
    echo "$1 $out" | tee -a "$results"
}

echo "== bench/e2e: ${seconds}s per run, SUT on core $sut_cpu, load and upstream on core $load_cpu"
echo "relays: $("$gatewayd" --version), $(nginx -v 2>&1 | sed 's/^nginx version: //')" | tee -a "$results"
echo "idle RSS: gatewayd ${gw_idle} KiB, nginx relay ${relay_idle} KiB" | tee -a "$results"

relay=http://127.0.0.1:$relay_port
gw=http://127.0.0.1:$gw_port
# Upstream endpoints: name path request-for-direct-and-nginx.
endpoints=(
    "chat-json /json/v1/chat/completions req-chat-json.json"
    "chat-sse /sse/v1/chat/completions req-chat-sse.json"
    "claude-json /anthropic-json/v1/messages req-claude-json.json"
    "claude-sse /anthropic-sse/v1/messages req-claude-sse.json"
    "responses-json /responses-json/v1/responses req-responses-json.json"
    "responses-sse /responses-sse/v1/responses req-responses-sse.json"
)
# gatewayd runs: name upstream-endpoint client-path request.
gateway_runs=(
    "pass:chat-json chat-json /v1/chat/completions req-chat-json.json"
    "pass:chat-sse chat-sse /v1/chat/completions req-chat-sse.json"
    "pass:claude-json claude-json /v1/messages req-claude-json.json"
    "pass:claude-sse claude-sse /v1/messages req-claude-sse.json"
    "pass:responses-json responses-json /v1/responses req-responses-json.json"
    "pass:responses-sse responses-sse /v1/responses req-responses-sse.json"
    "convert:claude->chat-json chat-json /v1/messages req-claude-to-chat-json.json"
    "convert:claude->chat-sse chat-sse /v1/messages req-claude-to-chat-sse.json"
    "convert:chat->claude-json claude-json /v1/chat/completions req-chat-to-claude-json.json"
    "convert:chat->claude-sse claude-sse /v1/chat/completions req-chat-to-claude-sse.json"
)

echo "-- latency at 1 connection (µs), probe on the relay's core"
for e in "${endpoints[@]}"; do
    read -r name path body <<<"$e"
    n=2000
    [[ $name == *sse ]] && n=500
    latency "direct:$name" "$up$path" "$body" "$n" "direct-$name.body"
    latency "nginx:$name" "$relay$path" "$body" "$n"
done
for r in "${gateway_runs[@]}"; do
    read -r name _ path body <<<"$r"
    n=2000
    [[ $name == *sse ]] && n=500
    latency "gatewayd-$name" "$gw$path" "$body" "$n" "gw-$name.body"
done
latency "direct:paced" "$up/paced/v1/chat/completions" req-chat-paced.json 20
latency "nginx:paced" "$relay/paced/v1/chat/completions" req-chat-paced.json 20
latency "gatewayd-pass:paced" "$gw/v1/chat/completions" req-chat-paced.json 20

echo "-- latency at 1 connection (µs), probe on the upstream's core"
probe_cpu=$load_cpu
for e in "${endpoints[@]}"; do
    read -r name path body <<<"$e"
    n=2000
    [[ $name == *sse ]] && n=500
    client_path=${path#/*/}
    latency "split-direct:$name" "$up$path" "$body" "$n"
    latency "split-nginx:$name" "$relay$path" "$body" "$n"
    latency "split-gatewayd-pass:$name" "$gw/$client_path" "$body" "$n"
done
probe_cpu=$sut_cpu

echo "-- byte identity of the pass-through stream"
if cmp -s "$work/direct-chat-sse.body" "$work/gw-pass:chat-sse.body"; then
    echo "identity chat-sse: identical ($(wc -c <"$work/direct-chat-sse.body") bytes)" | tee -a "$results"
else
    echo "identity chat-sse: DIFFERENT" | tee -a "$results"
fi

echo "-- throughput (requests/s) and CPU per request of the relay"
for e in "${endpoints[@]}"; do
    read -r name path body <<<"$e"
    throughput "direct:$name" "$up$path" "$body" ""
done
# On a VM one run can be slowed by a neighbour: the relays take turns, round after round, and
# the summary reads the median of each.
for round in $(seq 1 "$rounds"); do
    for e in "${endpoints[@]}"; do
        read -r name path body <<<"$e"
        throughput "nginx:$name#$round" "$relay$path" "$body" "$relay_pids"
    done
    for r in "${gateway_runs[@]}"; do
        read -r name _ path body <<<"$r"
        throughput "gatewayd-$name#$round" "$gw$path" "$body" "$gw_pid"
    done
done
gw_peak=$(field "$("$probe" rss "$gw_pid")" peak_kib)
echo "peak RSS after the load: gatewayd ${gw_peak} KiB" | tee -a "$results"

echo "-- $streams concurrent paced streams (300 events, 20 ms apart)"
echo "hold:nginx $(taskset -c "$load_cpu" "$probe" hold "$relay/long/v1/chat/completions" "$work/req-chat-long.json" "$streams" $relay_worker)" | tee -a "$results"
echo "hold:gatewayd $(taskset -c "$load_cpu" "$probe" hold "$gw/v1/chat/completions" "$work/req-chat-long.json" "$streams" "$gw_pid")" | tee -a "$results"

echo "-- a client that never reads a 64 MiB stream"
echo "stall:gatewayd $(taskset -c "$load_cpu" "$probe" stall "$gw_port" /v1/chat/completions "$work/req-chat-huge.json" "$gw_pid" 5)" | tee -a "$results"

# --- the headline: ratios to nginx proxy_pass (b) and what each relay adds to direct (a) -------
value() { sed -n "s/^$1 .*\"$2\":\(-\{0,1\}[0-9.]*\).*/\1/p" "$results" | head -1; }
# The median over the rounds of NAME#1, NAME#2, ...
cpu_of() {
    sed -n "s/^$1#[0-9]* .*\bc$2=[0-9]*\/s cpu=\([0-9.]*\)us.*/\1/p" "$results" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
added() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || a < 0 || b < 0) print "-"; else printf "%+.0f", a - b }'; }
echo "-- summary: CPU per request ÷ nginx proxy_pass (medians of $rounds rounds); µs added to direct (nginx's in brackets)"
for r in "${gateway_runs[@]}"; do
    read -r name upstream _ _ <<<"$r"
    line="summary $name cpu:"
    for c in $connections; do
        line+=" c$c=$(awk -v g="$(cpu_of "gatewayd-$name" "$c")" -v n="$(cpu_of "nginx:$upstream" "$c")" \
            'BEGIN{ if (g == "" || n == "" || n == 0) print "-"; else printf "%.2fx", g / n }')"
    done
    d=direct:$upstream
    x=nginx:$upstream
    line+=" p50 $(added "$(value "gatewayd-$name" p50_us)" "$(value "$d" p50_us)")"
    line+=" ($(added "$(value "$x" p50_us)" "$(value "$d" p50_us)"))"
    if [[ $name == *sse ]]; then
        line+=" first-event $(added "$(value "gatewayd-$name" first_event_p50_us)" "$(value "$d" first_event_p50_us)")"
        line+=" ($(added "$(value "$x" first_event_p50_us)" "$(value "$d" first_event_p50_us)"))"
    fi
    if [[ $name == pass:* ]]; then
        line+=" split-p50 $(added "$(value "split-gatewayd-$name" p50_us)" "$(value "split-$d" p50_us)")"
        line+=" ($(added "$(value "split-$x" p50_us)" "$(value "split-$d" p50_us)"))"
    fi
    echo "$line" | tee -a "$results"
done
echo "summary paced total $(added "$(value gatewayd-pass:paced p50_us)" "$(value direct:paced p50_us)")us ($(added "$(value nginx:paced p50_us)" "$(value direct:paced p50_us)")us)" | tee -a "$results"

echo "== results: $results"
cat "$results" >"$root/build/release/bench-e2e-results.txt"
echo "(copied to build/release/bench-e2e-results.txt)"
