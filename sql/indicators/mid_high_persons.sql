-- id: mid_high_persons
-- title_zh: 中高级技能人才总量
-- title_en: Mid-and-high skilled persons
-- unit: persons
-- kind: stock
-- grain: region_code × year (stock at year end); region rows by principal region, 410000 counts each person once
-- target: 720,000 (Kaifeng 2025)
-- comparator: >=
-- disclosure: count mid_high_persons
-- source: 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 一、（二）目标任务
-- description: Skilled persons whose highest level rank is at least l4 (中级工) at the year end (the persons model's
-- description: mid_high): mid_high_share's numerator, whose cells it shares.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    -- A person has exactly one principal region per year end, so region rows count each person once.
    SELECT region_code, year, COUNT(*) AS persons FROM persons WHERE mid_high GROUP BY region_code, year
    UNION ALL
    -- persons has one row per person and year end: COUNT(*) is the province's distinct count.
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(*) AS persons
    FROM persons WHERE mid_high GROUP BY year
)
SELECT
    'mid_high_persons' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
