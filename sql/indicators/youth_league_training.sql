-- id: youth_league_training
-- title_zh: 团组织职业技能培训人次
-- title_en: Vocational skills training organised by the Communist Youth League (person-times)
-- unit: person_times
-- kind: flow
-- grain: region_code × year (each 人次 once; 410000 = all)
-- target: 2022 province 60,000; per city (000 附件)
-- comparator: >=
-- disclosure: count youth_league_training
-- source: 000 共青团河南省委《河南共青团高质量开展“人人持证、青年当先”技能培训实施方案》（豫青字〔2022〕5号）
-- clause: 二、工作目标; 附件 2022年“人人持证、青年当先”技能培训目标任务分解表
-- description: Completed training rows (result passed or failed) with organiser youth_league (共青团) whose class ended
-- description: in the year (on or before the as-of date), in the provider's region. The annex's 团省委 row
-- description: (410000-YL) is not a reporting unit: no row here matches it.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
completed AS (
    SELECT year, region_code, person_times
    FROM training_counts
    WHERE result IN ('passed', 'failed') AND organiser = 'youth_league'
),
counts AS (
    SELECT region_code, year, SUM(person_times) AS person_times FROM completed GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, SUM(person_times) AS person_times
    FROM completed GROUP BY year
)
SELECT
    'youth_league_training' AS indicator_id,
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
