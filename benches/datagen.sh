#!/usr/bin/env bash
# Benchmark of the synthetic-drop generator (issue 2 §4: 10M certificate rows in under 3 minutes on 2 cores).
#
# Builds the release binary, times `skillhouse datagen` once into a fresh temporary folder, and appends one row
# (rows, seconds, rows/s, peak RSS, date, command) to benches/results/datagen.md. The drop is deleted afterwards.
#
#   benches/datagen.sh [PERSONS] [SEED] [DEFECT_RATE]
#
# PERSONS defaults to 6,600,000, which gives ~10.1M certificate rows (~1.54 per person). Set
# DATAGEN_BIN=example to time the library through crates/skillhouse-datagen/examples/datagen.rs instead of the
# CLI (same code path, without building the query and ingest engines; the results row says which was used).
# CARGO_TARGET_DIR is honoured (a separate target folder avoids waiting on other builds' lock).
set -euo pipefail
cd "$(dirname "$0")/.."

PERSONS="${1:-6600000}"
SEED="${2:-42}"
DEFECT_RATE="${3:-0.02}"
RESULTS=benches/results/datagen.md
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/landing"
TARGET="${CARGO_TARGET_DIR:-target}"

if [[ "${DATAGEN_BIN:-cli}" == example ]]; then
    cargo build --release -p skillhouse-datagen --example datagen
    CMD=("$TARGET/release/examples/datagen" "$OUT" "$PERSONS" "$SEED" "$DEFECT_RATE")
else
    cargo build --release -p skillhouse-cli
    CMD=("$TARGET/release/skillhouse" datagen --out "$OUT" --persons "$PERSONS" --seed "$SEED" --defect-rate "$DEFECT_RATE")
fi

echo "running: ${CMD[*]}" >&2
/usr/bin/time -v "${CMD[@]}" >"$WORK/stdout" 2>"$WORK/time"
cat "$WORK/stdout"

# Rows and files from the manifest's totals (the first "rows"/"files" keys inside "totals").
ROWS=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["rows"], t["files"])' "$OUT/manifest.json")
read -r ROWS FILES <<<"$ROWS"
ELAPSED=$(grep 'Elapsed (wall clock)' "$WORK/time" | awk '{print $NF}')
SECONDS_TAKEN=$(awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }' <<<"$ELAPSED")
RSS_KB=$(grep 'Maximum resident set size' "$WORK/time" | awk '{print $NF}')
RATE=$(awk -v r="$ROWS" -v s="$SECONDS_TAKEN" 'BEGIN { printf "%.0f", r / s }')
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')
SIZE=$(du -sh "$OUT" | cut -f1)

if [[ ! -f "$RESULTS" ]]; then
    cat >"$RESULTS" <<'HEADER'
# `skillhouse datagen` benchmark

Appended by `benches/datagen.sh`: one run per row, wall-clock time of the whole command (generation, encoding,
writing the files and the manifest) into a fresh folder on local disk. Machine: 2 cores, shared with concurrent
compiles unless noted. Target (issue 2 §4): 10M certificate rows in under 3 minutes.

| date (UTC) | rows | files | seconds | rows/s | peak RSS (MB) | drop size | load avg (1 min) | command |
|---|---:|---:|---:|---:|---:|---:|---:|---|
HEADER
fi
LOAD=$(cut -d' ' -f1 /proc/loadavg)
printf '| %s | %s | %s | %s | %s | %s | %s | %s | `%s` |\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$ROWS" "$FILES" "$SECONDS_TAKEN" "$RATE" "$RSS_MB" "$SIZE" "$LOAD" \
    "$(echo "${CMD[*]}" | sed -e "s|$OUT|OUT|" -e "s|$TARGET/|target/|")" >>"$RESULTS"
tail -n 1 "$RESULTS"
