-- id: training_persons
-- title_zh: 职业技能培训人次
-- title_en: Vocational skills training (person-times)
-- unit: person_times
-- kind: flow
-- grain: region_code × year (each 人次 once; 410000 = all); provider_type (agency_type column) × region_code × year, also for 410000; programme × year for 410000 (1–10, 2.1–2.5 also in 2, and 2.1–2.5)
-- target: 2022 province 3,000,000; 2025 province 2,000,000 and per programme; Kaifeng per provider type (enterprise 80,000, college 45,000, social 35,000 a year)
-- comparator: >=
-- disclosure: count training_persons
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）; 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）; 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）; 004 平顶山市地方报纸专题报道《人人持证，拓宽就业增收路》
-- clause: 001 一、目标任务; 002 三、（一）; 003 一、总体要求 and 二、（一）1–10; 004 正文/图表
-- description: Completed training rows (result passed or failed; one row = one trainee in one class = one 人次) whose
-- description: class ended in the year (year of end_date, on or before the as-of date), in the provider's region. Rows
-- description: with agency_type set count the providers of that type (enterprise, college, social, public, online);
-- description: programme rows (province only) count the rows tagged with the programme, a row tagged 2.x also in 2.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
completed AS (
    SELECT year, region_code, provider_type, programme, person_times
    FROM training_counts
    WHERE result IN ('passed', 'failed')
),
counts AS (
    SELECT region_code, year, provider_type AS agency_type, SUM(person_times) AS person_times
    FROM completed GROUP BY region_code, year, provider_type
    UNION ALL
    SELECT region_code, year, CAST(NULL AS VARCHAR) AS agency_type, SUM(person_times) AS person_times
    FROM completed GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, provider_type AS agency_type,
        SUM(person_times) AS person_times
    FROM completed GROUP BY year, provider_type
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, CAST(NULL AS VARCHAR) AS agency_type,
        SUM(person_times) AS person_times
    FROM completed GROUP BY year
),
types AS (
    SELECT provider_type AS agency_type FROM provider_types
    UNION ALL
    SELECT CAST(NULL AS VARCHAR) AS agency_type
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
    'training_persons' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    t.agency_type,
    CAST(COALESCE(c.person_times, 0) AS DOUBLE) AS value,
    CAST(COALESCE(c.person_times, 0) AS BIGINT) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
CROSS JOIN types AS t
LEFT JOIN counts AS c
  ON c.region_code = a.region_code AND c.year = y.year AND (c.agency_type IS NOT DISTINCT FROM t.agency_type)
UNION ALL
SELECT
    'training_persons' AS indicator_id,
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
