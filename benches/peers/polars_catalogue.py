"""polars computing the indicator catalogue of DESIGN §8 from a warehouse's Parquet — the polars peer of the
indicator benchmark, mirroring crates/skillhouse-query/benches/duckdb_catalogue.py plan for plan.

    python3 polars_catalogue.py WAREHOUSE AS_OF [--threads 2] [--no-check]

Computes the same 14 indicators as the DuckDB peer (every indicator of §8 except agencies_by_type and
skilled_share_of_employment, which need the reference dimensions rather than certificates), from the same files:
`certificates/issue_year=*/…parquet` (Hive-partitioned), `duplicate_claims/duplicate_claims.parquet`. Like the
DuckDB peer it materialises the certificates (with the duplicate-claim flag), the person × year-end stock and the
person × region × year flow, then aggregates every indicator from them. The timed part ends when every value is in
a Python dict; reading the snapshot for the cross-check is not timed.

Prints `polars: N indicator values from M certificates in S s (T threads)` and then, unless --no-check, compares
every value with the published snapshot's indicator_values (exit 1 on any mismatch), so agreement is part of the
benchmark. POLARS_MAX_THREADS is set from --threads before polars is imported.
"""

import argparse
import datetime
import os
import pathlib
import sys
import time

SKILL = ["qualification", "skill_level", "special_operation", "special_equipment", "special_competence"]
PROVINCE = "410000"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("as_of")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-check", action="store_true", help="skip the cross-check against the snapshot")
    args = parser.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)
    import polars as pl  # after POLARS_MAX_THREADS: the thread pool is sized at import

    wh = pathlib.Path(args.warehouse)
    as_of = datetime.date.fromisoformat(args.as_of)
    started = time.perf_counter()

    claims = pl.scan_parquet(wh / "duplicate_claims" / "duplicate_claims.parquet").select(
        "cert_no", pl.lit(True).alias("duplicate_claim")
    )
    c = (
        pl.scan_parquet(wh / "certificates" / "**" / "*.parquet", hive_partitioning=True)
        .filter(pl.col("issue_date") <= as_of)
        .join(claims, on="cert_no", how="left")
        .with_columns(
            pl.col("duplicate_claim").fill_null(False),
            pl.col("cert_type").is_in(SKILL).alias("is_skill"),
            pl.col("issue_year").cast(pl.Int64),
        )
        .collect()
    )
    counted = c.lazy().filter(~pl.col("duplicate_claim"))
    skill = counted.filter(pl.col("is_skill"))
    first_year = counted.select(pl.col("issue_year").min()).collect().item()
    years = pl.DataFrame({"year": list(range(first_year, as_of.year + 1))}, schema={"year": pl.Int64}).lazy()

    # Stock: every counted skill certificate replicated to each year end it is part of; the principal region is
    # the region of the certificate with the highest (rank, issue date, certificate number).
    stock = (
        skill.join_where(years, pl.col("issue_year") <= pl.col("year"))
        .group_by("person_key", "year")
        .agg(
            pl.col("level_rank").max().alias("top_rank"),
            pl.col("region_code").sort_by(["level_rank", "issue_date", "cert_no"]).last().alias("region_code"),
        )
        .collect()
    )
    flow = (
        skill.group_by("person_key", pl.col("issue_year").alias("year"), "region_code")
        .agg(
            pl.col("birth_date").min(),
            pl.col("level_rank").max().alias("top_rank"),
            pl.col("issue_date").filter(pl.col("level_rank").is_in([4, 5])).min().alias("tech_date"),
            pl.col("issue_date").filter(pl.col("level_rank").is_in([6, 7])).min().alias("top_date"),
        )
        .collect()
    )

    results = {}

    def both(name, by_region, province):
        """by_region: (region_code, year, value) rows; province: (year, value) rows."""
        for region, year, value in by_region.collect().iter_rows():
            results[(name, region, year, None, None)] = value
        for year, value in province.collect().iter_rows():
            results[(name, PROVINCE, year, None, None)] = value

    s, f = stock.lazy(), flow.lazy()
    for name, cond in [("skilled_persons", pl.lit(True)), ("high_skilled_persons", pl.col("top_rank") >= 3)]:
        both(name,
             s.filter(cond).group_by("region_code", "year").agg(pl.len()),
             s.filter(cond).group_by("year").agg(pl.len()))
    for name, cond in [("high_skill_share", pl.col("top_rank") >= 3), ("mid_high_share", pl.col("top_rank") >= 2)]:
        share = cond.cast(pl.Float64).mean()
        both(name, s.group_by("region_code", "year").agg(share), s.group_by("year").agg(share))
    for name, cond in [("new_skilled", pl.lit(True)), ("new_high_skilled", pl.col("top_rank") >= 3)]:
        both(name,
             f.filter(cond).group_by("region_code", "year").agg(pl.len()),
             f.filter(cond).group_by("year").agg(pl.col("person_key").n_unique()))
    for name, col in [("new_youth_technicians", "tech_date"), ("youth_share_new_top_grades", "top_date")]:
        first, birth = pl.col("first"), pl.col("birth_date")
        # Whole years (周岁): the year difference, less one before the birthday. dt.month()/dt.day() are Int8, so
        # the month-day number is formed in Int32.
        def month_day(d):
            return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)
        age = (first.dt.year() - birth.dt.year()) - (month_day(first) < month_day(birth)).cast(pl.Int32)
        py = (
            f.filter(pl.col(col).is_not_null())
            .group_by("person_key", "year")
            .agg(pl.col(col).min().alias("first"), pl.col("birth_date").min())
            .select("person_key", "year", age.is_between(16, 35).alias("youth"))
        )
        value = pl.col("youth").sum() if name == "new_youth_technicians" else pl.col("youth").cast(pl.Float64).mean()
        both(name,
             f.filter(pl.col(col).is_not_null()).join(py, on=["person_key", "year"]).group_by("region_code", "year")
             .agg(value),
             py.group_by("year").agg(value))
    mix = pl.col("cert_type").is_in(["special_competence", "training"]).cast(pl.Float64).mean()
    both("cert_mix_share",
         counted.group_by("region_code", "issue_year").agg(mix),
         counted.group_by("issue_year").agg(mix))
    duplicates = c.lazy().filter(pl.col("duplicate_claim"))
    both("duplicate_claims",
         duplicates.group_by("region_code", "issue_year").agg(pl.len()),
         duplicates.group_by("issue_year").agg(pl.len()))
    for name, cond in [("certs_by_agency_type", pl.lit(True)),
                       ("high_level_certs_by_agency_type", pl.col("level_rank") >= 3)]:
        rows = skill.filter(cond)
        for region, year, agency_type, value in rows.group_by("region_code", "issue_year", "agency_type").agg(
            pl.len()
        ).collect().iter_rows():
            results[(name, region, year, None, agency_type)] = value
        for year, agency_type, value in rows.group_by("issue_year", "agency_type").agg(pl.len()).collect().iter_rows():
            results[(name, PROVINCE, year, None, agency_type)] = value
    tagged = skill.filter(pl.col("programme").is_not_null()).select("person_key", "issue_year", "programme",
                                                                    "level_rank")
    tagged = pl.concat([
        tagged,
        tagged.filter(pl.col("programme").str.contains(".", literal=True))
        .with_columns(pl.col("programme").str.split(".").list.first()),
    ])
    for programme, year, persons, high in tagged.group_by("programme", "issue_year").agg(
        pl.col("person_key").n_unique(),
        pl.col("person_key").filter(pl.col("level_rank") >= 3).n_unique().alias("high"),
    ).collect().iter_rows():
        results[("programme_new_skilled", PROVINCE, year, programme, None)] = persons
        results[("programme_new_high_skilled", PROVINCE, year, programme, None)] = high
    elapsed = time.perf_counter() - started
    print(f"polars: {len(results)} indicator values from {c.height} certificates in {elapsed:.2f} s "
          f"({pl.thread_pool_size()} threads)")
    if args.no_check:
        return 0
    return cross_check(pl, wh, results)


def cross_check(pl, wh: pathlib.Path, results: dict) -> int:
    """Every value of the published snapshot equals ours (cells we did not compute must be zero or null there),
    and every non-zero value we computed is in the snapshot."""
    snapshot = wh / "snapshots" / (wh / "CURRENT").read_text().strip()
    ours = (
        pl.read_parquet(snapshot / "indicator_values.parquet")
        .filter(~pl.col("indicator_id").is_in(["agencies_by_type", "skilled_share_of_employment"]))
        .select("indicator_id", "region_code", "year", "programme", "agency_type", "value")
    )
    mismatches = 0
    for indicator, region, year, programme, agency_type, value in ours.iter_rows():
        expected = results.pop((indicator, region, year, programme, agency_type), None)
        if expected is None:
            ok = value in (0, None) or value != value
        else:
            ok = value is not None and abs(float(value) - float(expected)) < 1e-9
        if not ok:
            mismatches += 1
            if mismatches <= 20:
                print("mismatch", indicator, region, year, programme, agency_type, "snapshot", value, "polars",
                      expected)
    missing = [k for k, v in results.items() if v]
    for key in missing[:20]:
        print("missing in snapshot", key, results[key])
    print(f"compared {ours.height} values: {mismatches} mismatches, {len(missing)} missing")
    return 1 if mismatches or missing else 0


if __name__ == "__main__":
    sys.exit(main())
