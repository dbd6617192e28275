-- id: high_skill_share
-- title_zh: 高技能人才占技能人才比例
-- title_en: High-skilled share of skilled persons
-- unit: share
-- kind: share
-- grain: region_code × year (stock at year end); region rows by principal region, 410000 counts each person once
-- target: 0.35 (2025 province, 35%左右)
-- comparator: ~
-- disclosure: share high_skilled_persons / skilled_persons
-- headline: 1
-- short_title_zh: 高技能人才占比
-- short_title_en: High-skill share
-- gate: compare
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 一、总体要求
-- description: High-skilled persons (highest rank ≥ l3) ÷ skilled persons, both at year end.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    SELECT region_code, year, SUM(CASE WHEN high_skilled THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM persons WHERE skilled GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        SUM(CASE WHEN high_skilled THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM persons WHERE skilled GROUP BY year
)
SELECT
    'high_skill_share' AS indicator_id,
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
