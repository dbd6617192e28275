#!/usr/bin/env bash
# Incremental-night benchmark (issue 5): one night's drops (~10k rows) onto a large warehouse. The night's landing
# folder holds every file already loaded plus the new ones, as a real landing folder does, so the run shows that
# files already in the ledger are skipped (hashed, not parsed) and what the rest of the night costs: ingesting the
# new files, linking the snapshot, models, indicators, release gate, publish.
#
#   benches/incremental.sh [BINARY] [PERSONS] [NIGHT_PERSONS]
#
#   BINARY         a skillhouse binary (default: build target/release/skillhouse)
#   PERSONS        persons of the base warehouse (default 6,600,000 ≈ 10M certificate rows, 2021–2025)
#   NIGHT_PERSONS  persons of the night's drop (default 6,500 ≈ 10k rows, issued in 2026: new agency-months only)
#
# The base warehouse is built once per PERSONS and kept in benches/cache/ (git-ignored); each run replays the night
# on a hard-linked copy of it (every file the night changes is replaced by rename, so the base stays intact).
# Prints the night's phases and one Markdown row for BENCHMARKS.md; appends the row to
# benches/results/incremental.md (a debug binary's row says so: its times are not benchmark figures). Needs
# /usr/bin/time (GNU time) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${1:-}"
PERSONS="${2:-6600000}"
NIGHT_PERSONS="${3:-6500}"
CACHE=benches/cache/incremental
RESULTS=benches/results/incremental.md
mkdir -p "$CACHE" "$(dirname "$RESULTS")"

if [[ -z "$BIN" ]]; then
    cargo build --release -p skillhouse-cli
    BIN="${CARGO_TARGET_DIR:-target}/release/skillhouse"
fi
BIN="$(realpath "$BIN")"
KEY="$CACHE/bench.key"
[[ -f "$KEY" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
# The night is about speed, not the gate: a year's first drop moves the figures more than a normal night would.
GATE=(--max-row-growth-pct 1000 --max-indicator-change-pct 1000)

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {'d': d}))" "$@"; }
peak_mib() { awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$1"; }

# 1. The base: generated and rebuilt once per scale.
BASE_LANDING="$CACHE/landing-$PERSONS"
BASE="$CACHE/warehouse-$PERSONS"
if [[ ! -f "$BASE/CURRENT" ]]; then
    rm -rf "$BASE_LANDING" "$BASE"
    echo "generating the base drop ($PERSONS persons) …" >&2
    "$BIN" datagen --out "$BASE_LANDING" --persons "$PERSONS" --seed 7 --years 2021-2025 >/dev/null
    BASE_AS_OF=$(json "$BASE_LANDING/manifest.json" "d['as_of']")
    echo "building the base warehouse …" >&2
    /usr/bin/time -v "$BIN" rebuild --warehouse "$BASE" --landing "$BASE_LANDING" --key-file "$KEY" \
        --as-of "$BASE_AS_OF" --json "${GATE[@]}" >"$CACHE/base-$PERSONS.json" 2>"$CACHE/base-$PERSONS.time" ||
        [[ $? -eq 3 ]]
    echo "base: $(json "$CACHE/base-$PERSONS.json" "d['row_counts']['certificates']") certificates in" \
        "$(json "$CACHE/base-$PERSONS.json" "d['timings_ms']['total'] / 1000") s" >&2
fi

# 2. The night's drop: new agency-months (issued in 2026), generated once per size.
NIGHT="$CACHE/night-$NIGHT_PERSONS"
if [[ ! -f "$NIGHT/manifest.json" ]]; then
    rm -rf "$NIGHT"
    "$BIN" datagen --out "$NIGHT" --persons "$NIGHT_PERSONS" --seed 8 --years 2026-2026 >/dev/null
fi
NIGHT_AS_OF=$(json "$NIGHT/manifest.json" "d['as_of']")

# 3. The night: the landing folder holds the base's files and the night's (hard links), the warehouse is a
#    hard-linked copy of the base.
WORK="$(mktemp -d "$CACHE/run.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp -al "$BASE_LANDING" "$WORK/landing"
for agency in "$NIGHT"/*/; do
    mkdir -p "$WORK/landing/$(basename "$agency")"
    cp -al "$agency"* "$WORK/landing/$(basename "$agency")/"
done
# Both registries: the base's agencies and any the night adds.
python3 - "$BASE_LANDING/agencies.csv" "$NIGHT/agencies.csv" "$WORK/landing/agencies.csv" <<'PY'
import sys
seen, lines = set(), []
for path in sys.argv[1:3]:
    with open(path, encoding="utf-8-sig") as f:
        rows = f.read().splitlines()
    if not lines:
        lines.append(rows[0])
    for row in rows[1:]:
        key = row.split(",", 1)[0]
        if row and key not in seen:
            seen.add(key)
            lines.append(row)
with open(sys.argv[3] + ".new", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
PY
rm -f "$WORK/landing/agencies.csv" && mv "$WORK/landing/agencies.csv.new" "$WORK/landing/agencies.csv"
cp -al "$BASE" "$WORK/warehouse"

echo "running the night …" >&2
status=0
/usr/bin/time -v "$BIN" rebuild --warehouse "$WORK/warehouse" --landing "$WORK/landing" --key-file "$KEY" \
    --as-of "$NIGHT_AS_OF" --json "${GATE[@]}" >"$WORK/night.json" 2>"$WORK/night.time" || status=$?
if [[ $status -ne 0 && $status -ne 3 ]]; then
    echo "the night's rebuild failed (exit $status):" >&2
    tail -20 "$WORK/night.time" >&2
    exit 1
fi

R="$WORK/night.json"
t() { json "$R" "'%.1f' % (d['timings_ms'].get('$1', 0) / 1000)"; }
BASE_ROWS=$(json "$BASE/snapshots/$(cat "$BASE/CURRENT")/manifest.json" "d['row_counts']['certificates']")
ROWS_READ=$(json "$R" "d['rows_read']")
FILES_LOADED=$(json "$R" "d['files_loaded']")
FILES_SKIPPED=$(json "$R" "d['files_skipped']")
TOTAL_ROWS=$(json "$R" "d['row_counts']['certificates']")
BUILD=$(json "$R" "'%.1f' % (sum(d['timings_ms'].get(k, 0) for k in ('link', 'dims', 'models', 'indicators', 'gate', 'manifest')) / 1000)")
WALL=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$WORK/night.time")
PEAK=$(peak_mib "$WORK/night.time")
LOAD=$(cut -d' ' -f1 /proc/loadavg)

echo "night phases (s): ingest $(t ingest), link $(t link), dims $(t dims), models $(t models)," \
    "indicators $(t indicators), gate $(t gate), manifest $(t manifest), publish $(t publish)," \
    "retention $(t retention), total $(t total)" >&2

if [[ ! -f "$RESULTS" ]]; then
    cat >"$RESULTS" <<'HEADER'
# Incremental night benchmark

Appended by `benches/incremental.sh`: one night's drop rebuilt onto a warehouse of the given size. The landing folder
holds every earlier file too (skipped by content hash) plus the night's new agency-months. Machine: 2 cores, shared
with concurrent compiles unless noted; release build.

| date (UTC) | binary | warehouse rows before | night files loaded / skipped | night rows read | ingest s | build s (link, dims, models, indicators, gate, manifest) | publish + retention s | total s (wall) | peak RSS MiB | load avg |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
HEADER
fi
PROFILE=release
[[ "$BIN" == */debug/* ]] && PROFILE="debug (not a benchmark)"
ROW=$(printf '| %s | %s | %s | %s / %s | %s | %s | %s | %s | %s (%s) | %s | %s |' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$PROFILE" "$BASE_ROWS" "$FILES_LOADED" "$FILES_SKIPPED" "$ROWS_READ" "$(t ingest)" "$BUILD" \
    "$(json "$R" "'%.1f' % ((d['timings_ms'].get('publish', 0) + d['timings_ms'].get('retention', 0)) / 1000)")" \
    "$(t total)" "$WALL" "$PEAK" "$LOAD")
echo "$ROW" >>"$RESULTS"
echo "$ROW"
echo "(warehouse after the night: $TOTAL_ROWS certificates)" >&2
