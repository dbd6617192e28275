-- id: mid_high_share
-- title_zh: 中高级技能人才占比
-- title_en: Mid-and-high share of skilled persons
-- unit: share
-- kind: share
-- grain: region_code × year (stock at year end); region rows by principal region, 410000 counts each person once
-- target: 0.80 (Kaifeng 2025)
-- comparator: >=
-- disclosure: share mid_high_persons / skilled_persons
-- source: 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 一、（二）目标任务
-- description: Mid-and-high persons (highest rank ≥ l4) ÷ skilled persons, both at year end; a skilled person with only level-less certificates is in the denominator only.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    SELECT region_code, year, SUM(CASE WHEN mid_high THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM persons WHERE skilled GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        SUM(CASE WHEN mid_high THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM persons WHERE skilled GROUP BY year
)
SELECT
    'mid_high_share' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    -- No skilled person: the share is undefined (null), not zero.
    CAST(c.numerator AS DOUBLE) / CAST(NULLIF(c.denominator, 0) AS DOUBLE) AS value,
    COALESCE(c.numerator, 0) AS numerator,
    COALESCE(c.denominator, 0) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
