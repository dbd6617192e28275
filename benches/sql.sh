#!/usr/bin/env bash
# Analyst SQL benchmark (issue 7): a simple aggregate over `persons` through `skillhouse sql` and through psql over
# the Postgres wire port, on one warehouse, in one run. Prints Markdown rows for BENCHMARKS.md.
#
# Usage: benches/sql.sh SKILLHOUSE_BINARY WAREHOUSE [RUNS]
#   SKILLHOUSE_BINARY  a release build (cargo build --release -p skillhouse-cli → target/release/skillhouse)
#   WAREHOUSE          a rebuilt warehouse (its published snapshot is queried)
#   RUNS               repetitions per measure (default 10)
# Needs: psql (Debian: apt-get install postgresql-client), python3 (for a free port).
#
# Measures, each the median of RUNS:
#   sql statement   the statement alone inside one `skillhouse sql` session (\timing), after one warm-up run
#   sql -c process  a whole `skillhouse sql -c` process: start, open the snapshot, run, print
#   psql statement  the statement over the wire inside one psql session (\timing: client-side round trip)
#   psql -c process a whole `psql -c`: connect, SCRAM login, run, print
set -euo pipefail

bin="${1:?usage: benches/sql.sh SKILLHOUSE_BINARY WAREHOUSE [RUNS]}"
warehouse="${2:?usage: benches/sql.sh SKILLHOUSE_BINARY WAREHOUSE [RUNS]}"
runs="${3:-10}"
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql-client)" >&2; exit 2; }

query="SELECT region_code, COUNT(*) AS persons, SUM(CASE WHEN high_skilled THEN 1 ELSE 0 END) AS high_skilled \
FROM persons WHERE year = 2025 GROUP BY region_code ORDER BY region_code"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# "median min max" of the numbers on stdin.
stats() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'; }
# Milliseconds of every "Time: 12.345 ms" line on stdin (psql and skillhouse sql print the same).
times() { awk '/^Time: / { print $2 }'; }
# Wall milliseconds of a command, output discarded.
wall_ms() { local start end; start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$runs" $3; }

persons="$("$bin" sql --warehouse "$warehouse" --format csv -c "SELECT COUNT(DISTINCT person_key) FROM persons" | tail -1)"
rows="$("$bin" sql --warehouse "$warehouse" --format csv -c "SELECT COUNT(*) FROM persons" | tail -1)"

# skillhouse sql: the statement inside one session (first run discarded as warm-up).
{ echo '\timing on'; for _ in $(seq 0 "$runs"); do echo "$query;"; done; } > "$work/session.sql"
"$bin" sql --warehouse "$warehouse" --format csv -f "$work/session.sql" | times | tail -n +2 > "$work/sql_statement"
# skillhouse sql -c: whole processes.
for _ in $(seq 1 "$runs"); do wall_ms "$bin" sql --warehouse "$warehouse" --format csv -c "$query"; done > "$work/sql_process"

# The Postgres wire: serve with one user on free ports.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_port="$(free_port)"
export SKILLHOUSE_PG_PASSWORD="bench-$$-$(date +%s)"
export PGPASSWORD="$SKILLHOUSE_PG_PASSWORD"
"$bin" serve --warehouse "$warehouse" --addr "127.0.0.1:$(free_port)" --pg-addr "127.0.0.1:$pg_port" \
    --pg-user bench 2>"$work/serve.log" &
server_pid=$!
psql_cmd=(psql -X -q -h 127.0.0.1 -p "$pg_port" -U bench -d skillhouse)
for _ in $(seq 1 200); do "${psql_cmd[@]}" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.25; done
"${psql_cmd[@]}" -c 'SELECT 1' >/dev/null || { cat "$work/serve.log" >&2; exit 1; }
"${psql_cmd[@]}" -f "$work/session.sql" | times | tail -n +2 > "$work/psql_statement"
for _ in $(seq 1 "$runs"); do wall_ms "${psql_cmd[@]}" -c "$query"; done > "$work/psql_process"

echo "Persons model: $rows rows, $persons distinct persons. Query: \`$query\`"
echo
echo "| front end | measure | runs | median ms | min ms | max ms |"
echo "|---|---|---:|---:|---:|---:|"
row "skillhouse sql" "statement (\\timing, warm session)" "$(stats < "$work/sql_statement")"
row "skillhouse sql -c" "whole process (start, open snapshot, query, print)" "$(stats < "$work/sql_process")"
row "psql over the Postgres wire" "statement round trip (\\timing, one session)" "$(stats < "$work/psql_statement")"
row "psql -c over the Postgres wire" "whole client (connect, SCRAM login, query)" "$(stats < "$work/psql_process")"
