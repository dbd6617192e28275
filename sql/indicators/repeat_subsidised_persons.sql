-- id: repeat_subsidised_persons
-- title_zh: 重复享受补贴性培训人数
-- title_en: Persons subsidised twice for one occupation in one year
-- unit: persons
-- kind: flow
-- grain: year (province 410000 only)
-- target: —
-- comparator: —
-- disclosure: count repeat_subsidised_persons
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（四）
-- description: Distinct persons with accepted subsidised training rows in two or more classes (provider + class) of
-- description: the same occupation whose classes ended in the same year (the class's end date, on or before the
-- description: as-of date) — 重复享受补贴. Accepted rows, as DESIGN §16 says: a dropped trainee's row counts. Rows
-- description: without an occupation (entrepreneurship, other) never repeat one: having no occupation is not the
-- description: same occupation.
WITH enrolments AS (
    SELECT DISTINCT t.person_key, t.occupation_code, c.year, t.provider_id, t.class_id
    FROM training AS t
    JOIN training_classes AS c ON c.provider_id = t.provider_id AND c.class_id = t.class_id
    WHERE t.end_date <= CAST($as_of AS DATE) AND t.subsidised AND t.occupation_code IS NOT NULL
),
repeated AS (
    SELECT person_key, year FROM enrolments GROUP BY person_key, occupation_code, year HAVING COUNT(*) >= 2
),
counts AS (
    SELECT year, COUNT(DISTINCT person_key) AS persons FROM repeated GROUP BY year
)
SELECT
    'repeat_subsidised_persons' AS indicator_id,
    CAST($province_code AS VARCHAR) AS region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.persons, 0) AS DOUBLE) AS value,
    COALESCE(c.persons, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM training_years AS y
LEFT JOIN counts AS c ON c.year = y.year
