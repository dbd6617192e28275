-- id: training_persons_cumulative
-- title_zh: 累计职业技能培训人次（2021年起）
-- title_en: Vocational skills training since 2021 (person-times, cumulative)
-- unit: person_times
-- kind: cumulative
-- grain: region_code × year, from 2021 on (each 人次 once, in its provider's region; 410000 = all)
-- target: 640,000 (Kaifeng to 2025)
-- comparator: >=
-- disclosure: count training_persons_cumulative
-- source: 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 一、（二）目标任务
-- description: Completed training rows (result passed or failed, one row = one 人次, as training_persons counts them)
-- description: whose class ended from 2021 to the year (on or before the as-of date), in the provider's region:
-- description: training_persons' all-types rows summed over the years. The period starts in 2021 (DESIGN §17);
-- description: years before 2021 have no row.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
completed AS (
    SELECT region_code, year, SUM(person_times) AS person_times
    FROM training_counts
    WHERE result IN ('passed', 'failed') AND year >= 2021
    GROUP BY region_code, year
),
by_year AS (
    SELECT region_code, year, person_times FROM completed
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, SUM(person_times) AS person_times
    FROM completed GROUP BY year
),
counts AS (
    SELECT b.region_code, y.year, SUM(b.person_times) AS person_times
    FROM training_years AS y
    JOIN by_year AS b ON b.year <= y.year
    GROUP BY b.region_code, y.year
)
SELECT
    'training_persons_cumulative' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.person_times, 0) AS DOUBLE) AS value,
    CAST(COALESCE(c.person_times, 0) AS BIGINT) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
WHERE y.year >= 2021
