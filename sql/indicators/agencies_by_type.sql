-- id: agencies_by_type
-- title_zh: 备案评价机构数量
-- title_en: Registered evaluation agencies by type
-- unit: agencies
-- kind: stock
-- grain: agency_type × year for 410000 (DESIGN §8), plus region rows and all-types rows (agency_type null)
-- target: 2022 province social ~400; Kaifeng 2025 ≥150 (all types); Pingdingshan 2023 = 220 (127/26/43/24)
-- comparator: ~
-- disclosure: public
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）; 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）; 004 平顶山市地方报纸专题报道《人人持证，拓宽就业增收路》
-- clause: 二、（二）14; 三、（二）; 正文/图表 备案评价机构
-- description: Agencies in the registry registered on or before the year end (or the as-of date in the current year),
-- description: by type and by the agency's region; a row with a null agency_type counts all types. An agency without a
-- description: registration date counts as registered (it is in the registry). An agency that left the registry
-- description: (deregistered_on, 动态退出机制, DESIGN §18) no longer counts from that date: a year end on or after it
-- description: does not count it.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
types AS (
    SELECT agency_type FROM agency_types
    UNION ALL
    SELECT CAST(NULL AS VARCHAR) AS agency_type
),
registered AS (
    SELECT a.agency_id, a.agency_type, a.region_code, y.year
    FROM agencies AS a
    JOIN year_ends AS y
      ON (a.registered_on IS NULL
          OR a.registered_on <= least(make_date(y.year, 12, 31), CAST($as_of AS DATE)))
     AND (a.deregistered_on IS NULL
          OR a.deregistered_on > least(make_date(y.year, 12, 31), CAST($as_of AS DATE)))
),
counts AS (
    SELECT region_code, year, agency_type, COUNT(*) AS agencies FROM registered GROUP BY region_code, year, agency_type
    UNION ALL
    SELECT region_code, year, CAST(NULL AS VARCHAR) AS agency_type, COUNT(*) AS agencies
    FROM registered GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, agency_type, COUNT(*) AS agencies
    FROM registered GROUP BY year, agency_type
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, CAST(NULL AS VARCHAR) AS agency_type,
        COUNT(*) AS agencies
    FROM registered GROUP BY year
)
SELECT
    'agencies_by_type' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    t.agency_type,
    CAST(COALESCE(c.agencies, 0) AS DOUBLE) AS value,
    COALESCE(c.agencies, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
CROSS JOIN types AS t
LEFT JOIN counts AS c
  ON c.region_code = a.region_code AND c.year = y.year AND (c.agency_type IS NOT DISTINCT FROM t.agency_type)
