-- id: new_agencies
-- title_zh: 新备案评价机构数量
-- title_en: Evaluation agencies registered in the year
-- unit: agencies
-- kind: flow
-- grain: agency_type × year for 410000, plus the all-types row (agency_type null)
-- target: 2022 province 2,100 = enterprise 1,600 + college 400 + social 100
-- comparator: >=
-- disclosure: public
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）
-- clause: 一、目标任务
-- description: Agencies of the registry whose registration date falls in the year (on or before the as-of date in
-- description: the current year), by type and all types, for the province (DESIGN §17). An agency without a
-- description: registration date is in no year's count: agencies_by_type counts it as registered, but when is unknown.
WITH types AS (
    SELECT agency_type FROM agency_types
    UNION ALL
    SELECT CAST(NULL AS VARCHAR) AS agency_type
),
registered AS (
    SELECT agency_type, CAST(date_part('year', registered_on) AS INT) AS year
    FROM agencies
    WHERE registered_on <= CAST($as_of AS DATE)
),
counts AS (
    SELECT year, agency_type, COUNT(*) AS agencies FROM registered GROUP BY year, agency_type
    UNION ALL
    SELECT year, CAST(NULL AS VARCHAR) AS agency_type, COUNT(*) AS agencies FROM registered GROUP BY year
)
SELECT
    'new_agencies' AS indicator_id,
    CAST($province_code AS VARCHAR) AS region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    t.agency_type,
    CAST(COALESCE(c.agencies, 0) AS DOUBLE) AS value,
    COALESCE(c.agencies, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM year_ends AS y
CROSS JOIN types AS t
LEFT JOIN counts AS c ON c.year = y.year AND (c.agency_type IS NOT DISTINCT FROM t.agency_type)
