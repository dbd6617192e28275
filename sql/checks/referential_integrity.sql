-- id: referential_integrity
-- title_zh: 维度引用完整
-- title_en: References to the dimensions resolve
-- description: Every certificate's region_code is a region, its occupation_code (when present) an occupation and
-- description: its agency_id an agency of the registry; every duplicate claim names a certificate of the snapshot;
-- description: every indicator value's region is a region. Returns one row per dangling reference.
SELECT c.cert_no, 'region_code' AS column_name, c.region_code AS value
FROM certificate_files AS c
LEFT JOIN regions AS r ON r.region_code = c.region_code
WHERE r.region_code IS NULL
UNION ALL
SELECT c.cert_no, 'occupation_code' AS column_name, c.occupation_code AS value
FROM certificate_files AS c
LEFT JOIN occupations AS o ON o.occupation_code = c.occupation_code
WHERE c.occupation_code IS NOT NULL AND o.occupation_code IS NULL
UNION ALL
SELECT c.cert_no, 'agency_id' AS column_name, c.agency_id AS value
FROM certificate_files AS c
LEFT JOIN agencies AS a ON a.agency_id = c.agency_id
WHERE a.agency_id IS NULL
UNION ALL
SELECT d.cert_no, 'duplicate_claims.cert_no' AS column_name, d.cert_no AS value
FROM duplicate_claims AS d
LEFT JOIN certificate_files AS c ON c.cert_no = d.cert_no
WHERE c.cert_no IS NULL
UNION ALL
SELECT CAST(NULL AS VARCHAR) AS cert_no, 'indicator_values.region_code' AS column_name, v.region_code AS value
FROM indicator_values AS v
LEFT JOIN regions AS r ON r.region_code = v.region_code
WHERE v.region_code IS NOT NULL AND r.region_code IS NULL
