#!/usr/bin/env bash
# Round trips of simple aggregates over `persons`: psql over the Postgres wire and the REPL, six runs each.
# Usage: benches/wire.sh WAREHOUSE [BIN]   (e.g. a warehouse benches/run prepared under /var/tmp/skillhouse-bench/)
set -u
W=${1:?usage: benches/wire.sh WAREHOUSE [BIN]}
BIN=${2:-target/release/skillhouse}
Q1="SELECT year, count(*) AS persons, sum(CASE WHEN high_skilled THEN 1 ELSE 0 END) AS high_skilled FROM persons GROUP BY year ORDER BY year"
Q2="SELECT count(*) FROM persons WHERE year = 2025 AND high_skilled"
Q3="SELECT region_code, count(*) FROM persons WHERE year = 2025 AND skilled GROUP BY region_code ORDER BY region_code"
SKILLHOUSE_PG_PASSWORD=bench $BIN serve --warehouse $W --addr 127.0.0.1:18080 --pg-addr 127.0.0.1:15433 --pg-user analyst > /tmp/wire-serve.log 2>&1 &
spid=$!
for i in $(seq 1 60); do (echo > /dev/tcp/127.0.0.1/15433) 2>/dev/null && break; sleep 1; done
for q in "$Q1" "$Q2" "$Q3"; do
  echo "== $q"
  printf '\\timing on\n%s;\n%s;\n%s;\n%s;\n%s;\n%s;\n' "$q" "$q" "$q" "$q" "$q" "$q" | PGPASSWORD=bench psql -h 127.0.0.1 -p 15433 -U analyst -d skillhouse -X -q -f - 2>&1 | grep -E "^Time|ERROR" | tr '\n' ' '; echo
done
kill $spid; wait $spid 2>/dev/null
echo "== REPL (skillhouse sql, \\timing)"
for q in "$Q1" "$Q2" "$Q3"; do
  printf '\\timing\n%s;\n%s;\n%s;\n%s;\n%s;\n%s;\n' "$q" "$q" "$q" "$q" "$q" "$q" | $BIN sql --warehouse $W 2>&1 | grep -iE "time|ms" | tr '\n' ' '; echo
done
