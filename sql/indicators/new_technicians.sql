-- id: new_technicians
-- title_zh: 新增技师和高级技师（取证）
-- title_en: New technicians and senior technicians (certified at l2 or l1 in the year)
-- unit: persons
-- kind: flow
-- grain: region_code × year (flow); a person counts in each issuing region once, 410000 counts each person once
-- target: 20,000 (2025 province, 新八级工)
-- comparator: >=
-- disclosure: count new_technicians
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 二、（二）
-- description: Persons who obtained a skill certificate at l2 (技师) or l1 (高级技师) issued in the year (duplicate
-- description: claims excluded; DESIGN §17, counted as §8's flows). new_youth_technicians is its youth part.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    -- person_flow has one row per person, year and issuing region.
    SELECT region_code, year, COUNT(*) AS persons
    FROM person_flow WHERE first_technician_date IS NOT NULL GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(DISTINCT person_key) AS persons
    FROM person_flow WHERE first_technician_date IS NOT NULL GROUP BY year
)
SELECT
    'new_technicians' AS indicator_id,
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
