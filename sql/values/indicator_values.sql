-- id: indicator_values
-- title_zh: 指标值、目标与完成状态
-- title_en: Indicator values with their targets, gaps and status
-- description: Joins every indicator row (`indicator_rows`: the rows of sql/indicators/*.sql) with its target (DESIGN
-- description: §8): gap = value − target; status `met` / `behind` per the target's comparator (`>=`, `<=`, `=`, `~`
-- description: within $approx_tolerance below), `n/a` without a target or a value. A target matches on indicator,
-- description: region, year, programme and agency type, nulls matching nulls; should two share a key, the first by
-- description: target_id wins. A row without a target of its own that is a share, or is the province's, and is per
-- description: neither programme nor agency type, is measured against a reference: the province's overall target of
-- description: the indicator (comparator `>=`, `<=` or `~`) of the same year, else the latest earlier, else the
-- description: earliest later year; reference_status is `met` / `behind` against that target itself (`<=` a cap,
-- description: anything else a floor, no tolerance), `n/a` without a value. The scoreboard and the page show these
-- description: decisions; they do not re-derive them. 序时进度 (pace, docs/pace.md): for a `>=` or `~` target of a
-- description: flow indicator (`-- kind: flow`) in the as-of year, elapsed_share = day of year of the as-of date ÷
-- description: days in the year, expected_to_date = target × elapsed_share, and pace_status `behind_pace` (value below
-- description: the expected value; for `~` by more than the tolerance), `ahead` (completion at least $pace_band above
-- description: the elapsed share) or `on_pace` (between), `n/a` without a value; all three null for other rows.
-- description: Every target answers (DESIGN §17): the value rows are the indicators' rows (`basis` `computed`),
-- description: then the figures offices reported (`reported`: the table `reported`, one row per key, the latest
-- description: file's; `reported_by` / `reported_on` say who and when) for keys no indicator computes, then one
-- description: `no_data` row (no value, status `n/a`) for every key of `targets` that has neither — including targets
-- description: whose region is no reporting unit (the Youth League's `410000-YL`), which no indicator row can match.
WITH ranked AS (
    SELECT indicator_id, region_code, year, programme, agency_type, target, comparator,
        ROW_NUMBER() OVER (PARTITION BY indicator_id, region_code, year, programme, agency_type ORDER BY target_id) AS rn
    FROM targets
),
own AS (SELECT * FROM ranked WHERE rn = 1),
-- The targets a reference can be: the province's, for the indicator as a whole, with a comparator that is a goal
-- (`=` marks a reported figure, not a goal).
references_offered AS (
    SELECT target_id, indicator_id, year, target, comparator
    FROM targets
    WHERE region_code = CAST($province_code AS VARCHAR) AND programme IS NULL AND agency_type IS NULL
      AND target IS NOT NULL AND year IS NOT NULL AND comparator IN ('>=', '<=', '~')
),
-- Every key is answered once (DESIGN §17), by the first source that has it: the indicators' rows (`computed`), else
-- the figure an office reported (ingestion refuses computed indicators; this keeps it so), else the target itself —
-- a `no_data` row without a value. Keys match with nulls matching nulls.
candidates AS (
    SELECT indicator_id, region_code, year, programme, agency_type, value, numerator, denominator,
        'computed' AS basis, CAST(NULL AS VARCHAR) AS reported_by, CAST(NULL AS DATE) AS reported_on, 1 AS source
    FROM indicator_rows
    UNION ALL
    SELECT indicator_id, region_code, year, programme, agency_type, value,
        CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator,
        'reported' AS basis, reported_by, reported_on, 2 AS source
    FROM reported
    UNION ALL
    SELECT DISTINCT indicator_id, region_code, year, programme, agency_type,
        CAST(NULL AS DOUBLE) AS value, CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator,
        'no_data' AS basis, CAST(NULL AS VARCHAR) AS reported_by, CAST(NULL AS DATE) AS reported_on, 3 AS source
    FROM targets
),
value_rows AS (
    SELECT indicator_id, region_code, year, programme, agency_type, value, numerator, denominator,
        basis, reported_by, reported_on
    FROM (
        SELECT *,
            MIN(source) OVER (PARTITION BY indicator_id, region_code, year, programme, agency_type) AS first_source
        FROM candidates
    ) AS c
    WHERE source = first_source
),
joined AS (
    SELECT v.indicator_id, v.region_code, v.year, v.programme, v.agency_type, v.value, v.numerator, v.denominator,
        o.target, o.comparator, i.unit, v.basis, v.reported_by, v.reported_on
    FROM value_rows AS v
    LEFT JOIN own AS o
      ON o.indicator_id = v.indicator_id AND o.region_code = v.region_code AND o.year = v.year
     -- Parenthesised: the parser would otherwise take the following `AND` into IS NOT DISTINCT FROM's right operand.
     AND (o.programme IS NOT DISTINCT FROM v.programme) AND (o.agency_type IS NOT DISTINCT FROM v.agency_type)
    LEFT JOIN indicators AS i ON i.indicator_id = v.indicator_id
),
chosen AS (
    SELECT j.indicator_id, j.region_code, j.year, r.target, r.comparator, r.year AS reference_year,
        ROW_NUMBER() OVER (
            PARTITION BY j.indicator_id, j.region_code, j.year
            ORDER BY CASE WHEN r.year = j.year THEN 0 WHEN r.year < j.year THEN 1 ELSE 2 END,
                CASE WHEN r.year < j.year THEN -r.year ELSE r.year END,
                r.target_id
        ) AS rn
    FROM joined AS j
    JOIN references_offered AS r ON r.indicator_id = j.indicator_id
    WHERE j.target IS NULL AND j.programme IS NULL AND j.agency_type IS NULL AND j.year IS NOT NULL
      AND (j.region_code = CAST($province_code AS VARCHAR) OR j.unit = 'share')
)
SELECT
    j.indicator_id, j.region_code, j.year, j.programme, j.agency_type, j.value, j.numerator, j.denominator,
    j.target,
    j.value - j.target AS gap,
    CASE
        WHEN j.target IS NULL OR j.value IS NULL THEN 'n/a'
        WHEN j.comparator = '>=' THEN CASE WHEN j.value >= j.target THEN 'met' ELSE 'behind' END
        WHEN j.comparator = '<=' THEN CASE WHEN j.value <= j.target THEN 'met' ELSE 'behind' END
        WHEN j.comparator = '=' THEN CASE WHEN j.value = j.target THEN 'met' ELSE 'behind' END
        WHEN j.comparator = '~' THEN
            CASE WHEN j.value >= j.target * (1.0 - CAST($approx_tolerance AS DOUBLE)) THEN 'met' ELSE 'behind' END
        ELSE 'n/a'
    END AS status,
    j.basis, j.reported_by, j.reported_on,
    CAST($definition_version AS VARCHAR) AS definition_version,
    CAST(c.target AS DOUBLE) AS reference_target,
    CAST(c.comparator AS VARCHAR) AS reference_comparator,
    CAST(c.reference_year AS INT) AS reference_year,
    CASE
        WHEN c.target IS NULL THEN CAST(NULL AS VARCHAR)
        WHEN j.value IS NULL THEN 'n/a'
        WHEN c.comparator = '<=' THEN CASE WHEN j.value <= c.target THEN 'met' ELSE 'behind' END
        ELSE CASE WHEN j.value >= c.target THEN 'met' ELSE 'behind' END
    END AS reference_status,
    -- 序时进度 (pace against the calendar, docs/pace.md): only for a yearly target (`>=` or `~`) of a flow indicator
    -- (`-- kind: flow` in its header) in the as-of year; null for everything else (stocks, shares, caps, years
    -- that have ended).
    CASE WHEN f.indicator_id IS NOT NULL AND j.comparator IN ('>=', '~') AND j.target IS NOT NULL
              AND j.year = pace_clock.as_of_year
         THEN pace_clock.elapsed_share END AS elapsed_share,
    CASE WHEN f.indicator_id IS NOT NULL AND j.comparator IN ('>=', '~') AND j.target IS NOT NULL
              AND j.year = pace_clock.as_of_year
         THEN j.target * pace_clock.elapsed_share END AS expected_to_date,
    CASE WHEN f.indicator_id IS NOT NULL AND j.comparator IN ('>=', '~') AND j.target IS NOT NULL
              AND j.year = pace_clock.as_of_year
    THEN CASE
        WHEN j.value IS NULL THEN 'n/a'
        -- Behind: below the expected value (for `~`, by more than the comparator's tolerance), as year-end status
        -- is below the target, so that on 31 December pace and status agree.
        WHEN j.value < j.target * pace_clock.elapsed_share
                       * CASE WHEN j.comparator = '~' THEN 1.0 - CAST($approx_tolerance AS DOUBLE) ELSE 1.0 END
            THEN 'behind_pace'
        -- Ahead: completion (value ÷ target) at least $pace_band (5 percentage points) above the elapsed share.
        WHEN j.value >= j.target * (pace_clock.elapsed_share + CAST($pace_band AS DOUBLE)) THEN 'ahead'
        ELSE 'on_pace'
    END END AS pace_status
FROM joined AS j
LEFT JOIN chosen AS c
  ON c.rn = 1 AND c.indicator_id = j.indicator_id AND c.region_code = j.region_code AND c.year = j.year
 AND j.target IS NULL AND j.programme IS NULL AND j.agency_type IS NULL
-- 序时进度's clock: the as-of day counts as elapsed (data run to its end), so 1 January is 1/365 of the year (1/366
-- in a leap year) and 31 December is all of it; days in the year = day of year of its 31 December.
CROSS JOIN (
    SELECT
        CAST(date_part('year', CAST($as_of AS DATE)) AS INT) AS as_of_year,
        CAST(date_part('doy', CAST($as_of AS DATE)) AS DOUBLE)
        / CAST(date_part('doy', make_date(date_part('year', CAST($as_of AS DATE)), 12, 31)) AS DOUBLE) AS elapsed_share
) AS pace_clock
LEFT JOIN (SELECT indicator_id FROM indicators WHERE kind = 'flow') AS f ON f.indicator_id = j.indicator_id
ORDER BY j.indicator_id, j.region_code, j.year, j.programme NULLS FIRST, j.agency_type NULLS FIRST
