"""Makes a larger warehouse from a small one by replication, for the indicator benchmark.

    python3 scale_warehouse.py SOURCE_WAREHOUSE TARGET_WAREHOUSE FACTOR

Copy i of every certificate gets `person_key || '~' || i` and `cert_no || '~' || i`, so persons, duplicate claims
and every indicator scale by FACTOR exactly (the cross-check of duckdb_catalogue.py still applies). Files follow
docs/warehouse.md: certificates/issue_year=YYYY/*.parquet (zstd, sorted by region_code, issue_date, cert_type,
level_rank, issue_year only in the path), duplicate_claims/duplicate_claims.parquet, agencies/agencies.parquet.
"""

import pathlib
import shutil
import sys

import duckdb


def main() -> None:
    source, target, factor = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    if target.exists():
        shutil.rmtree(target)
    (target / "duplicate_claims").mkdir(parents=True)
    shutil.copytree(source / "agencies", target / "agencies")
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"""
        CREATE TABLE base AS SELECT * FROM read_parquet('{source}/certificates/*/*.parquet', hive_partitioning = true)
    """)
    columns = [r[0] for r in con.execute("DESCRIBE base").fetchall() if r[0] != "issue_year"]
    select = ", ".join(
        f"{c} || '~' || i AS {c}" if c in ("person_key", "cert_no") else c for c in columns
    )
    years = [r[0] for r in con.execute("SELECT DISTINCT issue_year FROM base ORDER BY 1").fetchall()]
    for year in years:
        out = target / "certificates" / f"issue_year={year}"
        out.mkdir(parents=True)
        con.execute(f"""
            COPY (SELECT {select} FROM base, range({factor}) AS r(i) WHERE issue_year = {year}
                  ORDER BY region_code, issue_date, cert_type, level_rank)
            TO '{out}/scaled.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
        """)
    con.execute(f"""
        COPY (SELECT cert_no || '~' || i AS cert_no, counted_cert_no || '~' || i AS counted_cert_no,
                     person_key || '~' || i AS person_key, occupation_code, level
              FROM read_parquet('{source}/duplicate_claims/duplicate_claims.parquet'), range({factor}) AS r(i))
        TO '{target}/duplicate_claims/duplicate_claims.parquet' (FORMAT parquet, COMPRESSION zstd)
    """)
    rows = con.execute(f"SELECT COUNT(*) FROM read_parquet('{target}/certificates/*/*.parquet')").fetchone()[0]
    print(f"{target}: {rows} certificates")


if __name__ == "__main__":
    main()
