-- id: new_certified_cumulative
-- title_zh: 累计取证人数（2021年起）
-- title_en: Persons certified since 2021 (cumulative)
-- unit: persons
-- kind: cumulative
-- grain: region_code × year, from 2021 on (flow summed over 2021 to the year); a person counts once per issuing region, 410000 once
-- target: 520,000 (Kaifeng to 2025)
-- comparator: >=
-- disclosure: count new_certified_cumulative
-- source: 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 一、（二）目标任务
-- description: Distinct persons who obtained a skill certificate issued from 2021 to the year (duplicate claims
-- description: excluded; DESIGN §17): new_skilled summed over the years with each person counted once, in each
-- description: issuing region where they obtained one and once in 410000. The period starts in 2021 (DESIGN §17; the
-- description: plan was issued in November 2021 and runs 到2025年); years before 2021 have no row.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
flow AS (
    SELECT person_key, region_code, year FROM person_flow WHERE first_skill_date IS NOT NULL AND year >= 2021
),
-- The first year of the period each person counts in a region (once per region) and in the province (once).
firsts AS (
    SELECT region_code, MIN(year) AS first_year FROM flow GROUP BY person_key, region_code
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, MIN(year) AS first_year FROM flow GROUP BY person_key
),
by_first_year AS (
    SELECT region_code, first_year, COUNT(*) AS persons FROM firsts GROUP BY region_code, first_year
),
counts AS (
    SELECT f.region_code, y.year, SUM(f.persons) AS persons
    FROM year_ends AS y
    JOIN by_first_year AS f ON f.first_year <= y.year
    GROUP BY f.region_code, y.year
)
SELECT
    'new_certified_cumulative' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    CAST(COALESCE(c.persons, 0) AS BIGINT) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
WHERE y.year >= 2021
