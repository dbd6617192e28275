"""DuckDB running the benchmark's dashboard and analyst queries (benches/queries/*.sql) over the same Parquet as
`skillhouse sql`, with the same table names.

    python3 duckdb_queries.py WAREHOUSE QUERIES_JSON [--repeat K] [--threads 2]

QUERIES_JSON maps query id → SQL text (placeholders already filled in). The tables are views over the files
`skillhouse sql` reads: `certificates` (Hive-partitioned certificate files plus `duplicate_claim` from
duplicate_claims.parquet, as crates/skillhouse-query/src/tables.rs defines it) and every Parquet file of the
published snapshot under its stem (`persons`, `indicator_values`, `regions`, `occupations`, …).

Each query runs 1 + K times in one connection; prints one JSON object: per query the first run's milliseconds,
the K warm runs' milliseconds and the row count, plus the time to create the views.
"""

import argparse
import json
import pathlib
import sys
import time

import duckdb


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("queries")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    wh = pathlib.Path(args.warehouse)
    snapshot = wh / "snapshots" / (wh / "CURRENT").read_text().strip()
    queries = json.loads(pathlib.Path(args.queries).read_text())

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    # The same files SkillHouse reads: the snapshot's compacted copy of `certificates` when it has one (else the base
    # files joined with the duplicate claims), and the tables the build wrote.
    compact_dir = snapshot / "compact" / "certificates"  # one file per issue year
    compact = snapshot / "compact" / "certificates.parquet"  # snapshots before the per-year layout
    if compact_dir.is_dir():
        con.execute(f"CREATE VIEW certificates AS SELECT * FROM read_parquet('{compact_dir}/*.parquet')")
    elif compact.is_file():
        con.execute(f"CREATE VIEW certificates AS SELECT * FROM read_parquet('{compact}')")
    else:
        con.execute(f"""
            CREATE VIEW certificates AS
            SELECT c.*, d.cert_no IS NOT NULL AS duplicate_claim
            FROM read_parquet('{wh}/certificates/*/*.parquet', hive_partitioning = true) AS c
            LEFT JOIN (SELECT DISTINCT cert_no FROM read_parquet('{wh}/duplicate_claims/duplicate_claims.parquet')) AS d
              ON d.cert_no = c.cert_no
        """)
    # Tables the build wrote: one file each, or a folder of one file per year (`models/persons/2025.parquet`).
    built = [*sorted((snapshot / "dims").glob("*.parquet")), *sorted((snapshot / "models").glob("*.parquet")),
             *sorted(d for d in (snapshot / "models").iterdir() if d.is_dir()),
             snapshot / "indicator_values.parquet", snapshot / "indicators.parquet"]
    for path in built:
        source = f"{path}/*.parquet" if path.is_dir() else str(path)
        con.execute(f"CREATE VIEW \"{path.stem}\" AS SELECT * FROM read_parquet('{source}')")
    setup_ms = (time.perf_counter() - started) * 1000

    out = {"setup_ms": setup_ms, "threads": args.threads, "queries": {}}
    for query_id, sql in queries.items():
        times, rows = [], None
        for _ in range(1 + args.repeat):
            t = time.perf_counter()
            result = con.execute(sql).fetchall()
            times.append((time.perf_counter() - t) * 1000)
            rows = len(result)
        out["queries"][query_id] = {"first_ms": times[0], "warm_ms": times[1:], "rows": rows}
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
