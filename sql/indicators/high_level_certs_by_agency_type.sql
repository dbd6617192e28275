-- id: high_level_certs_by_agency_type
-- title_zh: 各类评价机构发放高级工及以上证书数量
-- title_en: Skill certificates at ≥ l3 issued by agency type
-- unit: certificates
-- kind: flow
-- grain: agency_type × year for 410000 (DESIGN §8), plus agency_type × region_code × year rows (city targets exist)
-- target: 2022 province: enterprise 440,000, college 310,000, social 50,000; Kaifeng 2022–2025 per type
-- comparator: >=
-- disclosure: count high_level_certs_by_agency_type
-- source: 001 《2022年高质量推进“人人持证、技能河南”建设工作方案》（豫技领办〔2022〕7号）; 002 《开封市高质量推进“人人持证、技能河南”建设人才倍增计划实施方案》（汴办〔2021〕21号）
-- clause: 二、（二）12–14; 三、（一）
-- description: Skill certificates at l3 (高级工) or above issued in the year by agencies of the type, duplicate claims excluded.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
counted AS (
    SELECT region_code, year, agency_type, certificates
    FROM certificate_counts
    WHERE NOT duplicate_claim
      AND cert_type IN ('qualification', 'skill_level', 'special_operation', 'special_equipment', 'special_competence')
      AND level_rank >= 3
),
counts AS (
    SELECT region_code, year, agency_type, SUM(certificates) AS certificates
    FROM counted GROUP BY region_code, year, agency_type
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, agency_type, SUM(certificates) AS certificates
    FROM counted GROUP BY year, agency_type
)
SELECT
    'high_level_certs_by_agency_type' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    t.agency_type,
    CAST(COALESCE(c.certificates, 0) AS DOUBLE) AS value,
    COALESCE(c.certificates, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
CROSS JOIN agency_types AS t
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year AND c.agency_type = t.agency_type
