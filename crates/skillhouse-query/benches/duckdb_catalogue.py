"""DuckDB computing the indicator catalogue of DESIGN §8 from the same Parquet, independently of sql/.

Two uses:
  * cross-check: every value of the published snapshot's indicator_values must equal DuckDB's (exit 1 otherwise);
  * benchmark: the wall time of DuckDB's computation, to compare with the query layer's build
    (`cargo run --release -p skillhouse-query --example build`).

    python3 duckdb_catalogue.py WAREHOUSE AS_OF [--threads 2]

The SQL below is written separately from sql/ (different plans: arg_max for the principal certificate, a
certificate × year-end expansion for the stock) so that agreement means something.
"""

import argparse
import pathlib
import sys
import time

import duckdb

SKILL = "('qualification','skill_level','special_operation','special_equipment','special_competence')"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("as_of")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    wh = pathlib.Path(args.warehouse)
    snapshot = wh / "snapshots" / (wh / "CURRENT").read_text().strip()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    started = time.perf_counter()
    con.execute(f"""
        CREATE TEMP TABLE c AS
        SELECT f.*, d.cert_no IS NOT NULL AS duplicate_claim, f.cert_type IN {SKILL} AS is_skill
        FROM read_parquet('{wh}/certificates/*/*.parquet', hive_partitioning = true) AS f
        LEFT JOIN read_parquet('{wh}/duplicate_claims/duplicate_claims.parquet') AS d USING (cert_no)
        WHERE f.issue_date <= DATE '{args.as_of}'
    """)
    con.execute(f"""
        CREATE TEMP TABLE years AS
        SELECT UNNEST(range(MIN(issue_year), year(DATE '{args.as_of}') + 1)) AS year
        FROM c WHERE NOT duplicate_claim
    """)
    # Stock: every counted skill certificate replicated to each year end it is part of.
    con.execute("""
        CREATE TEMP TABLE stock AS
        SELECT person_key, y.year,
               MAX(level_rank) AS top_rank,
               arg_max(region_code, (level_rank, issue_date, cert_no)) AS region_code
        FROM c JOIN years AS y ON c.issue_year <= y.year
        WHERE NOT duplicate_claim AND is_skill
        GROUP BY person_key, y.year
    """)
    con.execute("""
        CREATE TEMP TABLE flow AS
        SELECT person_key, issue_year AS year, region_code, MIN(birth_date) AS birth_date,
               MAX(level_rank) AS top_rank,
               MIN(issue_date) FILTER (WHERE level_rank IN (4, 5)) AS tech_date,
               MIN(issue_date) FILTER (WHERE level_rank IN (6, 7)) AS top_date
        FROM c WHERE NOT duplicate_claim AND is_skill
        GROUP BY ALL
    """)
    age = ("(datediff('year', birth_date, first) - "
           "CASE WHEN strftime(first, '%m%d') < strftime(birth_date, '%m%d') THEN 1 ELSE 0 END)")
    results = {}

    def both(name, region_sql, province_sql):
        for row in con.execute(f"{region_sql} UNION ALL {province_sql}").fetchall():
            results[(name, row[0], row[1], None, None)] = row[2]

    prov = "'410000'"
    for name, cond in [("skilled_persons", "TRUE"), ("high_skilled_persons", "top_rank >= 3")]:
        both(name, f"SELECT region_code, year, COUNT(*) FROM stock WHERE {cond} GROUP BY ALL",
             f"SELECT {prov}, year, COUNT(*) FROM stock WHERE {cond} GROUP BY ALL")
    for name, cond in [("high_skill_share", "top_rank >= 3"), ("mid_high_share", "top_rank >= 2")]:
        both(name, f"SELECT region_code, year, AVG(({cond})::INT) FROM stock GROUP BY ALL",
             f"SELECT {prov}, year, AVG(({cond})::INT) FROM stock GROUP BY ALL")
    for name, cond in [("new_skilled", "TRUE"), ("new_high_skilled", "top_rank >= 3")]:
        both(name, f"SELECT region_code, year, COUNT(*) FROM flow WHERE {cond} GROUP BY ALL",
             f"SELECT {prov}, year, COUNT(DISTINCT person_key) FROM flow WHERE {cond} GROUP BY ALL")
    for name, col in [("new_youth_technicians", "tech_date"), ("youth_share_new_top_grades", "top_date")]:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE py AS
            SELECT person_key, year, {age} BETWEEN 16 AND 35 AS youth
            FROM (SELECT person_key, year, MIN({col}) AS first, MIN(birth_date) AS birth_date
                  FROM flow WHERE {col} IS NOT NULL GROUP BY ALL)
        """)
        value = "SUM(youth::INT)" if name == "new_youth_technicians" else "AVG(youth::INT)"
        both(name,
             f"SELECT f.region_code, f.year, {value} FROM flow AS f JOIN py USING (person_key, year) "
             f"WHERE f.{col} IS NOT NULL GROUP BY ALL",
             f"SELECT {prov}, year, {value} FROM py GROUP BY ALL")
    both("cert_mix_share",
         "SELECT region_code, issue_year, AVG((cert_type IN ('special_competence','training'))::INT) FROM c "
         "WHERE NOT duplicate_claim GROUP BY ALL",
         f"SELECT {prov}, issue_year, AVG((cert_type IN ('special_competence','training'))::INT) FROM c "
         "WHERE NOT duplicate_claim GROUP BY ALL")
    both("duplicate_claims",
         "SELECT region_code, issue_year, COUNT(*) FROM c WHERE duplicate_claim GROUP BY ALL",
         f"SELECT {prov}, issue_year, COUNT(*) FROM c WHERE duplicate_claim GROUP BY ALL")
    for name, cond in [("certs_by_agency_type", "TRUE"), ("high_level_certs_by_agency_type", "level_rank >= 3")]:
        rows = con.execute(f"""
            SELECT region_code, issue_year, agency_type, COUNT(*) FROM c
            WHERE NOT duplicate_claim AND is_skill AND {cond} GROUP BY ALL
            UNION ALL
            SELECT {prov}, issue_year, agency_type, COUNT(*) FROM c
            WHERE NOT duplicate_claim AND is_skill AND {cond} GROUP BY ALL
        """).fetchall()
        for region, year, agency_type, value in rows:
            results[(name, region, year, None, agency_type)] = value
    rows = con.execute("""
        WITH tagged AS (
            SELECT person_key, issue_year, programme, level_rank FROM c
            WHERE NOT duplicate_claim AND is_skill AND programme IS NOT NULL
            UNION ALL
            SELECT person_key, issue_year, split_part(programme, '.', 1), level_rank FROM c
            WHERE NOT duplicate_claim AND is_skill AND programme LIKE '%.%'
        )
        SELECT programme, issue_year, COUNT(DISTINCT person_key),
               COUNT(DISTINCT person_key) FILTER (WHERE level_rank >= 3)
        FROM tagged GROUP BY ALL
    """).fetchall()
    for programme, year, persons, high in rows:
        results[("programme_new_skilled", "410000", year, programme, None)] = persons
        results[("programme_new_high_skilled", "410000", year, programme, None)] = high
    elapsed = time.perf_counter() - started
    rows = con.execute("SELECT COUNT(*) FROM c").fetchone()[0]
    print(f"duckdb: {len(results)} indicator values from {rows} certificates in {elapsed:.2f} s "
          f"({args.threads} threads)")

    # Cross-check against the snapshot (only non-zero DuckDB cells exist; the snapshot's zero cells must be absent).
    ours = con.execute(f"""
        SELECT indicator_id, region_code, year, programme, agency_type, value
        FROM read_parquet('{snapshot}/indicator_values.parquet')
        WHERE indicator_id NOT IN ('agencies_by_type', 'skilled_share_of_employment')
    """).fetchall()
    mismatches = 0
    for indicator, region, year, programme, agency_type, value in ours:
        expected = results.pop((indicator, region, year, programme, agency_type), None)
        if expected is None:
            ok = value in (0, None) or value != value
        else:
            ok = value is not None and abs(float(value) - float(expected)) < 1e-9
        if not ok:
            mismatches += 1
            if mismatches <= 20:
                print("mismatch", indicator, region, year, programme, agency_type, "ours", value, "duckdb", expected)
    # Cells DuckDB computed that the snapshot lacks (regions outside the reference table would land here).
    missing = [k for k, v in results.items() if v]
    for key in missing[:20]:
        print("missing in snapshot", key, results[key])
    print(f"compared {len(ours)} values: {mismatches} mismatches, {len(missing)} missing")
    return 1 if mismatches or missing else 0


if __name__ == "__main__":
    sys.exit(main())
