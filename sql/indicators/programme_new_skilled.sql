-- id: programme_new_skilled
-- title_zh: 专项新增技能人才
-- title_en: New skilled persons by special programme
-- unit: persons
-- kind: flow
-- grain: programme × year (province 410000); programmes 1–10 (2.1–2.5 roll up into 2) and 2.1–2.5
-- target: —
-- comparator: —
-- disclosure: count programme_new_skilled
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 二、（一）
-- description: Persons who obtained a skill certificate tagged with the programme and issued in the year; a person tagged 2.1 and 2.3 counts once in 2.
WITH counts AS (
    -- programme_flow has one row per person, year and programme (rolled up), so COUNT(*) counts persons.
    SELECT programme, year, COUNT(*) AS persons FROM programme_flow WHERE first_skill_date IS NOT NULL GROUP BY programme, year
)
SELECT
    'programme_new_skilled' AS indicator_id,
    CAST($province_code AS VARCHAR) AS region_code,
    y.year,
    p.programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM programmes AS p
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.programme = p.programme AND c.year = y.year
