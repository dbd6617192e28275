#!/usr/bin/env bash
# HTTP benchmark (issue 6): wrk on loopback against the server — a cached indicator GET, the 304 path, a filtered
# query — and nginx serving the same JSON body as a static file, in the same run, as the yardstick.
#
# Usage: benches/http.sh [WAREHOUSE]   (default: the server tests' fixture warehouse)
# Needs: wrk and nginx (Debian: apt-get install wrk nginx-light), curl, python3.
# Knobs: DURATION (s, default 10), CONNECTIONS (default 32), THREADS (default 2); SKILLHOUSE_BIN=path serves
# WAREHOUSE with `skillhouse serve` instead of the example binary (benches/run does this); HTTP_OUT (the text
# file), RESULT_JSON (also write the figures as JSON there).
# Writes: benches/results/http-<UTC time>.txt (a Markdown table for BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-10}"
connections="${CONNECTIONS:-32}"
threads="${THREADS:-2}"
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx" >&2; exit 2; }
results=benches/results
mkdir -p "$results"
out="${HTTP_OUT:-$results/http-$(date -u +%Y%m%dT%H%M%SZ).txt}"

# The server through a thin example binary (the same `skillhouse_server::serve` as `skillhouse serve`; it builds
# without polars and the ingest crate), unless SKILLHOUSE_BIN names the CLI.
if [ -z "${SKILLHOUSE_BIN:-}" ]; then
    cargo build --release --quiet -p skillhouse-server --example fixture_warehouse
    server_bin=target/release/examples/fixture_warehouse
elif [ -z "${1:-}" ]; then
    echo "SKILLHOUSE_BIN needs a WAREHOUSE argument" >&2
    exit 2
fi

work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

warehouse="${1:-}"
if [ -z "$warehouse" ]; then
    warehouse="$work/wh"
    "$server_bin" write "$warehouse" >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port="$(free_port)"
if [ -n "${SKILLHOUSE_BIN:-}" ]; then
    "$SKILLHOUSE_BIN" serve --warehouse "$warehouse" --addr "127.0.0.1:$api_port" 2>"$work/serve.log" &
else
    "$server_bin" serve "$warehouse" "127.0.0.1:$api_port" 2>"$work/serve.log" &
fi
pids+=($!)
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null || { echo "server not ready:" >&2; cat "$work/serve.log" >&2; exit 1; }
base="http://127.0.0.1:$api_port"
cached="/api/v1/indicators/new_skilled"
filtered="/api/v1/indicators/new_skilled?region=410100&year=2024"
mkdir -p "$work/static"
etag="$(curl -fsS -D - -o "$work/static/indicator.json" "$base$cached" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base$cached")"
[ -n "$etag" ] && [ "$status" = 304 ] || { echo "no ETag/304 on $cached (ETag '$etag', status $status)" >&2; exit 1; }

nginx_port="$(free_port)"
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
error_log $work/nginx/logs/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/static;
    }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$nginx_port/indicator.json" >/dev/null 2>&1 && break; sleep 0.1; done

# One wrk run; prints "requests/s p50_ms p99_ms".
run() {
    local url="$1"; shift
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" "$url" > "$work/wrk.txt"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$work/wrk.txt"
}

read -r nginx_rps nginx_p50 nginx_p99 < <(run "http://127.0.0.1:$nginx_port/indicator.json")
read -r cached_rps cached_p50 cached_p99 < <(run "$base$cached")
read -r nm_rps nm_p50 nm_p99 < <(run "$base$cached" -H "If-None-Match: $etag")
read -r filtered_rps filtered_p50 filtered_p99 < <(run "$base$filtered")

bytes="$(wc -c < "$work/static/indicator.json")"
ratio() { python3 -c "print(f'{$1 / $2:.0%}')"; }
{
    echo "wrk -t$threads -c$connections -d${duration}s on loopback, server and wrk on the same $(nproc)-core machine" \
         "($(uname -m)); $(date -u +%Y-%m-%dT%H:%MZ); indicator body $bytes bytes"
    echo
    echo "| request | requests/s | p50 ms | p99 ms | vs nginx |"
    echo "|---|---:|---:|---:|---:|"
    echo "| nginx static file (same JSON body) | $nginx_rps | $nginx_p50 | $nginx_p99 | 100% |"
    echo "| cached indicator GET \`$cached\` | $cached_rps | $cached_p50 | $cached_p99 | $(ratio "$cached_rps" "$nginx_rps") |"
    echo "| same, If-None-Match → 304 | $nm_rps | $nm_p50 | $nm_p99 | $(ratio "$nm_rps" "$nginx_rps") |"
    echo "| filtered \`?region=410100&year=2024\` | $filtered_rps | $filtered_p50 | $filtered_p99 | $(ratio "$filtered_rps" "$nginx_rps") |"
} | tee "$out"
if [ -n "${RESULT_JSON:-}" ]; then
    cat > "$RESULT_JSON" <<JSON
{"duration_s": $duration, "connections": $connections, "threads": $threads, "body_bytes": $bytes,
 "nginx": {"rps": $nginx_rps, "p50_ms": $nginx_p50, "p99_ms": $nginx_p99},
 "cached": {"rps": $cached_rps, "p50_ms": $cached_p50, "p99_ms": $cached_p99},
 "not_modified": {"rps": $nm_rps, "p50_ms": $nm_p50, "p99_ms": $nm_p99},
 "filtered": {"rps": $filtered_rps, "p50_ms": $filtered_p50, "p99_ms": $filtered_p99}}
JSON
fi
