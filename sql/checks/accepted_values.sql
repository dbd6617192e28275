-- id: accepted_values
-- title_zh: 枚举取值合法
-- title_en: Enumerations hold accepted values
-- description: cert_type, level, agency_type and programme of every certificate are codes of the reference tables
-- description: (cert_types, levels, agency_types, programmes), gender is M or F, a level is present exactly on the
-- description: certificate types that bear one, and level_rank agrees with the level. Returns one row per
-- description: offending certificate and column.
SELECT c.cert_no, 'cert_type' AS column_name, c.cert_type AS value
FROM certificate_files AS c
LEFT JOIN cert_types AS t ON t.cert_type = c.cert_type
WHERE t.cert_type IS NULL
UNION ALL
SELECT c.cert_no, 'level' AS column_name, c.level AS value
FROM certificate_files AS c
LEFT JOIN levels AS l ON l.level = c.level
WHERE c.level IS NOT NULL AND l.level IS NULL
UNION ALL
SELECT c.cert_no, 'level' AS column_name, COALESCE(c.level, '(none)') AS value
FROM certificate_files AS c
JOIN cert_types AS t ON t.cert_type = c.cert_type
WHERE t.bears_level <> (c.level IS NOT NULL)
UNION ALL
SELECT c.cert_no, 'level_rank' AS column_name, CAST(c.level_rank AS VARCHAR) AS value
FROM certificate_files AS c
LEFT JOIN levels AS l ON l.level = c.level
WHERE CAST(c.level_rank AS INT) <> COALESCE(l.rank, 0)
UNION ALL
SELECT cert_no, 'gender' AS column_name, gender AS value
FROM certificate_files
WHERE gender NOT IN ('M', 'F')
UNION ALL
SELECT c.cert_no, 'agency_type' AS column_name, c.agency_type AS value
FROM certificate_files AS c
LEFT JOIN agency_types AS a ON a.agency_type = c.agency_type
WHERE a.agency_type IS NULL
UNION ALL
SELECT c.cert_no, 'programme' AS column_name, c.programme AS value
FROM certificate_files AS c
LEFT JOIN programmes AS p ON p.programme = c.programme
WHERE c.programme IS NOT NULL AND p.programme IS NULL
