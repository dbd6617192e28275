-- id: accepted_values
-- title_zh: 枚举取值合法
-- title_en: Enumerations hold accepted values
-- description: cert_type, level, agency_type and programme of every certificate are codes of the reference tables
-- description: (cert_types, levels, agency_types, programmes), gender is M or F, a level is present exactly on the
-- description: certificate types that bear one, and level_rank agrees with the level. Returns one row per
-- description: offending certificate, naming the first column at fault and its value. (One pass over the
-- description: certificates, joined to the small reference tables.)
SELECT
    c.cert_no,
    CASE
        WHEN t.cert_type IS NULL THEN 'cert_type'
        WHEN c.level IS NOT NULL AND l.level IS NULL THEN 'level'
        WHEN t.bears_level <> (c.level IS NOT NULL) THEN 'level'
        WHEN CAST(c.level_rank AS INT) <> COALESCE(l.rank, 0) THEN 'level_rank'
        WHEN c.gender NOT IN ('M', 'F') THEN 'gender'
        WHEN a.agency_type IS NULL THEN 'agency_type'
        ELSE 'programme'
    END AS column_name,
    CASE
        WHEN t.cert_type IS NULL THEN c.cert_type
        WHEN c.level IS NOT NULL AND l.level IS NULL THEN c.level
        WHEN t.bears_level <> (c.level IS NOT NULL) THEN COALESCE(c.level, '(none)')
        WHEN CAST(c.level_rank AS INT) <> COALESCE(l.rank, 0) THEN CAST(c.level_rank AS VARCHAR)
        WHEN c.gender NOT IN ('M', 'F') THEN c.gender
        WHEN a.agency_type IS NULL THEN c.agency_type
        ELSE c.programme
    END AS value
FROM certificate_files AS c
LEFT JOIN cert_types AS t ON t.cert_type = c.cert_type
LEFT JOIN levels AS l ON l.level = c.level
LEFT JOIN agency_types AS a ON a.agency_type = c.agency_type
LEFT JOIN programmes AS p ON p.programme = c.programme
WHERE t.cert_type IS NULL
   OR (c.level IS NOT NULL AND l.level IS NULL)
   OR t.bears_level <> (c.level IS NOT NULL)
   OR CAST(c.level_rank AS INT) <> COALESCE(l.rank, 0)
   OR c.gender NOT IN ('M', 'F')
   OR a.agency_type IS NULL
   OR (c.programme IS NOT NULL AND p.programme IS NULL)
