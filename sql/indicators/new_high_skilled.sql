-- id: new_high_skilled
-- title_zh: 新增高技能人才（取证）
-- title_en: Newly high-skilled persons (certified at ≥ l3 in the year)
-- unit: persons
-- kind: flow
-- grain: region_code × year (flow); a person counts in each issuing region once, 410000 counts each person once
-- target: 800,000 (2022 province); 650,000 (2025 province)
-- comparator: >=
-- disclosure: count new_high_skilled
-- headline: 2
-- short_title_zh: 新增高技能人才
-- short_title_en: New high-skilled
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）; 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 一、目标任务; 一、总体要求
-- description: Persons who obtained a skill certificate at l3 (高级工) or above issued in the year.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    -- person_flow has one row per person, year and issuing region.
    SELECT region_code, year, COUNT(*) AS persons
    FROM person_flow WHERE first_high_skill_date IS NOT NULL GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(DISTINCT person_key) AS persons
    FROM person_flow WHERE first_high_skill_date IS NOT NULL GROUP BY year
)
SELECT
    'new_high_skilled' AS indicator_id,
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
