-- id: noncompliant_classes
-- title_zh: 不合规培训班占比
-- title_en: Share of training classes breaking a class rule
-- unit: share
-- kind: share
-- grain: region_code × year (the class's end year and its provider's region; 410000 = all classes)
-- target: —
-- comparator: —
-- disclosure: share noncompliant_classes / training_classes
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（四）
-- description: Flagged classes ÷ classes (training_classes: oversize, practical_short, unsatisfied or
-- description: short_certificate_course), by the year of the class's end date (on or before the as-of date) and its
-- description: provider's region. Undefined (null) without classes. Its counts are protected like every count of
-- description: DESIGN §7 (only the agencies of the public registry are exempt): a region with a handful of classes
-- description: is a handful of providers and their trainees.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counts AS (
    SELECT region_code, year, SUM(CASE WHEN flagged THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM training_classes GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        SUM(CASE WHEN flagged THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM training_classes GROUP BY year
)
SELECT
    'noncompliant_classes' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(c.numerator AS DOUBLE) / CAST(NULLIF(c.denominator, 0) AS DOUBLE) AS value,
    CAST(COALESCE(c.numerator, 0) AS BIGINT) AS numerator,
    CAST(COALESCE(c.denominator, 0) AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN training_years AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
