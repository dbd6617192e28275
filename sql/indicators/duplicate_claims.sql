-- id: duplicate_claims
-- title_zh: 重复申领证书数量
-- title_en: Certificates flagged as duplicate claims
-- unit: certificates
-- kind: flow
-- grain: region_code × year (certificates issued in the year, by issuing region; 410000 = all)
-- target: —
-- comparator: —
-- disclosure: count duplicate_claims
-- source: DESIGN §6 (同一人员同一职业同一等级不得重复申领)
-- clause: —
-- description: Certificates flagged duplicate_claim (same person, occupation and level as an earlier certificate),
-- description: by issue year and issuing region. The only indicator that reads the flagged rows.
WITH areas AS (
    SELECT region_code FROM regions WHERE kind <> 'province'
    UNION
    SELECT CAST($province_code AS VARCHAR) AS region_code
),
flagged AS (
    SELECT region_code, year, certificates FROM certificate_counts WHERE duplicate_claim
),
counts AS (
    SELECT region_code, year, SUM(certificates) AS certificates FROM flagged GROUP BY region_code, year
    UNION ALL
    SELECT CAST($province_code AS VARCHAR) AS region_code, year, SUM(certificates) AS certificates
    FROM flagged GROUP BY year
)
SELECT
    'duplicate_claims' AS indicator_id,
    a.region_code,
    y.year,
    CAST(NULL AS VARCHAR) AS programme,
    CAST(NULL AS VARCHAR) AS agency_type,
    CAST(COALESCE(c.certificates, 0) AS DOUBLE) AS value,
    COALESCE(c.certificates, 0) AS numerator,
    CAST(NULL AS BIGINT) AS denominator
FROM areas AS a
CROSS JOIN year_ends AS y
LEFT JOIN counts AS c ON c.region_code = a.region_code AND c.year = y.year
