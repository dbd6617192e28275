-- id: subsidised_in_noncompliant
-- title_zh: 不合规培训班中的补贴性培训人次
-- title_en: Subsidised training in classes breaking a class rule (subsidy at risk, person-times)
-- unit: person_times
-- kind: flow
-- grain: region_code × year (each 人次 once; 410000 = all)
-- target: —
-- comparator: —
-- disclosure: count subsidised_in_noncompliant
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（四）
-- description: Completed training rows (result passed or failed) with subsidised = yes in flagged classes
-- description: (training_classes.flagged), counted as the 人次 indicators are: in the year of the row's end date (on
-- description: or before the as-of date) and its provider's region.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
at_risk AS (
    SELECT t.region_code, t.end_year AS year
    FROM training AS t
    JOIN training_classes AS c ON c.provider_id = t.provider_id AND c.class_id = t.class_id
    WHERE t.end_date <= CAST($as_of AS DATE) AND t.result IN ('passed', 'failed') AND t.subsidised AND c.flagged
),
counts AS (
    SELECT region_code, year, COUNT(*) AS person_times FROM at_risk GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, COUNT(*) AS person_times FROM at_risk GROUP BY year
)
SELECT
    'subsidised_in_noncompliant' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.person_times, 0) AS DOUBLE) AS value,
    COALESCE(c.person_times, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
