-- id: programme_new_high_skilled
-- title_zh: 专项新增高技能人才
-- title_en: New high-skilled persons by special programme
-- unit: persons
-- kind: flow
-- grain: programme × year (province 410000); programmes 1–10 (2.1–2.5 roll up into 2) and 2.1–2.5
-- target: per programme (2025: 1 60k, 2 138k, 2.1 100k, 2.2 10k, 2.3 10k, 2.4 8k, 2.5 10k, 3 50k, 4 15k, 5 25k, 7 50k, 8 260k, 9 2k, 10 50k)
-- comparator: >=
-- disclosure: count programme_new_high_skilled
-- source: 003 《2025年度技能河南建设工作方案》（2025年5月2日印发）
-- clause: 二、（一）1–10
-- description: Persons who obtained a skill certificate at l3 or above tagged with the programme and issued in the year.
WITH counts AS (
    -- programme_flow has one row per person, year and programme (rolled up), so COUNT(*) counts persons.
    SELECT programme, year, COUNT(*) AS persons FROM programme_flow WHERE first_high_skill_date IS NOT NULL GROUP BY programme, year
)
SELECT
    'programme_new_high_skilled' AS indicator_id,
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
