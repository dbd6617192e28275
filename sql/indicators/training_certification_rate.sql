-- id: training_certification_rate
-- title_zh: 培训后持证率
-- title_en: Certification rate of trainees (持证率)
-- unit: share
-- kind: share
-- grain: region_code × year (the year the trainee's class ended, the provider's region); a person counts once per region, 410000 counts each person once
-- target: — (001 makes 持证率 the main yardstick of training; no figure)
-- comparator: —
-- disclosure: share certified_trainees / certifiable_trainees
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 二、（四）
-- description: Denominator: distinct persons with a passed training row that has an occupation, in a class that
-- description: ended in the year (on or before the as-of date). Numerator: those of them with a skill certificate
-- description: (cert_types.is_skill; accepted, not a duplicate claim) in the same occupation as such a row, issued on
-- description: or after that class's start date, no later than 180 days after its end date and not after the as-of
-- description: date, for at least one such class. A class's start date is the earliest of its rows', its end date the
-- description: latest (training_classes); a certificate of any region counts. Undefined (null) without trainees.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
-- Passed rows with an occupation, with their class's dates, year and region.
passed AS (
    SELECT t.person_key, t.occupation_code, c.region_code, c.year, c.start_date, c.end_date
    FROM training AS t
    JOIN training_classes AS c ON c.provider_id = t.provider_id AND c.class_id = t.class_id
    WHERE t.end_date <= CAST($as_of AS DATE) AND t.result = 'passed' AND t.occupation_code IS NOT NULL
),
certified AS (
    SELECT DISTINCT p.person_key, p.region_code, p.year
    FROM passed AS p
    JOIN certificates AS k ON k.person_key = p.person_key AND k.occupation_code = p.occupation_code
    JOIN cert_types AS ct ON ct.cert_type = k.cert_type
    WHERE ct.is_skill
      AND NOT k.duplicate_claim
      AND k.issue_date >= p.start_date
      AND k.issue_date <= p.end_date + INTERVAL '180 days'
      AND k.issue_date <= CAST($as_of AS DATE)
),
trainees AS (
    SELECT p.person_key, p.region_code, p.year, c.person_key IS NOT NULL AS certified
    FROM (SELECT DISTINCT person_key, region_code, year FROM passed) AS p
    LEFT JOIN certified AS c ON c.person_key = p.person_key AND c.region_code = p.region_code AND c.year = p.year
),
counts AS (
    SELECT region_code, year, SUM(CASE WHEN certified THEN 1 ELSE 0 END) AS numerator, COUNT(*) AS denominator
    FROM trainees GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year,
        COUNT(DISTINCT CASE WHEN certified THEN person_key END) AS numerator,
        COUNT(DISTINCT person_key) AS denominator
    FROM trainees GROUP BY year
)
SELECT
    'training_certification_rate' AS indicator_id,
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
