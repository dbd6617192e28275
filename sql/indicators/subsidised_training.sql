-- id: subsidised_training
-- title_zh: 补贴性职业技能培训人次
-- title_en: Subsidised vocational skills training (person-times)
-- unit: person_times
-- kind: flow
-- grain: region_code × year (each 人次 once; 410000 = all); programme × year for 410000 (1–10, 2.1–2.5 also in 2, and 2.1–2.5)
-- target: 2022 province 1,250,000; 2025 province 650,000
-- comparator: >=
-- disclosure: count subsidised_training
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）; 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 001 一、目标任务; 003 一、总体要求
-- description: Completed training rows (result passed or failed) with subsidised = yes whose class ended in the year
-- description: (on or before the as-of date), in the provider's region; programme rows (province only) count the rows
-- description: tagged with the programme, a row tagged 2.x also in 2.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
completed AS (
    SELECT year, region_code, programme, person_times
    FROM training_counts
    WHERE result IN ('passed', 'failed') AND subsidised
),
counts AS (
    SELECT region_code, year, SUM(person_times) AS person_times FROM completed GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, SUM(person_times) AS person_times
    FROM completed GROUP BY year
),
tagged AS (
    SELECT programme, year, person_times FROM completed WHERE programme IS NOT NULL
    UNION ALL
    SELECT split_part(programme, '.', 1) AS programme, year, person_times FROM completed WHERE programme LIKE '%.%'
),
by_programme AS (
    SELECT programme, year, SUM(person_times) AS person_times FROM tagged GROUP BY programme, year
)
SELECT
    'subsidised_training' AS indicator_id,
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
UNION ALL
SELECT
    'subsidised_training' AS indicator_id,
    CAST($province_code AS VARCHAR) AS region_code,
    y.year,
    p.programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(b.person_times, 0) AS DOUBLE) AS value,
    CAST(COALESCE(b.person_times, 0) AS BIGINT) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM programmes AS p
CROSS JOIN training_years AS y
LEFT JOIN by_programme AS b ON b.programme = p.programme AND b.year = y.year
