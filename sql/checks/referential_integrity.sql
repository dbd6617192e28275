-- id: referential_integrity
-- title_zh: 维度引用完整
-- title_en: References to the dimensions resolve
-- description: Every certificate's region_code is a region, its occupation_code (when present) an occupation and
-- description: its agency_id an agency of the registry; every duplicate claim names a certificate of the snapshot;
-- description: every indicator value's region is a region (a `no_data` row's is its target's, and may not be).
-- description: Returns one row per offending certificate, claim or value, naming the first reference at fault.
SELECT
    c.cert_no,
    CASE
        WHEN r.region_code IS NULL THEN 'region_code'
        WHEN c.occupation_code IS NOT NULL AND o.occupation_code IS NULL THEN 'occupation_code'
        ELSE 'agency_id'
    END AS column_name,
    CASE
        WHEN r.region_code IS NULL THEN c.region_code
        WHEN c.occupation_code IS NOT NULL AND o.occupation_code IS NULL THEN c.occupation_code
        ELSE c.agency_id
    END AS value
FROM certificate_files AS c
LEFT JOIN regions AS r ON r.region_code = c.region_code
LEFT JOIN occupations AS o ON o.occupation_code = c.occupation_code
LEFT JOIN agencies AS a ON a.agency_id = c.agency_id
WHERE r.region_code IS NULL
   OR (c.occupation_code IS NOT NULL AND o.occupation_code IS NULL)
   OR a.agency_id IS NULL
UNION ALL
SELECT d.cert_no, 'duplicate_claims.cert_no' AS column_name, d.cert_no AS value
FROM duplicate_claims AS d
LEFT JOIN certificate_files AS c ON c.cert_no = d.cert_no
WHERE c.cert_no IS NULL
UNION ALL
SELECT CAST(NULL AS VARCHAR) AS cert_no, 'indicator_values.region_code' AS column_name, v.region_code AS value
FROM indicator_values AS v
LEFT JOIN regions AS r ON r.region_code = v.region_code
-- A `no_data` row carries its target's region, which may be no reporting unit on purpose (the Youth League's
-- provincial organs, `410000-YL`: datasets/reference/README.md); every value row's region resolves.
WHERE v.region_code IS NOT NULL AND r.region_code IS NULL AND v.basis <> 'no_data'
