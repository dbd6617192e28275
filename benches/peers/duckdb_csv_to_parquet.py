"""The ingestion benchmark's DuckDB peer: DuckDB's plain CSV → Parquet conversion of a folder of clean CSV files
(`<agency>/<YYYY-MM>.csv`, as written by crates/skillhouse-ingest/examples/clean_csv.rs), no validation.

    python3 duckdb_csv_to_parquet.py CSV_DIR OUT.parquet [--threads 2]

Only the conversion runs (count the rows afterwards, outside the timed process).
"""

import argparse
import sys

import duckdb


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv_dir")
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"""COPY (SELECT * FROM read_csv('{args.csv_dir}/*/*.csv', all_varchar = true, union_by_name = true))
                    TO '{args.out}' (FORMAT parquet, COMPRESSION zstd)""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
