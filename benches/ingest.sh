#!/usr/bin/env bash
# Ingestion benchmark (issue 3): rows per second of `skillhouse ingest` against DuckDB's plain CSV → Parquet
# conversion (read_csv + COPY … TO, 2 threads) on the same clean CSV files, in the same run.
#
# Usage: benches/ingest.sh [PERSONS ...]      (default: 650000 — about 1M certificate rows)
# benches/run runs the same comparison (and the other stages) through the CLI, with repetitions.
# Needs: python3 with duckdb (pip install duckdb), /usr/bin/time (GNU time, for peak RSS).
# Writes: benches/cache/ (generated data, git-ignored) and benches/results/ingest-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

scales=("$@")
[ ${#scales[@]} -eq 0 ] && scales=(650000)
cache=benches/cache
results=benches/results
mkdir -p "$cache" "$results"
out="$results/ingest-$(date -u +%Y%m%dT%H%M%SZ).txt"

# The library's ingest through a thin example binary (the same `skillhouse_ingest::ingest` the CLI calls; it
# builds without the query engine). Data comes from the datagen crate's example (also without the query engine).
cargo build --release --quiet -p skillhouse-ingest --example clean_csv --example ingest
cargo build --release --quiet -p skillhouse-datagen --example datagen
clean_csv=target/release/examples/clean_csv
ingest_bin=target/release/examples/ingest
datagen_bin=target/release/examples/datagen
key="$cache/bench.key"
[ -f "$key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"

peak_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
wall_s() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }

{
  echo "# skillhouse ingest vs DuckDB CSV→Parquet — $(date -u +%FT%TZ)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(python3 -c 'import duckdb; print("duckdb", duckdb.__version__)')"
  printf "%-10s %-28s %10s %8s %12s %10s\n" persons run rows seconds rows_per_s peak_MiB
} | tee "$out"

for persons in "${scales[@]}"; do
  drop="$cache/drop-$persons"
  csv="$cache/csv-$persons"
  if [ ! -f "$drop/manifest.json" ]; then
    rm -rf "$drop"
    "$datagen_bin" "$drop" "$persons" 7 > /dev/null
  fi
  as_of=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['as_of'])" "$drop/manifest.json")
  if [ ! -d "$csv" ]; then
    "$clean_csv" "$drop" "$csv" > /dev/null
  fi

  run_ingest() { # label, input
    local wh="$cache/warehouse-$persons" log="$cache/time-$1.log"
    rm -rf "$wh"
    /usr/bin/time -v "$ingest_bin" "$wh" "$key" "$as_of" datasets/reference "$2" > "$cache/ingest-$1.out" 2> "$log"
    local n; n=$(sed -n 's/^rows: \([0-9]*\) read.*/\1/p' "$cache/ingest-$1.out")
    local s; s=$(wall_s "$log")
    printf "%-10s %-28s %10s %8.1f %12.0f %10.0f\n" "$persons" "$1" "$n" "$s" "$(echo "$n / $s" | bc -l)" "$(echo "$(peak_kb "$log") / 1024" | bc -l)"
    rm -rf "$wh"
  }
  run_ingest "skillhouse:clean-csv" "$csv" | tee -a "$out"
  run_ingest "skillhouse:datagen-drop" "$drop" | tee -a "$out"

  log="$cache/time-duckdb.log"
  rm -f "$cache/duckdb.parquet"
  /usr/bin/time -v python3 benches/peers/duckdb_csv_to_parquet.py "$csv" "$cache/duckdb.parquet" > /dev/null 2> "$log"
  rows=$(python3 -c "import duckdb,sys; print(duckdb.sql(f\"select count(*) from '{sys.argv[1]}'\").fetchone()[0])" "$cache/duckdb.parquet")
  s=$(wall_s "$log")
  printf "%-10s %-28s %10s %8.1f %12.0f %10.0f\n" "$persons" "duckdb:read_csv+copy(2thr)" "$rows" "$s" "$(echo "$rows / $s" | bc -l)" "$(echo "$(peak_kb "$log") / 1024" | bc -l)" | tee -a "$out"
done
echo "results: $out"
