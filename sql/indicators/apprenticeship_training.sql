-- id: apprenticeship_training
-- title_zh: 企业新型学徒制培训人数
-- title_en: Persons trained in the new enterprise apprenticeship
-- unit: persons
-- kind: flow
-- grain: region_code × year; a person counts once in each region where they completed such a class, 410000 counts each person once
-- target: 2022 province 30,000
-- comparator: >=
-- disclosure: count apprenticeship_training
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（一）1 企业新型学徒制培训
-- description: Distinct persons with a completed training row (result passed or failed) of kind apprenticeship whose class
-- description: ended in the year (on or before the as-of date), by the provider's region.
-- description: 003 二、（一）8 sets 6,000 人次 for programme 8: per programme and in 人次, not a grain of this indicator (DESIGN §16: region), so it matches no row.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
trained AS (
    SELECT DISTINCT person_key, region_code, end_year AS year
    FROM training
    WHERE end_date <= CAST($as_of AS DATE) AND result IN ('passed', 'failed') AND training_kind = 'apprenticeship'
),
counts AS (
    SELECT region_code, year, COUNT(*) AS persons FROM trained GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(DISTINCT person_key) AS persons
    FROM trained GROUP BY year
)
SELECT
    'apprenticeship_training' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
